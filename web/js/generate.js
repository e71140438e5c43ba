// The Generate tab: every control of /api/v1/generate/midi, the clip as a piano roll (drums as a
// grid), heard as the engine's own FluidSynth rendering (preview=wav), downloaded as .mid or sent
// to DAWG-CORE.

import { blobOf, Feedback, postJson } from "./api.js";
import { drumStyles, fillFigures, replaceChoices, showRangeValues } from "./page.js";
import { PianoRoll } from "./pianoroll.js";

// ai/music_theory.py's SCALES (the engine refuses any other name with a 422 that lists them).
const SCALES = ["major", "minor", "harmonic_minor", "melodic_minor", "dorian", "phrygian", "lydian", "mixolydian",
  "locrian", "major_pentatonic", "minor_pentatonic", "blues"];

// Returns {showModels(models)}: the Style and Model lists are filled when GET /api/v1/models answers
// (main.js asks again until it does: an engine still starting, or gone at load, fills them later).
export function setUpGenerate(section) {
  const form = section.querySelector("#generate-form");
  const feedback = new Feedback(section);
  const view = section.querySelector("#clip");
  const roll = new PianoRoll(section.querySelector("#pianoroll"));
  const audio = section.querySelector("#clip-audio");
  const playButton = section.querySelector("#clip-play");
  const download = section.querySelector("#clip-download");
  const variationSelect = section.querySelector("#clip-variation");
  const sendButton = section.querySelector("#clip-send");
  const sent = section.querySelector("#clip-sent");
  let answer = null; // the last generation's JSON
  let request = null; // and the form that asked for it (sending to DAWG-CORE repeats it with the seed)

  for (const scale of SCALES) form.elements.scale.add(new Option(scale.replaceAll("_", " "), scale));
  showRangeValues(form);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (feedback.busy) return; // one generation at a time (Enter in the form, a second click)
    const asked = formOf(form);
    try {
      answer = await feedback.job("/api/v1/generate/midi", asked, "generating");
      request = asked;
      const count = answer.variations.length;
      feedback.done(`Generated ${count === 1 ? "a clip" : `${count} variations`}: ${answer.style}, ${answer.bars} bars.`);
      view.hidden = false;
      sent.textContent = "";
      variationSelect.replaceChildren(
        ...answer.variations.map((clip, i) => new Option(`variation ${i + 1} (seed ${clip.seed})`, String(i))),
      );
      variationSelect.hidden = answer.variations.length < 2;
      showClip(0);
    } catch (err) {
      feedback.failHidingLast(err, view, audio);
    }
  });

  variationSelect.addEventListener("change", () => showClip(Number(variationSelect.value)));

  function showClip(index) {
    const clip = answer.variations[index];
    const drums = answer.style === "drums";
    fillFigures(section.querySelector("#clip-figures"), {
      Part: answer.style + (answer.genre ? ` (${answer.genre})` : ""),
      Model: answer.model,
      // A drum clip has no key or chords (the engine answers null for them).
      ...(drums ? {} : { Key: `${answer.key} ${answer.scale}`, Chords: answer.chords.join(" ") || "—" }),
      Tempo: `${answer.tempo} BPM`,
      Meter: answer.time_signature,
      Bars: String(answer.bars),
      Notes: String(clip.notes.length),
      Seed: String(clip.seed),
    });
    section.querySelector("#clip-notes").textContent = answer.fallback_reason || "";
    roll.show({
      notes: clip.notes,
      duration: clip.duration_seconds,
      tempo: answer.tempo,
      timeSignature: answer.time_signature,
      drums,
    });
    URL.revokeObjectURL(download.href);
    download.href = URL.createObjectURL(blobOf(clip.midi_base64, "audio/midi"));
    download.download = `dawg_${answer.style}_${clip.seed}.mid`;
    audio.pause();
    // The preview is the first clip's: another variation is rendered when it is first played. No
    // preview is no src attribute (src = "" would resolve to the page's own URL and never play).
    if (index === 0 && answer.preview_base64) {
      audio.src = URL.createObjectURL(blobOf(answer.preview_base64, "audio/wav"));
    } else {
      audio.removeAttribute("src");
      audio.load();
    }
    audio.dataset.seed = String(clip.seed);
    playButton.disabled = false;
  }

  playButton.addEventListener("click", async () => {
    if (!audio.paused) {
      audio.pause();
      return;
    }
    if (!audio.getAttribute("src")) {
      // A variation other than the first: render it by asking again for that seed alone.
      if (feedback.busy) return;
      const signal = feedback.start("rendering the preview");
      try {
        const again = await postJson("/api/v1/generate/midi", { form: withSeed(request, audio.dataset.seed), signal });
        audio.src = URL.createObjectURL(blobOf(again.preview_base64, "audio/wav"));
        feedback.done("The preview is ready.");
      } catch (err) {
        feedback.fail(err);
        return;
      }
    }
    audio.play().catch((err) => feedback.fail(new Error(`the preview did not play (${err.message})`)));
  });
  roll.follow(audio);
  audio.addEventListener("play", () => (playButton.textContent = "Stop"));
  audio.addEventListener("pause", () => (playButton.textContent = "Play"));

  sendButton.addEventListener("click", async () => {
    // The same request with the clip's seed gives the same clip; this time the engine delivers it.
    if (feedback.busy) return;
    const again = withSeed(request, audio.dataset.seed);
    again.set("send_to_core", "true");
    again.set("preview", "none");
    sent.textContent = "";
    const signal = feedback.start("sending to DAWG-CORE");
    try {
      const delivered = await postJson("/api/v1/generate/midi", { form: again, signal });
      sent.textContent = delivered.delivered
        ? "DAWG-CORE imported the clip"
        : `DAWG-CORE did not take it: ${delivered.delivery_reason || "no reason given"}`;
      feedback.done(sent.textContent);
    } catch (err) {
      sent.textContent = "";
      feedback.fail(err);
    }
  });

  return {
    showModels(models) {
      replaceChoices(form.elements.genre, drumStyles(models));
      replaceChoices(form.elements.model, models.models.filter((m) => m.loaded).map((m) => m.name));
    },
  };
}

// The form as the engine's parameters: empty fields left out (the engine's defaults apply).
function formOf(form) {
  const body = new FormData();
  const part = form.elements.part.value;
  body.set("style", part);
  for (const name of ["genre", "key", "scale", "chords", "tempo", "bars", "time_signature", "temperature", "density", "swing", "humanize", "microtiming", "model", "seed", "variations"]) {
    const value = form.elements[name].value.trim();
    if (value !== "") body.set(name, value);
  }
  body.set("chromatic", form.elements.chromatic.checked ? "true" : "false");
  body.set("include_primer", form.elements.include_primer.checked ? "true" : "false");
  const primer = form.elements.primer.files[0];
  if (primer) body.set("primer", primer);
  body.set("preview", "wav");
  return body;
}

function withSeed(request, seed) {
  const again = new FormData();
  for (const [name, value] of request.entries()) again.set(name, value);
  again.set("seed", seed);
  again.set("variations", "1");
  return again;
}
