"""A checkpoint file on disk: a one-line header carrying the payload's sha256, then the payload.

::

    zi2zi-checkpoint 2 sha256 <64 hex digits> bytes <16 digits>\\n
    <torch.save zip archive of plain tensors and containers>

The header has a fixed length, so the payload starts at a known offset. Writing hashes the
payload as ``torch.save`` streams it (no second pass, no copy in memory), then fills in the
header; reading hashes the payload before ``torch.load(weights_only=True)`` sees a byte, so a
flipped or missing byte is refused naming the file instead of loading corrupted weights.
``head -c 114 best.pt`` shows the header.

Files written before format 2 are bare torch zip archives (they start with ``PK``): they are
still loaded, with an :class:`UnverifiedCheckpoint` warning, since nothing can check them.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import warnings
from pathlib import Path
from typing import IO, Any

import torch
from glyphrender.atomic import atomic_path

from zi2zi_core.errors import CheckpointError, Zi2ziWarning

MAGIC = b"zi2zi-checkpoint 2 sha256 "
HEADER_LEN = len(MAGIC) + 64 + len(b" bytes ") + 16 + 1
ZIP_MAGIC = b"PK\x03\x04"  # a bare torch.save archive (checkpoint format 1)
CHUNK = 1 << 22


class UnverifiedCheckpoint(Zi2ziWarning):
    """A checkpoint without a checksum (written before format 2) was loaded unchecked."""


def _header(digest: str, size: int) -> bytes:
    header = MAGIC + digest.encode("ascii") + b" bytes " + f"{size:016d}".encode() + b"\n"
    assert len(header) == HEADER_LEN
    return header


class _HashingWriter:
    """What ``torch.save`` writes to: passes bytes to the file and hashes them on the way."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file, self.hash, self.size = file, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.size += len(data)
        return self.file.write(data)

    def flush(self) -> None:
        self.file.flush()


class _Payload(io.RawIOBase):
    """A read-only view of an open file from ``offset`` on (what ``torch.load`` reads)."""

    def __init__(self, file: IO[bytes], offset: int) -> None:
        super().__init__()
        self.file, self.offset = file, offset
        file.seek(offset)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self.file.readinto(buffer)

    def tell(self) -> int:
        return self.file.tell() - self.offset

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        target = pos + self.offset if whence == io.SEEK_SET else pos
        return self.file.seek(target, whence) - self.offset


def write_checkpoint_file(state: dict[str, Any], path: Path) -> None:
    """Write ``state`` with its checksum header, atomically and durably (fsynced)."""
    with atomic_path(path, "the checkpoint", durable=True) as tmp, open(tmp, "wb") as file:
        file.write(b"\0" * HEADER_LEN)  # filled in once the payload's digest is known
        writer = _HashingWriter(file)
        torch.save(state, writer)
        file.seek(0)
        file.write(_header(writer.hash.hexdigest(), writer.size))


def _check_payload(file: IO[bytes], path: Path) -> None:
    """Parse the header and hash the payload against it; CheckpointError naming ``path``."""
    header = file.read(HEADER_LEN)
    try:
        digest = header[len(MAGIC) : len(MAGIC) + 64].decode("ascii")
        size = int(header[-17:-1])
        int(digest, 16)
    except ValueError:
        raise CheckpointError(f"{path}: damaged checkpoint header (not loaded)") from None
    if len(digest) != 64 or header != _header(digest, size):
        raise CheckpointError(f"{path}: damaged checkpoint header (not loaded)")
    actual, read = hashlib.sha256(), 0
    while chunk := file.read(CHUNK):
        actual.update(chunk)
        read += len(chunk)
    if read < size:
        raise CheckpointError(
            f"{path}: truncated ({read:,} of {size:,} bytes), the file is incomplete (not loaded)"
        )
    if read > size:
        raise CheckpointError(
            f"{path}: {read - size:,} byte(s) longer than its header says ({read:,}, not "
            f"{size:,}), the file is damaged (not loaded)"
        )
    if actual.hexdigest() != digest:
        raise CheckpointError(f"{path}: checksum mismatch, the file is corrupt (not loaded)")


def _torch_load(source: Any, path: Path, map_location: str | torch.device) -> Any:
    """``torch.load(weights_only=True)`` with its failures as one line naming ``path``."""
    try:
        return torch.load(source, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError:
        # torch's message suggests weights_only=False, i.e. running the file's code: never.
        raise CheckpointError(
            f"{path}: holds objects that are not plain tensors and config; not loaded "
            "(zi2zi never runs code from a checkpoint)"
        ) from None
    except Exception as exc:  # torch raises many types for corrupt / foreign files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path}: not a readable zi2zi checkpoint ({first})") from None


def read_checkpoint_file(path: Path, map_location: str | torch.device = "cpu") -> Any:
    """The object stored in ``path``, its checksum verified first (format 2); a bare format-1
    archive is loaded with an :class:`UnverifiedCheckpoint` warning. Never runs code."""
    try:
        file = open(path, "rb")  # noqa: SIM115 - closed below, after torch has read it
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read checkpoint ({exc.strerror or exc})") from None
    with file:
        start = file.read(len(MAGIC))
        file.seek(0)
        if start == MAGIC:
            _check_payload(file, path)
            return _torch_load(_Payload(file, HEADER_LEN), path, map_location)
        if start.startswith(ZIP_MAGIC):
            state = _torch_load(file, path, map_location)  # refusals first: no warning then
            warnings.warn(
                f"{path}: checkpoint written before format 2 carries no checksum; loaded "
                "unverified",
                UnverifiedCheckpoint,
                stacklevel=3,
            )
            return state
    raise CheckpointError(f"{path}: not a zi2zi checkpoint (unknown file header)")
