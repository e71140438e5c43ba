// Calls to the engine from the page: plain requests, and long work as a job whose progress is
// shown while it runs. Every failure becomes an ApiError carrying the engine's own message.

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail);
    this.status = status;
    this.code = code;
  }
  describe() {
    return this.status ? `${this.message} (${this.status} ${this.code})` : this.message;
  }
}

async function failure(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: a proxy's page or a cut connection; the status line says enough
  }
  if (body && body.error) return new ApiError(response.status, body.error, body.detail || body.error);
  return new ApiError(response.status, "http_error", `the engine answered ${response.status} ${response.statusText}`);
}

async function send(path, { method = "GET", form = null, json = null, headers = {}, signal = null } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, signal };
  if (form) init.body = form;
  if (json) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    // The user's Cancel: the engine stops a request's work when its client hangs up.
    if (signal?.aborted) throw cancelled();
    // Said to the page too, so that its header stops saying "ready" (main.js checks again). The
    // browser's own words ("Failed to fetch", "NetworkError when attempting to fetch resource") say
    // no more than this, and differ from one browser to the next: the page says it in its own.
    window.dispatchEvent(new CustomEvent("engine-unreachable", { detail: err.message }));
    throw new ApiError(0, "engine_unreachable", "the engine did not answer: is it running?");
  }
  if (!response.ok) throw await failure(response);
  return response;
}

function cancelled() {
  return new ApiError(0, "cancelled", "cancelled: nothing was kept");
}

export async function getJson(path) {
  return (await send(path)).json();
}

export async function postJson(path, { form = null, json = null, signal = null } = {}) {
  return (await send(path, { method: "POST", form, json, signal })).json();
}

const POLL_MS = 250;

// POST as a job (Prefer: respond-async) and follow it until it ends; onProgress(share, stage) while
// it runs. Resolves to the route's own answer: parsed JSON, or a Blob for a file (WAV, MIDI). When
// signal aborts (the Cancel button), the upload stops or the engine is told to cancel the job.
export async function runJob(path, form, onProgress = () => {}, signal = null) {
  const accepted = await (
    await send(path, { method: "POST", form, headers: { Prefer: "respond-async" }, signal })
  ).json();
  if (!accepted.job_id) return accepted; // answered at once (a route without jobs)
  for (;;) {
    if (signal?.aborted) {
      await send(`${accepted.status_url}/cancel`, { method: "POST" }).catch(() => {}); // gone already: nothing to stop
      throw cancelled();
    }
    const job = await getJson(accepted.status_url);
    if (job.state === "queued") onProgress(0, job.position ? `queued (${job.position} ahead)` : "queued");
    else onProgress(job.progress, job.stage);
    if (job.state === "succeeded") {
      if (job.result !== null && job.result !== undefined) return job.result;
      const result = await send(accepted.result_url, { headers: { Accept: "*/*" } });
      const type = result.headers.get("content-type") || "";
      return type.includes("json") ? result.json() : result.blob();
    }
    if (job.state === "failed") {
      const error = job.error || {};
      throw new ApiError(job.status_code || 500, error.error || "job_failed", error.detail || "the job failed");
    }
    if (job.state === "cancelled") throw new ApiError(0, "cancelled", "the job was cancelled");
    await pause(POLL_MS, signal);
  }
}

// setTimeout as a promise that an abort ends early.
function pause(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}

// The progress bar, Cancel button, error box and status line of one section of the page. While one
// request of the section runs (start() to done() or fail()) its buttons that start work
// (data-work) are disabled, so a second click cannot start the same work again.
export class Feedback {
  constructor(section) {
    this.section = section;
    this.box = section.querySelector(".progress");
    this.bar = this.box.querySelector("progress");
    this.stage = this.box.querySelector(".stage");
    this.cancel = this.box.querySelector(".cancel");
    this.error = section.querySelector(".error");
    this.status = section.querySelector(".status");
    this.controller = null;
    this.paused = [];
    this.cancel.addEventListener("click", () => this.controller?.abort());
    // A value the browser itself refuses (a tempo past the field's max) stops the form before it is sent:
    // the previous request's error would stay beside the browser's own note as if it were about this one.
    section.addEventListener("invalid", () => { this.error.hidden = true; }, true);
  }
  get busy() {
    return this.controller !== null;
  }
  // Returns the signal that the Cancel button aborts.
  start(stage = "sending") {
    this.controller?.abort();
    this.controller = new AbortController();
    this.paused = [...this.section.querySelectorAll("button[data-work]")].filter((b) => !b.disabled);
    for (const button of this.paused) button.disabled = true;
    this.error.hidden = true;
    this.status.textContent = "";
    this.box.hidden = false;
    this.progress(0, stage);
    return this.controller.signal;
  }
  progress(share, stage) {
    this.bar.value = share;
    this.stage.textContent = `${stage || ""} ${Math.round(share * 100)} %`;
  }
  // message: one sentence about the result for the status line (read out by screen readers).
  done(message = "") {
    this.finish();
    this.status.textContent = message;
  }
  fail(err) {
    this.finish();
    this.error.hidden = false;
    this.error.textContent = err instanceof ApiError ? err.describe() : `unexpected error: ${err.message}`;
  }
  // Runs the job at `path` as this section's request: started with `stage`, its progress shown, Cancel stops it.
  // Returns the route's answer; throws ApiError (code "cancelled" after a Cancel).
  job(path, body, stage = "uploading") {
    const signal = this.start(stage);
    return runJob(path, body, (share, at) => this.progress(share, at), signal);
  }
  // A request failed: its error shown, and the section's last result (`view`, its `audio`) hidden so that it is
  // not taken for this request's answer. After a Cancel it stays: nothing else was asked for.
  failHidingLast(err, view, audio) {
    if (err.code !== "cancelled") {
      audio.pause();
      view.hidden = true;
    }
    this.fail(err);
  }
  finish() {
    this.controller = null;
    for (const button of this.paused) button.disabled = false;
    this.paused = [];
    this.box.hidden = true;
  }
}

// Decode base64 (the engine's MIDI and audio previews) into a Blob.
export function blobOf(base64, type) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new Blob([bytes], { type });
}
