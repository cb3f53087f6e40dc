"""Opening fonts (TTF, OTF, TTC/OTC, WOFF, WOFF2) and deciding which characters they draw.

A font is named by a `FontRef` (a path and, for collections, a face index). `open_font` reads
it once, checks it, and returns a `LoadedFont`: the face as plain sfnt bytes (which FreeType
opens from memory), its Unicode cmap and the metrics the renderer needs. `present_codepoints`
says which mapped characters have a real outline: not empty and not a copy of `.notdef`.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glyphrender.errors import FontError

_SFNT_TAGS = (b"\x00\x01\x00\x00", b"OTTO", b"true")
_WOFF_TAGS = (b"wOFF", b"wOF2")
_COLLECTION_TAG = b"ttcf"
_INDEX_SUFFIX = re.compile(r"^(?P<path>.+)#(?P<index>\d+)$")


@dataclass(frozen=True)
class FontRef:
    """A font file and, for a collection (TTC/OTC), the index of the face to use."""

    path: Path
    face_index: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        if self.face_index is not None and self.face_index < 0:
            raise FontError(f"{self.path}: face index must be >= 0, got {self.face_index}")

    @classmethod
    def parse(cls, spec: str, face_index: int | None = None) -> FontRef:
        """`path` or `path#N`; `face_index` (e.g. from --src-index) may give N separately."""
        spec = str(spec)
        match = _INDEX_SUFFIX.match(spec)
        # A file whose name really ends in "#N" wins over the index syntax.
        if match and not Path(spec).exists():
            path, suffix_index = Path(match["path"]), int(match["index"])
            if face_index is not None and face_index != suffix_index:
                raise FontError(
                    f"{path}: face index given twice and different: #{suffix_index} in the path "
                    f"and {face_index} as an option"
                )
            return cls(path, suffix_index)
        return cls(Path(spec), face_index)

    def __str__(self) -> str:
        return str(self.path) if self.face_index is None else f"{self.path}#{self.face_index}"


@dataclass(frozen=True)
class LoadedFont:
    """One face of a font file, checked and ready to render. Picklable (holds bytes only)."""

    ref: FontRef
    path: Path
    face_index: int  # 0 for a single font
    sha256: str  # of the whole file's bytes
    family: str
    style_name: str
    units_per_em: int
    sfnt_bytes: bytes = field(repr=False)  # the face as a plain sfnt (FreeType-ready)
    cmap: dict[int, str] = field(repr=False)  # best Unicode cmap: codepoint -> glyph name
    ascender: int  # hhea
    descender: int  # hhea (negative below the baseline)
    typo_ascender: int | None  # OS/2, None if the font has no OS/2 table
    typo_descender: int | None
    is_cff: bool  # outlines in CFF/CFF2 rather than glyf
    is_collection: bool = False
    num_faces: int = 1
    _ttfont: Any = field(default=None, repr=False, compare=False, hash=False)

    def ttfont(self) -> Any:
        """The face as a fontTools TTFont (opened lazily from `sfnt_bytes`, then kept)."""
        if self._ttfont is None:
            from fontTools.ttLib import TTFont

            object.__setattr__(self, "_ttfont", TTFont(io.BytesIO(self.sfnt_bytes), lazy=True))
        return self._ttfont

    def __hash__(self) -> int:
        # The generated hash would try to hash the cmap dict; file hash + face identify a face.
        return hash((self.sha256, self.face_index))

    def __getstate__(self) -> dict[str, Any]:
        # The TTFont holds an open stream and caches; workers reopen it from the bytes.
        state = dict(self.__dict__)
        state["_ttfont"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @property
    def display_name(self) -> str:
        return f"{self.family} {self.style_name}".strip()


@dataclass(frozen=True)
class FaceInfo:
    """A face as outputs record it (forms.json, a generated folder's source fonts)."""

    path: str
    face_index: int
    name: str  # "Family Style"
    sha256: str

    @classmethod
    def of(cls, font: LoadedFont, path: str | None = None) -> FaceInfo:
        """``font``'s record; ``path`` as given by the caller (e.g. a manifest's), else the
        file's."""
        return cls(str(font.path) if path is None else path, font.face_index,
                   font.display_name, font.sha256)  # fmt: skip

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "face_index": self.face_index,
            "name": self.name,
            "sha256": self.sha256,
        }


def open_font(ref: FontRef | str | Path) -> LoadedFont:
    """Read and check a font; raise FontError (one line naming the file) if it is unusable."""
    if not isinstance(ref, FontRef):
        ref = FontRef.parse(str(ref))
    path = ref.path
    if not path.exists():
        raise FontError(f"{path}: no such font file")
    if path.is_dir():
        raise FontError(f"{path}: is a directory, not a font file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FontError(f"{path}: cannot read font file: {exc.strerror or exc}") from None
    sha256 = hashlib.sha256(data).hexdigest()
    tag = data[:4]
    is_collection = False
    num_faces = 1
    if tag == _COLLECTION_TAG:
        is_collection = True
        sfnt, face_index, num_faces = _extract_collection_face(path, data, ref.face_index)
    else:
        if tag not in _SFNT_TAGS + _WOFF_TAGS:
            raise FontError(
                f"{path}: not a font file (expected TTF, OTF, TTC/OTC, WOFF or WOFF2; "
                f"the file starts with {data[:4]!r})"
            )
        if ref.face_index not in (None, 0):
            raise FontError(
                f"{path}: face index {ref.face_index} out of range: not a collection, it has one face"
            )
        face_index = 0
        sfnt = _decompress_woff(path, data) if tag in _WOFF_TAGS else data
    return _load_face(ref, path, face_index, sha256, sfnt, is_collection, num_faces)


def _corrupt(path: Path, exc: BaseException) -> FontError:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return FontError(f"{path}: corrupt or truncated font ({detail})")


def _extract_collection_face(
    path: Path, data: bytes, face_index: int | None
) -> tuple[bytes, int, int]:
    from fontTools.ttLib import TTCollection

    try:
        collection = TTCollection(io.BytesIO(data), lazy=True)
        faces = list(collection.fonts)
        if face_index is None:
            listing = ", ".join(f"{i}: {_face_name(font)}" for i, font in enumerate(faces))
            raise FontError(
                f"{path}: is a font collection of {len(faces)} faces; choose one with "
                f"{path}#N or the face-index option ({listing})"
            )
        if face_index >= len(faces):
            raise FontError(
                f"{path}: face index {face_index} out of range: the collection has "
                f"{len(faces)} faces (0-{len(faces) - 1})"
            )
        buf = io.BytesIO()
        faces[face_index].save(buf, reorderTables=False)
        return buf.getvalue(), face_index, len(faces)
    except FontError:
        raise
    except Exception as exc:  # fontTools raises many types on bad data
        raise _corrupt(path, exc) from None


def _face_name(font: Any) -> str:
    try:
        name = font["name"]
        return f"{name.getBestFamilyName() or '?'} {name.getBestSubFamilyName() or ''}".strip()
    except Exception:
        return "(unnamed face)"


def _decompress_woff(path: Path, data: bytes) -> bytes:
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(io.BytesIO(data))
        font.flavor = None
        buf = io.BytesIO()
        font.save(buf, reorderTables=False)
        return buf.getvalue()
    except ImportError as exc:  # brotli missing for WOFF2
        raise FontError(f"{path}: cannot decompress WOFF2 ({exc})") from None
    except Exception as exc:
        raise _corrupt(path, exc) from None


def _check_table_bounds(path: Path, sfnt: bytes) -> None:
    """Every table of the directory must lie inside the data (catches truncated files)."""
    if len(sfnt) < 12:
        raise FontError(f"{path}: corrupt or truncated font (only {len(sfnt)} bytes)")
    (num_tables,) = struct.unpack(">H", sfnt[4:6])
    if len(sfnt) < 12 + 16 * num_tables:
        raise FontError(f"{path}: corrupt or truncated font (table directory cut short)")
    for i in range(num_tables):
        tag, _checksum, offset, length = struct.unpack(
            ">4sLLL", sfnt[12 + 16 * i : 12 + 16 * (i + 1)]
        )
        if offset + length > len(sfnt):
            name = tag.decode("latin-1")
            raise FontError(
                f"{path}: corrupt or truncated font (table '{name}' ends at byte "
                f"{offset + length} but the data has {len(sfnt)} bytes)"
            )


def _load_face(
    ref: FontRef,
    path: Path,
    face_index: int,
    sha256: str,
    sfnt: bytes,
    is_collection: bool,
    num_faces: int,
) -> LoadedFont:
    from fontTools.ttLib import TTFont

    _check_table_bounds(path, sfnt)
    try:
        font = TTFont(io.BytesIO(sfnt), lazy=True)
        for tag in ("head", "hhea", "maxp"):
            if tag not in font:
                raise FontError(f"{path}: not a usable font: no '{tag}' table")
        if "cmap" not in font:
            raise FontError(f"{path}: font has no cmap table (no characters are mapped)")
        cmap = font["cmap"].getBestCmap()
        if cmap is None:
            raise FontError(f"{path}: font has no Unicode cmap subtable")
        is_cff = "CFF " in font or "CFF2" in font
        if not is_cff and "glyf" not in font:
            raise FontError(f"{path}: font has no outlines (neither glyf nor CFF table)")
        if is_cff:
            cff_tag = "CFF " if "CFF " in font else "CFF2"
            font[cff_tag].cff.topDictIndex[0].CharStrings  # noqa: B018 - parse now, fail early
        else:
            _check_loca(path, font)
        head, hhea = font["head"], font["hhea"]
        os2 = font.get("OS/2")
        name = font.get("name")
        family = (name.getBestFamilyName() if name else None) or path.stem
        style = (name.getBestSubFamilyName() if name else None) or "Regular"
        return LoadedFont(
            ref=ref,
            path=path,
            face_index=face_index,
            sha256=sha256,
            family=family,
            style_name=style,
            units_per_em=int(head.unitsPerEm),
            sfnt_bytes=sfnt,
            cmap=dict(cmap),
            ascender=int(hhea.ascent),
            descender=int(hhea.descent),
            typo_ascender=int(os2.sTypoAscender) if os2 is not None else None,
            typo_descender=int(os2.sTypoDescender) if os2 is not None else None,
            is_cff=is_cff,
            is_collection=is_collection,
            num_faces=num_faces,
        )
    except FontError:
        raise
    except Exception as exc:
        raise _corrupt(path, exc) from None


def _check_loca(path: Path, font: Any) -> None:
    locations = font["loca"].locations
    glyf_len = len(font.reader["glyf"])
    if len(locations) < font["maxp"].numGlyphs + 1 or (locations and locations[-1] > glyf_len):
        raise FontError(f"{path}: corrupt or truncated font (loca points past the glyf table)")


# --- which characters are drawn -------------------------------------------------------------

_PRESENT_CACHE: dict[tuple[str, int], frozenset[int]] = {}


def present_codepoints(font: LoadedFont, among: Iterable[int] | None = None) -> frozenset[int]:
    """Codepoints the font maps to a glyph with a non-empty outline that is not `.notdef`'s.

    Decided from the outlines themselves: a glyph is absent when it has no contours (composite
    glyphs resolved) or when its outline equals `.notdef`'s (a "tofu" copy). An empty `.notdef`
    therefore makes no extra glyph absent; a box `.notdef` marks its copies absent.
    ``among`` limits the answer (and the work: a CFF collection face maps 40,000+ characters)
    to those code points.
    """
    key = (font.sha256, font.face_index)
    cached = _PRESENT_CACHE.get(key)
    if cached is not None:
        return cached if among is None else cached & frozenset(among)
    if among is not None:
        wanted = frozenset(among)
        return _present(font, {cp: name for cp, name in font.cmap.items() if cp in wanted})
    result = _present(font, font.cmap)
    _PRESENT_CACHE[key] = result
    return result


def _present(font: LoadedFont, cmap: dict[int, str]) -> frozenset[int]:
    tt = font.ttfont()
    glyph_names = set(cmap.values())
    try:
        drawn = _drawn_glyf(tt, glyph_names) if "glyf" in tt else _drawn_by_pen(tt, glyph_names)
    except Exception as exc:
        raise _corrupt(font.path, exc) from None
    return frozenset(cp for cp, name in cmap.items() if name in drawn)


def _drawn_glyf(tt: Any, names: set[str]) -> set[str]:
    """glyf fonts: decide from raw glyph records; decompile only look-alikes and composites."""
    raw = tt.reader["glyf"]  # the stored bytes: getTableData would recompile a loaded table
    glyf_table = tt["glyf"]
    locations = tt["loca"].locations
    order = tt.getGlyphOrder()
    notdef_name = order[0]
    notdef_sig = _glyf_signature(glyf_table, notdef_name)
    notdef_raw = raw[locations[0] : locations[1]]
    notdef_header = notdef_raw[:10] if notdef_sig else None
    drawn: set[str] = set()
    for name in names:
        if name == notdef_name:
            continue
        gid = tt.getGlyphID(name)
        record = raw[locations[gid] : locations[gid + 1]]
        if len(record) < 10:  # no data: an empty glyph
            continue
        (num_contours,) = struct.unpack(">h", record[:2])
        if num_contours == 0:
            continue
        if num_contours > 0:
            # Same contour count and bounding box as .notdef: compare the outlines themselves.
            if (
                notdef_header is not None
                and record[:10] == notdef_header
                and _glyf_signature(glyf_table, name) == notdef_sig
            ):
                continue
            drawn.add(name)
            continue
        signature = _glyf_signature(glyf_table, name)  # composite: resolve components
        if signature and signature != notdef_sig:
            drawn.add(name)
    return drawn


def _glyf_signature(glyf_table: Any, name: str) -> tuple | None:
    """The resolved outline of a glyf glyph (points, contour ends, on-curve bits); None if empty."""
    coords, end_pts, flags = glyf_table[name].getCoordinates(glyf_table)
    if len(coords) == 0:
        return None
    return (tuple(coords), tuple(end_pts), tuple(f & 1 for f in flags))


def _drawn_by_pen(tt: Any, names: set[str]) -> set[str]:
    """CFF/CFF2 fonts: record each outline with a pen and compare it with .notdef's."""
    from fontTools.pens.recordingPen import RecordingPen

    glyph_set = tt.getGlyphSet()
    notdef_name = tt.getGlyphOrder()[0]

    def outline(name: str) -> tuple | None:
        pen = RecordingPen()
        glyph_set[name].draw(pen)
        segments = tuple((op, tuple(args)) for op, args in pen.value)
        has_ink = any(op not in ("moveTo", "closePath", "endPath") for op, _ in segments)
        return segments if has_ink else None

    notdef = outline(notdef_name)
    drawn: set[str] = set()
    for name in names:
        if name == notdef_name:
            continue
        sig = outline(name)
        if sig is not None and sig != notdef:
            drawn.add(name)
    return drawn
