"""Running a trained generator over source glyphs, and writing the result for the assembler.

The source glyphs come either from a split of the dataset the model was trained on (by default
``missing``: the characters the target font lacks) or from characters the user names, which are
rendered with exactly the renderer and placement that built the dataset's shards
(``glyphrender.dataset.rerender.render_for_dataset``). With fallback source fonts
(``glyphrender.dataset.sourcelist``) each character comes from the first font of the list that draws
it: the dataset's source, then the fallbacks in order. Either way every image passes through
``prepare_inputs``, the one place uint8 glyphs become generator inputs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from glyphrender.dataset.manifest import FontRecord
from glyphrender.dataset.shards import MANIFEST_NAME, Dataset, sha256_file
from glyphrender.generated.folder import GeneratedMeta, SourceOrigin, write_generated

from zi2zi_core.device import pick_device
from zi2zi_core.errors import Zi2ziError
from zi2zi_core.models.imaging import from_model, to_model


@dataclass(frozen=True)
class SourceGlyphs:
    """Source images to generate from, in code-point order, all for one target style."""

    codepoints: np.ndarray  # (N,) uint32, strictly increasing
    images: np.ndarray  # (N, H, W) uint8 coverage
    style_id: int
    origin: SourceOrigin | None = None  # which font drew each source glyph (None: the dataset's)


def describe_style(font: FontRecord) -> str:
    """``"Family Style (file stem)"`` for messages and listings."""
    return f"{font.family or '?'} {font.style_name or '?'} ({font.stem})"


def resolve_style(dataset: Dataset, spec: str | int | None) -> int:
    """The target style id named by ``spec``: an id, or a font's family, style name,
    "family style name" or file stem (case-insensitive). ``None`` means the only style."""
    fonts = dataset.target_fonts
    listing = "; ".join(f"{f.style_id}: {describe_style(f)}" for f in fonts)
    if spec is None:
        if len(fonts) == 1:
            return int(fonts[0].style_id or 0)
        raise Zi2ziError(
            f"{dataset.path}: the dataset has {len(fonts)} target styles; choose one with "
            f"--style ({listing})"
        )
    text = str(spec).strip()
    if text.isdigit():
        style_id = int(text)
        if not any(f.style_id == style_id for f in fonts):
            raise Zi2ziError(f"{dataset.path}: no style id {style_id} (styles: {listing})")
        return style_id
    wanted = text.casefold()
    matches = []
    for f in fonts:
        names = {f.family, f.style_name, f"{f.family} {f.style_name}", f.stem}
        if wanted in {n.casefold() for n in names}:
            matches.append(f)
    if len(matches) == 1:
        return int(matches[0].style_id or 0)
    if not matches:
        raise Zi2ziError(f"{dataset.path}: no target style named {text!r} (styles: {listing})")
    ids = ", ".join(str(f.style_id) for f in matches)
    raise Zi2ziError(
        f"{dataset.path}: style name {text!r} matches styles {ids}; give an id or a file stem "
        f"(styles: {listing})"
    )


def check_limit(limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise Zi2ziError(f"--limit must be at least 1, got {limit}")


def sources_from_split(
    dataset: Dataset, split: str, style_id: int, limit: int | None = None
) -> SourceGlyphs:
    """The source glyphs of one split for one style, sorted by code point; with ``limit``
    only the first ``limit`` of them."""
    check_limit(limit)
    batch = dataset.read_split(split)
    keep = batch.style.astype(np.int64) == style_id
    codepoints = batch.codepoint[keep].astype(np.uint32)
    order = np.argsort(codepoints, kind="stable")
    codepoints = codepoints[order]
    if len(np.unique(codepoints)) != len(codepoints):
        raise Zi2ziError(
            f"{dataset.path}: split {split!r} lists a character twice for style {style_id}"
        )
    order = order[:limit]
    return SourceGlyphs(codepoints[:limit], batch.source[keep][order], style_id)


def codepoints_for(
    chars: str | None, charset_spec: str | None, limit: int | None = None
) -> list[int]:
    """The code points named by ``--chars`` (the characters themselves, each with the marks
    after it composed: か + U+3099 is が; whitespace ignored) or ``--charset`` (a file, named
    set or range, by ``glyphrender.fonts.charsets.resolve_charset``), sorted and unique; with
    ``limit`` only the first ``limit`` of them."""
    from glyphrender.fonts.charsets import compose, resolve_charset

    check_limit(limit)
    if charset_spec is not None:
        return sorted(resolve_charset([charset_spec]).codepoints)[:limit]
    return sorted({ord(c) for c in compose(chars or "") if not c.isspace()})[:limit]


def sources_from_codepoints(dataset: Dataset, codepoints: list[int], style_id: int) -> SourceGlyphs:
    """Chosen characters rendered from the dataset's source font exactly as its shards were.

    Raises ``glyphrender.errors.FontError`` listing the characters the source font lacks.
    """
    from glyphrender.dataset.rerender import (
        render_for_dataset,  # freetype: imported only when needed
    )

    unique = sorted({int(cp) for cp in codepoints})
    if not unique:
        raise Zi2ziError("no characters to generate (the character list is empty)")
    images = render_for_dataset(dataset, unique, role="source")
    return SourceGlyphs(np.asarray(unique, dtype=np.uint32), np.asarray(images), style_id)


def sources_from_list(
    source_list: Any, codepoints: list[int], style_id: int, limit: int | None = None
) -> SourceGlyphs:
    """Characters rendered each from the first font of ``source_list``
    (``glyphrender.dataset.sourcelist.SourceList``) that draws it; with ``limit`` the first ``limit``.

    Raises ``glyphrender.errors.FontError`` listing the characters no font of the list draws.
    """
    check_limit(limit)
    unique = sorted({int(cp) for cp in codepoints})[:limit]
    if not unique:
        raise Zi2ziError("no characters to generate (the character list is empty)")
    images, picks = source_list.render(unique)
    fonts = tuple(font.to_dict() for font in source_list.fonts)
    origin = SourceOrigin(fonts, picks)
    return SourceGlyphs(np.asarray(unique, dtype=np.uint32), images, style_id, origin)


def missing_with_fallbacks(
    dataset: Dataset, source_list: Any, style_id: int, limit: int | None = None
) -> SourceGlyphs:
    """The missing split extended by the fallbacks: every character of the dataset's charset
    that the target font lacks and some font of the list draws, in code-point order."""
    from glyphrender.dataset.sourcelist import target_lacks

    check_limit(limit)
    wanted = target_lacks(dataset, style_id, source_list)
    if not wanted:
        raise Zi2ziError(f"{dataset.path}: no source font draws a character the target lacks")
    return sources_from_list(source_list, wanted, style_id, limit)


def count_target_draws(dataset: Dataset, style_id: int, codepoints: np.ndarray) -> int:
    """How many of ``codepoints`` the style's target font already draws: generated glyphs for
    them are replacement candidates (review shows them beside the target's own glyph, assemble
    replaces only the accepted ones)."""
    from glyphrender.dataset.sourcelist import target_draws

    return len({int(cp) for cp in codepoints} & target_draws(dataset, style_id))


def dataset_source_origin(dataset: Dataset, count: int) -> SourceOrigin:
    """Every glyph from the dataset's own source font, as its manifest records it."""
    font = dataset.source_font
    record = {"path": font.path, "face_index": font.face_index, "sha256": font.sha256}
    record["name"] = font.name
    return SourceOrigin((record,), np.zeros(count, dtype=np.int16))


def open_run_dataset(bundle: Any, shards: Path | None) -> Dataset:
    """The dataset to read: ``shards`` if given, else the one the checkpoint records; checked
    against the model's glyph size and style count."""
    path = Path(shards) if shards is not None else Path(bundle.dataset_path)
    if shards is None and not path.is_dir():
        raise Zi2ziError(
            f"{path}: the dataset recorded in {bundle.checkpoint_path} is not there "
            "(give its location with --shards)"
        )
    dataset = Dataset.open(path)
    check_compatible(bundle.model_config, dataset)
    return dataset


def check_compatible(model_config: Any, dataset: Dataset) -> None:
    """Refuse a dataset whose glyph size or style count differs from the model's."""
    if int(model_config.glyph_px) != dataset.glyph_px:
        raise Zi2ziError(
            f"{dataset.path}: glyphs are {dataset.glyph_px} px, the model was built for "
            f"{model_config.glyph_px} px"
        )
    if int(model_config.num_styles) != dataset.num_styles:
        raise Zi2ziError(
            f"{dataset.path}: has {dataset.num_styles} target styles, the model knows "
            f"{model_config.num_styles}"
        )


def resolve_device(spec: str) -> torch.device:
    """The device named by ``--device`` (``auto``: CUDA, then MPS, then CPU), chosen by the
    trainer's rule (:mod:`zi2zi_core.device`) so training and inference agree; bad names
    become Zi2ziError."""
    try:
        return pick_device(spec)
    except (RuntimeError, ValueError) as exc:
        raise Zi2ziError(f"--device {spec!r}: {exc}") from None


def prepare_inputs(
    source_u8: np.ndarray, style_ids: np.ndarray | list[int], device: torch.device | str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generator inputs for (B, H, W) uint8 source glyphs: ((B, 1, H, W) float in [-1, 1],
    (B,) long style ids), both on ``device``. The uint8 data travel; conversion happens there."""
    images = torch.from_numpy(np.ascontiguousarray(source_u8)).to(device)
    source = to_model(images.unsqueeze(1))
    style = torch.as_tensor(np.asarray(style_ids, dtype=np.int64), device=device)
    return source, style


def iter_generated(
    generator: torch.nn.Module,
    source_u8: np.ndarray,
    style_ids: np.ndarray,
    batch_size: int,
    device: torch.device | str,
    on_done: Callable[[int], None] | None = None,
) -> Iterator[tuple[int, torch.Tensor]]:
    """Yield (start index, generator output (B, 1, H, W) in [-1, 1] on the CPU) per batch;
    ``on_done(glyphs so far)`` after each (a command's progress line)."""
    if batch_size < 1:
        raise Zi2ziError(f"--batch-size must be at least 1, got {batch_size}")
    generator.eval()
    with torch.inference_mode():
        for start in range(0, len(source_u8), batch_size):
            stop = start + batch_size
            source, style = prepare_inputs(source_u8[start:stop], style_ids[start:stop], device)
            yield start, generator(source, style).float().cpu()
            if on_done is not None:
                on_done(min(stop, len(source_u8)))


def generate_images(
    generator: torch.nn.Module,
    glyphs: SourceGlyphs,
    batch_size: int,
    device: torch.device | str,
    on_done: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Generated (N, H, W) uint8 coverage for every source glyph, in the same order."""
    out = np.zeros_like(glyphs.images)
    styles = np.full(len(glyphs.codepoints), glyphs.style_id, dtype=np.int64)
    batches = iter_generated(generator, glyphs.images, styles, batch_size, device, on_done)
    for start, fake in batches:
        out[start : start + len(fake)] = from_model(fake[:, 0]).numpy()
    return out


def generated_meta(dataset: Dataset, style_id: int) -> GeneratedMeta:
    """What the assembler needs to place the glyphs: the target font, its transform, placement."""
    font = dataset.target_font(style_id)
    if font.transform is None:
        raise Zi2ziError(f"{dataset.path}: the manifest records no transform for style {style_id}")
    return GeneratedMeta(
        style_id=style_id,
        style_name=font.name,
        glyph_px=dataset.glyph_px,
        placement=dataset.manifest.placement,
        target_font_sha256=font.sha256,
        target_font_path=font.path,
        transform=font.transform,
        dataset_manifest_sha256=sha256_file(dataset.path / MANIFEST_NAME),
    )


def check_out_dir(out_dir: str | os.PathLike[str], force: bool) -> None:
    """Refuse an existing non-empty output folder (or a file there) unless ``force``."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise Zi2ziError(f"{out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise Zi2ziError(f"{out}: exists and is not empty (use --force to replace it)")


def write_glyphs(
    out_dir: str | os.PathLike[str],
    dataset: Dataset,
    glyphs: SourceGlyphs,
    images: np.ndarray,
    *,
    force: bool = False,
    notify: Callable[[str], None] | None = None,
) -> Path:
    """Write the generated folder (PNGs + glyphs.h5) through ``glyphrender.generated.folder``.

    The source glyphs are stored beside the generated ones so that ``glyphrender review``
    shows each glyph next to the one it was drawn from, with the font each came from.
    """
    meta = generated_meta(dataset, glyphs.style_id)
    origin = glyphs.origin or dataset_source_origin(dataset, len(glyphs.codepoints))
    return write_generated(
        out_dir,
        images,
        glyphs.codepoints,
        meta,
        force=force,
        sources=glyphs.images,
        notify=notify,
        origin=origin,
    )
