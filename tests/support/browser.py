"""Debian's Chromium for the page's tests and bench (driven by Playwright, never downloaded)."""

from __future__ import annotations

import shutil

# As this machine's probe starts it: no sandbox (tests run as root in CI), and none of Chromium's
# background calls to Google's hosts, which the closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """The system's Chromium (scripts/setup.sh installs Debian's ``chromium``), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")
