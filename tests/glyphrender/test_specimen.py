"""`glyphrender specimen`: text set in a font, highlighted and missing characters, exit codes."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from fontfactory import FIRST_CP, build_ttfont, standard_glyphs
from glyphrender.assembly.specimen import HIGHLIGHT, REPLACED, render_specimen
from glyphrender.cli import main
from glyphrender.fonts.loading import open_font
from glyphrender.generated.folder import GeneratedMeta, write_generated
from glyphrender.rendering.placement import em_box, font_transform
from PIL import Image

SIZE = 64
PAD = SIZE // 2  # left/right margin of the text (glyphrender.assembly.specimen)
LINE_H = 80  # 1.25 em
NARROW = FIRST_CP + 1  # advance of half an em in the test font
ABSENT = FIRST_CP + 0x100  # not in the test font


@pytest.fixture
def font_path(tmp_path):
    """Four glyphs U+4E00..U+4E03 (bar, post, box, cross); U+4E01 only 500 units wide."""
    font = build_ttfont(standard_glyphs(4))
    font["hmtx"][f"uni{NARROW:04X}"] = (500, 0)
    path = tmp_path / "spec.ttf"
    font.save(str(path))
    return path


def _text(*cps: int) -> str:
    return "".join(chr(c) for c in cps)


def _specimen(font_path, lines, **kwargs):
    return render_specimen(open_font(font_path), lines, SIZE, **kwargs)


def _dark(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L")) < 128


def _red(image: Image.Image) -> np.ndarray:
    rgb = np.asarray(image).astype(int)
    return (rgb[..., 0] > 150) & (rgb[..., 1] < 100) & (rgb[..., 2] < 100)


def test_size_follows_advance_widths_and_lines(font_path):
    # 一 (1 em) + narrow 丁 (0.5 em) + 一 (1 em) on line 1, one glyph on line 2.
    spec = _specimen(font_path, [_text(FIRST_CP, NARROW, FIRST_CP), _text(FIRST_CP + 2)])
    assert spec.image.mode == "RGB"
    assert spec.image.size == (round(2.5 * SIZE) + 2 * PAD, 2 * LINE_H + 2 * (PAD // 2))
    assert spec.characters == 4 and spec.missing == () and spec.highlighted == 0


def test_ink_lies_in_each_glyph_cell_only(font_path):
    # 一 (horizontal bar) then 丁 (vertical post, half-em advance) then the box 丂.
    spec = _specimen(font_path, [_text(FIRST_CP, NARROW, FIRST_CP + 2)])
    dark = _dark(spec.image)
    cells = [(PAD, PAD + SIZE), (PAD + SIZE, PAD + SIZE + SIZE // 2)]
    for x0, x1 in cells:
        assert dark[:, x0:x1].any()
    assert not dark[:, :PAD].any()  # left margin is paper
    assert not dark[:, -PAD // 2 :].any()  # right margin too
    bar_rows = np.flatnonzero(dark[:, cells[0][0] : cells[0][1]].any(axis=1))
    assert bar_rows.size < SIZE // 8  # the bar is thin, as drawn (60 units of 1000)
    # The box fills its em cell: rows and columns each span most of the em.
    box = dark[:, PAD + round(1.5 * SIZE) :]
    assert np.flatnonzero(box.any(axis=0)).size > 0.7 * SIZE
    # Baseline placement: the bar (y = 350..410 units) sits where the font transform puts it.
    t = font_transform(em_box(open_font(font_path)), SIZE, margin=0.0)
    expected = t.y_offset + (LINE_H - SIZE) / 2 + PAD // 2 - 380 * t.scale
    assert abs(bar_rows.mean() - expected) < 1.5


def test_highlighted_characters_are_red_and_others_black(font_path):
    spec = _specimen(font_path, [_text(FIRST_CP, FIRST_CP + 2)], highlight={FIRST_CP + 2})
    red = _red(spec.image)
    assert spec.highlighted == 1
    assert not red[:, : PAD + SIZE].any()  # the first glyph is black
    assert red[:, PAD + SIZE :].any()
    assert tuple(np.asarray(spec.image)[red][0]) == HIGHLIGHT


def test_missing_characters_are_boxed_and_reported(font_path):
    text = _text(FIRST_CP, ABSENT, FIRST_CP, ABSENT)
    spec = _specimen(font_path, [text])
    assert spec.missing == (ABSENT,)
    rgb = np.asarray(spec.image).astype(int)
    grey = (np.abs(rgb - 160).max(axis=-1) < 10)[:, PAD + SIZE : PAD + 2 * SIZE]
    assert grey.any(axis=0).sum() > SIZE // 2  # the box's top and bottom edges


def test_empty_text_is_an_error(font_path):
    from glyphrender.errors import GlyphrenderError

    with pytest.raises(GlyphrenderError, match="empty"):
        _specimen(font_path, ["  ", ""])


def _cli(*args: str):
    return CliRunner().invoke(main, ["specimen", *args])


def test_cli_writes_png_with_caption_and_warns_of_missing(font_path, tmp_path):
    out = tmp_path / "spec.png"
    text = _text(FIRST_CP, ABSENT, FIRST_CP + 3)
    result = _cli("--font", str(font_path), "--text", text, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "lacks 1 character(s)" in result.stderr and f"U+{ABSENT:04X}" in result.stderr
    image = Image.open(out)
    assert image.size[0] >= 3 * SIZE + 2 * PAD  # wider if the caption needs it
    assert image.size[1] > LINE_H + 2 * (PAD // 2)  # the caption line below the text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.png", "spec.ttf"]  # no temp


def _glyph_folder(tmp_path, base_path, codepoints):
    """A generated folder made for ``base_path`` holding ``codepoints``."""
    base = open_font(base_path)
    meta = GeneratedMeta(
        style_id=0,
        style_name="Test",
        glyph_px=32,
        placement="font",
        target_font_sha256=base.sha256,
        target_font_path=str(base_path),
        transform=font_transform(em_box(base), 32),
        dataset_manifest_sha256="0" * 64,
    )
    images = np.zeros((len(codepoints), 32, 32), np.uint8)
    return write_generated(tmp_path / "gen", images, codepoints, meta)


@pytest.fixture
def assembled(font_path, tmp_path):
    """(base font without U+4E03, a glyph folder of U+4E00 and U+4E03 made for it); the
    test font plays the assembled one: assemble kept the base's U+4E00 and added U+4E03."""
    base = tmp_path / "base.ttf"
    build_ttfont(standard_glyphs(3)).save(str(base))
    return base, _glyph_folder(tmp_path, base, [FIRST_CP, FIRST_CP + 3])


def test_cli_highlights_only_what_assembling_added(font_path, tmp_path, assembled):
    _, gen = assembled
    out = tmp_path / "spec.png"
    text = _text(FIRST_CP, FIRST_CP + 3) + "\n" + _text(FIRST_CP + 2)
    result = _cli(
        *("--font", str(font_path), "--text", text, "--out", str(out)),
        *("--highlight-from", str(gen), "--caption", ""),
    )
    assert result.exit_code == 0, result.output
    assert "1 highlighted" in result.output
    image = Image.open(out)
    assert image.size == (2 * SIZE + 2 * PAD, 2 * LINE_H + 2 * (PAD // 2))
    red = _red(image)
    assert red[: PAD // 2 + LINE_H, PAD + SIZE :].any()  # 丄 on line 1: added
    assert not red[:, : PAD + SIZE].any()  # 一: in the folder, but the base already had it
    assert not red[PAD // 2 + LINE_H :].any()  # line 2 is black


def _blue(image: Image.Image) -> np.ndarray:
    rgb = np.asarray(image).astype(int)
    return (rgb[..., 2] > 150) & (rgb[..., 0] < 100)


def test_cli_tints_accepted_replacements_blue(font_path, tmp_path):
    """A folder of U+4E00-4E03 for a base of U+4E00-4E02: 丄 added (red); of the base's own
    characters only the accepted replacement 一 is tinted (blue), the rejected 丁 and the
    undecided 丂 stay black."""
    from glyphrender.generated.decisions import write_decisions

    base = tmp_path / "base.ttf"
    build_ttfont(standard_glyphs(3)).save(str(base))
    gen = _glyph_folder(tmp_path, base, [FIRST_CP + i for i in range(4)])
    write_decisions(gen, {FIRST_CP: "accepted", FIRST_CP + 1: "rejected"})
    out = tmp_path / "spec.png"
    text = _text(FIRST_CP, FIRST_CP + 1, FIRST_CP + 2, FIRST_CP + 3)
    result = _cli(
        *("--font", str(font_path), "--text", text, "--out", str(out)),
        *("--highlight-from", str(gen)),
    )
    assert result.exit_code == 0, result.output
    assert "2 highlighted (1 of them replaced)" in result.output
    image = Image.open(out)
    blue, red = _blue(image), _red(image)
    line = slice(0, PAD // 2 + LINE_H)
    first = slice(PAD, PAD + SIZE)  # 一 (full em)
    rest = slice(PAD + SIZE, PAD + SIZE + SIZE // 2 + SIZE)  # 丁 (half em) and 丂
    assert blue[line, first].any() and not red[line, first].any()
    assert not blue[line, rest].any() and not red[line, rest].any()
    assert red[line, PAD + SIZE // 2 + 2 * SIZE :].any()  # 丄: added
    spec = render_specimen(open_font(font_path), [text], SIZE, replaced={FIRST_CP})
    assert spec.replaced == 1 and spec.highlighted == 1
    assert REPLACED in {tuple(px) for px in np.asarray(spec.image)[_blue(spec.image)].tolist()}


def test_cli_highlight_base_can_be_named_or_must_be_found(font_path, tmp_path, assembled):
    base, gen = assembled
    moved = base.rename(tmp_path / "moved.ttf")
    out = tmp_path / "spec.png"
    args = ("--font", str(font_path), "--text", _text(FIRST_CP, FIRST_CP + 3), "--out", str(out))
    result = _cli(*args, "--highlight-from", str(gen))
    assert result.exit_code == 1 and not out.exists()
    assert result.stderr.strip().splitlines() == [
        f"glyphrender: error: {gen}: its target font {base} is not there; give the font "
        "assemble extended with --base FONT"
    ]
    result = _cli(*args, "--highlight-from", str(gen), "--base", str(moved))
    assert result.exit_code == 0, result.output
    assert "2 characters, 1 highlighted" in result.output


def test_cli_text_escape_starts_a_line(font_path, tmp_path):
    out = tmp_path / "spec.png"
    typed = _text(FIRST_CP) + "\\n" + _text(FIRST_CP + 2)  # what a shell passes for "一\n丂"
    result = _cli("--font", str(font_path), "--text", typed, "--out", str(out), "--caption", "")
    assert result.exit_code == 0, result.output
    assert Image.open(out).size == (SIZE + 2 * PAD, 2 * LINE_H + 2 * (PAD // 2))
    assert "2 characters" in result.output


def test_cli_text_file_and_size(font_path, tmp_path):
    text_file = tmp_path / "text.txt"
    text_file.write_text(_text(FIRST_CP) + "\n" + _text(FIRST_CP, FIRST_CP) + "\n\n", "utf-8")
    out = tmp_path / "spec.png"
    result = _cli(
        *("--font", str(font_path), "--text-file", str(text_file)),
        *("--out", str(out), "--size", "32", "--caption", ""),
    )
    assert result.exit_code == 0, result.output
    assert Image.open(out).size == (2 * 32 + 32, 2 * 40 + 16)


def test_cli_bad_font_is_one_line_exit_1(font_factory, tmp_path):
    out = tmp_path / "spec.png"
    result = _cli("--font", str(font_factory.text_file()), "--text", "x", "--out", str(out))
    assert result.exit_code == 1
    assert result.stderr.startswith("glyphrender: error: ") and result.stderr.count("\n") == 1
    assert not out.exists()


def test_cli_bad_glyph_folder_exit_1(font_path, tmp_path):
    out = tmp_path / "spec.png"
    result = _cli(
        *("--font", str(font_path), "--text", "x", "--out", str(out)),
        *("--highlight-from", str(tmp_path / "nowhere")),
    )
    assert result.exit_code == 1 and "nowhere" in result.stderr
    assert not out.exists()


def test_cli_without_text_is_a_usage_error(font_path, tmp_path):
    result = _cli("--font", str(font_path), "--out", str(tmp_path / "s.png"))
    assert result.exit_code == 2


def test_cli_text_composes_a_character_typed_with_its_marks(font_path, tmp_path):
    out = tmp_path / "spec.png"
    decomposed = "\u304b\u3099"  # か + combining voiced mark, as some keyboards and files give が
    result = _cli("--font", str(font_path), "--text", decomposed, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "1 characters, 0 highlighted, 1 missing" in result.output
    assert "U+304C" in result.output  # が, not か and a lone mark
