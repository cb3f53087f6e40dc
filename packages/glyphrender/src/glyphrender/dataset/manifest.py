"""The typed view of a dataset's ``manifest.json``: what every reader uses instead of keys.

:func:`glyphrender.dataset.shards.read_manifest` checks the JSON and builds one :class:`Manifest`
when a dataset opens; readers ask it (``manifest.glyph_px``, ``manifest.target_font(1)``,
``manifest.has_split("val")``) rather than indexing the JSON, so a key is spelled in one
place. The JSON itself is the documented contract (``docs/shard-format.md``) and stays as the
build writes it; :meth:`Manifest.to_json` hands back a copy for tools that rewrite it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glyphrender.errors import DatasetError
from glyphrender.rendering.render import RenderOptions
from glyphrender.rendering.transform import Transform

SCHEMA_VERSION = 1
SPLITS = ("train", "val", "missing")
ROLES = ("source", "blend", "target")  # a font's part in the dataset (manifest "fonts")
DEFAULT_PLACEMENT = "font"  # what a manifest without a render record was drawn with


@dataclass(frozen=True)
class ShardEntry:
    """One shard of a split: ``splits.<split>.shards[i]``."""

    file: str
    count: int
    sha256: str | None


@dataclass(frozen=True)
class SplitInfo:
    """One split: its sample count and its shards in reading order."""

    name: str
    count: int
    shards: tuple[ShardEntry, ...]


@dataclass(frozen=True)
class FontRecord:
    """One entry of ``fonts``: the source or a font blended into it (``style_id`` None), or the
    target of one style."""

    role: str  # "source", "blend" or "target"
    style_id: int | None
    path: str = ""
    sha256: str = ""
    family: str = ""
    style_name: str = ""
    face_index: int = 0
    units_per_em: int | None = None
    transform: Transform | None = None

    @property
    def name(self) -> str:
        """``"Family Style"`` (empty parts left out)."""
        return f"{self.family} {self.style_name}".strip()

    @property
    def stem(self) -> str:
        """The font file's name without its suffix."""
        return Path(self.path).stem


@dataclass(frozen=True)
class Manifest:
    """What a dataset's manifest says, checked and typed (built once per :class:`Dataset`)."""

    origin: Path  # the manifest file, named in error messages
    schema_version: int
    glyph_px: int
    # As listed: the source first, the fonts blended into it, then targets by style id.
    fonts: tuple[FontRecord, ...]
    splits: Mapping[str, SplitInfo]
    render: RenderOptions | None = None  # None: the manifest records no render options
    clipped_count: int | None = None  # glyph images spilling off the canvas, if recorded
    created: str | None = None
    # Free-form records shown as written (inspect): tool, charset, split rule, coverage,
    # compression.
    tool: Mapping[str, Any] | None = None
    charset: Mapping[str, Any] | None = None
    split_rule: Mapping[str, Any] | None = None
    coverage: Mapping[str, Any] | None = None
    compression: Mapping[str, Any] | None = None
    _json: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any, origin: Path) -> Manifest:
        """Check the parsed JSON of ``origin`` and type it; :class:`DatasetError` if malformed."""
        if not isinstance(data, dict):
            raise DatasetError(f"{origin}: manifest is not a JSON object")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise DatasetError(
                f"{origin}: schema version {version!r} is not supported "
                f"(this glyphrender reads {SCHEMA_VERSION})"
            )
        for key in ("glyph_px", "fonts", "splits"):
            if key not in data:
                raise DatasetError(f"{origin}: manifest lacks {key!r}")
        render = data.get("render")
        splits = {name: _split(name, info, origin) for name, info in _items(data, origin)}
        _check_shard_files(splits, origin)
        return cls(
            origin=origin,
            schema_version=SCHEMA_VERSION,
            glyph_px=_glyph_px(data["glyph_px"], origin),
            fonts=_fonts(data["fonts"], origin),
            splits=splits,
            render=_render(render, origin) if render is not None else None,
            clipped_count=_clipped(render),
            created=data.get("created"),
            tool=data.get("tool"),
            charset=data.get("charset"),
            split_rule=data.get("split"),
            coverage=data.get("coverage"),
            compression=data.get("compression"),
            _json=copy.deepcopy(data),
        )

    def to_json(self) -> dict[str, Any]:
        """A copy of the JSON as read, for tools that edit and rewrite a manifest."""
        return copy.deepcopy(self._json)

    @property
    def placement(self) -> str:
        """How glyphs were placed on the canvas: "font" or "center"."""
        return self.render.placement.value if self.render else DEFAULT_PLACEMENT

    @property
    def margin(self) -> float | None:
        return self.render.margin if self.render else None

    @property
    def source_font(self) -> FontRecord:
        source = next((f for f in self.fonts if f.role == "source"), None)
        if source is None:
            raise DatasetError(f"{self.origin}: the manifest lists no source font")
        return source

    @property
    def blend_fonts(self) -> tuple[FontRecord, ...]:
        """The fonts averaged into the source image (``build --blend``), in order; often none."""
        return tuple(f for f in self.fonts if f.role == "blend")

    @property
    def target_fonts(self) -> tuple[FontRecord, ...]:
        """The target fonts ordered by style id (ids are 0..num_styles-1)."""
        return tuple(sorted((f for f in self.fonts if f.role == "target"), key=_style_key))

    @property
    def num_styles(self) -> int:
        return sum(f.role == "target" for f in self.fonts)

    def target_font(self, style_id: int) -> FontRecord:
        """The target font of ``style_id``; :class:`DatasetError` if there is none."""
        targets = self.target_fonts
        if not 0 <= style_id < len(targets):
            raise DatasetError(f"{self.origin}: no target style {style_id} (it has {len(targets)})")
        return targets[style_id]

    def has_split(self, name: str) -> bool:
        return name in self.splits

    def split(self, name: str) -> SplitInfo:
        """A split by name; :class:`DatasetError` for an unknown or absent one."""
        if name not in SPLITS:
            raise DatasetError(
                f"{self.origin.parent}: unknown split {name!r} (choose from {', '.join(SPLITS)})"
            )
        if name not in self.splits:
            raise DatasetError(f"{self.origin.parent}: the manifest has no {name!r} split")
        return self.splits[name]


def _style_key(font: FontRecord) -> int:
    return -1 if font.style_id is None else font.style_id


def _glyph_px(value: Any, origin: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DatasetError(f"{origin}: glyph_px {value!r} is not a positive integer")
    return value


def _items(data: dict[str, Any], origin: Path) -> list[tuple[str, Any]]:
    if not isinstance(data["splits"], dict):
        raise DatasetError(f"{origin}: 'splits' is not a JSON object")
    return list(data["splits"].items())


def _split(name: str, info: Any, origin: Path) -> SplitInfo:
    """One split's entry, its count checked against the sum of its shards' counts."""
    try:
        shards = tuple(
            ShardEntry(str(e["file"]), int(e["count"]), e.get("sha256")) for e in info["shards"]
        )
        count = int(info["count"])
    except (KeyError, TypeError, ValueError, AttributeError):
        raise DatasetError(f"{origin}: malformed entry for split {name!r}") from None
    listed = sum(s.count for s in shards)
    if listed != count:
        raise DatasetError(
            f"{origin}: split {name!r} counts {info['count']} samples but its shards list {listed}"
        )
    return SplitInfo(name, count, shards)


def _check_shard_files(splits: Mapping[str, SplitInfo], origin: Path) -> None:
    """Every shard is a plain file name inside the dataset, listed once: ``../x.h5`` or an
    absolute path would make a reader (or a --force that replaces the dataset) reach outside
    it, and a shard listed twice would count its samples twice."""
    seen: set[str] = set()
    for split in splits.values():
        for shard in split.shards:
            name = shard.file
            if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
                raise DatasetError(
                    f"{origin}: shard {name!r} of split {split.name!r} is not a file name "
                    "inside the dataset"
                )
            if name in seen:
                raise DatasetError(f"{origin}: shard {name!r} is listed more than once")
            seen.add(name)


def _fonts(entries: Any, origin: Path) -> tuple[FontRecord, ...]:
    """The font records; target style ids must be 0..n-1, each once (shards index by them)."""
    if not isinstance(entries, list):
        raise DatasetError(f"{origin}: 'fonts' is not a list")
    fonts = tuple(_font(i, e, origin) for i, e in enumerate(entries))
    ids = sorted(f.style_id for f in fonts if f.style_id is not None)
    if ids != list(range(len(ids))):
        raise DatasetError(
            f"{origin}: target style ids are {ids}; they must be 0..{len(ids) - 1}, each once"
        )
    return fonts


def _font(index: int, entry: Any, origin: Path) -> FontRecord:
    where = f"{origin}: fonts[{index}]"
    if not isinstance(entry, dict) or entry.get("role") not in ROLES:
        raise DatasetError(f"{where} has no role 'source', 'blend' or 'target'")
    role, style_id = entry["role"], entry.get("style_id")
    if (role != "target") != (style_id is None) or not (
        style_id is None or (isinstance(style_id, int) and not isinstance(style_id, bool))
    ):
        raise DatasetError(f"{where}: a {role} font's style_id cannot be {style_id!r}")
    try:
        transform = entry.get("transform")
        return FontRecord(
            role=role,
            style_id=style_id,
            path=str(entry.get("path") or ""),
            sha256=str(entry.get("sha256") or ""),
            family=str(entry.get("family") or ""),
            style_name=str(entry.get("style_name") or ""),
            face_index=int(entry.get("face_index") or 0),
            units_per_em=None if entry.get("units_per_em") is None else int(entry["units_per_em"]),
            transform=None if transform is None else Transform.from_dict(transform),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DatasetError(f"{where} is malformed ({exc})") from None


def _render(render: Any, origin: Path) -> RenderOptions:
    try:
        return RenderOptions.from_dict(render)
    except (KeyError, TypeError, ValueError) as exc:
        raise DatasetError(f"{origin}: manifest has no usable render options ({exc})") from None


def _clipped(render: Any) -> int | None:
    clipped = render.get("clipped") if isinstance(render, dict) else None
    return clipped.get("count") if isinstance(clipped, dict) else None
