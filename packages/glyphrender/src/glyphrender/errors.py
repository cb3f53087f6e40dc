"""The package's exceptions: one base class, subclasses by topic.

Every message names the file or object it is about, so the CLI can print it as one line.
"""

from __future__ import annotations

import errno


class GlyphrenderError(Exception):
    """Base class of every error glyphrender raises on bad input."""


class FontError(GlyphrenderError):
    """A font file is missing, unreadable, or unusable for the requested operation."""


class CharsetError(GlyphrenderError):
    """A charset specification cannot be parsed or resolved."""


class DatasetError(GlyphrenderError):
    """A dataset directory, manifest or shard is missing, malformed or inconsistent."""


class AssembleError(GlyphrenderError):
    """Generated glyphs cannot be assembled into the given base font."""


class OutputOverlapsInput(GlyphrenderError):
    """An output path is, contains or lies inside an input of the same command (both CLIs
    report it as a usage error, exit 2, with or without --force)."""


class FolderInUse(GlyphrenderError):
    """Another process holds the folder's advisory lock (a run, sweep or review folder)."""


class StorageError(GlyphrenderError):
    """The disk refused a write: full, read-only, no permission, or a name too long."""

    os_error: OSError | None = None  # what the disk said, for a caller that names the folder


# errno -> what the user reads; the failures of the place being written to, not of the input.
STORAGE_ERRNOS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENAMETOOLONG: "a name in the path is too long",
}


def storage_os_error(exc: BaseException | None) -> OSError | None:
    """The OSError with a storage errno (:data:`STORAGE_ERRNOS`) in ``exc``'s chain, if any.

    Libraries wrap it: torch's zip writer raises a RuntimeError whose context is the OSError
    of the write; h5py raises an OSError whose errno is set but whose message is a page long.
    """
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS:
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def storage_error_line(exc: OSError, path: object = None, kept: str = "") -> str:
    """One line for a storage failure: the path, what the disk said, what was kept.

    ``path`` is the output being written (``exc.filename`` when not given); ``kept`` says what
    survived, e.g. "the previous dataset is unchanged".
    """
    where = path if path is not None else (exc.filename or "the output")
    line = f"{where}: cannot write: {STORAGE_ERRNOS.get(exc.errno, exc.strerror)}"
    return f"{line}; {kept}" if kept else line
