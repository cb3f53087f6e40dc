"""Writing a file under its final name only once it is complete.

Every output file of both packages goes through here: a temporary file beside the target
(same directory, so the rename is atomic), renamed at the end, removed on any failure.
``durable=True`` also fsyncs the file and its directory, for files that must survive a power
loss (checkpoints, the metrics log), not just a killed process.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from glyphrender.errors import GlyphrenderError


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_path(
    final: str | os.PathLike[str], what: str = "the file", durable: bool = False
) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; it becomes ``final`` when the block succeeds.

    An unwritable directory raises :class:`GlyphrenderError` naming ``final`` and ``what``.
    With ``durable`` the data and the rename are fsynced before returning.
    """
    final = Path(final)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    except OSError as exc:
        raise GlyphrenderError(
            f"{final}: cannot write {what} here ({exc.strerror or exc})"
        ) from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp makes files 0600; outputs are for everyone to read
        if durable:
            _fsync(tmp)
        os.replace(tmp, final)
        if durable:
            _fsync(final.parent)  # the rename itself lives in the directory
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomic(
    final: str | os.PathLike[str], data: bytes, what: str = "the file", durable: bool = False
) -> Path:
    """Write ``data`` to ``final`` atomically (see :func:`atomic_path`)."""
    with atomic_path(final, what, durable) as tmp:
        tmp.write_bytes(data)
    return Path(final)


def write_text_atomic(
    final: str | os.PathLike[str], text: str, what: str = "the file", durable: bool = False
) -> Path:
    """Write ``text`` as UTF-8 to ``final`` atomically (see :func:`atomic_path`)."""
    return write_bytes_atomic(final, text.encode("utf-8"), what, durable)


def save_png_atomic(image: Any, final: str | os.PathLike[str], what: str = "the image") -> Path:
    """Save a PIL image as an optimized PNG under ``final``, atomically."""
    with atomic_path(final, what) as tmp:
        image.save(tmp, format="PNG", optimize=True)
    return Path(final)
