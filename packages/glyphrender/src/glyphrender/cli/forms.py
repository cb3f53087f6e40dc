"""``glyphrender forms``: which characters two faces draw in different forms (the form oracle)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from glyphrender.cli import TextDefault
from glyphrender.errors import GlyphrenderError

_FACE_HELP = (
    "(TTF/OTF/TTC/WOFF/WOFF2; FONT#N picks a collection face, e.g. NotoSansCJK-Regular.ttc#0)"
)
_SHOWN = 24  # characters of each list shown on the terminal
# glyphrender.rendering.formcompare.DEFAULT_THRESHOLD, written out so that `--help` imports no
# renderer (a test keeps the two equal).
DEFAULT_THRESHOLD = 0.95


@click.command("forms")
@click.option("--a", "face_a", required=True, metavar="FONT", help=f"Face a {_FACE_HELP}.")
@click.option("--b", "face_b", required=True, metavar="FONT", help=f"Face b {_FACE_HELP}.")
@click.option(
    "--charset",
    "charset_specs",
    multiple=True,
    metavar="SPEC",
    default=("big5-han",),
    show_default=True,
    help="Characters to compare (repeatable, union): a named set (see `coverage --help`), a "
    "range U+4E00-U+4E0F or a text file.",
)
@click.option(
    "--target",
    metavar="FONT",
    cls=TextDefault,
    show_default="none",
    help="A font whose glyphs to place: for each character it draws whose a/b forms differ, "
    "is its glyph closer to a or to b (ink IoU at 64 px)?",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1, min_open=True),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="Outline comparison only (faces that do not share one glyph table): ink IoU at 64 px "
    "below which two glyphs count as different forms.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    cls=TextDefault,
    show_default="none written",
    help="Write the lists as JSON (same, different, missing_in_a, missing_in_b, the method, "
    "both faces with their sha256; with --target also target_closer_to_a/_b, target_ties).",
)
def forms(
    face_a: str,
    face_b: str,
    charset_specs: Sequence[str],
    target: str | None,
    threshold: float,
    out: Path | None,
) -> None:
    """List per character whether faces A and B draw it in the same form.

    Exact from glyph identity when A and B are faces of one collection sharing its glyph
    table (Noto Sans CJK's JP face 0 and TC face 3: same glyph ID = same form); otherwise from
    the outlines, rendered at 64 px as `build` renders them and compared by ink IoU against
    --threshold. With --target, says for each character the target draws whose A/B forms
    differ which face the target's glyph is closer to.

    \b
    Exit status: 0 compared (and FILE written); 1 bad input (a missing font, a collection
    without the named face: one line naming the file; nothing written); 2 usage error;
    130 interrupted (SIGINT, Ctrl-C); 143 stopped by SIGTERM.
    """
    from glyphrender.fonts.charsets import resolve_charset
    from glyphrender.fonts.loading import FontRef, open_font
    from glyphrender.rendering.formcompare import compare_forms

    if out is not None and not out.absolute().parent.is_dir():  # before the slow part
        raise GlyphrenderError(f"{out.absolute().parent}: output folder does not exist")
    if out is not None:
        from glyphrender.outputs import claim_output

        fonts = [("face a", face_a), ("face b", face_b), ("the target font", target)]
        claim_output(out, [(what, FontRef.parse(f).path if f else None) for what, f in fonts])
    charset = resolve_charset(charset_specs)
    a, b = open_font(FontRef.parse(face_a)), open_font(FontRef.parse(face_b))
    target_font = open_font(FontRef.parse(target)) if target else None
    report = compare_forms(a, b, charset, target_font, threshold)
    _echo_report(report, a, b, target_font)
    if out is not None:
        from glyphrender.atomic import write_text_atomic

        write_text_atomic(out, json.dumps(report.to_dict(), indent=1) + "\n", "the forms file")
        click.echo(f"wrote {out}")


def _sample(codepoints: Sequence[int]) -> str:
    shown = "".join(chr(cp) for cp in codepoints[:_SHOWN])
    return shown + (" …" if len(codepoints) > _SHOWN else "")


def _share(part: int, whole: int) -> str:
    return f"{part:,} ({100 * part / whole:.1f}%)" if whole else f"{part:,}"


def _echo_report(report: Any, a: Any, b: Any, target: Any) -> None:
    lists = report.lists
    click.echo(f"a: {a.ref} ({a.display_name})")
    click.echo(f"b: {b.ref} ({b.display_name})")
    click.echo(f"charset: {' '.join(report.charset.spec)} ({len(report.charset):,} characters)")
    if lists.threshold is None:
        click.echo(f"method: {lists.method} (the faces share one glyph table: exact)")
    else:
        click.echo(
            f"method: {lists.method} (ink IoU at {lists.glyph_px} px; below "
            f"{lists.threshold:g} counts as a different form)"
        )
    both = len(lists.same) + len(lists.different)
    click.echo(
        f"  drawn by both: {both:,}  same form: {len(lists.same):,}  different: "
        f"{_share(len(lists.different), both)}  missing in a: {len(lists.missing_in_a):,}  "
        f"missing in b: {len(lists.missing_in_b):,}"
    )
    if lists.different:
        click.echo(f"  different: {_sample(lists.different)}")
    near = report.closeness
    if near is None:
        return
    drawn = len(near.closer_to_a) + len(near.closer_to_b) + len(near.ties)
    click.echo(
        f"target: {target.ref} ({target.display_name}): draws {drawn:,} of the "
        f"{len(lists.different):,} characters with different forms (ink IoU at {near.glyph_px} px)"
    )
    click.echo(
        f"  closer to a: {_share(len(near.closer_to_a), drawn)}  closer to b: "
        f"{_share(len(near.closer_to_b), drawn)}  ties: {len(near.ties):,}"
    )
    if near.closer_to_a:
        click.echo(f"  closer to a: {_sample(near.closer_to_a)}")
