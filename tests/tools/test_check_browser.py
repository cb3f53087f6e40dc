"""scripts/check_browser.py: the README's test command fails, in one line naming the missing
packages, instead of passing with the review page's browser test skipped (issue #23)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_browser.py"


def run(tmp_path: Path, chromium: str, driver: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "REVIEW_CHROMIUM": chromium, "REVIEW_CHROMEDRIVER": driver}
    return subprocess.run([sys.executable, SCRIPT], env=env, capture_output=True, text=True)


def test_a_missing_browser_is_one_line_naming_the_packages_and_exit_1(tmp_path):
    proc = run(tmp_path, str(tmp_path / "no-chromium"), str(tmp_path / "no-chromedriver"))
    assert proc.returncode == 1 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1
    assert "needs chromium, chromium-driver" in lines[0]
    assert "apt-get install chromium chromium-driver" in lines[0]


def test_only_the_missing_driver_is_named(tmp_path):
    proc = run(tmp_path, sys.executable, str(tmp_path / "no-chromedriver"))
    assert proc.returncode == 1 and "needs chromium-driver (" in proc.stderr


def test_present_binaries_pass_silently(tmp_path):
    proc = run(tmp_path, sys.executable, sys.executable)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
