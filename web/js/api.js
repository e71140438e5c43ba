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

async function send(path, { method = "GET", form = null, json = null, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (form) init.body = form;
  if (json) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, "engine_unreachable", `the engine did not answer (${err.message}): is it running?`);
  }
  if (!response.ok) throw await failure(response);
  return response;
}

export async function getJson(path) {
  return (await send(path)).json();
}

export async function postJson(path, { form = null, json = null } = {}) {
  return (await send(path, { method: "POST", form, json })).json();
}

const POLL_MS = 250;

// POST as a job (Prefer: respond-async) and follow it until it ends; onProgress(share, stage) while
// it runs. Resolves to the route's own answer: parsed JSON, or a Blob for a file (WAV, MIDI).
export async function runJob(path, form, onProgress = () => {}) {
  const accepted = await (await send(path, { method: "POST", form, headers: { Prefer: "respond-async" } })).json();
  if (!accepted.job_id) return accepted; // answered at once (a route without jobs)
  for (;;) {
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
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

// The progress bar and error box of one section of the page.
export class Feedback {
  constructor(section) {
    this.box = section.querySelector(".progress");
    this.bar = this.box.querySelector("progress");
    this.stage = this.box.querySelector(".stage");
    this.error = section.querySelector(".error");
  }
  start(stage = "sending") {
    this.error.hidden = true;
    this.box.hidden = false;
    this.progress(0, stage);
  }
  progress(share, stage) {
    this.bar.value = share;
    this.stage.textContent = `${stage || ""} ${Math.round(share * 100)} %`;
  }
  done() {
    this.box.hidden = true;
  }
  fail(err) {
    this.box.hidden = true;
    this.error.hidden = false;
    this.error.textContent = err instanceof ApiError ? err.describe() : `unexpected error: ${err.message}`;
  }
}

// Decode base64 (the engine's MIDI and audio previews) into a Blob.
export function blobOf(base64, type) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new Blob([bytes], { type });
}
