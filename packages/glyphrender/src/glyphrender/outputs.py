"""Claiming an output: apart from every input, and one writer per folder.

Every command of both CLIs that writes calls :func:`claim_output` before computing anything:
the output is apart from the inputs (:func:`check_output_apart`; ``--force`` may replace an
output, never an input) and can be written (:func:`check_writable`). The commands that keep
writing into a folder (``zi2zi train`` its run directory, ``zi2zi sweep`` its folder, the
review page its generated folder, at each save) hold :func:`folder_lock` while they do.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from glyphrender.atomic import storage_failure
from glyphrender.errors import (
    FolderInUse,
    GlyphrenderError,
    OutputOverlapsInput,
    StorageError,
    storage_error_line,
    storage_os_error,
)


def _exists(path: Path) -> bool:
    """Whether ``path`` exists; False where it cannot (a name too long: refused later)."""
    return os.path.exists(path)  # unlike Path.exists, never raises


def _overlap(output: Path, given: Path) -> str | None:
    """How ``output`` overlaps ``given`` ("is", "contains", "lies inside"), or None."""
    out, inp = Path(os.path.realpath(output)), Path(os.path.realpath(given))
    if out == inp or (_exists(out) and _exists(inp) and os.path.samefile(out, inp)):
        return "is"
    if inp.is_relative_to(out):
        return "contains"
    if out.is_relative_to(inp):
        return "lies inside"
    return None


def check_output_apart(
    output: str | os.PathLike[str],
    inputs: Iterable[tuple[str, str | os.PathLike[str] | None]],
    option: str = "--out",
) -> None:
    """Refuse an output that is, contains or lies inside any input of the same command.

    ``inputs`` are (what, path) pairs, e.g. ``("the run's checkpoint", ckpt)``; None paths
    are skipped. Paths are compared after resolving symlinks and ``..`` (and hard links of an
    existing file), so ``--force`` can never replace, or write into, what the command reads.
    Raises :class:`OutputOverlapsInput` (the CLIs exit 2) before anything is computed.
    """
    for what, given in inputs:
        if given is None:
            continue
        relation = _overlap(Path(output), Path(given))
        if relation is not None:
            raise OutputOverlapsInput(
                f"{output}: {option} {relation} {what} ({given}); an output must be apart "
                "from the inputs (refused, even with --force; nothing written)"
            )


LOCK_NAME = ".lock"  # the advisory lock file inside a locked folder; holds the owner's PID


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    return f"PID {text}" if text.isdigit() else "another process"


@contextmanager
def folder_lock(
    folder: str | os.PathLike[str], what: str = "the folder", wait_s: float = 0.0
) -> Iterator[Path]:
    """Hold the advisory lock of ``folder`` (created if missing) for the block.

    One writer per folder (a run directory, a sweep folder, a review folder): ``flock`` on
    ``folder/.lock``, which holds the owner's PID. The lock dies with its process, even on
    SIGKILL. An unwritable folder is refused first (:func:`check_writable`). Held by another process for longer than ``wait_s`` seconds: :class:`FolderInUse`,
    "FOLDER: WHAT is already in use by PID N". If the block fails and this call made the
    folder, the folder is removed again when nothing but the lock file is in it. Without
    fcntl (Windows) nothing is locked.
    """
    folder = Path(folder)
    check_writable(folder, what)
    made = [p for p in (folder, *folder.parents) if not p.exists()]  # deepest first
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        failure = storage_failure(exc, folder / LOCK_NAME, what)
        raise failure or GlyphrenderError(
            f"{folder}: cannot use {what} ({exc.strerror or exc})"
        ) from None
    try:
        _flock_or_raise(fd, folder, what, wait_s)
        with contextlib.suppress(OSError):  # the PID is for messages; a full disk may refuse it
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    except BaseException:
        os.close(fd)
        raise
    try:
        yield folder
    except BaseException:
        if made:
            _remove_if_only_lock(folder, made[1:])
        raise
    finally:
        os.close(fd)


def _flock_or_raise(fd: int, folder: Path, what: str, wait_s: float) -> None:
    try:
        import fcntl
    except ImportError:
        return
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise FolderInUse(
                    f"{folder}: {what} is already in use by {_holder(fd)}; wait for it to end "
                    "or use another folder"
                ) from None
            time.sleep(0.02)


def _remove_if_only_lock(folder: Path, parents: list[Path]) -> None:
    """Remove ``folder`` when it holds only the lock file, then the empty ``parents`` that
    were made for it (deepest first)."""
    try:
        if [p.name for p in folder.iterdir()] == [LOCK_NAME]:
            (folder / LOCK_NAME).unlink()
            folder.rmdir()
            for parent in parents:
                parent.rmdir()
    except OSError:
        pass  # someone else started using it: theirs now


# Staging and temporary names add at most this many bytes to an output's name:
# ".NAME.build-XXXXXXXX" (glyphrender.atomic.staging_dir) and ".NAME.XXXXXXXX.tmp".
_TEMP_NAME_EXTRA = 16


def check_writable(output: str | os.PathLike[str], what: str = "the output") -> None:
    """Refuse, before any work, an output that cannot be written: a read-only or forbidden
    folder, a file where a folder must be, or a name longer than the file system allows.

    Probes with a temporary file in the nearest existing folder on the way to ``output``
    (removed at once). A full disk cannot be told in advance; atomic writes report it.
    Raises :class:`StorageError` or :class:`GlyphrenderError`, one line naming ``output``.
    """
    out = Path(os.path.abspath(output))
    existing = out if os.path.isdir(out) or not _exists(out) else out.parent  # a file: its folder
    while not _exists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise GlyphrenderError(f"{output}: {existing} is not a folder; cannot write {what}")
    try:
        name_max = os.pathconf(existing, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    missing = out.relative_to(existing).parts
    for index, part in enumerate(missing):
        extra = _TEMP_NAME_EXTRA if index == len(missing) - 1 else 0
        if len(os.fsencode(part)) + extra > name_max:
            err = OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG))
            limit = f"{name_max - extra} bytes here"
            raise StorageError(
                storage_error_line(err, output, f"a name may have at most {limit}; nothing written")
            )
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-check-", dir=existing)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        err = storage_os_error(exc) or exc
        raise StorageError(storage_error_line(err, output, "nothing written")) from None


def claim_output(
    output: str | os.PathLike[str],
    inputs: Iterable[tuple[str, str | os.PathLike[str] | None]],
    what: str = "the output",
    option: str = "--out",
) -> None:
    """Before a command computes anything: ``output`` is apart from every input
    (:func:`check_output_apart`) and can be written (:func:`check_writable`)."""
    check_output_apart(output, inputs, option)
    check_writable(output, what)
