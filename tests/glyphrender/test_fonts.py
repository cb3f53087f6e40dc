"""Opening fonts of every format, the one-line errors for bad inputs, and presence rules."""

from __future__ import annotations

import hashlib
import io
import pickle

import pytest
from fontfactory import (
    EMPTY_CP,
    FIRST_CP,
    NOTDEF,
    NOTDEF_COPY,
    NOTDEF_COPY_CP,
    NOTDEF_CP,
    frame,
    standard_glyphs,
)
from fontTools.ttLib import TTFont
from glyphrender.errors import FontError
from glyphrender.fonts.loading import FontRef, LoadedFont, open_font, present_codepoints

STANDARD = set(range(FIRST_CP, FIRST_CP + 40))


# --- FontRef --------------------------------------------------------------------------------


def test_fontref_parses_path_and_index(tmp_path):
    assert FontRef.parse("a/b.ttc#2") == FontRef(tmp_path.__class__("a/b.ttc"), 2)
    assert FontRef.parse("a/b.ttf").face_index is None
    assert FontRef.parse("a/b.ttc", 1).face_index == 1
    assert FontRef.parse("a/b.ttc#1", 1).face_index == 1


def test_fontref_conflicting_indices_is_an_error():
    with pytest.raises(FontError, match=r"b\.ttc.*#1.*2"):
        FontRef.parse("b.ttc#1", 2)


def test_fontref_existing_file_with_hash_in_name_is_a_path(tmp_path, font_factory):
    path = font_factory.standard("odd#3.ttf")
    ref = FontRef.parse(str(path))
    assert ref.path == path and ref.face_index is None


# --- formats --------------------------------------------------------------------------------


@pytest.mark.parametrize("flavor", ["ttf", "otf"])
def test_open_single_font_fields(font_factory, flavor):
    path = font_factory.standard(f"std.{flavor}", flavor=flavor, family="Fam X", style="Bold")
    font = open_font(FontRef.parse(str(path)))
    assert font.path == path and font.face_index == 0
    assert font.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (font.family, font.style_name) == ("Fam X", "Bold")
    assert font.units_per_em == 1000
    assert (font.ascender, font.descender) == (880, -120)
    assert (font.typo_ascender, font.typo_descender) == (880, -120)
    assert font.is_cff is (flavor == "otf")
    assert font.sfnt_bytes == path.read_bytes()
    assert set(font.cmap) >= STANDARD
    assert font.ttfont()["head"].unitsPerEm == 1000


@pytest.mark.parametrize("flavor", ["woff", "woff2"])
def test_open_woff_gives_plain_sfnt(font_factory, flavor):
    path = font_factory.woff(f"std.{flavor}", flavor=flavor)
    font = open_font(FontRef.parse(str(path)))
    assert font.sfnt_bytes[:4] == b"\x00\x01\x00\x00"  # decompressed, FreeType-ready
    assert font.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert present_codepoints(font) == STANDARD
    TTFont(io.BytesIO(font.sfnt_bytes))["glyf"]  # noqa: B018 - a valid sfnt


def test_open_collection_face_by_index(font_factory):
    path = font_factory.collection("pair.ttc")
    face0 = open_font(FontRef.parse(f"{path}#0"))
    face1 = open_font(FontRef.parse(str(path), 1))
    assert (face0.family, face0.style_name, face0.face_index) == ("Face Zero", "Regular", 0)
    assert (face1.family, face1.style_name, face1.face_index) == ("Face One", "Bold", 1)
    assert face1.sfnt_bytes[:4] == b"\x00\x01\x00\x00"
    assert TTFont(io.BytesIO(face1.sfnt_bytes))["name"].getBestFamilyName() == "Face One"
    assert present_codepoints(face1) == STANDARD
    assert face0.sha256 == face1.sha256  # the file's hash


def test_collection_without_index_lists_faces(font_factory):
    path = font_factory.collection("pair.ttc")
    with pytest.raises(FontError) as err:
        open_font(FontRef.parse(str(path)))
    msg = str(err.value)
    assert str(path) in msg and "\n" not in msg
    assert "0: Face Zero Regular" in msg and "1: Face One Bold" in msg


def test_collection_index_out_of_range(font_factory):
    path = font_factory.collection("pair.ttc")
    with pytest.raises(FontError, match=r"pair\.ttc.*index 2 out of range.*2 faces"):
        open_font(FontRef.parse(f"{path}#2"))


def test_index_on_single_font_out_of_range(ttf_font):
    with pytest.raises(FontError, match="out of range"):
        open_font(FontRef.parse(f"{ttf_font}#1"))
    assert open_font(FontRef.parse(f"{ttf_font}#0")).face_index == 0


def test_loaded_font_pickles(otf_font):
    font = open_font(FontRef.parse(str(otf_font)))
    font.ttfont()  # a cached TTFont must not travel
    clone = pickle.loads(pickle.dumps(font))
    assert isinstance(clone, LoadedFont)
    assert clone == font and hash(clone) == hash(font)
    assert len({font, clone}) == 1  # usable as a dict key / in sets
    assert clone.ttfont()["maxp"].numGlyphs == font.ttfont()["maxp"].numGlyphs


# --- bad inputs: one line naming the file --------------------------------------------------


def _error(path) -> str:
    with pytest.raises(FontError) as err:
        open_font(FontRef.parse(str(path)))
    msg = str(err.value)
    assert str(path) in msg and "\n" not in msg
    return msg


def test_missing_file(tmp_path):
    assert "no such font file" in _error(tmp_path / "nope.ttf")


def test_directory(tmp_path):
    assert "directory" in _error(tmp_path)


def test_text_file_named_ttf(font_factory):
    assert "not a font file" in _error(font_factory.text_file("fake.ttf"))


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.004])
def test_truncated_font(font_factory, keep):
    from fontfactory import make_truncated

    src = font_factory.standard("whole.ttf")
    path = make_truncated(font_factory.path(f"cut{keep}.ttf"), src, keep=keep)
    assert "truncated" in _error(path)


def test_truncated_woff2(font_factory):
    from fontfactory import make_truncated

    src = font_factory.woff("whole.woff2", flavor="woff2")
    assert "truncated" in _error(make_truncated(font_factory.path("cut.woff2"), src))


def test_font_without_cmap(font_factory):
    assert "no cmap" in _error(font_factory.without_cmap())


def test_font_without_unicode_cmap(font_factory):
    assert "no Unicode cmap" in _error(font_factory.without_unicode_cmap())


# --- presence -------------------------------------------------------------------------------


@pytest.mark.parametrize("flavor", ["ttf", "otf"])
@pytest.mark.parametrize("notdef", ["tofu", "empty"])
def test_present_excludes_empty_and_notdef(font_factory, flavor, notdef):
    kwargs = {"notdef": []} if notdef == "empty" else {}
    path = font_factory.standard(f"std_{notdef}.{flavor}", flavor=flavor, **kwargs)
    font = open_font(FontRef.parse(str(path)))
    assert {EMPTY_CP, NOTDEF_COPY_CP} <= set(font.cmap)  # mapped...
    assert present_codepoints(font) == STANDARD  # ...but not drawn
    assert NOTDEF_CP not in present_codepoints(font)  # (cmap compilers drop gid-0 mappings)


@pytest.mark.parametrize("flavor", ["ttf", "otf"])
def test_glyph_that_only_resembles_notdef_is_present(font_factory, flavor):
    tofu = frame(50, -50, 450, 750, 40)
    glyphs = {
        0x4E00: frame(50, -50, 450, 750, 41),  # same bounding box, different outline
        0x4E01: NOTDEF_COPY,
        0x4E02: NOTDEF,
        0x4E03: [],
    }
    path = font_factory.font(f"alike.{flavor}", glyphs, flavor=flavor, notdef=tofu)
    assert present_codepoints(open_font(FontRef.parse(str(path)))) == {0x4E00}


def test_composite_glyphs_resolved(font_factory):
    """glyf composites: one of .notdef alone is tofu, one of an empty glyph is empty."""
    from fontTools.ttLib.tables._g_l_y_f import Glyph, GlyphComponent

    path = font_factory.font("comp.ttf", {0x4E00: [(100, 100, 900, 200)], 0x4E01: []})
    tt = TTFont(str(path))

    def composite(base: str, dx: int) -> Glyph:
        glyph = Glyph()
        comp = GlyphComponent()
        comp.glyphName, comp.x, comp.y, comp.flags = base, dx, 0, 0
        glyph.numberOfContours, glyph.components = -1, [comp]
        return glyph

    additions = {
        "compBar": composite("uni4E00", 0),
        "compNotdef": composite(".notdef", 0),
        "compEmpty": composite("uni4E01", 0),
        "compShifted": composite(".notdef", 30),  # moved tofu: a different outline
    }
    order = tt.getGlyphOrder() + list(additions)
    tt.setGlyphOrder(order)
    for name, glyph in additions.items():
        tt["glyf"][name] = glyph
        tt["hmtx"][name] = (1000, 0)
    cps = dict(zip((0x4E10, 0x4E11, 0x4E12, 0x4E13), additions, strict=True))
    for table in tt["cmap"].tables:
        table.cmap.update(cps)
    tt["maxp"].numGlyphs = len(order)
    tt.save(str(path))
    font = open_font(FontRef.parse(str(path)))
    assert present_codepoints(font) == {0x4E00, 0x4E10, 0x4E13}


def test_standard_glyphs_are_distinct():
    shapes = standard_glyphs(60)
    assert len({repr(s) for s in shapes.values()}) == 60
