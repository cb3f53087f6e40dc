"""``glyphrender review``: a local web page to accept or reject generated glyphs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from glyphrender import stop
from glyphrender.cli import TextDefault
from glyphrender.stop import Terminated

if TYPE_CHECKING:
    from glyphrender.generated.decisions import DecisionStore


def stop_summary(store: DecisionStore) -> str:
    """What the decisions file holds now (read back: only what was saved is said)."""
    from glyphrender.generated.decisions import decisions_path

    counts = store.counts()
    path = decisions_path(store.folder)
    where = f"saved in {path}" if path.is_file() else f"nothing saved ({path} not written)"
    return (
        f"{counts['accepted']} accepted, {counts['rejected']} rejected, "
        f"{counts['undecided']} undecided, {where}"
    )


@click.command("review")
@click.argument("glyph_dir", metavar="DIR")
@click.option(
    "--base",
    "base_font",
    default=None,
    metavar="FONT",
    cls=TextDefault,
    show_default="the target font recorded in the folder, if it is still there",
    help="Target font whose own glyphs are shown for context.",
)
@click.option(
    "--dataset",
    "dataset_dir",
    default=None,
    metavar="DIR",
    cls=TextDefault,
    show_default="none",
    help="Dataset the glyphs were generated from: renders the source glyphs when the folder "
    "does not store them.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    metavar="N",
    show_default=True,
    help="Port on 127.0.0.1 to serve the page on; 0 picks a free one.",
)
@click.option(
    "--no-browser",
    is_flag=True,
    cls=TextDefault,
    show_default="off: the page opens in the default browser",
    help="Only print the page's address; do not open a browser.",
)
def review(
    glyph_dir: str, base_font: str | None, dataset_dir: str | None, port: int, no_browser: bool
) -> None:
    """Review the generated glyphs in DIR (from `zi2zi generate`) in the browser.

    Serves a page on 127.0.0.1 only, showing each glyph large beside its source glyph and
    the target font's own glyphs. Accept, reject or leave undecided by click or key; every
    decision is saved at once in DIR/decisions.json, which `glyphrender assemble` reads
    (rejected glyphs are left out; --only-accepted keeps only accepted ones). Stop with
    Ctrl-C: the decisions are already saved.

    \b
    Exit status: 0 stopped with Ctrl-C (decisions already saved); 1 bad folder, font,
    dataset or decisions file, or port in use (one line naming it); 2 usage error;
    143 stopped by SIGTERM (decisions already saved).
    """
    from glyphrender.review.server import open_review

    server = open_review(glyph_dir, base_font, dataset_dir, port)
    catalog = server.catalog
    counts = server.store.counts()
    click.echo(
        f"reviewing {len(catalog.codepoints)} glyphs of {glyph_dir} "
        f"({counts['accepted']} accepted, {counts['rejected']} rejected so far)"
    )
    if catalog.sources is None:
        click.echo("note: the folder stores no source glyphs; pass --dataset DIR to show them")
    if catalog.renderer is None:
        click.echo("note: target font not found; pass --base FONT to show its own glyphs")
    click.echo(f"open {server.url}  (Ctrl-C to stop)", err=False)
    if not no_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt as exc:  # Ctrl-C is how a review ends; SIGTERM still exits 143
        click.echo(f"stopped; {stop_summary(server.store)}")
        if isinstance(exc, Terminated):
            raise
        stop.clear()  # answered: the review ended as asked, exit 0
    finally:
        server.server_close()
