"""Generated glyphs on disk: the one reader and writer of ``gen/NAME/`` folders.

``zi2zi generate`` writes them, ``glyphrender review`` and ``glyphrender assemble`` read them.
A folder holds

- ``glyphs.h5``: datasets ``image`` (N, H, W) uint8 ink coverage (0 paper, 255 full ink) and
  ``codepoint`` (N,) uint32; attributes ``style_id``, ``style_name``, ``glyph_px``,
  ``placement``, ``target_font_sha256``, ``target_font_path``, ``transform`` (JSON of
  ``Transform.to_dict()``), ``dataset_manifest_sha256`` and ``format_version``; optionally
  ``source`` (N, H, W) uint8, the source glyph each image was generated from,
  ``png_sha256`` (N, 32) uint8, the SHA-256 of each PNG as written, and ``source_font`` (N,)
  int16, the index of the font each source glyph was drawn from in the attribute
  ``source_fonts`` (JSON list of ``{path, face_index, sha256, name}``; index 0 is the
  dataset's source, then ``zi2zi generate --fallback-src`` fonts in order). Folders written
  before ``source_font`` existed lack it and read the same (:func:`read_source_fonts` gives
  None);
- ``U+XXXX.png`` per glyph, black ink on white (255 - coverage): the editable view;
- ``decisions.json`` once the glyphs are reviewed (:mod:`glyphrender.generated.decisions`).

The PNGs are the editable view of ``glyphs.h5``: :func:`load_glyphs` reads back every PNG
that no longer matches what was written (a font maker fixing a stroke edits the PNG) and
uses it in place of the stored image, after checking its size and mode. A deleted PNG falls
back to ``glyphs.h5``. A folder is built in a staging folder and swapped into place
(:func:`glyphrender.atomic.publish_dir`), so a reader never sees half of one.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
from PIL import Image

from glyphrender.atomic import h5_file_atomic, publish_dir, staging_dir, sweep_stale
from glyphrender.errors import DatasetError
from glyphrender.generated.decisions import DECISIONS_NAME
from glyphrender.rendering.transform import Transform

FORMAT_VERSION = 1
GLYPHS_NAME = "glyphs.h5"
PLACEMENTS = ("font", "center")
MAX_CODEPOINT = 0x10FFFF
_PNG_NAME = re.compile(r"U\+[0-9A-F]{4,6}\.png")  # as png_name writes them


@dataclass(frozen=True)
class SourceOrigin:
    """Which font each generated glyph's source was drawn from: ``font_ids`` (N,) index
    ``fonts`` (each a dict with ``path``, ``face_index``, ``sha256``, ``name``)."""

    fonts: tuple[dict[str, object], ...]
    font_ids: np.ndarray  # (N,) int16

    def counts(self) -> list[int]:
        """How many glyphs came from each font, in ``fonts`` order."""
        return [int(np.count_nonzero(self.font_ids == i)) for i in range(len(self.fonts))]


@dataclass(frozen=True)
class GeneratedMeta:
    """What a generated-glyph folder says about its images and the font they are meant for."""

    style_id: int
    style_name: str
    glyph_px: int
    placement: str  # "font" or "center", as in the dataset's manifest render.placement
    target_font_sha256: str
    target_font_path: str
    transform: Transform  # pixel <-> font units of the target font at glyph_px
    dataset_manifest_sha256: str
    format_version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        if self.style_id < 0:
            raise ValueError(f"style_id must be >= 0, got {self.style_id}")
        if self.glyph_px < 1:
            raise ValueError(f"glyph_px must be positive, got {self.glyph_px}")
        if self.placement not in PLACEMENTS:
            raise ValueError(
                f"placement must be one of {', '.join(PLACEMENTS)}, got {self.placement!r}"
            )
        if not isinstance(self.transform, Transform):
            raise ValueError(f"transform must be a Transform, got {type(self.transform).__name__}")


def png_name(codepoint: int) -> str:
    """The file name of one glyph's PNG: ``U+4E00.png``, ``U+20000.png``."""
    return f"U+{codepoint:04X}.png"


def _check_arrays(images: np.ndarray, codepoints: np.ndarray, glyph_px: int, where: str) -> None:
    """Raise DatasetError unless images/codepoints are a consistent set of glyph_px glyphs."""
    if images.ndim != 3 or images.dtype != np.uint8:
        raise DatasetError(
            f"{where}: images must be (N, H, W) uint8, got {images.shape} {images.dtype}"
        )
    if images.shape[1:] != (glyph_px, glyph_px):
        raise DatasetError(
            f"{where}: images are {images.shape[2]}x{images.shape[1]} px, "
            f"glyph_px says {glyph_px}x{glyph_px}"
        )
    if codepoints.shape != (images.shape[0],):
        raise DatasetError(
            f"{where}: {images.shape[0]} images but codepoints has shape {codepoints.shape}"
        )
    if len(codepoints) and (codepoints.min() < 0 or codepoints.max() > MAX_CODEPOINT):
        raise DatasetError(f"{where}: codepoints outside 0..U+10FFFF")
    if len(np.unique(codepoints)) != len(codepoints):
        raise DatasetError(f"{where}: codepoints are not unique")


def _png_bytes(image: np.ndarray) -> bytes:
    """The PNG of one coverage image as people see it: black ink on white."""
    buffer = io.BytesIO()
    Image.fromarray(255 - image, mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def _write_h5(
    path: Path,
    images: np.ndarray,
    cps: np.ndarray,
    meta: GeneratedMeta,
    sources: np.ndarray | None,
    png_digests: np.ndarray,
    origin: SourceOrigin | None = None,
) -> None:
    with h5_file_atomic(path, "the glyph store") as f:
        f.attrs["style_id"] = int(meta.style_id)
        f.attrs["style_name"] = meta.style_name
        f.attrs["glyph_px"] = int(meta.glyph_px)
        f.attrs["placement"] = meta.placement
        f.attrs["target_font_sha256"] = meta.target_font_sha256
        f.attrs["target_font_path"] = meta.target_font_path
        f.attrs["transform"] = json.dumps(meta.transform.to_dict(), sort_keys=True)
        f.attrs["dataset_manifest_sha256"] = meta.dataset_manifest_sha256
        f.attrs["format_version"] = int(meta.format_version)
        px = meta.glyph_px
        stacks = {"image": images} if sources is None else {"image": images, "source": sources}
        for name, stack in stacks.items():
            f.create_dataset(
                name,
                data=stack,
                shape=stack.shape,
                dtype=np.uint8,
                chunks=(1, px, px) if len(stack) else None,
                compression="gzip" if len(stack) else None,
                compression_opts=1 if len(stack) else None,
            )
        f.create_dataset("codepoint", data=cps.astype(np.uint32))
        f.create_dataset("png_sha256", data=png_digests, dtype=np.uint8)
        if origin is not None:
            f.attrs["source_fonts"] = json.dumps(list(origin.fonts), sort_keys=True)
            f.create_dataset("source_font", data=np.asarray(origin.font_ids, dtype=np.int16))


def write_generated(
    out_dir: str | os.PathLike[str],
    images: np.ndarray,
    codepoints: np.ndarray | list[int],
    meta: GeneratedMeta,
    *,
    force: bool = False,
    sources: np.ndarray | None = None,
    notify: Callable[[str], None] | None = None,
    origin: SourceOrigin | None = None,
) -> Path:
    """Write a generated-glyph folder (glyphs.h5 + one PNG per glyph) and return its path.

    ``sources`` (same shape as ``images``), if given, are stored so that a review can show
    each glyph beside the source glyph it came from. The folder is built in a staging folder
    next to ``out_dir`` and swapped into place. An existing non-empty ``out_dir`` is
    refused unless ``force``: then its glyphs (PNGs, ``glyphs.h5``) and ``decisions.json`` are
    replaced and any other file there stays (an --out naming another run loses nothing).
    Leftovers of earlier writes to
    ``out_dir`` that were killed are cleaned up first (``notify`` gets one line for each).
    """
    out = Path(out_dir)
    images = np.asarray(images)
    cps = np.asarray(codepoints, dtype=np.int64).reshape(-1)
    _check_arrays(images, cps, meta.glyph_px, str(out))
    if sources is not None:
        sources = np.asarray(sources)
        if sources.shape != images.shape or sources.dtype != np.uint8:
            raise DatasetError(
                f"{out}: sources must be {images.shape} uint8 like the images, got "
                f"{sources.shape} {sources.dtype}"
            )
    if origin is not None:
        _check_origin(origin, len(cps), str(out))
    for line in sweep_stale(out):
        if notify:
            notify(line)
    if out.exists() and not out.is_dir():
        raise DatasetError(f"{out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise DatasetError(f"{out}: exists and is not empty (use --force to replace it)")
    with staging_dir(out, "the generated glyphs") as tmp:
        digests = np.zeros((len(cps), 32), np.uint8)
        for i, (image, cp) in enumerate(zip(images, cps, strict=True)):
            data = _png_bytes(image)
            (tmp / png_name(int(cp))).write_bytes(data)
            digests[i] = np.frombuffer(hashlib.sha256(data).digest(), np.uint8)
        _write_h5(tmp / GLYPHS_NAME, images, cps, meta, sources, digests, origin)
        # One atomic swap: out_dir is the whole old folder or the whole new one at every instant.
        publish_dir(tmp, out, replace=force, keep=_not_generated_file, what="the generated glyphs")
    return out


def _not_generated_file(name: str) -> bool:
    """Whether a folder entry is foreign to a generated folder (kept by ``force``)."""
    return name not in (GLYPHS_NAME, DECISIONS_NAME) and not _PNG_NAME.fullmatch(name)


def _check_origin(origin: SourceOrigin, count: int, where: str) -> None:
    ids = np.asarray(origin.font_ids)
    if ids.shape != (count,):
        raise DatasetError(f"{where}: {count} glyphs but source font ids of shape {ids.shape}")
    if count and (ids.min() < 0 or ids.max() >= len(origin.fonts)):
        raise DatasetError(f"{where}: source font ids outside 0..{len(origin.fonts) - 1}")


def _attr(attrs: h5py.AttributeManager, name: str, path: Path) -> object:
    if name not in attrs:
        raise DatasetError(f"{path}: lacks the {name!r} attribute; not a generated-glyph file")
    value = attrs[name]
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if isinstance(value, np.generic):
        value = value.item()
    return value


def _meta_from_attrs(attrs: h5py.AttributeManager, path: Path) -> GeneratedMeta:
    version = _attr(attrs, "format_version", path)
    if version != FORMAT_VERSION:
        raise DatasetError(
            f"{path}: format version {version!r} is not supported "
            f"(this glyphrender reads {FORMAT_VERSION})"
        )
    try:
        transform = Transform.from_dict(json.loads(str(_attr(attrs, "transform", path))))
    except (ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{path}: bad 'transform' attribute ({exc})") from None
    try:
        return GeneratedMeta(
            style_id=int(_attr(attrs, "style_id", path)),
            style_name=str(_attr(attrs, "style_name", path)),
            glyph_px=int(_attr(attrs, "glyph_px", path)),
            placement=str(_attr(attrs, "placement", path)),
            target_font_sha256=str(_attr(attrs, "target_font_sha256", path)),
            target_font_path=str(_attr(attrs, "target_font_path", path)),
            transform=transform,
            dataset_manifest_sha256=str(_attr(attrs, "dataset_manifest_sha256", path)),
            format_version=int(version),
        )
    except ValueError as exc:
        raise DatasetError(f"{path}: bad attributes ({exc})") from None


def _glyphs_file(directory: str | os.PathLike[str]) -> Path:
    folder = Path(directory)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a generated-glyph folder (missing or not a directory)")
    path = folder / GLYPHS_NAME
    if not path.is_file():
        raise DatasetError(f"{folder}: no {GLYPHS_NAME}; not a generated-glyph folder")
    return path


def read_generated(
    directory: str | os.PathLike[str], *, images: bool = True
) -> tuple[GeneratedMeta, np.ndarray, np.ndarray]:
    """Read a generated-glyph folder: (meta, images (N, px, px) uint8, codepoints (N,) uint32).

    With ``images=False`` the images are not read (an empty (0, px, px) array comes back).
    """
    path = _glyphs_file(directory)
    try:
        with h5py.File(path, "r") as f:
            meta = _meta_from_attrs(f.attrs, path)
            for name in ("image", "codepoint"):
                if name not in f:
                    raise DatasetError(f"{path}: lacks the {name!r} dataset")
            codepoints = f["codepoint"][()]
            if images:
                stack = f["image"][()]
            else:
                stack = np.zeros((0, meta.glyph_px, meta.glyph_px), np.uint8)
                if f["image"].shape != (len(codepoints), meta.glyph_px, meta.glyph_px):
                    raise DatasetError(
                        f"{path}: 'image' has shape {f['image'].shape} for "
                        f"{len(codepoints)} {meta.glyph_px} px glyphs"
                    )
    except OSError as exc:
        raise DatasetError(f"{path}: unreadable HDF5 file ({exc})") from None
    if images:
        _check_arrays(stack, codepoints.astype(np.int64), meta.glyph_px, str(path))
    return meta, stack, codepoints.astype(np.uint32)


# --- the editable view: PNGs read back -----------------------------------------------------------

PNG_MODES = ("1", "L", "LA", "P", "PA", "RGB", "RGBA")  # what image editors save


def png_coverage(path: Path, glyph_px: int) -> np.ndarray:
    """An edited ``U+XXXX.png`` as (glyph_px, glyph_px) uint8 coverage (255 - grey level).

    Transparent pixels count as paper (white). Raises :class:`DatasetError` naming the file
    when it is unreadable, of another size, or in a mode that is not a plain picture.
    """
    try:
        with Image.open(path) as img:
            img.load()
            if img.mode not in PNG_MODES:
                raise DatasetError(
                    f"{path}: image mode {img.mode} is not a greyscale or RGB picture; "
                    "save it as greyscale PNG"
                )
            if img.size != (glyph_px, glyph_px):
                raise DatasetError(
                    f"{path}: is {img.size[0]}x{img.size[1]} px; the glyphs of this folder are "
                    f"{glyph_px}x{glyph_px} (edit it without resizing)"
                )
            if "A" in img.getbands() or img.mode in ("P", "PA"):
                rgba = img.convert("RGBA")
                paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                img = Image.alpha_composite(paper, rgba)
            grey = np.asarray(img.convert("L"), dtype=np.uint8)
    except (OSError, SyntaxError, ValueError) as exc:
        raise DatasetError(f"{path}: cannot be read as a PNG ({exc})") from None
    return 255 - grey


@dataclass(frozen=True)
class GeneratedGlyphs:
    """A generated folder as the assembler and the review use it: ``images`` are the PNGs'
    pixels where a PNG was edited (``edited`` lists those code points), else glyphs.h5's."""

    meta: GeneratedMeta
    images: np.ndarray  # (N, px, px) uint8 coverage
    codepoints: np.ndarray  # (N,) uint32
    edited: tuple[int, ...]
    missing_png: tuple[int, ...]  # PNG deleted: glyphs.h5's image is used


def _stored_png_digests(folder: Path, count: int) -> np.ndarray | None:
    with h5py.File(folder / GLYPHS_NAME, "r") as f:
        if "png_sha256" not in f:
            return None
        digests = f["png_sha256"][()]
    return digests if digests.shape == (count, 32) else None


def edited_pngs(
    folder: Path, images: np.ndarray, codepoints: np.ndarray, glyph_px: int
) -> tuple[dict[int, np.ndarray], tuple[int, ...]]:
    """{index: coverage} of the PNGs that differ from glyphs.h5, and the code points whose
    PNG is missing. PNGs whose bytes still hash to what was written are not decoded."""
    digests = _stored_png_digests(folder, len(codepoints))
    edited: dict[int, np.ndarray] = {}
    missing: list[int] = []
    for i, cp in enumerate(codepoints.tolist()):
        path = folder / png_name(int(cp))
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            missing.append(int(cp))
            continue
        except OSError as exc:
            raise DatasetError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        if digests is not None and hashlib.sha256(data).digest() == digests[i].tobytes():
            continue
        coverage = png_coverage(path, glyph_px)
        if not np.array_equal(coverage, images[i]):
            edited[i] = coverage
    return edited, tuple(missing)


def load_glyphs(directory: str | os.PathLike[str]) -> GeneratedGlyphs:
    """Read a generated folder with its edited PNGs applied (see the module docstring)."""
    folder = Path(directory)
    meta, images, codepoints = read_generated(folder)
    edited, missing = edited_pngs(folder, images, codepoints, meta.glyph_px)
    if edited:
        images = images.copy()
        for i, coverage in edited.items():
            images[i] = coverage
    cps = tuple(int(codepoints[i]) for i in sorted(edited))
    return GeneratedGlyphs(meta, images, codepoints, cps, missing)


def read_sources(directory: str | os.PathLike[str]) -> np.ndarray | None:
    """The source glyphs stored beside the generated ones, or None for a folder without them."""
    path = Path(directory) / GLYPHS_NAME
    try:
        with h5py.File(path, "r") as f:
            return f["source"][()] if "source" in f else None
    except OSError as exc:
        raise DatasetError(f"{path}: unreadable HDF5 file ({exc})") from None


def read_source_fonts(directory: str | os.PathLike[str]) -> SourceOrigin | None:
    """Which font each glyph's source came from, or None for a folder that does not say
    (written before the record existed, or not by ``zi2zi generate``)."""
    path = Path(directory) / GLYPHS_NAME
    try:
        with h5py.File(path, "r") as f:
            if "source_font" not in f or "source_fonts" not in f.attrs:
                return None
            ids = f["source_font"][()]
            text = _attr(f.attrs, "source_fonts", path)
            count = f["codepoint"].shape[0] if "codepoint" in f else len(ids)
    except OSError as exc:
        raise DatasetError(f"{path}: unreadable HDF5 file ({exc})") from None
    try:
        fonts = json.loads(str(text))
        if not isinstance(fonts, list) or not all(isinstance(x, dict) for x in fonts):
            raise ValueError("not a list of objects")
    except ValueError as exc:
        raise DatasetError(f"{path}: bad 'source_fonts' attribute ({exc})") from None
    origin = SourceOrigin(tuple(fonts), np.asarray(ids, dtype=np.int16))
    _check_origin(origin, count, str(path))
    return origin
