// The Accompany tab: drums, bass and a pad for a recording through /api/v1/generate/accompaniment
// (as a job, with progress): what the engine found and followed (tempo, meter, key, the chord of
// every bar, and where the chords came from), the preview mixed under the recording, the MIDI file
// as <recording>_band.mid.

import { ApiError, blobOf, Feedback } from "./api.js";
import { drumStyles, fileStem, fillFigures, replaceChoices, showRangeValues, takeDroppedFiles } from "./page.js";

// The answer's harmony_source in words.
const HARMONY_WORDS = {
  melody: "harmonised the melody",
  recording: "followed the chords heard",
  given: "played the key or chords given",
  default: "no key in the recording, so C major, I-vi-IV-V (give a key or chords)",
};

// Returns {showModels(models)}: the Style list is filled from GET /api/v1/models (main.js).
export function setUpAccompany(section) {
  const form = section.querySelector("#accompany-form");
  const feedback = new Feedback(section);
  const view = section.querySelector("#band");
  const audio = section.querySelector("#band-audio");
  const download = section.querySelector("#band-download");
  const chart = section.querySelector("#band-chords");
  let bars = []; // [{start, item}] of the chord chart, to mark the bar the preview is in
  takeDroppedFiles(form);
  showRangeValues(form);
  const level = form.elements.level_db;
  form.elements.preview.addEventListener("change", () => (level.disabled = !form.elements.preview.checked));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (feedback.busy) return; // one accompaniment at a time (Enter in the form, a second click)
    const file = form.elements.file.files[0];
    const parts = [...form.querySelectorAll("input[name=parts]:checked")].map((box) => box.value);
    if (!file) {
      feedback.fail(new ApiError(0, "no_file", "choose or drop a recording first"));
      return;
    }
    if (!parts.length) {
      feedback.fail(new ApiError(0, "no_parts", "tick at least one part to play"));
      return;
    }
    try {
      const result = await feedback.job("/api/v1/generate/accompaniment", bodyOf(form, file, parts));
      show(result, file);
      feedback.done(`Accompanied ${file.name}: ${result.parts.join(", ")} over ${result.bars} bars, ${HARMONY_WORDS[result.harmony_source] || ""}.`);
    } catch (err) {
      feedback.failHidingLast(err, view, audio);
    }
  });

  function show(result, file) {
    const found = result.analysis || {};
    const counts = result.parts.map((part) => `${part} ${(result.notes[part] || []).length}`);
    fillFigures(section.querySelector("#band-figures"), {
      File: file.name,
      Tempo: `${result.tempo.toFixed(1)} BPM`,
      Meter: result.time_signature,
      Key: result.key,
      Bars: String(result.bars),
      Chords: HARMONY_WORDS[result.harmony_source] || result.harmony_source,
      Notes: counts.join(" · "),
      Seed: String(result.seed),
    });
    const notes = [
      result.harmony_note ? `${result.harmony_note[0].toUpperCase()}${result.harmony_note.slice(1)}.` : "",
      ...Object.entries(result.fallback_reasons || {}).map(([part, why]) => `${part}: ${why}.`),
      (found.meter_changes || []).length
        ? `Bars of another length: ${found.meter_changes.map((c) => `bar ${c.bar} in ${c.time_signature}`).join(", ")}.`
        : "",
    ];
    section.querySelector("#band-notes").textContent = notes.filter(Boolean).join(" ");
    showChart(found.bar_chords || []);
    URL.revokeObjectURL(download.href);
    download.href = URL.createObjectURL(blobOf(result.midi_base64, "audio/midi"));
    download.download = `${fileStem(file.name)}_band.mid`;
    audio.pause();
    URL.revokeObjectURL(audio.src);
    if (result.preview_base64) {
      audio.src = URL.createObjectURL(blobOf(result.preview_base64, `audio/${result.preview_format || "flac"}`));
      audio.hidden = false;
    } else {
      audio.removeAttribute("src"); // src = "" would resolve to the page's own URL
      audio.load();
      audio.hidden = true;
    }
    view.hidden = false;
  }

  // The chord of every bar as a chart of numbered bars, the way a band reads it; a bar that changes chord at
  // its middle shows both ("Dm7 G7").
  function showChart(barChords) {
    chart.replaceChildren();
    bars = barChords.map((bar) => {
      const item = document.createElement("li");
      const number = document.createElement("span");
      number.className = "bar";
      number.textContent = String(bar.bar);
      const chord = document.createElement("span");
      chord.className = "chord";
      const symbols = [bar.chord, ...(bar.changes || []).map((change) => change.chord)].join(" ");
      chord.textContent = symbols;
      chord.title = symbols; // in full where the cell is too narrow
      item.append(number, chord);
      item.setAttribute("aria-label", `bar ${bar.bar}: ${symbols}`);
      chart.append(item);
      return { start: bar.start, item };
    });
  }

  // While the preview plays, its bar is marked on the chart.
  audio.addEventListener("timeupdate", () => {
    const now = bars.findLastIndex((bar) => bar.start <= audio.currentTime);
    bars.forEach((bar, i) => bar.item.classList.toggle("now", i === now && !audio.paused));
  });

  return {
    showModels(models) {
      replaceChoices(form.elements.style, drumStyles(models));
    },
  };
}

function bodyOf(form, file, parts) {
  const body = new FormData();
  body.set("file", file);
  body.set("parts", parts.join(","));
  const chords = form.elements.chords.value.trim();
  if (chords) body.set("chords", chords); // the chords given replace any harmony read from the recording
  else body.set("harmony", form.elements.harmony.value);
  if (form.elements.key.value.trim()) body.set("key", form.elements.key.value.trim());
  if (form.elements.style.value) body.set("style", form.elements.style.value);
  if (form.elements.seed.value.trim()) body.set("seed", form.elements.seed.value.trim());
  if (form.elements.preview.checked) {
    body.set("preview", "flac"); // half a WAV's size in the answer; every current browser plays it
    body.set("level_db", form.elements.level_db.value);
  }
  return body;
}
