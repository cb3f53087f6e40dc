"""Whether two faces draw a character in the same form, decided exactly where that is possible.

The faces of a Pan-CJK collection (Noto Sans CJK: JP, KR, SC, TC, HK) share one glyph table:
each face's cmap maps a character to the glyph of its region's form, and two faces that map
it to the same glyph ID draw it identically. :func:`shares_glyph_set` reads the collection's
table directories to prove the faces point at the same outline table; :func:`compare_by_identity`
then sorts the characters both draw into same and different forms. Fonts that do not share
a glyph table are compared by their rendered outlines (``glyphrender.rendering.formcompare``).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from glyphrender.errors import FontError
from glyphrender.fonts.loading import LoadedFont, present_codepoints

METHOD_IDENTITY = "glyph-identity"  # same glyph ID in one shared glyph table
METHOD_OUTLINE = "outline-iou"  # ink IoU of the rendered glyphs against a threshold
_OUTLINE_TAGS = (b"CFF ", b"CFF2", b"glyf", b"loca")


@dataclass(frozen=True)
class FormLists:
    """Per code point of a charset: same or different form in faces a and b, or missing."""

    method: str  # METHOD_IDENTITY or METHOD_OUTLINE
    same: tuple[int, ...]
    different: tuple[int, ...]
    missing_in_a: tuple[int, ...]  # a does not draw it (b may or may not)
    missing_in_b: tuple[int, ...]
    threshold: float | None = None  # METHOD_OUTLINE: IoU below it means different
    glyph_px: int | None = None  # METHOD_OUTLINE: the size both were rendered at

    def counts(self) -> dict[str, int]:
        return {
            "same": len(self.same),
            "different": len(self.different),
            "missing_in_a": len(self.missing_in_a),
            "missing_in_b": len(self.missing_in_b),
        }


@dataclass(frozen=True)
class Presence:
    """Which charset characters both faces draw, and which each one lacks (sorted)."""

    both: tuple[int, ...]
    missing_in_a: tuple[int, ...]
    missing_in_b: tuple[int, ...]


def presence(a: LoadedFont, b: LoadedFont, codepoints: Iterable[int]) -> Presence:
    """Split ``codepoints`` by what ``a`` and ``b`` draw (``present_codepoints``)."""
    wanted = frozenset(codepoints)
    in_a, in_b = present_codepoints(a, wanted), present_codepoints(b, wanted)
    return Presence(
        both=tuple(sorted(in_a & in_b)),
        missing_in_a=tuple(sorted(wanted - in_a)),
        missing_in_b=tuple(sorted(wanted - in_b)),
    )


def _outline_records(path: Path, data: bytes, face_index: int) -> dict[bytes, tuple[int, int]]:
    """(offset, length) of the outline tables of one face, from the collection's directory."""
    try:
        (num_faces,) = struct.unpack_from(">L", data, 8)
        if face_index >= num_faces:
            raise FontError(f"{path}: face index {face_index} out of range ({num_faces} faces)")
        (face_offset,) = struct.unpack_from(">L", data, 12 + 4 * face_index)
        (num_tables,) = struct.unpack_from(">H", data, face_offset + 4)
        records = {}
        for i in range(num_tables):
            tag, _sum, offset, length = struct.unpack_from(
                ">4sLLL", data, face_offset + 12 + 16 * i
            )
            if tag in _OUTLINE_TAGS:
                records[tag] = (offset, length)
        return records
    except struct.error:
        raise FontError(f"{path}: corrupt collection header (table directory cut short)") from None


def shares_glyph_set(a: LoadedFont, b: LoadedFont) -> bool:
    """True when ``a`` and ``b`` are faces of one collection file that point at the same
    outline table (same offset and length), so that one glyph ID is one outline in both."""
    if not (a.is_collection and b.is_collection and a.sha256 == b.sha256):
        return False
    try:
        data = a.path.read_bytes()
    except OSError as exc:
        raise FontError(f"{a.path}: cannot read font file: {exc.strerror or exc}") from None
    records_a = _outline_records(a.path, data, a.face_index)
    return bool(records_a) and records_a == _outline_records(a.path, data, b.face_index)


def compare_by_identity(
    a: LoadedFont, b: LoadedFont, both: Iterable[int]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(same, different) among ``both``: whether the two cmaps map each code point to one
    glyph ID. Exact, but only meaningful when :func:`shares_glyph_set` holds."""
    tt_a, tt_b = a.ttfont(), b.ttfont()
    same, different = [], []
    for cp in sorted(both):
        gid_a, gid_b = tt_a.getGlyphID(a.cmap[cp]), tt_b.getGlyphID(b.cmap[cp])
        (same if gid_a == gid_b else different).append(cp)
    return tuple(same), tuple(different)
