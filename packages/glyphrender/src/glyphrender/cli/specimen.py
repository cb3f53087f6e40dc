"""``glyphrender specimen``: a PNG of text set in a font, generated characters highlighted."""

from __future__ import annotations

from pathlib import Path

import click

from glyphrender.cli import TextDefault

DEFAULT_SIZE = 64  # glyphrender.assembly.specimen.DEFAULT_SIZE, written out so --help stays light


def _added_from(
    font, glyph_dir: Path, base_spec: str | None
) -> tuple[frozenset[int], frozenset[int]]:
    """The characters of ``glyph_dir`` that assembling added to ``font``, and those it
    replaced (accepted replacement candidates)."""
    from glyphrender.assembly.specimen import added_characters, replaced_characters
    from glyphrender.errors import GlyphrenderError
    from glyphrender.fonts.loading import open_font
    from glyphrender.generated.decisions import ACCEPTED, read_decisions
    from glyphrender.generated.folder import read_generated

    meta, _, codepoints = read_generated(glyph_dir, images=False)
    if base_spec is None:
        recorded = Path(meta.target_font_path)
        if not recorded.is_file():
            raise GlyphrenderError(
                f"{glyph_dir}: its target font {recorded} is not there; give the font assemble "
                "extended with --base FONT"
            )
        base = open_font(recorded)
        if base.sha256 != meta.target_font_sha256:
            raise GlyphrenderError(
                f"{recorded}: is not the font {glyph_dir} was generated for (sha256 differs); "
                "give the font assemble extended with --base FONT"
            )
    else:
        base = open_font(base_spec)
    generated = codepoints.tolist()
    decisions = read_decisions(glyph_dir) or {}
    accepted = [cp for cp, status in decisions.items() if status == ACCEPTED]
    return (
        added_characters(font, generated, base),
        replaced_characters(font, generated, base, accepted),
    )


@click.command("specimen")
@click.option("--font", "font_spec", required=True, metavar="FONT", help="Font to set (FONT#N ok).")
@click.option(
    "--font-index",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    cls=TextDefault,
    show_default="FONT#N, else 0",
    help="Face of a collection (TTC/OTC).",
)
@click.option(
    "--text",
    default=None,
    cls=TextDefault,
    show_default="none",
    help="Text to set; a typed \\n starts a new line (\\\\ for a backslash).",
)
@click.option(
    "--text-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    cls=TextDefault,
    show_default="none",
    help="UTF-8 text file to set (after --text), one line per line.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="PNG file to write (through a temporary name).",
)
@click.option(
    "--size",
    type=click.IntRange(8, 512),
    default=DEFAULT_SIZE,
    show_default=True,
    help="Pixels per em.",
)
@click.option(
    "--highlight-from",
    "highlight_dir",
    type=click.Path(path_type=Path),
    default=None,
    metavar="DIR",
    cls=TextDefault,
    show_default="none",
    help="Tint the characters of this generated-glyph folder (gen/NAME) that assembling "
    "added (red: those FONT has and the --base font lacks) or replaced (blue: those the "
    "--base font has and the review accepted).",
)
@click.option(
    "--base",
    "base_spec",
    default=None,
    metavar="FONT",
    cls=TextDefault,
    show_default="the target font recorded in the glyph folder",
    help="The font assemble extended, for --highlight-from.",
)
@click.option(
    "--highlight",
    "highlight_chars",
    default=None,
    metavar="CHARS",
    cls=TextDefault,
    show_default="none",
    help="Tint these characters.",
)
@click.option(
    "--caption",
    default=None,
    cls=TextDefault,
    show_default="font name, size, highlight count",
    help="Line written under the text; '' for none.",
)
def specimen(
    font_spec: str,
    font_index: int | None,
    text: str | None,
    text_file: Path | None,
    out: Path,
    size: int,
    highlight_dir: Path | None,
    base_spec: str | None,
    highlight_chars: str | None,
    caption: str | None,
) -> None:
    """Draw lines of text set in FONT (black on white, highlighted characters in red).

    Characters the font lacks are drawn as grey boxes and counted in a warning on stderr.
    With --highlight-from, only the characters assembling added or replaced are tinted: in
    red those of the glyph folder that FONT has and the base font lacks, in blue those the
    base font has and the review accepted (assemble replaced them).

    \b
    Exit status: 0 written; 1 bad font, text or glyph folder, or the base font for
    --highlight-from not found (one line naming it; nothing written); 2 usage error;
    130 interrupted (Ctrl-C); 143 stopped by SIGTERM.
    """
    if text is None and text_file is None:
        raise click.UsageError("give the text with --text or --text-file")

    from glyphrender.assembly.specimen import render_specimen, text_lines, unescape_text, write_png
    from glyphrender.errors import GlyphrenderError
    from glyphrender.fonts.loading import FontRef, open_font
    from glyphrender.outputs import claim_output

    font_ref = FontRef.parse(font_spec, font_index)
    inputs = [("the font", font_ref.path), ("the text file", text_file)]
    inputs += [("the glyph folder", highlight_dir)]
    inputs += [("the base font", FontRef.parse(base_spec).path if base_spec else None)]
    claim_output(out, inputs, "the image")
    lines = text_lines(unescape_text(text)) if text is not None else []
    if text_file is not None:
        try:
            lines += text_lines(text_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise GlyphrenderError(f"{text_file}: cannot read the text ({exc})") from None
    font = open_font(font_ref)
    highlight: set[int] = set()
    replaced: frozenset[int] = frozenset()
    if highlight_chars:
        highlight |= {ord(c) for c in highlight_chars if not c.isspace()}
    if highlight_dir is not None:
        added, replaced = _added_from(font, highlight_dir, base_spec)
        highlight |= added
    if caption is None:
        caption = _caption(font, size, lines, highlight - replaced, replaced)
    result = render_specimen(font, lines, size, highlight, caption=caption, replaced=replaced)
    write_png(result.image, out)
    if result.missing:
        shown = " ".join(f"U+{cp:04X} {chr(cp)}" for cp in result.missing[:20])
        more = f" and {len(result.missing) - 20} more" if len(result.missing) > 20 else ""
        click.echo(
            f"glyphrender: warning: {font.path}: lacks {len(result.missing)} character(s) of the "
            f"text, drawn as boxes: {shown}{more}",
            err=True,
        )
    w, h = result.image.size
    click.echo(
        f"wrote {out} ({w}x{h} px): {result.characters} characters, "
        f"{result.highlighted} highlighted"
        + (f" ({result.replaced} of them replaced)" if result.replaced else "")
        + f", {len(result.missing)} missing"
    )


def _caption(font, size: int, lines: list[str], red: set[int], blue: frozenset[int]) -> str:
    """The default caption: the font, the size and how many characters each tint marks."""

    def drawn(tinted) -> int:
        return sum(ord(c) in tinted and ord(c) in font.cmap for line in lines for c in line)

    caption = f"{font.display_name}, {size} px per em"
    if red:
        caption += f"; in red: {drawn(red)} highlighted characters"
    if blue:
        caption += f"; in blue: {drawn(blue)} replaced"
    return caption
