// The Transcribe tab: a recording to MIDI through /api/v1/transcribe (as a job, with progress):
// its notes, or drum hits, drawn on the piano roll over the recording's own beats and bars, played
// against the recording with a moving playhead, downloaded as <recording>_notes.mid or _drums.mid.

import { ApiError, blobOf, Feedback } from "./api.js";
import { fileStem, fillFigures, showRangeValues, takeDroppedFiles } from "./page.js";
import { PianoRoll, noteName } from "./pianoroll.js";

export function setUpTranscribe(section) {
  const form = section.querySelector("#transcribe-form");
  const feedback = new Feedback(section);
  const view = section.querySelector("#transcription");
  const roll = new PianoRoll(section.querySelector("#transcription-roll"));
  const audio = section.querySelector("#transcription-audio");
  const playButton = section.querySelector("#transcription-play");
  const download = section.querySelector("#transcription-download");
  const settings = section.querySelector("#transcribe-settings");
  takeDroppedFiles(form);
  showRangeValues(form);
  // The note settings are basic-pitch's: drums have none.
  const pitchedOnly = () => (settings.hidden = !["pitched", "auto"].includes(form.elements.instrument.value));
  form.elements.instrument.addEventListener("change", pitchedOnly);
  pitchedOnly();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (feedback.busy) return; // one transcription at a time (Enter in the form, a second click)
    const file = form.elements.file.files[0];
    if (!file) {
      feedback.fail(new ApiError(0, "no_file", "choose or drop a recording first"));
      return;
    }
    try {
      const result = await feedback.job("/api/v1/transcribe", bodyOf(form, file));
      show(result, file);
      const what = result.instrument === "drums" ? "drum hits" : "notes";
      feedback.done(`Transcribed ${file.name}: ${result.notes.length} ${what}.`);
    } catch (err) {
      feedback.failHidingLast(err, view, audio);
    }
  });

  function show(result, file) {
    const drums = result.instrument === "drums";
    const notes = result.notes;
    const beats = result.beat_times || [];
    const beat = result.tempo ? 60 / result.tempo : 0.5;
    const lastNote = notes.reduce((end, n) => Math.max(end, n.end), 0);
    const figures = {
      File: file.name,
      Transcribed: drums ? "drum hits" : result.instrument === "melody" ? "one line (a melody)" : "pitched notes",
      Model: result.model,
      [drums ? "Hits" : "Notes"]: String(notes.length),
    };
    if (result.instrument_note) figures["Chosen"] = result.instrument_note.replace(/^auto: /, ""); // instrument=auto
    if (!drums && notes.length) {
      const pitches = notes.map((n) => n.pitch);
      figures.Range = `${noteName(Math.min(...pitches))} – ${noteName(Math.max(...pitches))}`;
    }
    Object.assign(figures, {
      Tempo: result.tempo ? `${result.tempo.toFixed(1)} BPM` : "no pulse",
      Meter: result.time_signature || "—",
      Bars: String((result.downbeat_times || []).length || "—"),
      Quantize: result.quantize ? `to ${result.quantize}` : "off (as played)",
    });
    fillFigures(section.querySelector("#transcription-figures"), figures);
    section.querySelector("#transcription-notes").textContent = notes.length
      ? ""
      : result.notes_note // noise: a lower threshold would only write more of it down
        ? `No notes: ${result.notes_note}.`
        : drums
        ? "No drum hits were heard."
        : "No notes were heard: a quiet or noisy recording may need a lower onset threshold (Note settings).";
    view.hidden = false; // before drawing: the canvas takes its size from its box
    roll.show({
      notes,
      duration: Math.max(lastNote, beats.length ? beats[beats.length - 1] + beat : 0, 1),
      beats,
      downbeats: result.downbeat_times || [],
      tempo: result.tempo || 120,
      timeSignature: result.time_signature || "4/4",
      drums,
    });
    URL.revokeObjectURL(download.href);
    download.href = URL.createObjectURL(blobOf(result.midi_base64, "audio/midi"));
    download.download = `${fileStem(file.name)}_${drums ? "drums" : "notes"}.mid`;
    audio.pause();
    URL.revokeObjectURL(audio.src);
    audio.src = URL.createObjectURL(file); // the recording itself, to hear the notes against
  }

  // The roll spans the whole recording once its length is known.
  audio.addEventListener("loadedmetadata", () => {
    if (roll.clip && Number.isFinite(audio.duration) && audio.duration > roll.clip.duration) {
      roll.clip.duration = audio.duration;
      roll.draw();
    }
  });
  playButton.addEventListener("click", () => {
    if (!audio.paused) {
      audio.pause();
      return;
    }
    audio.play().catch(() => feedback.fail(new ApiError(0, "no_playback", "this browser cannot play this recording; the notes above are the engine's")));
  });
  roll.follow(audio);
  audio.addEventListener("play", () => (playButton.textContent = "Stop"));
  audio.addEventListener("pause", () => (playButton.textContent = "Play the recording"));
}

// The form as the engine's parameters. A note setting is sent only when changed: the engine's own
// defaults apply otherwise.
function bodyOf(form, file) {
  const body = new FormData();
  body.set("file", file);
  const instrument = form.elements.instrument.value;
  body.set("instrument", instrument);
  if (form.elements.quantize.value) body.set("quantize", form.elements.quantize.value);
  if (instrument === "pitched" || instrument === "auto") {
    for (const name of ["onset_threshold", "frame_threshold", "minimum_note_length_ms"]) {
      const input = form.elements[name];
      if (input.value !== input.defaultValue) body.set(name, input.value);
    }
    const bends = form.elements.pitch_bends;
    if (bends.checked !== bends.defaultChecked) body.set("pitch_bends", bends.checked ? "true" : "false");
  }
  return body;
}
