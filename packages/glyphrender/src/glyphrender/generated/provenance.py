"""A generated folder checked against the dataset it says it was generated from.

The folder's ``meta.json`` records the dataset manifest's sha256, the bitmap size and the
target style's transform; :func:`check_dataset` refuses a dataset that differs in any of them,
so ``glyphrender assemble`` and ``glyphrender review`` never pair glyphs with the wrong fonts.
"""

from __future__ import annotations

from pathlib import Path

from glyphrender.dataset.shards import MANIFEST_NAME, Dataset, sha256_file
from glyphrender.errors import AssembleError
from glyphrender.generated.folder import GeneratedMeta


def check_dataset(meta: GeneratedMeta, dataset_dir: Path, glyph_dir: Path) -> None:
    """Cross-check the glyphs' meta against the dataset they were generated from."""
    dataset = Dataset.open(dataset_dir)
    if dataset.glyph_px != meta.glyph_px:
        raise AssembleError(
            f"{glyph_dir}: bitmaps are {meta.glyph_px} px but dataset {dataset_dir} is "
            f"{dataset.glyph_px} px"
        )
    if sha256_file(dataset.path / MANIFEST_NAME) != meta.dataset_manifest_sha256:
        raise AssembleError(
            f"{glyph_dir}: was not generated from dataset {dataset_dir} (manifest sha256 differs)"
        )
    target = next((f for f in dataset.target_fonts if f.style_id == meta.style_id), None)
    if target is None or target.transform != meta.transform:
        raise AssembleError(
            f"{glyph_dir}: its transform does not match style {meta.style_id} of {dataset_dir}"
        )
