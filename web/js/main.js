// The page's entry: tabs, the engine's state, then each tab's behaviour.

import { getJson } from "./api.js";
import { setUpAnalyse } from "./analyse.js";
import { setUpGenerate } from "./generate.js";
import { setUpMix } from "./mix.js";

function setUpTabs() {
  const tabs = document.querySelectorAll('[role="tab"]');
  const show = (name) => {
    for (const tab of tabs) tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
    for (const section of document.querySelectorAll("section.tab")) section.hidden = section.id !== name;
    history.replaceState(null, "", `#${name}`);
  };
  for (const tab of tabs) tab.addEventListener("click", () => show(tab.dataset.tab));
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
// every few seconds after any request of the page found it gone, until it answers again.
async function showEngineState() {
  const label = document.getElementById("engine-state");
  try {
    const health = await getJson("/health");
    label.textContent = health.ready
      ? `engine ${health.version}, ready`
      : `engine ${health.version}, loading ${health.warming_up.join(", ")}`;
    if (!health.ready) checkEngineSoon(2000);
  } catch (err) {
    label.textContent = err.code === "engine_unreachable" ? UNREACHABLE : `engine unreachable: ${err.message}`;
    checkEngineSoon(RECHECK_MS);
  }
}

window.addEventListener("engine-unreachable", () => {
  document.getElementById("engine-state").textContent = UNREACHABLE;
  checkEngineSoon(RECHECK_MS);
});

setUpTabs();
showEngineState();
setUpAnalyse(document.getElementById("analyse"));
setUpMix(document.getElementById("mix"));
getJson("/api/v1/models")
  .then((models) => setUpGenerate(document.getElementById("generate"), models))
  .catch(() => setUpGenerate(document.getElementById("generate"), { models: [] }));
document.body.dataset.ready = "true";
