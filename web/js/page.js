// Small pieces every tab uses: figures as a definition list, times as m:ss.s, dropped files, canvases.

export function formatTime(seconds) {
  const s = Math.max(0, seconds || 0);
  const minutes = Math.floor(s / 60);
  return `${minutes}:${(s - minutes * 60).toFixed(1).padStart(4, "0")}`;
}

// Each name and its value share one <div> (allowed in a <dl>): one cell of the grid, the value under
// its name, so a wide value or an odd number of columns never pairs a value with its neighbour's name.
export function fillFigures(list, figures) {
  list.replaceChildren();
  for (const [name, value] of Object.entries(figures)) {
    const pair = document.createElement("div");
    const term = document.createElement("dt");
    term.textContent = name;
    const description = document.createElement("dd");
    description.textContent = value;
    pair.append(term, description);
    list.append(pair);
  }
}

// Files dropped on a form go into its file input (the one named by data-drop).
export function takeDroppedFiles(form) {
  const input = form.elements[form.dataset.drop];
  form.addEventListener("dragover", (event) => {
    event.preventDefault();
    form.classList.add("dragging");
  });
  form.addEventListener("dragleave", () => form.classList.remove("dragging"));
  form.addEventListener("drop", (event) => {
    event.preventDefault();
    form.classList.remove("dragging");
    if (event.dataTransfer.files.length) input.files = event.dataTransfer.files;
  });
}

// Range inputs show their value beside them.
export function showRangeValues(form) {
  for (const range of form.querySelectorAll('input[type="range"]')) {
    const output = range.nextElementSibling;
    const update = () => (output.textContent = range.value);
    range.addEventListener("input", update);
    update();
  }
}

// A canvas sized to its box at the screen's pixel density, cleared: (context, width, height) in CSS pixels.
export function sharpCanvas(canvas, fallbackWidth, fallbackHeight) {
  const scale = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || fallbackWidth;
  const height = canvas.clientHeight || fallbackHeight;
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const g = canvas.getContext("2d");
  g.setTransform(scale, 0, 0, scale, 0, 0);
  g.clearRect(0, 0, width, height);
  return [g, width, height];
}
