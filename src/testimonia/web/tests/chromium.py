"""Debian's Chromium for the real-browser tests (Playwright cannot download its own here)."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import pytest

from testimonia.conftest import require_service

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling out to a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> None:
    """Skip without Chromium, unless CI demands the browser tests (then fail)."""
    if CHROMIUM.exists():
        return
    reason = f"Chromium not found at {CHROMIUM}"
    unavailable(reason)


def unavailable(reason: str) -> NoReturn:
    if require_service("TESTIMONIA_REQUIRE_BROWSER"):
        pytest.fail(f"TESTIMONIA_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)
