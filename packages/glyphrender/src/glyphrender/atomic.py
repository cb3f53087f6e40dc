"""Writing a file under its final name only once it is complete.

Every output file of both packages goes through here: a temporary file beside the target
(same directory, so the rename is atomic), renamed at the end, removed on any failure.
``durable=True`` also fsyncs the file and its directory, for files that must survive a power
loss (checkpoints, the metrics log), not just a killed process.

Folders (a dataset, a generated-glyph folder) go through :func:`staging_dir`,
:func:`publish_dir` and :func:`sweep_stale` (see the section on directories below). This is the
only module of either package that renames anything.
"""

from __future__ import annotations

import ctypes
import errno
import io
import os
import re
import secrets
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from glyphrender.errors import (
    GlyphrenderError,
    StorageError,
    storage_error_line,
    storage_os_error,
)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _is_under(filename: object, folder: Path) -> bool:
    """Whether an OSError's ``filename`` (None: unknown, so assumed ours) is in ``folder``."""
    if filename is None:
        return True
    if isinstance(filename, int):
        return True  # a file descriptor: ours, torch and h5py write through open files
    name = os.path.realpath(os.fsdecode(filename))
    return Path(name).is_relative_to(os.path.realpath(folder))


def kept_line(final: Path, what: str) -> str:
    """What a failed write of ``final`` left behind, for the error line."""
    if final.exists():
        return f"the previous {what.removeprefix('the ')} there is unchanged"
    return "nothing was written under that name"


def storage_failure(exc: BaseException, final: Path, what: str) -> StorageError | None:
    """A one-line :class:`StorageError` for a write of ``final`` that the disk refused (full,
    read-only, no permission, name too long), or None if ``exc`` is something else."""
    if isinstance(exc, StorageError):  # a file inside a folder being written: name the folder
        err = exc.os_error
        if err is None:
            return None
    else:
        err = storage_os_error(exc)
        if err is None or not _is_under(err.filename, final.parent):
            return None  # not a write of ours: e.g. an unreadable input file
    failure = StorageError(storage_error_line(err, final, kept_line(final, what)))
    failure.os_error = err
    return failure


def _cannot_start(exc: OSError, final: Path, what: str) -> GlyphrenderError:
    """The one line for a write of ``final`` refused before it began (no temporary name):
    the disk's (:func:`storage_failure`), else "cannot write WHAT here"."""
    return storage_failure(exc, final, what) or GlyphrenderError(
        f"{final}: cannot write {what} here ({exc.strerror or exc})"
    )


@contextmanager
def atomic_path(
    final: str | os.PathLike[str], what: str = "the file", durable: bool = False
) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; it becomes ``final`` when the block succeeds.

    An unwritable directory raises :class:`GlyphrenderError` naming ``final`` and ``what``;
    a write the disk refuses inside the block (full, read-only, no permission, name too long)
    raises :class:`StorageError`, one line naming ``final`` and what was kept.
    With ``durable`` the data and the rename are fsynced before returning.
    """
    final = Path(final)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    except OSError as exc:
        raise _cannot_start(exc, final, what) from None
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
    except (OSError, RuntimeError) as exc:  # RuntimeError: torch wraps the OSError of a write
        failure = storage_failure(exc, final, what)
        if failure is None:
            raise
        raise failure from None
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


@contextmanager
def h5_file_atomic(final: str | os.PathLike[str], what: str = "the file") -> Iterator[Any]:
    """Yield a new ``h5py.File`` built in memory; it is written to ``final`` atomically (see
    :func:`atomic_path`) when the block succeeds.

    HDF5 itself never writes to disk: when its own write fails (a full disk) it can crash
    the process as it closes the file. Here the disk sees one Python write, whose failure
    is a one-line :class:`StorageError`. The whole (compressed) file is held in memory.
    """
    import h5py

    buffer = io.BytesIO()
    with h5py.File(buffer, "w", track_order=True) as f:
        yield f
    # The file is held in memory once, not copied. Not Path.write_bytes: it keeps a view of
    # the buffer in a local, so when the write fails (a full disk) the traceback holds the
    # view; the cyclic GC may later free the BytesIO first, while the view still exports it,
    # and Python prints "Exception ignored ... BufferError". Here the view is a temporary.
    with atomic_path(final, what) as tmp, open(tmp, "wb") as f:
        f.write(buffer.getbuffer())


def save_png_atomic(image: Any, final: str | os.PathLike[str], what: str = "the image") -> Path:
    """Save a PIL image as an optimized PNG under ``final``, atomically."""
    with atomic_path(final, what) as tmp:
        image.save(tmp, format="PNG", optimize=True)
    return Path(final)


# --- directories ----------------------------------------------------------------------------
#
# A folder output (a dataset, a generated-glyph folder) is built in a *staging* directory
# beside its final name, ``.NAME.build-XXXXXXXX``, and published by :func:`publish_dir`.
# While its owner runs, a staging directory is held under an exclusive ``flock`` on the
# directory itself: the lock dies with the process, even on SIGKILL, so a later run can tell a
# live build's directory (locked: never touched) from a dead one's (unlocked: removed by
# :func:`sweep_stale`). Replacing an existing folder never leaves a moment without one:
#
# 1. files of the old folder the caller wants kept (``keep``) are hard-linked (or copied) into
#    the staging directory, which now holds the complete new folder;
# 2. on Linux, ``renameat2(RENAME_EXCHANGE)`` swaps the two names in one atomic step; the
#    old folder is now under the staging name. Elsewhere (or on a filesystem without it) the
#    old folder is locked and renamed aside to ``.NAME.old-XXXXXXXX``, then the staging
#    directory is renamed to NAME. Only in that fallback is there an instant without NAME,
#    and the aside copy is whole: :func:`sweep_stale` renames it back if its owner died there;
# 3. the old folder is deleted.

STAGING_TAG = "build"
ASIDE_TAG = "old"
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<tag>build|old)-[A-Za-z0-9_]{8}$")

# Test hook: called with the name of each publish step once it is done ("kept", "aside",
# "swapped", "removed"); tests kill or fail the process there.
_after_step: Callable[[str], None] | None = None


def _step(name: str) -> None:
    if _after_step is not None:
        _after_step(name)


def _try_lock(path: Path) -> int | None:
    """An fd of directory ``path`` holding an exclusive flock, or None if another holds it.

    Without fcntl (Windows) nobody can tell, so every directory counts as held.
    """
    try:
        import fcntl
    except ImportError:
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _close(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)


@contextmanager
def staging_dir(final: str | os.PathLike[str], what: str = "the folder") -> Iterator[Path]:
    """Yield a new, empty, locked directory ``.NAME.build-XXXXXXXX`` beside ``final``.

    Build the output in it, then :func:`publish_dir` it to ``final``. Whatever is left under
    the staging name at exit (all of it after a failure, the old folder after a publish that
    swapped names) is removed, and only then is the lock released. If the process is killed,
    the directory stays behind, unlocked, for the next :func:`sweep_stale` to remove.
    Created with the mode a plain ``mkdir`` would give (not mkdtemp's 0700), since it becomes
    ``final``.
    """
    final = Path(final)
    parent = final.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        # Made under a name no sweep matches, locked, then renamed: a sweep never sees it
        # unlocked while we live.
        new = Path(tempfile.mkdtemp(prefix=f".{final.name}.new-", dir=parent))
        fd = _try_lock(new)
    except OSError as exc:
        raise _cannot_start(exc, final, what) from None
    suffix = new.name[len(f".{final.name}.new-") :]
    tmp = new.with_name(f".{final.name}.{STAGING_TAG}-{suffix}")
    try:
        os.rename(new, tmp)
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)
    except OSError as exc:
        shutil.rmtree(new, ignore_errors=True)
        _close(fd)
        raise GlyphrenderError(
            f"{final}: cannot write {what} here ({exc.strerror or exc})"
        ) from None
    try:
        yield tmp
    except (OSError, RuntimeError, StorageError) as exc:  # the disk refused a write in it
        failure = storage_failure(exc, final, what)
        if failure is None:
            raise
        raise failure from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        _close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap the names ``a`` and ``b`` atomically; False where the OS or filesystem cannot."""
    if not sys.platform.startswith("linux"):
        return False
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:  # a C library older than glibc 2.28
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)  # instant, and the old folder's deletion leaves the file alone
    except OSError:
        shutil.copy2(src, dst)


def _carry(old: Path, new: Path, keep: Callable[[str], bool]) -> None:
    """Put the entries of ``old`` that ``keep`` names (and ``new`` lacks) into ``new``."""
    for entry in sorted(old.iterdir()):
        if not keep(entry.name) or (new / entry.name).exists():
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, new / entry.name, symlinks=True, copy_function=_link_or_copy)
        elif entry.is_symlink():
            os.symlink(os.readlink(entry), new / entry.name)
        else:
            _link_or_copy(str(entry), str(new / entry.name))


def publish_dir(
    staging: str | os.PathLike[str],
    final: str | os.PathLike[str],
    replace: bool = False,
    keep: Callable[[str], bool] | None = None,
    what: str = "the folder",
    durable: bool = False,
) -> Path:
    """Give the complete folder ``staging`` the name ``final``, atomically.

    ``staging`` should come from :func:`staging_dir` (same parent as ``final``). A missing or
    empty ``final`` is replaced by one rename. An existing ``final`` is refused with
    :class:`GlyphrenderError` unless ``replace``; then its entries whose name ``keep``
    accepts are carried into the new folder (hard-linked, else copied) and the two folders
    are swapped as described at the top of this section, so that at every instant ``final``
    is the whole old folder or the whole new one (or, in the non-Linux fallback, the old one
    sits whole under ``.NAME.old-*`` for an instant, for :func:`sweep_stale` to restore).
    ``durable`` fsyncs the parent directory so the new name survives a power loss.
    Failures raise :class:`GlyphrenderError` naming ``final``; ``final`` is then unchanged.

    Typical use (what ``glyphrender build`` does)::

        for line in sweep_stale(out):  # leftovers of killed runs; report each line
            print(line, file=sys.stderr)
        with staging_dir(out, "the glyph folder") as tmp:
            write_everything_into(tmp)  # an exception here leaves `out` untouched
            publish_dir(tmp, out, replace=force, what="the glyph folder")
    """
    staging, final = Path(staging), Path(final)
    if final.is_symlink() or (final.exists() and not final.is_dir()):
        raise GlyphrenderError(f"{final}: exists and is not a directory; not replaced")
    try:
        if final.is_dir() and not any(final.iterdir()):
            final.rmdir()
        if not final.exists():
            os.rename(staging, final)
            _step("swapped")
        elif not replace:
            raise GlyphrenderError(f"{final}: exists; not replaced")
        else:
            _replace_dir(staging, final, keep)
        if durable:
            _fsync(final.parent)
    except OSError as exc:
        raise GlyphrenderError(
            f"{final}: cannot move {what} into place ({exc.strerror or exc})"
        ) from None
    return final


def _replace_dir(staging: Path, final: Path, keep: Callable[[str], bool] | None) -> None:
    if keep is not None:
        _carry(final, staging, keep)
    _step("kept")
    if _exchange(staging, final):
        _step("swapped")
        shutil.rmtree(staging, ignore_errors=True)  # the old folder, under the staging name
        _step("removed")
        return
    old_fd = _try_lock(final)  # so that a sweep sees the aside copy as live while we run
    aside = final.parent / f".{final.name}.{ASIDE_TAG}-{secrets.token_hex(4)}"
    try:
        os.rename(final, aside)
        _step("aside")
        try:
            os.rename(staging, final)
        except OSError:
            os.rename(aside, final)  # put the old one back before reporting
            raise
        _step("swapped")
        shutil.rmtree(aside, ignore_errors=True)
        _step("removed")
    finally:
        _close(old_fd)


def leftovers(final: str | os.PathLike[str]) -> list[Path]:
    """The ``.NAME.build-*`` and ``.NAME.old-*`` directories beside ``final``, live or not."""
    final = Path(final)
    parent = final.parent if str(final.parent) else Path(".")
    try:
        entries = sorted(parent.iterdir())
    except OSError:
        return []
    found = []
    for entry in entries:
        match = _LEFTOVER.match(entry.name)
        if match and match["name"] == final.name and entry.is_dir() and not entry.is_symlink():
            found.append(entry)
    return found


def sweep_stale(final: str | os.PathLike[str]) -> list[str]:
    """Clean up after runs that died while writing ``final``; return one line per action.

    A ``.NAME.old-*`` folder of a dead run (a publish killed between its two renames) is
    renamed back to ``final`` if ``final`` is missing, else removed; a ``.NAME.build-*``
    staging directory of a dead run is removed. Directories whose owner still runs (their
    lock is held) are never touched; without fcntl nothing is touched.
    """
    final = Path(final)
    done = []
    found = leftovers(final)
    found.sort(key=lambda p: _LEFTOVER.match(p.name)["tag"] != ASIDE_TAG)  # asides first
    for path in found:
        fd = _try_lock(path)
        if fd is None:
            continue
        try:
            if _LEFTOVER.match(path.name)["tag"] == ASIDE_TAG and not final.exists():
                os.rename(path, final)
                done.append(
                    f"{final}: restored the previous folder from {path.name}, left by a run "
                    "killed while replacing it"
                )
            else:
                shutil.rmtree(path, ignore_errors=True)
                done.append(f"{path}: removed, left by a run that did not finish")
        except OSError as exc:
            done.append(f"{path}: left by a run that did not finish; cannot remove it ({exc})")
        finally:
            _close(fd)
    return done
