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
    if (!event.dataTransfer.files.length) return;
    input.files = event.dataTransfer.files;
    input.dispatchEvent(new Event("change")); // as a choice in the file dialog
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

// A file's name without its extension, safe as part of another file name ("My take (2).wav" -> "My_take__2_").
export function fileStem(name) {
  const stem = (name || "").replace(/\.[^.]*$/, "") || "recording";
  return stem.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 80);
}

// The recording chosen or dropped on one form is offered to the others that have none yet: one
// drop serves Analyse, Transcribe and Accompany.
export function shareRecording(forms) {
  const inputs = forms.map((form) => form.elements.file);
  for (const input of inputs) {
    input.addEventListener("change", () => {
      if (!input.files.length) return;
      for (const other of inputs) if (other !== input && !other.files.length) other.files = input.files;
    });
  }
}

// The drum styles the loaded models know (GET /api/v1/models), "default" aside.
export function drumStyles(models) {
  const styles = new Set();
  for (const model of models.models) for (const style of model.drum_styles || []) styles.add(style);
  styles.delete("default");
  return [...styles];
}

// A select's options after its first (the "(default)" or "auto" choice) replaced; the choice kept
// where it is still offered.
export function replaceChoices(select, values) {
  const chosen = select.value;
  while (select.options.length > 1) select.remove(1);
  for (const value of values) select.add(new Option(value, value));
  select.value = values.includes(chosen) ? chosen : select.options[0].value;
}
