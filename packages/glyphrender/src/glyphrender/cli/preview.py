"""``glyphrender preview``: a contact sheet PNG of a dataset's samples."""

from __future__ import annotations

from pathlib import Path

import click

SPLITS = ("train", "val", "missing")


@click.command("preview")
@click.argument("dataset", type=click.Path(path_type=Path))
@click.option(
    "--split", type=click.Choice(SPLITS), default="val", show_default=True, help="Split to show."
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    metavar="PNG",
    help="PNG file to write (through a temporary name).",
)
@click.option(
    "--count", type=click.IntRange(min=1), default=24, show_default=True, help="Samples to show."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sample choice.")
@click.option(
    "--cell",
    "cell_px",
    type=click.IntRange(16, 1024),
    default=128,
    show_default=True,
    help="Largest thumbnail size in pixels.",
)
def preview(dataset: Path, split: str, out: Path, count: int, seed: int, cell_px: int) -> None:
    """Draw source | target pairs (source only for `missing`) labelled with their code points.

    \b
    Exit status: 0 written; 1 not a dataset, a bad shard or an empty split; 2 usage error;
    130 interrupted (SIGINT, Ctrl-C); 143 stopped by SIGTERM.
    """
    from glyphrender.dataset.preview import write_preview
    from glyphrender.dataset.shards import Dataset
    from glyphrender.outputs import claim_output

    claim_output(out, [("the dataset", dataset)], "the image")
    path = write_preview(Dataset.open(dataset), out, split, count, seed, cell_px)
    click.echo(f"wrote {path}")
