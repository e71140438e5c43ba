// A generated clip drawn on a canvas: pitched parts as a piano roll (time across, pitch up), drums
// as a grid with a row per instrument; bar and beat lines; a playhead while the preview plays.
// Drawn here rather than with an npm player: the ones on npm (html-midi-player) pull in
// @magenta/music and TensorFlow.js and fetch their soundfont from a CDN; the engine renders the
// sound itself (preview=wav).

import { sharpCanvas } from "./page.js";

const GM_DRUMS = {
  35: "Kick 2", 36: "Kick", 37: "Side stick", 38: "Snare", 39: "Clap", 40: "Snare 2", 41: "Low tom 2",
  42: "Closed hat", 43: "Low tom", 44: "Pedal hat", 45: "Mid tom 2", 46: "Open hat", 47: "Mid tom",
  48: "High tom 2", 49: "Crash", 50: "High tom", 51: "Ride", 52: "China", 53: "Ride bell", 54: "Tambourine",
  55: "Splash", 56: "Cowbell", 57: "Crash 2", 59: "Ride 2", 60: "High bongo", 61: "Low bongo", 62: "Mute conga",
  63: "Open conga", 64: "Low conga", 69: "Cabasa", 70: "Maracas", 75: "Claves", 76: "High block", 77: "Low block",
};
const NOTE_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
const LABEL_W = 78;

export function noteName(pitch) {
  return `${NOTE_NAMES[pitch % 12]}${Math.floor(pitch / 12) - 1}`;
}

export class PianoRoll {
  constructor(canvas) {
    this.canvas = canvas;
    this.clip = null;
    this.playhead = null;
  }

  // clip: {notes: [{pitch, start, end, velocity}], duration, tempo, timeSignature "4/4", drums: bool};
  // a recording's transcription adds its beats and downbeats (seconds): the grid is drawn on them.
  show(clip) {
    this.clip = clip;
    this.playhead = null;
    this.canvas.setAttribute("aria-label", this.describe());
    this.draw();
  }

  // The drawing in words (the canvas's text alternative).
  describe() {
    const { notes, drums } = this.clip;
    if (!notes.length) return "an empty clip: no notes";
    if (drums) {
      const names = this.rows().map((r) => r.label).reverse();
      return `drum grid: ${notes.length} hits on ${names.join(", ")}`;
    }
    const pitches = notes.map((n) => n.pitch);
    const low = noteName(Math.min(...pitches));
    const high = noteName(Math.max(...pitches));
    return `piano roll: ${notes.length} notes from ${low} to ${high}`;
  }

  // [{t, bar}]: every beat line, with its bar's number on a downbeat (bar null on the other beats).
  gridLines() {
    const { duration, tempo, timeSignature, beats, downbeats } = this.clip;
    if (beats && beats.length) {
      // A recording's beats (transcription): bars numbered from its first downbeat; a lead-in has none.
      const down = new Set((downbeats || []).map((t) => t.toFixed(3)));
      let bar = 0;
      return beats.map((t) => ({ t, bar: down.has(t.toFixed(3)) ? ++bar : null }));
    }
    const [numerator, denominator] = (timeSignature || "4/4").split("/").map(Number);
    const perBar = numerator || 4;
    const beat = (60 / (tempo || 120)) * (4 / (denominator || 4));
    const lines = [];
    for (let i = 0, t = 0; t <= duration + 1e-6; i++, t = i * beat) lines.push({ t, bar: i % perBar === 0 ? i / perBar + 1 : null });
    return lines;
  }

  setPlayhead(seconds) {
    this.playhead = seconds;
    this.draw();
  }

  // The playhead follows `audio` while it plays (a frame at a time) and leaves when it ends.
  follow(audio) {
    audio.addEventListener("play", () => {
      const step = () => {
        this.setPlayhead(audio.currentTime);
        if (!audio.paused) requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    });
    audio.addEventListener("ended", () => this.setPlayhead(null));
  }

  rows() {
    const pitches = [...new Set(this.clip.notes.map((n) => n.pitch))].sort((a, b) => a - b);
    if (this.clip.drums) return pitches.map((p) => ({ pitch: p, label: GM_DRUMS[p] || `Drum ${p}` }));
    const low = (pitches[0] ?? 60) - 2;
    const high = (pitches[pitches.length - 1] ?? 72) + 2;
    const rows = [];
    for (let p = high; p >= low; p--) rows.push({ pitch: p, label: p % 12 === 0 || p === high || p === low ? noteName(p) : "", black: [1, 3, 6, 8, 10].includes(p % 12) });
    return rows.reverse();
  }

  draw() {
    const [g, width, height] = sharpCanvas(this.canvas, 800, 320);
    if (!this.clip) return;
    const { notes, duration, drums } = this.clip;
    const rows = this.rows(); // lowest first
    const rowH = (height - 16) / Math.max(rows.length, 1);
    const x = (t) => LABEL_W + (t / Math.max(duration, 1e-6)) * (width - LABEL_W - 4);
    const yOf = new Map(rows.map((r, i) => [r.pitch, height - 16 - (i + 1) * rowH]));

    rows.forEach((r, i) => {
      const y = height - 16 - (i + 1) * rowH;
      g.fillStyle = r.black ? "#eef0f4" : i % 2 && drums ? "#f6f7f9" : "#ffffff";
      g.fillRect(LABEL_W, y, width - LABEL_W, rowH);
      g.fillStyle = "#333";
      g.font = `${Math.min(12, rowH + 2)}px system-ui, sans-serif`;
      g.textBaseline = "middle";
      if (r.label) g.fillText(r.label, 4, y + rowH / 2);
    });

    // Beat and bar lines: the recording's own beats where the clip has them, else from its tempo and meter.
    const lines = this.gridLines();
    const beatGap = lines.length > 1 ? (x(duration) - x(0)) / lines.length : Infinity;
    g.font = "11px system-ui, sans-serif";
    let labelEnd = -Infinity; // where the last bar number drawn ends: numbers never overlap
    for (const line of lines) {
      const bar = line.bar !== null;
      if (!bar && beatGap < 4) continue; // beat lines closer than 4 px would shade the roll grey
      g.strokeStyle = bar ? "#9aa3b5" : "#dde1e8";
      g.beginPath();
      g.moveTo(x(line.t), 0);
      g.lineTo(x(line.t), height - 16);
      g.stroke();
      if (!bar || line.t >= duration - 1e-6) continue; // the closing line opens no bar of the clip
      const text = String(line.bar);
      const left = x(line.t) + 2;
      const right = left + g.measureText(text).width;
      if (left < labelEnd + 6 || right > width - 2) continue; // thinned where bars are narrow; never cut
      g.fillStyle = "#555";
      g.fillText(text, left, height - 8);
      labelEnd = right;
    }

    for (const n of notes) {
      const y = yOf.get(n.pitch);
      if (y === undefined) continue;
      const shade = 0.35 + 0.65 * (n.velocity / 127);
      g.fillStyle = drums ? `rgba(192, 57, 43, ${shade})` : `rgba(61, 90, 128, ${shade})`;
      const w = drums ? Math.max(4, Math.min(rowH, 10)) : Math.max(2, x(n.end) - x(n.start) - 1);
      g.fillRect(x(n.start), y + 1, w, Math.max(rowH - 2, 1));
    }

    if (this.playhead !== null) {
      g.strokeStyle = "#c0392b";
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(x(this.playhead), 0);
      g.lineTo(x(this.playhead), height - 16);
      g.stroke();
      g.lineWidth = 1;
    }
  }
}
