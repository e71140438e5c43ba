// The page's entry: tabs, the engine's state, then each tab's behaviour.

import { getJson } from "./api.js";
import { shareRecording } from "./page.js";
import { setUpAccompany } from "./accompany.js";
import { setUpAnalyse } from "./analyse.js";
import { setUpGenerate } from "./generate.js";
import { setUpMix } from "./mix.js";
import { setUpTranscribe } from "./transcribe.js";

// The tabs follow the WAI-ARIA tabs pattern: only the selected tab is in the Tab order; the arrow keys,
// Home and End move between tabs and show each one as it gets the focus.
function setUpTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const show = (name) => {
    for (const tab of tabs) {
      const selected = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
    }
    for (const section of document.querySelectorAll("section.tab")) section.hidden = section.id !== name;
    history.replaceState(null, "", `#${name}`);
  };
  const STEPS = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
  for (const [index, tab] of tabs.entries()) {
    tab.addEventListener("click", () => show(tab.dataset.tab));
    tab.addEventListener("keydown", (event) => {
      let next = null;
      if (event.key in STEPS) next = (index + STEPS[event.key] + tabs.length) % tabs.length;
      else if (event.key === "Home") next = 0;
      else if (event.key === "End") next = tabs.length - 1;
      if (next === null) return;
      event.preventDefault();
      tabs[next].focus();
      show(tabs[next].dataset.tab);
    });
  }
  // The address names the tab: on load, and when a link or back/forward changes only its #hash.
  const showWanted = () => {
    const wanted = location.hash.slice(1);
    if (document.getElementById(wanted)?.classList.contains("tab")) show(wanted);
  };
  window.addEventListener("hashchange", showWanted);
  showWanted();
}

const RECHECK_MS = 3000;
const UNREACHABLE = "engine unreachable: is it running?";
let recheck = null;

function checkEngineSoon(ms) {
  clearTimeout(recheck);
  recheck = setTimeout(showEngineState, ms);
}

// The header says whether the engine answers: checked at load, while it loads its models, and again
// every few seconds after any request of the page found it gone, until it answers again. Each
// answer also fills the model lists, until they are filled from a ready engine.
async function showEngineState() {
  const label = document.getElementById("engine-state");
  try {
    const health = await getJson("/health");
    label.textContent = health.ready
      ? `engine ${health.version}, ready`
      : `engine ${health.version}, loading ${health.warming_up.join(", ")}`;
    if (!health.ready) checkEngineSoon(2000);
    if (!modelsFinal) await showModels(health.ready);
  } catch (err) {
    label.textContent = err.code === "engine_unreachable" ? UNREACHABLE : `engine unreachable: ${err.message}`;
    checkEngineSoon(RECHECK_MS);
  }
}

window.addEventListener("engine-unreachable", () => {
  document.getElementById("engine-state").textContent = UNREACHABLE;
  checkEngineSoon(RECHECK_MS);
});

// The Style and Model lists (Generate, Accompany) come from GET /api/v1/models. Asked again on the
// next check while it fails (the engine gone at load: the lists fill when it is back) and once the
// engine is ready (while it loads, its bundles are not listed as loaded yet).
let modelsFinal = false;
const modelLists = [];

async function showModels(ready) {
  try {
    const models = await getJson("/api/v1/models");
    for (const list of modelLists) list.showModels(models);
    modelsFinal = ready;
  } catch {
    checkEngineSoon(RECHECK_MS); // unreachable: the header says so too; another failure: asked again
  }
}

setUpTabs();
setUpAnalyse(document.getElementById("analyse"));
setUpTranscribe(document.getElementById("transcribe"));
modelLists.push(setUpAccompany(document.getElementById("accompany")));
modelLists.push(setUpGenerate(document.getElementById("generate")));
setUpMix(document.getElementById("mix"));
shareRecording(["#analyse-form", "#transcribe-form", "#accompany-form"].map((id) => document.querySelector(id)));
showEngineState();
document.body.dataset.ready = "true";
