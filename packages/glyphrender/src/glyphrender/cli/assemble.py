"""``glyphrender assemble``: trace generated glyphs and add them to a copy of a font."""

from __future__ import annotations

import statistics

import click

from glyphrender.cli import TextDefault

# Kept in sync with glyphrender.assembly.trace.TraceOptions (tested), and written out here so that
# `glyphrender --help` does not import numpy and the tracer.
DEFAULT_THRESHOLD = 0.5
DEFAULT_MIN_AREA = 4.0
DEFAULT_TOLERANCE = 0.5
DEFAULT_CORNER_ANGLE = 60.0


def _codes(codepoints: tuple[int, ...], shown: int = 20) -> str:
    """The first ``shown`` code points, then how many more (10,000 would flood a terminal)."""
    text = " ".join(f"U+{cp:04X}" for cp in codepoints[:shown])
    return text + (f" and {len(codepoints) - shown} more" if len(codepoints) > shown else "")


@click.command("assemble")
@click.option(
    "--base",
    required=True,
    metavar="FONT",
    help="Font to extend (TTF or CFF-based OTF); normally the dataset's target font.",
)
@click.option(
    "--glyphs",
    "glyph_dir",
    required=True,
    metavar="DIR",
    help="Generated-glyph folder (glyphs.h5 + PNGs) written by `zi2zi generate`.",
)
@click.option(
    "--out",
    "out_path",
    required=True,
    metavar="FONT",
    help="Font file to write (written under a temporary name, then renamed).",
)
@click.option(
    "--family-suffix",
    default=None,
    metavar="TEXT",
    cls=TextDefault,
    show_default="none: names unchanged",
    help='Append TEXT to the family name (e.g. " TC"): name IDs 1, 3, 4, 6, 16.',
)
@click.option(
    "--dataset",
    "dataset_dir",
    default=None,
    metavar="DIR",
    cls=TextDefault,
    show_default="none: not checked",
    help="Also check the glyphs against the dataset they were generated from.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="Coverage level the outline follows (fraction of full ink).",
)
@click.option(
    "--min-area",
    type=click.FloatRange(min=0),
    default=DEFAULT_MIN_AREA,
    show_default=True,
    help="Drop contours (specks, pin-holes) enclosing fewer square pixels than this.",
)
@click.option(
    "--tolerance",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TOLERANCE,
    show_default=True,
    help="How far (pixels) the fitted curves may stray from the traced outline.",
)
@click.option(
    "--corner-angle",
    type=click.FloatRange(0, 180, min_open=True, max_open=True),
    default=DEFAULT_CORNER_ANGLE,
    show_default=True,
    help="Turn (degrees, over about 2 px) that makes a corner instead of a curve.",
)
@click.option(
    "--only-accepted",
    is_flag=True,
    cls=TextDefault,
    show_default="off: all but the rejected",
    help="Add only the glyphs accepted in the review (decisions.json); rejected ones are "
    "always left out.",
)
@click.option(
    "--force",
    is_flag=True,
    cls=TextDefault,
    show_default="off",
    help="Replace an existing --out file, and accept a base font other than the one the "
    "glyphs were generated for.",
)
def assemble(
    base: str,
    glyph_dir: str,
    out_path: str,
    family_suffix: str | None,
    dataset_dir: str | None,
    threshold: float,
    min_area: float,
    tolerance: float,
    corner_angle: float,
    only_accepted: bool,
    force: bool,
) -> None:
    """Trace generated bitmaps into outlines and add them to a copy of the base font.

    A generated glyph for a character the base already has is a replacement: it takes
    the base's place only if it was accepted in `glyphrender review` (else the base's glyph
    stays, listed). Glyphs rejected in the review are left out (with --only-accepted, all
    but the accepted ones). An edited U+XXXX.png is used instead of the image in glyphs.h5.

    \b
    Exit status: 0 written; 1 bad input (one line naming the file; nothing written); 2 usage
    error; 130 interrupted (Ctrl-C); 143 stopped by SIGTERM (nothing written either way).
    """
    from glyphrender.assembly.assemble import AssembleOptions
    from glyphrender.assembly.assemble import assemble as run_assemble
    from glyphrender.assembly.trace import TraceOptions
    from glyphrender.fonts.loading import FontRef
    from glyphrender.outputs import claim_output
    from glyphrender.progress import Progress

    inputs = [("the base font", FontRef.parse(base).path), ("the glyph folder", glyph_dir)]
    claim_output(out_path, [*inputs, ("the dataset", dataset_dir)], "the font")
    options = AssembleOptions(
        trace=TraceOptions(
            threshold=threshold, min_area=min_area, tolerance=tolerance, corner_angle=corner_angle
        ),
        family_suffix=family_suffix,
        force=force,
        overwrite=force,
        only_accepted=only_accepted,
    )
    with Progress("glyphrender assemble: tracing", None, rate_unit="glyph") as progress:
        traced = progress.of_total
        report = run_assemble(base, glyph_dir, out_path, options, dataset_dir, traced)
    if report.base_mismatch:
        click.echo(
            f"warning: {base} is not the font the glyphs were generated for (--force)", err=True
        )
    kind = "quadratic glyf" if report.outline == "glyf" else "cubic CFF"
    vertical = (
        f", vertical advance {report.advance_height}" if report.advance_height is not None else ""
    )
    click.echo(
        f"added {len(report.added)} glyphs and replaced {len(report.replaced)} ({kind}) in "
        f"{report.out_path}: advance {report.advance_width}{vertical}"
    )
    # The characters left as they were or treated specially, one line per non-empty group.
    groups = (
        (report.replaced, "replaced {n} glyphs of the base, accepted in the review"),
        (
            report.already_present,
            "kept {n} characters the base already has (replacements not accepted)",
        ),
        (report.blank, "skipped {n} blank bitmaps"),
        (report.rejected, "left out {n} glyphs rejected in the review"),
        (report.not_accepted, "left out {n} glyphs not accepted in the review (--only-accepted)"),
        (report.edited, "used {n} edited PNGs"),
        (report.missing_png, "{n} PNGs are missing; used glyphs.h5 for them"),
    )
    for codepoints, what in groups:
        if codepoints:
            click.echo(f"{what.format(n=len(codepoints))}: {_codes(codepoints)}")
    if report.iou:
        click.echo(
            f"re-rendered at the build size: ink IoU mean {statistics.fmean(report.iou):.4f}, "
            f"median {statistics.median(report.iou):.4f}, min {min(report.iou):.4f}; "
            f"outline points per glyph: median {statistics.median(report.points):g}"
        )
