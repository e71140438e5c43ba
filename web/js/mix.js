// The Mix tab: stems (or a project's) measured by /api/v1/mixing/suggest and auto_level: per-track
// meters, each track's spectrum against its role, the suggestions with their numbers and the
// auto-level gains; then the mix rendered by /api/v1/mixing/render, to listen to.

import { ApiError, blobOf, Feedback, getJson, runJob } from "./api.js";
import { takeDroppedFiles } from "./page.js";
import { drawSpectrum } from "./spectrum.js";

export function setUpMix(section) {
  const form = section.querySelector("#mix-form");
  const feedback = new Feedback(section);
  const view = section.querySelector("#mix-result");
  const renderButton = section.querySelector("#mix-render");
  // What was measured: the render mixes these stems (or this project), whatever the form holds now.
  let measured = null;
  takeDroppedFiles(form);
  listProjects(form.elements.project_id);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (feedback.busy) return; // one measurement at a time (a second click)
    // The engine would take the project whose stems were written last; on this page the user picks.
    if (!form.elements.project_id.value && !form.elements.files.files.length) {
      feedback.fail(new ApiError(0, "no_stems", "choose a project or drop stems first"));
      return;
    }
    const before = measured; // a Cancel keeps the report shown, and so what Render mixes
    renderButton.disabled = true;
    measured = null;
    const signal = feedback.start("uploading");
    const renderBox = section.querySelector("#mix-render-result");
    const renderShown = !renderBox.hidden;
    renderBox.hidden = true;
    try {
      const asked = sourceOf(form);
      const progress = (from, to) => (share, stage) => feedback.progress(from + share * (to - from), stage);
      const report = await runJob("/api/v1/mixing/suggest", bodyOf(asked), progress(0, 0.8), signal);
      if (report.status === "no_audio") throw new ApiError(0, "no_audio", report.message);
      const levels = await runJob("/api/v1/mixing/auto_level", bodyOf(asked), progress(0.8, 1), signal);
      feedback.done(`Measured ${report.tracks.length} tracks: ${report.suggestions.length} suggestions.`);
      view.hidden = false;
      showReport(section, report, levels);
      measured = asked;
      renderButton.disabled = false;
      renderButton.textContent = `Render the mix of ${measured.label}`;
    } catch (err) {
      if (err.code === "cancelled") {
        measured = before;
        renderButton.disabled = measured === null;
        renderBox.hidden = !renderShown;
      } else {
        // The last report under this error would read as this request's answer (other stems, another project).
        section.querySelector("#mix-audio").pause();
        view.hidden = true;
      }
      feedback.fail(err);
    }
  });

  renderButton.addEventListener("click", async () => {
    if (feedback.busy || !measured) return;
    const mastered = form.elements.master.checked;
    try {
      const body = bodyOf(measured);
      body.set("format", "json");
      body.set("bit_depth", "16");
      body.set("master", mastered ? "true" : "false");
      const rendered = await feedback.job("/api/v1/mixing/render", body);
      feedback.done(`The ${mastered ? "mastered " : ""}mix is rendered.`);
      const box = section.querySelector("#mix-render-result");
      box.hidden = false;
      const audio = section.querySelector("#mix-audio");
      const download = section.querySelector("#mix-download");
      URL.revokeObjectURL(audio.src);
      audio.src = URL.createObjectURL(blobOf(rendered.audio_base64, "audio/wav"));
      // A name that says what it is (the player's own menu would save it as the blob's random id).
      download.href = audio.src;
      download.download = `${measured.project || "stems"}_${mastered ? "master" : "mix"}.wav`;
      const after = rendered.measured_after || {};
      // A silent mix has no loudness or true peak (null): said in words, never printed as "null".
      const known = (value) => typeof value === "number";
      const parts = [
        `Mix of the ${measured.label} measured above`,
        `${rendered.duration_s.toFixed(1)} s`,
        known(after.integrated_lufs) ? `${after.integrated_lufs.toFixed(1)} LUFS` : null,
        after.integrated_lufs === null ? "silent (no loudness)" : null,
        known(after.true_peak_dbtp) ? `${after.true_peak_dbtp.toFixed(1)} dBTP true peak` : null,
        `${rendered.applied.length} tracks with moves applied, ${rendered.skipped.length} moves skipped`,
      ];
      section.querySelector("#mix-render-figures").textContent = parts.filter(Boolean).join(" · ");
    } catch (err) {
      feedback.fail(err);
    }
  });
}

// What the form asks to measure, kept as it is now (the File objects, not the input that holds them):
// {project, files, target, label}, label naming it in words ("3 stems", "project night").
function sourceOf(form) {
  const project = form.elements.project_id.value;
  const files = project ? [] : [...form.elements.files.files];
  const label = project ? `project ${project}` : files.length === 1 ? files[0].name : `${files.length} stems`;
  return { project, files, target: form.elements.target.value, label };
}

function bodyOf(source) {
  const body = new FormData();
  if (source.project) body.set("project_id", source.project);
  else for (const file of source.files) body.append("files", file);
  if (source.target) body.set("target", source.target);
  return body;
}

async function listProjects(select) {
  try {
    const { projects } = await getJson("/api/v1/projects");
    for (const p of projects) select.add(new Option(`${p.name || p.project_id} (${p.project_id})`, p.project_id));
  } catch {
    // no projects directory, or the engine is still starting: uploaded stems still work
  }
}

function showReport(section, report, levels) {
  const score = report.mix_quality_score === null ? "" : `Score ${Math.round(report.mix_quality_score)} / 100. `;
  section.querySelector("#mix-summary").textContent = score + (report.quality_summary || "");
  const body = section.querySelector("#mix-tracks tbody");
  body.replaceChildren();
  for (const track of report.tracks) {
    const level = levels.levels[track.name] || {};
    const row = body.insertRow();
    row.dataset.track = track.name;
    const cells = [
      track.name,
      track.role,
      meter(track.integrated_lufs, " LUFS", -40, 0),
      meter(track.true_peak_dbtp, " dBTP", -40, 3),
      level.gain_db === undefined ? "—" : `${level.gain_db > 0 ? "+" : ""}${level.gain_db.toFixed(1)} dB`,
      level.pan === undefined ? "—" : level.pan === 0 ? "C" : `${Math.abs(Math.round(level.pan * 100))} ${level.pan < 0 ? "L" : "R"}`,
    ];
    for (const cell of cells) {
      const td = row.insertCell();
      if (cell instanceof Node) td.append(cell);
      else td.textContent = cell;
    }
    const td = row.insertCell();
    if (track.tonal) {
      const canvas = document.createElement("canvas");
      canvas.className = "spectrum";
      canvas.title = `${track.name} (blue) against ${track.tonal.role_curve} parts (green, with their spread)`;
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", `spectrum of ${canvas.title}`);
      td.append(canvas);
      requestAnimationFrame(() => drawSpectrum(canvas, track.tonal));
    } else {
      td.textContent = "—";
    }
  }
  const list = section.querySelector("#mix-suggestions");
  list.replaceChildren();
  for (const s of report.suggestions) {
    const item = document.createElement("li");
    // Advice that is no problem (info) is a note: the score and the summary's counts leave it out.
    item.className = s.info ? "info" : `priority-${s.priority}`;
    const head = document.createElement("strong");
    head.textContent = `${s.info ? "note" : s.priority} · ${s.type}${s.track ? ` · ${[].concat(s.track).join(", ")}` : ""}: `;
    const why = document.createElement("span");
    why.textContent = `${s.message} `;
    const what = document.createElement("em");
    what.textContent = `${s.suggestion} (confidence ${Math.round(s.confidence * 100)} %)`;
    item.append(head, why, what);
    list.append(item);
  }
}

// A horizontal level meter with its number.
function meter(value, unit, floor, ceiling) {
  const box = document.createElement("span");
  box.className = "meter";
  if (value === null || value === undefined) {
    box.textContent = "—";
    return box;
  }
  const bar = document.createElement("meter");
  bar.setAttribute("aria-hidden", "true"); // a picture of the number beside it: a nameless "meter" to a screen reader
  bar.min = floor;
  bar.max = ceiling;
  bar.high = ceiling - 3;
  bar.optimum = floor + (ceiling - floor) * 0.6;
  bar.value = value;
  box.append(bar, ` ${value.toFixed(1)}${unit}`);
  return box;
}
