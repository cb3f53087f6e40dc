"""The shard format and the one reader of glyphrender datasets.

A dataset is a directory holding ``manifest.json`` and HDF5 shards named
``{split}-{index:05d}.h5``. Each shard holds, for N samples:

- ``source``    (N, H, W) uint8, ink coverage (0 paper, 255 full ink)
- ``target``    (N, H, W) uint8, absent in the ``missing`` split
- ``codepoint`` (N,) uint32
- ``style``     (N,) uint16, the target style id

Image datasets are chunked one sample per chunk and compressed. Each shard carries the
attributes ``schema_version``, ``split`` and ``glyph_px``. ``docs/shard-format.md`` is the
reference for readers in other tools; this module is the reference implementation, and
:mod:`glyphrender.dataset.shard_writer` writes the layout described here.

Reading is strict: every shard read through :class:`Dataset` is first checked against the
sha256 the manifest records for it, and its values against the manifest (sample count,
image shape and dtype, style ids, code points). A bad shard raises :class:`DatasetError`
naming the file and the problem, so training never starts on corrupted data.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from glyphrender.dataset.manifest import SCHEMA_VERSION, FontRecord, Manifest, ShardEntry
from glyphrender.errors import DatasetError

MANIFEST_NAME = "manifest.json"
PAIRED_SPLITS = ("train", "val")


@dataclass(frozen=True)
class GlyphBatch:
    """A run of samples of one split, as numpy arrays."""

    source: np.ndarray
    target: np.ndarray | None
    codepoint: np.ndarray
    style: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.codepoint)
        if self.source.ndim != 3 or self.source.shape[0] != n or self.source.dtype != np.uint8:
            raise ValueError(
                f"source must be (N, H, W) uint8 with N={n}, got {self.source.shape} {self.source.dtype}"
            )
        if self.target is not None and (
            self.target.shape != self.source.shape or self.target.dtype != np.uint8
        ):
            raise ValueError(
                f"target must match source {self.source.shape} uint8, got {self.target.shape} {self.target.dtype}"
            )
        if self.style.shape != (n,):
            raise ValueError(f"style must be ({n},), got {self.style.shape}")

    def __len__(self) -> int:
        return len(self.codepoint)

    @property
    def glyph_px(self) -> int:
        return int(self.source.shape[1])

    @staticmethod
    def concatenate(batches: list[GlyphBatch], glyph_px: int, paired: bool) -> GlyphBatch:
        """Join batches in order; an empty list gives an empty batch of the given size."""
        if not batches:
            empty = np.zeros((0, glyph_px, glyph_px), np.uint8)
            return GlyphBatch(
                empty,
                empty.copy() if paired else None,
                np.zeros(0, np.uint32),
                np.zeros(0, np.uint16),
            )
        return GlyphBatch(
            source=np.concatenate([b.source for b in batches]),
            target=np.concatenate([b.target for b in batches]) if paired else None,
            codepoint=np.concatenate([b.codepoint for b in batches]).astype(np.uint32),
            style=np.concatenate([b.style for b in batches]).astype(np.uint16),
        )


def shard_name(split: str, index: int) -> str:
    return f"{split}-{index:05d}.h5"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(directory: Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json`` (sorted keys, stable formatting) atomically."""
    from glyphrender.atomic import write_text_atomic

    path = Path(directory) / MANIFEST_NAME
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return write_text_atomic(path, text, "the manifest")


def read_manifest(directory: Path) -> Manifest:
    """The checked, typed manifest of the dataset in ``directory``."""
    path = Path(directory) / MANIFEST_NAME
    if not Path(directory).is_dir():
        raise DatasetError(
            f"{directory}: not a dataset directory (it does not exist or is not a directory)"
            + _aside_hint(Path(directory))
        )
    if not path.is_file():
        raise DatasetError(
            f"{directory}: no {MANIFEST_NAME}; not a glyphrender dataset"
            + _aside_hint(Path(directory))
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{path}: unreadable manifest ({exc})") from None
    return Manifest.from_json(data, path)


def _aside_hint(directory: Path) -> str:
    """Where a build killed while replacing ``directory`` left the old dataset, if it did."""
    from glyphrender.atomic import ASIDE_TAG, leftovers

    asides = [p for p in leftovers(directory) if f".{ASIDE_TAG}-" in p.name]
    if not asides:
        return ""
    return (
        f"; a build killed while replacing it left the previous dataset whole in {asides[0]}"
        f" (the next `glyphrender build --out {directory}` puts it back)"
    )


def _is_scalar_value(codepoint: np.ndarray) -> np.ndarray:
    """Which code points are Unicode scalar values (0..U+10FFFF, no surrogates)."""
    cp = codepoint.astype(np.int64)
    return (cp >= 0) & (cp <= 0x10FFFF) & ~((cp >= 0xD800) & (cp <= 0xDFFF))


def _first_bad_value(codepoint: np.ndarray, style: np.ndarray, num_styles: int) -> str | None:
    """A description of the first out-of-range code point or style id, or None."""
    bad = np.flatnonzero(~_is_scalar_value(codepoint))
    if len(bad):
        return (
            f"sample {bad[0]} has code point {int(codepoint[bad[0]]):#x}, not a Unicode scalar "
            f"value ({len(bad)} such samples)"
        )
    bad = np.flatnonzero(style.astype(np.int64) >= num_styles)
    if len(bad):
        return (
            f"sample {bad[0]} has style id {int(style[bad[0]])}, but the manifest has "
            f"{num_styles} target style(s) ({len(bad)} such samples)"
        )
    return None


class Dataset:
    """Read access to a dataset directory; the only way other packages read shards.

    ``manifest`` is the typed view of ``manifest.json`` (:class:`Manifest`), read once here.
    """

    def __init__(self, path: Path, manifest: Manifest) -> None:
        self.path = Path(path)
        self.manifest = manifest

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Dataset:
        path = Path(path)
        return cls(path, read_manifest(path))

    @property
    def glyph_px(self) -> int:
        return self.manifest.glyph_px

    @property
    def source_font(self) -> FontRecord:
        return self.manifest.source_font

    @property
    def target_fonts(self) -> tuple[FontRecord, ...]:
        """Target fonts ordered by style id."""
        return self.manifest.target_fonts

    def target_font(self, style_id: int) -> FontRecord:
        return self.manifest.target_font(style_id)

    @property
    def num_styles(self) -> int:
        return self.manifest.num_styles

    def has_split(self, split: str) -> bool:
        return self.manifest.has_split(split)

    def count(self, split: str) -> int:
        return self.manifest.split(split).count

    def shard_entries(self, split: str) -> list[ShardEntry]:
        return list(self.manifest.split(split).shards)

    def iter_shards(self, split: str) -> Iterator[GlyphBatch]:
        """Yield each shard of a split as one batch, in manifest order."""
        for index in range(len(self.shard_entries(split))):
            yield self.read_shard(split, index)

    def read_shard(self, split: str, index: int) -> GlyphBatch:
        """Shard ``index`` (manifest order) of a split as one batch."""
        entries = self.shard_entries(split)
        if not 0 <= index < len(entries):
            raise DatasetError(
                f"{self.path}: split {split!r} has no shard {index} (it has {len(entries)})"
            )
        return self._read_shard(entries[index], split)

    def read_split(self, split: str) -> GlyphBatch:
        """The whole split in memory, shards concatenated in order."""
        return GlyphBatch.concatenate(
            list(self.iter_shards(split)), self.glyph_px, split in PAIRED_SPLITS
        )

    def read_samples(self, split: str, indices: list[int]) -> GlyphBatch:
        """Only the samples at ``indices`` (positions in the split, in the order given)."""
        paired = split in PAIRED_SPLITS
        total = self.count(split)
        for i in indices:
            if not 0 <= i < total:
                raise DatasetError(
                    f"{self.path}: sample {i} is out of range for {split!r} ({total})"
                )
        parts: dict[int, GlyphBatch] = {}
        start = 0
        for entry in self.shard_entries(split):
            stop = start + entry.count
            wanted = sorted({i for i in indices if start <= i < stop})
            if wanted:
                path = self._checked_file(entry)
                try:
                    with h5py.File(path, "r") as f:
                        self._check_layout(f, path, split, entry.count)
                        local = [i - start for i in wanted]
                        src = f["source"][local]
                        dst = f["target"][local] if paired else None
                        all_cps, all_sty = f["codepoint"][()], f["style"][()]
                except (OSError, KeyError, ValueError) as exc:
                    raise DatasetError(f"{path}: unreadable shard ({exc})") from None
                self._check_values(path, all_cps, all_sty)  # the whole shard: tiny arrays
                cps, sty = all_cps[local], all_sty[local]
                for k, i in enumerate(wanted):
                    parts[i] = GlyphBatch(
                        src[k : k + 1],
                        None if dst is None else dst[k : k + 1],
                        cps[k : k + 1],
                        sty[k : k + 1],
                    )
            start = stop
        return GlyphBatch.concatenate([parts[i] for i in indices], self.glyph_px, paired)

    def _read_shard(self, entry: ShardEntry, split: str) -> GlyphBatch:
        path = self._checked_file(entry)
        try:
            with h5py.File(path, "r") as f:
                self._check_layout(f, path, split, entry.count)
                batch = GlyphBatch(
                    source=f["source"][()],
                    target=f["target"][()] if split in PAIRED_SPLITS else None,
                    codepoint=f["codepoint"][()],
                    style=f["style"][()],
                )
        except (OSError, KeyError, ValueError) as exc:
            raise DatasetError(f"{path}: unreadable shard ({exc})") from None
        self._check_values(path, batch.codepoint, batch.style)
        return batch

    def _checked_file(self, entry: ShardEntry) -> Path:
        """The shard file of ``entry``, once its bytes match the manifest's sha256.

        Hashing costs a few percent of decoding (bench/results/read-verify-*.json), so it is
        always on: a flipped byte stops a training run before it starts.
        """
        path = self.path / entry.file
        if not path.is_file():
            raise DatasetError(f"{path}: shard listed in the manifest is missing")
        expected = entry.sha256
        if expected is None:
            raise DatasetError(f"{path}: the manifest records no sha256 for this shard")
        try:
            actual = sha256_file(path)
        except OSError as exc:
            raise DatasetError(f"{path}: unreadable shard ({exc.strerror or exc})") from None
        if actual != expected:
            raise DatasetError(
                f"{path}: sha256 does not match the manifest: the shard changed or was "
                "corrupted after the build (rebuild the dataset)"
            )
        return path

    def _check_layout(self, f: h5py.File, path: Path, split: str, expected: int) -> None:
        """Attributes, dataset shapes and dtypes against the manifest, before any decoding."""
        if f.attrs.get("schema_version") != SCHEMA_VERSION or f.attrs.get("split") != split:
            raise DatasetError(
                f"{path}: shard attributes do not match split {split!r} schema {SCHEMA_VERSION}"
            )
        px = self.glyph_px
        images = ("source", "target") if split in PAIRED_SPLITS else ("source",)
        layout = {name: ((expected, px, px), np.uint8) for name in images}
        layout |= {"codepoint": ((expected,), np.uint32), "style": ((expected,), np.uint16)}
        for name, (shape, dtype) in layout.items():
            ds = f[name]
            if ds.shape != shape or ds.dtype != dtype:
                raise DatasetError(
                    f"{path}: {name} is {ds.shape} {ds.dtype}, the manifest says "
                    f"{shape} {np.dtype(dtype)} ({expected} samples of {px} px)"
                )

    def _check_values(self, path: Path, codepoint: np.ndarray, style: np.ndarray) -> None:
        problem = _first_bad_value(codepoint, style, self.num_styles)
        if problem:
            raise DatasetError(f"{path}: {problem}")

    def verify(self) -> list[str]:
        """Check every shard against the manifest without decoding images; return problems.

        Per shard: present, sha256, attributes, shapes and dtypes, code points and style ids
        (the checks every read makes, minus the image decoding). One line per bad shard.
        """
        problems = []
        for split in self.manifest.splits:
            for entry in self.shard_entries(split):
                try:
                    path = self._checked_file(entry)
                    try:
                        with h5py.File(path, "r") as f:
                            self._check_layout(f, path, split, entry.count)
                            codepoint, style = f["codepoint"][()], f["style"][()]
                    except (OSError, KeyError, ValueError) as exc:
                        raise DatasetError(f"{path}: unreadable shard ({exc})") from None
                    self._check_values(path, codepoint, style)
                except DatasetError as exc:
                    problems.append(str(exc))
        return problems
