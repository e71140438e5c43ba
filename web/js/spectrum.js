// A track's tonal curve against its role's (the mixing report's tracks[].tonal): the role's usual
// curve with its spread as a band, the track's own curve over it, 20 Hz to 20 kHz on a log axis.

import { sharpCanvas } from "./page.js";

const TICKS_HZ = [50, 100, 200, 500, 1000, 2000, 5000, 10000];

export function drawSpectrum(canvas, tonal) {
  const [g, width, height] = sharpCanvas(canvas, 260, 70);
  const grid = tonal.grid_hz;
  const lo = Math.log(grid[0]);
  const hi = Math.log(grid[grid.length - 1]);
  const x = (hz) => ((Math.log(hz) - lo) / (hi - lo)) * width;
  const values = [...tonal.track_db, ...tonal.role_db].filter((v) => v !== null);
  const top = Math.max(...values) + 3;
  const bottom = Math.max(Math.min(...values), top - 60);
  const y = (db) => ((top - Math.max(db, bottom)) / (top - bottom)) * height;

  g.strokeStyle = "#e3e6eb";
  g.fillStyle = "#8a93a3";
  g.font = "9px system-ui, sans-serif";
  for (const hz of TICKS_HZ) {
    g.beginPath();
    g.moveTo(x(hz), 0);
    g.lineTo(x(hz), height);
    g.stroke();
    g.fillText(hz >= 1000 ? `${hz / 1000}k` : String(hz), x(hz) + 2, height - 2);
  }

  // The role's spread: centre +- spread, where both are known.
  g.fillStyle = "rgba(70, 180, 120, 0.22)";
  g.beginPath();
  const upper = [];
  const lower = [];
  grid.forEach((hz, i) => {
    const c = tonal.role_db[i];
    const s = tonal.role_spread_db[i];
    if (c === null || s === null) return;
    upper.push([x(hz), y(c + s)]);
    lower.push([x(hz), y(c - s)]);
  });
  [...upper, ...lower.reverse()].forEach(([px, py], i) => (i ? g.lineTo(px, py) : g.moveTo(px, py)));
  g.fill();
  line(g, grid, tonal.role_db, x, y, "#2e8b57");
  line(g, grid, tonal.track_db, x, y, "#3d5a80");
}

function line(g, grid, db, x, y, colour) {
  g.strokeStyle = colour;
  g.lineWidth = 1.5;
  g.beginPath();
  let drawing = false;
  grid.forEach((hz, i) => {
    if (db[i] === null) {
      drawing = false;
      return;
    }
    if (drawing) g.lineTo(x(hz), y(db[i]));
    else g.moveTo(x(hz), y(db[i]));
    drawing = true;
  });
  g.stroke();
  g.lineWidth = 1;
}
