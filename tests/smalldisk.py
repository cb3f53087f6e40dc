"""Small real file systems for the disk-full and read-only tests: a tmpfs of a few MiB.

Mounting needs root (or CAP_SYS_ADMIN); where the mount fails the test is skipped with the
reason. The mount is always removed afterwards.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _mount(folder: Path, options: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    command = ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot mount a tmpfs here ({exc})")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")


@contextmanager
def tmpfs(folder: Path, size: str = "2m", read_only: bool = False) -> Iterator[Path]:
    """Mount a tmpfs of ``size`` on ``folder`` for the block (``read_only``: mounted ro)."""
    _mount(folder, f"size={size}" + (",ro" if read_only else ""))
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=30)


def fill(folder: Path, leave_bytes: int) -> None:
    """Fill the file system of ``folder`` until about ``leave_bytes`` are free."""
    stat = os.statvfs(folder)
    free = stat.f_bavail * stat.f_frsize
    count = len(list(folder.glob("filler-*")))
    with open(folder / f"filler-{count}", "wb") as f:  # a new file: the space is really taken
        f.write(b"\0" * max(0, free - leave_bytes))
