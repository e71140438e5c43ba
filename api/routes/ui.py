"""The browser page (/ui): analyse, generate and mix by looking and listening, not reading JSON.

The page is static (``web/``: HTML, CSS, ES modules, and wavesurfer.js vendored at a fixed
version), served from the engine's own origin so its requests pass the site guard as a local page;
nothing is fetched from elsewhere. Its Content-Security-Policy allows only this origin (and the
blob: and data: URLs the page makes for audio it already has).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from api.deps import NO_PARAMETERS_RESPONSES, TAKES_NO_PARAMETERS

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
STATIC_PREFIX = "/ui/static"

# wavesurfer.js puts <style> elements into its shadow DOM: styles need 'unsafe-inline'; scripts do not.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' data: blob:",
        "connect-src 'self' blob: data:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

router = APIRouter(tags=["system"], dependencies=TAKES_NO_PARAMETERS, responses=NO_PARAMETERS_RESPONSES)


@router.get(
    "/ui",
    summary="The browser page: analyse a recording, generate a clip, measure and render a mix",
    response_class=FileResponse,
    responses={200: {"content": {"text/html": {}}, "description": "The page (its scripts load from /ui/static)."}},
)
async def page() -> FileResponse:
    return FileResponse(
        WEB_DIR / "index.html",
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        },
    )


def mount(app: FastAPI) -> None:
    """Serve the page's scripts, styles and vendored libraries under /ui/static."""
    app.mount(STATIC_PREFIX, StaticFiles(directory=WEB_DIR), name="ui-static")


__all__ = ["CONTENT_SECURITY_POLICY", "WEB_DIR", "mount", "router"]
