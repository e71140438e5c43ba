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

async function showEngineState() {
  const label = document.getElementById("engine-state");
  try {
    const health = await getJson("/health");
    label.textContent = health.ready
      ? `engine ${health.version}, ready`
      : `engine ${health.version}, loading ${health.warming_up.join(", ")}`;
    if (!health.ready) setTimeout(showEngineState, 2000);
  } catch (err) {
    label.textContent = `engine unreachable: ${err.message}`;
  }
}

setUpTabs();
showEngineState();
setUpAnalyse(document.getElementById("analyse"));
setUpMix(document.getElementById("mix"));
getJson("/api/v1/models")
  .then((models) => setUpGenerate(document.getElementById("generate"), models))
  .catch(() => setUpGenerate(document.getElementById("generate"), { models: [] }));
document.body.dataset.ready = "true";
