// The Analyse tab: one recording through /api/v1/analyze/audio (as a job, with progress), drawn
// as a waveform with its beats, numbered bar lines and chords, and played with a click on the beats.

import WaveSurfer from "../vendor/wavesurfer.js-8.0.1/wavesurfer.esm.js";
import RegionsPlugin from "../vendor/wavesurfer.js-8.0.1/plugins/regions.esm.js";
import TimelinePlugin from "../vendor/wavesurfer.js-8.0.1/plugins/timeline.esm.js";
import { ApiError, Feedback } from "./api.js";
import { ClickTrack } from "./clicktrack.js";
import { fillFigures, formatTime, takeDroppedFiles } from "./page.js";

const BEAT_COLOUR = "rgba(80, 80, 80, 0.35)";
const DOWNBEAT_COLOUR = "rgba(200, 60, 40, 0.9)";
const CHORD_COLOURS = ["rgba(70, 130, 220, 0.10)", "rgba(70, 180, 120, 0.10)"];
const MIN_PX_PER_SEC = 40;
const CHORD_FONT = "600 13px system-ui, sans-serif";
const CHORD_ROW_TOPS = [2, 19]; // px: a chord label too close to the one before it goes on the second row

export function setUpAnalyse(section) {
  const form = section.querySelector("#analyse-form");
  const feedback = new Feedback(section);
  const view = section.querySelector("#analysis");
  const playButton = section.querySelector("#analysis-play");
  const clickBox = section.querySelector("#analysis-click");
  const timeLabel = section.querySelector("#analysis-time");
  const regions = RegionsPlugin.create();
  let surfer = null;

  const clicks = new ClickTrack(() => ({
    time: surfer ? surfer.getCurrentTime() : 0,
    playing: surfer ? surfer.isPlaying() : false,
    rate: surfer ? surfer.getPlaybackRate() : 1,
  }));
  clickBox.addEventListener("change", () => (clicks.enabled = clickBox.checked));
  playButton.addEventListener("click", () => {
    if (!surfer) return;
    clicks.start(); // a user gesture: the audio context may start now
    surfer.playPause();
  });
  takeDroppedFiles(form);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (feedback.busy) return; // one analysis at a time (Enter in the form, a second click)
    const file = form.elements.file.files[0];
    if (!file) {
      feedback.fail(new ApiError(0, "no_file", "choose or drop an audio file first"));
      return;
    }
    const body = new FormData();
    body.append("file", file);
    view.hidden = true;
    try {
      const analysis = await feedback.job("/api/v1/analyze/audio", body);
      feedback.done(`Analysed ${analysis.filename || file.name}.`);
      view.hidden = false;
      showFigures(section, analysis);
      surfer?.destroy();
      showDrawing(section, true);
      surfer = drawWaveform(section, file, analysis, regions, feedback);
      surfer.on("timeupdate", (t) => (timeLabel.textContent = formatTime(t)));
      surfer.on("play", () => (playButton.textContent = "Pause"));
      surfer.on("pause", () => (playButton.textContent = "Play"));
      surfer.on("interaction", () => clicks.restart());
      clicks.setBeats(analysis.beat_times, analysis.downbeat_times || []);
    } catch (err) {
      feedback.fail(err);
    }
  });
}

function showFigures(section, a) {
  const number = (v, digits, unit) => (v === null || v === undefined ? "—" : `${v.toFixed(digits)}${unit}`);
  fillFigures(section.querySelector("#analysis-figures"), {
    File: a.filename || "",
    Duration: formatTime(a.duration),
    Tempo: a.tempo ? `${a.tempo.toFixed(1)} BPM` : "no pulse",
    Meter: a.time_signature || "—",
    Key: a.key ? `${a.key} (${Math.round((a.key_confidence || 0) * 100)} %)` : "—",
    Loudness: number(a.loudness_lufs, 1, " LUFS"),
    "True peak": number(a.true_peak_dbtp, 1, " dBTP"),
    "Loudness range": number(a.loudness_range_lu, 1, " LU"),
    Beats: String(a.beats),
  });
  const notes = section.querySelector("#analysis-notes");
  // Each note is a clause without a full stop ("the audio is silent: no tempo, key or chords"): run together
  // with spaces alone, three of them read as one sentence.
  notes.textContent = (a.notes || []).join("; ");
}

// The waveform, its time line and its Play button, shown, or hidden where the browser cannot decode the file.
function showDrawing(section, shown) {
  for (const id of ["#waveform", "#timeline"]) section.querySelector(id).hidden = !shown;
  section.querySelector("#analysis-play").disabled = !shown;
}

function drawWaveform(section, file, analysis, regions, feedback) {
  const surfer = WaveSurfer.create({
    container: section.querySelector("#waveform"),
    height: 140,
    waveColor: "#8aa4c8",
    progressColor: "#3d5a80",
    cursorColor: "#c0392b",
    minPxPerSec: MIN_PX_PER_SEC,
    plugins: [
      regions,
      // Minutes and seconds throughout (the plugin's own labels are bare seconds under a minute).
      TimelinePlugin.create({ container: section.querySelector("#timeline"), formatTimeCallback: minutesSeconds }),
    ],
  });
  // The waveform fills the box, or runs at MIN_PX_PER_SEC and scrolls: the chord labels are laid out
  // at the scale it is drawn at.
  surfer.on("decode", (duration) =>
    placeMarkers(regions, analysis, Math.max(MIN_PX_PER_SEC, surfer.getWidth() / Math.max(duration, 1e-6))),
  );
  surfer.on("error", () => {
    // The browser cannot decode every format the engine reads (AIFF, some MP4s): the figures stand. Said in
    // the page's words (the browser's are its demuxer's internals), with nothing left to draw or play.
    showDrawing(section, false);
    feedback.fail(
      new ApiError(0, "no_waveform", `this browser cannot decode ${file.name}, so it cannot draw or play it; the figures below are the engine's analysis`),
    );
  });
  surfer.loadBlob(file);
  return surfer;
}

function minutesSeconds(seconds) {
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

function placeMarkers(regions, analysis, pxPerSec) {
  regions.clearRegions();
  const rows = chordRows(analysis.chords || [], pxPerSec);
  (analysis.chords || []).forEach((chord, i) => {
    if (chord.label === "N") return;
    const region = regions.addRegion({
      start: chord.start,
      end: chord.end,
      // A chord too short for its name beside its neighbours' is shaded without it (named on hover).
      content: rows[i] === null ? undefined : label(chord.label, "chord", CHORD_ROW_TOPS[rows[i]]),
      color: CHORD_COLOURS[i % 2],
      drag: false,
      resize: false,
    });
    region.element?.setAttribute("title", chord.label);
  });
  const downbeats = new Set((analysis.downbeat_times || []).map((t) => t.toFixed(3)));
  let bar = 0;
  for (const beat of analysis.beat_times) {
    const down = downbeats.has(beat.toFixed(3));
    if (down) bar += 1;
    regions.addRegion({
      start: beat,
      content: down ? label(String(bar), "bar") : undefined,
      color: down ? DOWNBEAT_COLOUR : BEAT_COLOUR,
      drag: false,
      resize: false,
    });
  }
}

// For each chord, the row of its label (0 or 1) or null: short chords (a techno loop's, changing
// on every beat) would print their names over each other, so a label that would touch the one
// before it goes on the second row, and where both rows are taken it is left out.
export function chordRows(chords, pxPerSec) {
  const measure = document.createElement("canvas").getContext("2d");
  measure.font = CHORD_FONT;
  const ends = CHORD_ROW_TOPS.map(() => -Infinity); // px where each row's last label ends
  return chords.map((chord) => {
    if (chord.label === "N") return null;
    const left = chord.start * pxPerSec;
    const row = ends.findIndex((end) => left >= end);
    if (row === -1) return null;
    ends[row] = left + measure.measureText(chord.label).width + 6 + 4; // its padding, and a gap
    return row;
  });
}

// Region labels live in wavesurfer's shadow DOM, out of the page's style sheet's reach: styled here.
function label(text, kind, top = 2) {
  const span = document.createElement("span");
  span.className = `marker-${kind}`;
  span.dataset.kind = kind;
  span.textContent = text;
  Object.assign(span.style, {
    font: kind === "chord" ? CHORD_FONT : "11px system-ui, sans-serif",
    padding: "1px 3px",
    color: kind === "chord" ? "#1d3557" : "#c0392b",
    position: "relative",
    top: kind === "chord" ? `${top}px` : "118px",
  });
  return span;
}
