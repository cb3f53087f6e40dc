"""Generated glyphs on disk: the one reader and writer of ``gen/NAME/`` folders.

``zi2zi generate`` writes them, ``glyphrender assemble`` reads them. A folder holds

- ``glyphs.h5``: datasets ``image`` (N, H, W) uint8 ink coverage (0 paper, 255 full ink) and
  ``codepoint`` (N,) uint32; attributes ``style_id``, ``style_name``, ``glyph_px``,
  ``placement``, ``target_font_sha256``, ``target_font_path``, ``transform`` (JSON of
  ``Transform.to_dict()``), ``dataset_manifest_sha256`` and ``format_version``;
- ``U+XXXX.png`` per glyph, black ink on white (255 - coverage), for people to look at.

``glyphs.h5`` is the data; the PNGs are a view of it. A folder is written under a temporary
name and renamed into place, so a reader never sees half of one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
from PIL import Image

from glyphrender.errors import DatasetError
from glyphrender.transform import Transform

FORMAT_VERSION = 1
GLYPHS_NAME = "glyphs.h5"
PLACEMENTS = ("font", "center")
MAX_CODEPOINT = 0x10FFFF


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


def _png_name(codepoint: int) -> str:
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


def write_generated(
    out_dir: str | os.PathLike[str],
    images: np.ndarray,
    codepoints: np.ndarray | list[int],
    meta: GeneratedMeta,
    *,
    force: bool = False,
) -> Path:
    """Write a generated-glyph folder (glyphs.h5 + one PNG per glyph) and return its path.

    The folder is built under a temporary name next to ``out_dir`` and renamed into place.
    An existing non-empty ``out_dir`` is refused unless ``force`` (then it is replaced whole).
    """
    out = Path(out_dir)
    images = np.asarray(images)
    cps = np.asarray(codepoints, dtype=np.int64).reshape(-1)
    _check_arrays(images, cps, meta.glyph_px, str(out))
    if out.exists() and not out.is_dir():
        raise DatasetError(f"{out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise DatasetError(f"{out}: exists and is not empty (use --force to replace it)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        with h5py.File(tmp / GLYPHS_NAME, "w", track_order=True) as f:
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
            f.create_dataset(
                "image",
                data=images,
                shape=images.shape,
                dtype=np.uint8,
                chunks=(1, px, px) if len(images) else None,
                compression="gzip" if len(images) else None,
                compression_opts=1 if len(images) else None,
            )
            f.create_dataset("codepoint", data=cps.astype(np.uint32))
        for image, cp in zip(images, cps, strict=True):
            Image.fromarray(255 - image, mode="L").save(tmp / _png_name(int(cp)))
        os.chmod(tmp, 0o755)  # mkdtemp makes it 0700; a normal folder is readable by others
        if out.exists():
            # Move the old folder aside first so that out_dir is never missing a glyphs.h5
            # it had for longer than one rename.
            trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, trash / out.name)
            os.replace(tmp, out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _attr(attrs: h5py.AttributeManager, name: str, path: Path) -> object:
    if name not in attrs:
        raise DatasetError(f"{path}: lacks the {name!r} attribute; not a generated-glyph file")
    value = attrs[name]
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if isinstance(value, np.generic):
        value = value.item()
    return value


def read_generated(
    directory: str | os.PathLike[str],
) -> tuple[GeneratedMeta, np.ndarray, np.ndarray]:
    """Read a generated-glyph folder: (meta, images (N, px, px) uint8, codepoints (N,) uint32)."""
    folder = Path(directory)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a generated-glyph folder (missing or not a directory)")
    path = folder / GLYPHS_NAME
    if not path.is_file():
        raise DatasetError(f"{folder}: no {GLYPHS_NAME}; not a generated-glyph folder")
    try:
        with h5py.File(path, "r") as f:
            version = _attr(f.attrs, "format_version", path)
            if version != FORMAT_VERSION:
                raise DatasetError(
                    f"{path}: format version {version!r} is not supported "
                    f"(this glyphrender reads {FORMAT_VERSION})"
                )
            try:
                transform = Transform.from_dict(json.loads(str(_attr(f.attrs, "transform", path))))
            except (ValueError, KeyError, TypeError) as exc:
                raise DatasetError(f"{path}: bad 'transform' attribute ({exc})") from None
            try:
                meta = GeneratedMeta(
                    style_id=int(_attr(f.attrs, "style_id", path)),
                    style_name=str(_attr(f.attrs, "style_name", path)),
                    glyph_px=int(_attr(f.attrs, "glyph_px", path)),
                    placement=str(_attr(f.attrs, "placement", path)),
                    target_font_sha256=str(_attr(f.attrs, "target_font_sha256", path)),
                    target_font_path=str(_attr(f.attrs, "target_font_path", path)),
                    transform=transform,
                    dataset_manifest_sha256=str(_attr(f.attrs, "dataset_manifest_sha256", path)),
                    format_version=int(version),
                )
            except ValueError as exc:
                raise DatasetError(f"{path}: bad attributes ({exc})") from None
            for name in ("image", "codepoint"):
                if name not in f:
                    raise DatasetError(f"{path}: lacks the {name!r} dataset")
            images = f["image"][()]
            codepoints = f["codepoint"][()]
    except OSError as exc:
        raise DatasetError(f"{path}: unreadable HDF5 file ({exc})") from None
    _check_arrays(images, codepoints.astype(np.int64), meta.glyph_px, str(path))
    return meta, images, codepoints.astype(np.uint32)
