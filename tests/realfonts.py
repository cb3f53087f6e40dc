"""The real fonts of ``fonts/`` (or ``../shared/fonts``) for the integration tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FONT_FOLDERS = (REPO / "fonts", REPO.parent / "shared" / "fonts")


def real_font(name: str) -> Path:
    """The path of font file ``name``; the test is skipped when neither folder has it, except
    in CI (``CI=true``), which fetches every font first: there a missing font fails the test."""
    for folder in FONT_FOLDERS:
        if (folder / name).is_file():
            return folder / name
    reason = f"real font {name} not found in fonts/ or ../shared/fonts (run scripts/fetch_fonts.py)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)
