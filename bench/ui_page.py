"""Issue 17, item 1's figures: the page's first render on localhost (goal < 1 s) and that it needs no
network beyond the engine.

    .venv/bin/python bench/ui_page.py [--loads 20]

Starts the engine as a user does (``python main.py`` on a free port, Magenta not loaded, DAWG-CORE down),
then opens /ui --loads times in Debian's headless Chromium (Playwright), each in a fresh browser context
(no cache), with every request to anywhere but the engine refused and counted. Per load, from the
browser's own Navigation and Paint Timing entries (milliseconds from the start of navigation):
response end of the HTML, DOMContentLoaded (all module scripts run), first contentful paint, and "usable":
the page's engine-state label filled from /health (the scripts ran and reached the engine). Prints the
median and the worst of each, the requests and bytes one load takes, and the requests refused.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.engine_server import engine_env, free_port, start_engine, wait_ready  # noqa: E402
from tests.support.browser import CHROMIUM_ARGS, chromium_path  # noqa: E402

TIMINGS_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return {response_end: nav.responseEnd, dom_content_loaded: nav.domContentLoadedEventEnd,
          first_contentful_paint: fcp ? fcp.startTime : null, usable: window.__usable_at ?? null,
          bytes: performance.getEntriesByType('resource').reduce((n, r) => n + (r.transferSize || 0), nav.transferSize || 0),
          requests: performance.getEntriesByType('resource').length + 1};
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loads", type=int, default=20)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    if chromium is None:
        raise SystemExit("no chromium on PATH (scripts/setup.sh installs Debian's chromium)")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="dawg_ui_bench_") as tmp:
        server = start_engine(engine_env(port, Path(tmp)))
        try:
            with httpx.Client(base_url=base) as client:
                wait_ready(client)
            rows, refused = [], []
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
                for _ in range(args.loads):
                    context = browser.new_context()

                    def route(request_route, _refused=refused):  # type: ignore[no-untyped-def]
                        if request_route.request.url.startswith(base):
                            request_route.continue_()
                        else:
                            _refused.append(request_route.request.url)
                            request_route.abort()

                    context.route("**/*", route)
                    page = context.new_page()
                    # When the engine-state label changes from "connecting…", the page is in use.
                    page.add_init_script(
                        """new MutationObserver((_, obs) => { const el = document.getElementById('engine-state');
                           if (el && !el.textContent.startsWith('connecting')) { window.__usable_at = performance.now();
                           obs.disconnect(); } }).observe(document, {subtree: true, childList: true, characterData: true});"""
                    )
                    page.goto(f"{base}/ui", wait_until="load")
                    page.wait_for_function("() => window.__usable_at !== undefined", timeout=10_000)
                    time.sleep(0.05)  # the paint entry is queued after the frame
                    rows.append(page.evaluate(TIMINGS_JS))
                    context.close()
                version = browser.version
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)

    print(f"/ui on localhost, {args.loads} loads in headless Chromium {version}, each a fresh context (no cache)")
    print(f"{'ms from navigation start':28s} {'median':>8s} {'worst':>8s}")
    for name in ("response_end", "dom_content_loaded", "first_contentful_paint", "usable"):
        values = [r[name] for r in rows if r[name] is not None]
        print(f"{name:28s} {statistics.median(values):8.1f} {max(values):8.1f}")
    print(f"requests per load: {rows[0]['requests']}, bytes: {rows[0]['bytes']:,}")
    print(f"requests beyond the engine (refused): {len(refused)}" + (f" e.g. {refused[:3]}" if refused else ""))
    goal = max(r["first_contentful_paint"] or 1e9 for r in rows)
    print(f"first render under 1 s: {'yes' if goal < 1000 else 'NO'} (worst first contentful paint {goal:.0f} ms)")


if __name__ == "__main__":
    main()
