"""Writing shards: the HDF5 layout of :mod:`glyphrender.dataset.shards` (which documents the
format and reads it), written atomically with images chunked one sample per chunk.

A build's workers compress chunks in parallel (:func:`encode_chunk`) and
:func:`write_encoded_shard` stores the bytes as they are; :func:`write_shard` goes through the
same path, so the same samples give byte-identical shards whichever way they are written.
:class:`ShardWriter` cuts a split into shards of at most ``shard_size`` samples.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from glyphrender.atomic import h5_file_atomic
from glyphrender.dataset.manifest import SCHEMA_VERSION, SPLITS
from glyphrender.dataset.shards import PAIRED_SPLITS, GlyphBatch, sha256_file, shard_name

# Settled by bench/bench_shard_codec.py (bench/results/shard-codec-cpu2-amd-epyc.json): gzip
# level 1 is within ~10% of the size of levels 3-6 at a fraction of their write time; lzf is
# faster to write but ~25% larger and only readable where h5py's own filter is installed, while gzip
# (deflate) is built into every HDF5 (h5dump, C, MATLAB, HDFView). Shuffle is the identity
# on 1-byte samples, so it is off.
DEFAULT_COMPRESSION: dict[str, Any] = {
    "compression": "gzip",
    "compression_opts": 1,
    "shuffle": False,
}


def encode_chunk(image: np.ndarray, compression: dict[str, Any] | None = None) -> bytes:
    """One (H, W) uint8 image as the bytes of its HDF5 chunk under ``compression``.

    Build workers encode in parallel and the writer stores the bytes as they are
    (:func:`write_encoded_shard`); the result is what HDF5's own filter would have stored.
    Only gzip (deflate) and no compression can be encoded here.
    """
    opts = DEFAULT_COMPRESSION if compression is None else compression
    data = np.ascontiguousarray(image, dtype=np.uint8).tobytes()
    codec = opts.get("compression")
    if codec is None:
        return data
    if codec == "gzip":
        # HDF5's deflate filter stores a zlib stream; shuffle of 1-byte data is the identity.
        return zlib.compress(data, int(opts.get("compression_opts", 4)))
    raise ValueError(f"chunks cannot be pre-encoded for compression {codec!r}")


def can_encode(compression: dict[str, Any] | None) -> bool:
    opts = DEFAULT_COMPRESSION if compression is None else compression
    return opts.get("compression") in (None, "gzip")


def _create_image_dataset(
    f: h5py.File, name: str, n: int, px: int, opts: dict[str, Any]
) -> h5py.Dataset:
    return f.create_dataset(
        name,
        shape=(n, px, px),
        dtype=np.uint8,
        maxshape=(None, px, px),
        chunks=(1, px, px),
        track_times=False,  # no timestamps: same inputs give byte-identical files
        **opts,
    )


def _write_common(
    f: h5py.File, split: str, px: int, codepoint: np.ndarray, style: np.ndarray
) -> None:
    f.attrs["schema_version"] = SCHEMA_VERSION
    f.attrs["split"] = split
    f.attrs["glyph_px"] = px
    f.create_dataset("codepoint", data=np.asarray(codepoint, np.uint32), track_times=False)
    f.create_dataset("style", data=np.asarray(style, np.uint16), track_times=False)


def write_encoded_shard(
    path: Path,
    split: str,
    glyph_px: int,
    source_chunks: list[bytes],
    target_chunks: list[bytes] | None,
    codepoint: np.ndarray,
    style: np.ndarray,
    compression: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write one shard from chunks made by :func:`encode_chunk`; return its manifest entry."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}")
    paired = split in PAIRED_SPLITS
    if paired != (target_chunks is not None):
        raise ValueError(f"split {split!r} {'needs' if paired else 'must not have'} target images")
    n = len(codepoint)
    if len(source_chunks) != n or (target_chunks is not None and len(target_chunks) != n):
        raise ValueError("one source (and target) chunk per sample is needed")
    opts = dict(DEFAULT_COMPRESSION if compression is None else compression)
    path = Path(path)
    with h5_file_atomic(path, "the shard") as f:
        _write_common(f, split, glyph_px, codepoint, style)
        images = {"source": source_chunks} | ({"target": target_chunks} if paired else {})
        for name, chunks in images.items():
            ds = _create_image_dataset(f, name, n, glyph_px, opts)
            for i, chunk in enumerate(chunks):
                ds.id.write_direct_chunk((i, 0, 0), chunk)
    return {"file": path.name, "count": n, "sha256": sha256_file(path)}


def write_shard(
    path: Path, split: str, batch: GlyphBatch, compression: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Write one shard and return its manifest entry (file, count, sha256)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}")
    paired = split in PAIRED_SPLITS
    if paired != (batch.target is not None):
        raise ValueError(f"split {split!r} {'needs' if paired else 'must not have'} target images")
    opts = dict(DEFAULT_COMPRESSION if compression is None else compression)
    if can_encode(opts):
        # One storage path for every writer: the same samples give the same bytes whether
        # they come from a build's workers or from this function.
        return write_encoded_shard(
            path,
            split,
            batch.glyph_px,
            [encode_chunk(img, opts) for img in batch.source],
            [encode_chunk(img, opts) for img in batch.target] if paired else None,
            batch.codepoint,
            batch.style,
            opts,
        )
    px = batch.glyph_px
    path = Path(path)
    with h5_file_atomic(path, "the shard") as f:
        _write_common(f, split, px, batch.codepoint, batch.style)
        images = {"source": batch.source} | ({"target": batch.target} if paired else {})
        for name, array in images.items():
            ds = _create_image_dataset(f, name, len(batch), px, opts)
            if len(batch):
                ds[...] = array
    return {"file": path.name, "count": len(batch), "sha256": sha256_file(path)}


class ShardWriter:
    """Buffers the samples of one split and writes them as shards of at most ``shard_size``."""

    def __init__(
        self,
        directory: Path,
        split: str,
        shard_size: int,
        compression: dict[str, Any] | None = None,
    ) -> None:
        if shard_size < 1:
            raise ValueError("shard_size must be at least 1")
        self.directory = Path(directory)
        self.split = split
        self.shard_size = shard_size
        self.compression = compression
        self._pending: list[GlyphBatch] = []
        self._pending_count = 0
        self._entries: list[dict[str, Any]] = []
        self._glyph_px: int | None = None

    def add(self, batch: GlyphBatch) -> None:
        if not len(batch):
            return
        self._glyph_px = batch.glyph_px
        self._pending.append(batch)
        self._pending_count += len(batch)
        while self._pending_count >= self.shard_size:
            self._flush(self.shard_size)

    def _flush(self, count: int) -> None:
        paired = self.split in PAIRED_SPLITS
        joined = GlyphBatch.concatenate(self._pending, self._glyph_px or 0, paired)
        head = _slice(joined, 0, count)
        rest = _slice(joined, count, len(joined))
        path = self.directory / shard_name(self.split, len(self._entries))
        self._entries.append(write_shard(path, self.split, head, self.compression))
        self._pending = [rest] if len(rest) else []
        self._pending_count = len(rest)

    def close(self) -> list[dict[str, Any]]:
        """Write what is left and return the manifest entries of all shards, in order."""
        if self._pending_count:
            self._flush(self._pending_count)
        return list(self._entries)


def _slice(batch: GlyphBatch, start: int, stop: int) -> GlyphBatch:
    return GlyphBatch(
        source=batch.source[start:stop],
        target=None if batch.target is None else batch.target[start:stop],
        codepoint=batch.codepoint[start:stop],
        style=batch.style[start:stop],
    )
