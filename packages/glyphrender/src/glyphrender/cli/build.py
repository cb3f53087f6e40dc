"""``glyphrender build``: render a source font and target fonts into a dataset of HDF5 shards."""

from __future__ import annotations

import os
import time
from pathlib import Path

import click

from glyphrender.cli import TextDefault, src_font_option, src_index_option
from glyphrender.fonts.charsets import DEFAULT_CHARSET
from glyphrender.progress import Progress

# Kept in sync with glyphrender.rendering.render / placement / splits / build defaults (tested), and
# written out here so `glyphrender --help` does not import the renderer.
DEFAULT_SIZE = 256
DEFAULT_MARGIN = 0.05
DEFAULT_VAL_FRACTION = 0.1
DEFAULT_SHARD_SIZE = 1000
PLACEMENTS = ("font", "center")


@click.command("build")
@src_font_option
@click.option(
    "--dst",
    "dst",
    required=True,
    multiple=True,
    metavar="FONT",
    help="Target font; repeat for a multi-style dataset (style ids 0.. in this order).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data"),
    show_default=True,
    help="Dataset directory. Other files in it (a README) are kept.",
)
@src_index_option
@click.option(
    "--blend",
    "blend",
    multiple=True,
    metavar="FONT",
    help="Another source design, FILE or FILE#N; repeat for more. Each source image becomes "
    "the mean of --src and the --blend fonts that draw the character (--src alone decides "
    "which characters are in the dataset). zi2zi generate and review draw the same blend.",
)
@click.option(
    "--dst-index",
    type=click.IntRange(min=0),
    multiple=True,
    metavar="N",
    show_default="FONT#N, else 0",
    cls=TextDefault,
    help="Face index of a --dst collection; give once per --dst, in order.",
)
@click.option(
    "--charset",
    "charset",
    multiple=True,
    metavar="SPEC",
    default=DEFAULT_CHARSET,
    show_default=True,
    help="Named set (cjk, kana, gb2312, ...), range U+4E00-U+4FFF or text file; repeat to combine.",
)
@click.option(
    "--size",
    type=click.IntRange(8, 4096),
    default=DEFAULT_SIZE,
    show_default=True,
    help="Canvas size in pixels (square).",
)
@click.option(
    "--placement",
    type=click.Choice(PLACEMENTS),
    default="font",
    show_default=True,
    help="font: one transform per font (em box fitted to the canvas); center: each glyph's "
    "ink box centred at the same scale.",
)
@click.option(
    "--margin",
    type=click.FloatRange(0, 0.5, max_open=True),
    default=DEFAULT_MARGIN,
    show_default=True,
    help="Empty border on each side of the em box, as a fraction of the canvas.",
)
@click.option(
    "--val-fraction",
    type=click.FloatRange(0, 1),
    default=DEFAULT_VAL_FRACTION,
    show_default=True,
    help="Share of the shared characters held out for validation.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the split hash.")
@click.option(
    "--shard-size",
    type=click.IntRange(min=1),
    default=DEFAULT_SHARD_SIZE,
    show_default=True,
    help="Most samples per shard file.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    show_default="all cores",
    cls=TextDefault,
    help="Rendering processes; the output does not depend on it.",
)
@click.option(
    "--force",
    is_flag=True,
    show_default="off",
    cls=TextDefault,
    help="Replace a dataset already at --out (atomically: the old one stays until the new "
    "one is complete).",
)
def build(
    src: str,
    dst: tuple[str, ...],
    out: Path,
    src_index: int | None,
    blend: tuple[str, ...],
    dst_index: tuple[int, ...],
    charset: tuple[str, ...],
    size: int,
    placement: str,
    margin: float,
    val_fraction: float,
    seed: int,
    shard_size: int,
    workers: int | None,
    force: bool,
) -> None:
    """Render paired glyphs of --src and each --dst font into train/val/missing shards.

    Characters both fonts draw become train/val pairs (split by a seeded hash of the code
    point); characters only the source draws go to `missing` (source image only).

    The dataset is built in a hidden directory beside --out (.NAME.build-*) and moved into
    place when complete; a later build removes those left by killed builds. Worker processes
    exit when the build dies, even by SIGKILL.

    \b
    Exit status: 0 built; 1 bad input (a one-line message names the file); 2 usage error;
    130 interrupted (SIGINT, Ctrl-C); 143 stopped by SIGTERM. Interrupted or stopped, the
    build removes its temporary directory and leaves --out as it was.
    """
    from glyphrender.dataset.build import BuildConfig, build_dataset
    from glyphrender.fonts.loading import FontRef
    from glyphrender.rendering.render import RenderOptions

    if dst_index and len(dst_index) != len(dst):
        raise click.UsageError(
            f"--dst-index given {len(dst_index)} times for {len(dst)} --dst fonts; "
            "give it once per --dst or not at all"
        )
    source = FontRef.parse(src, src_index)
    targets = tuple(
        FontRef.parse(d, dst_index[i] if dst_index else None) for i, d in enumerate(dst)
    )
    config = BuildConfig(
        source=source,
        targets=targets,
        blend=tuple(FontRef.parse(b) for b in blend),
        out=out,
        charset=charset,
        render=RenderOptions(glyph_px=size, placement=placement, margin=margin),
        val_fraction=val_fraction,
        seed=seed,
        shard_size=shard_size,
        workers=workers,
        force=force,
    )
    started = time.perf_counter()
    notify = lambda line: click.echo(f"glyphrender: {line}", err=True)  # noqa: E731
    with Progress("glyphrender build: rendering", None, rate_unit="sample") as progress:
        result = build_dataset(config, progress=progress.of_total, notify=notify)
    elapsed = time.perf_counter() - started
    counts = ", ".join(f"{s} {result.count(s)}" for s in ("train", "val", "missing"))
    total = sum(result.count(s) for s in ("train", "val", "missing"))
    click.echo(
        f"wrote {out}{os.sep}: {counts} samples of {size} px, "
        f"{result.manifest.num_styles} style(s), in {elapsed:.1f} s ({total / max(elapsed, 1e-9):,.0f} samples/s)"
    )
    if result.clipped:
        shown = ", ".join(f"U+{c.codepoint:04X}" for c in result.clipped[:10])
        more = f" and {len(result.clipped) - 10} more" if len(result.clipped) > 10 else ""
        click.echo(
            f"glyphrender: warning: {len(result.clipped)} glyph image(s) spill off the {size} px "
            f"canvas ({shown}{more}); listed in {out / 'manifest.json'} under render.clipped "
            "(try a larger --margin or --placement center)",
            err=True,
        )
