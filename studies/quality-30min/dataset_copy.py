"""A copy of a dataset whose sources are drawn again: the one writer the study's derived
datasets share (`partial_blend.py`, `ref_source.py`).

The copy holds everything of the original but the shards of the splits given, which are
written anew from the new sources (targets, code points and styles as they were), with the
manifest's own writer. It is written under ``OUT.partial``, verified, then renamed to ``OUT``,
so nothing half-written ever carries the final name.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from glyphrender.dataset.shard_writer import ShardWriter
from glyphrender.dataset.shards import Dataset, GlyphBatch, write_manifest
from glyphrender.errors import DatasetError


def copy_with_sources(data_dir: Path, out: Path, sources: dict[str, np.ndarray]) -> None:
    """Copy the dataset at ``data_dir`` to ``out`` with each split of ``sources`` (split name
    -> (N, px, px) uint8, in the split's stored order) given those sources."""
    data = Dataset.open(data_dir)
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    skipped = shutil.ignore_patterns(*(f"{split}-*.h5" for split in sources))
    shutil.copytree(data_dir, partial, ignore=skipped)
    manifest = json.loads((data_dir / "manifest.json").read_text(encoding="utf-8"))
    for split, images in sources.items():
        batch = data.read_split(split)
        writer = ShardWriter(partial, split, shard_size=data.shard_entries(split)[0].count)
        writer.add(GlyphBatch(images, batch.target, batch.codepoint, batch.style))
        manifest["splits"][split]["shards"] = writer.close()
    write_manifest(partial, manifest)  # the build's one manifest writer
    problems = Dataset.open(partial).verify()
    if problems:
        raise DatasetError(f"{partial}: the copy does not verify: {problems[0]}")
    partial.rename(out)
