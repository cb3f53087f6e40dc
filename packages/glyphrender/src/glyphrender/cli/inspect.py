"""``glyphrender inspect``: what a dataset holds, and whether its shards are intact."""

from __future__ import annotations

import json
from pathlib import Path

import click

from glyphrender.cli import TextDefault


@click.command("inspect")
@click.argument("dataset", type=click.Path(path_type=Path))
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    cls=TextDefault,
    show_default="off",
    help="Print the summary as JSON instead of text.",
)
@click.option(
    "--verify",
    is_flag=True,
    cls=TextDefault,
    show_default="off",
    help="Also check every shard's sha256 and values against the manifest.",
)
def inspect_cmd(dataset: Path, as_json: bool, verify: bool) -> None:
    """Print a dataset's fonts, counts per split, image size, placement and size on disk.

    \b
    Exit status: 0 fine; 1 not a dataset or (with --verify) a shard missing, changed or
    holding values the manifest rules out; 2 usage error; 130 interrupted (SIGINT, Ctrl-C);
    143 stopped by SIGTERM.
    """
    from glyphrender.dataset.inspect import format_summary, summarize
    from glyphrender.dataset.shards import Dataset

    summary = summarize(Dataset.open(dataset), verify=verify)
    if as_json:
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        click.echo(format_summary(summary))
    if verify and summary["problems"]:
        click.echo(
            f"glyphrender: error: {dataset}: {len(summary['problems'])} shard(s) missing or "
            "changed since the build",
            err=True,
        )
        raise SystemExit(1)
