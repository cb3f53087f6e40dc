"""``glyphrender coverage``: which characters a source font and target fonts share."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from glyphrender.cli import SRC_FONT_HELP, TextDefault, font_refs, src_index_option
from glyphrender.errors import GlyphrenderError
from glyphrender.fonts.charsets import DEFAULT_CHARSET, NAMED_SETS

_CHARSET_HELP = (
    "Characters to consider (repeatable; the union is used): a named set ("
    + ", ".join(NAMED_SETS)
    + "), a range U+4E00-U+4E0F, or a text file of characters / U+XXXX lines. "
    + "cjk is U+4E00-U+9FFF and U+3400-U+4DBF."
)


@click.command("coverage")
@click.option("--src", "src", metavar="FONT", help=SRC_FONT_HELP + " Needs --dst.")
@click.option(
    "--dst",
    "dsts",
    multiple=True,
    metavar="FONT",
    help="Target font; repeat for several targets (style ids 0.. in this order).",
)
@click.option(
    "--font",
    "font_spec",
    metavar="FONT",
    cls=TextDefault,
    show_default="none",
    help="Instead of --src/--dst: one finished font, counted against each charset on its own "
    "(every named set, or each --charset given): present and missing per set.",
)
@src_index_option
@click.option(
    "--dst-index",
    "dst_indices",
    type=click.IntRange(min=0),
    multiple=True,
    metavar="N",
    cls=TextDefault,
    show_default="FONT#N, else 0",
    help="Face index of a --dst collection; give once per --dst in order, or once for all.",
)
@click.option(
    "--charset",
    "charset_specs",
    multiple=True,
    metavar="SPEC",
    cls=TextDefault,
    show_default=" ".join(DEFAULT_CHARSET),
    help=_CHARSET_HELP + " With --font each spec is counted on its own (default there: every "
    "named set).",
)
@click.option(
    "--fallback-src",
    "fallback_srcs",
    multiple=True,
    metavar="FONT",
    help="Fallback source font after SRC (FONT#N picks a collection face); repeatable, in "
    "order. Prints per target how many characters it lacks each source would supply, each "
    "from the first that draws it (as `zi2zi generate --fallback-src`).  [default: none]",
)
@click.option(
    "--write-lists",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    cls=TextDefault,
    show_default="none written",
    help="Directory to write shared.txt, source_only.txt, target_only.txt into "
    "(U+XXXX<TAB>char per line; with several targets also per-style files *_styleN.txt; "
    "with --font missing_SET.txt per charset).",
)
def coverage(
    src: str | None,
    dsts: Sequence[str],
    font_spec: str | None,
    src_index: int | None,
    dst_indices: Sequence[int],
    charset_specs: Sequence[str],
    fallback_srcs: Sequence[str],
    write_lists: Path | None,
) -> None:
    """Count the characters SRC and each DST draw (non-empty outline, not .notdef).

    Prints per target: shared (both draw: training pairs), source-only (the source draws,
    the target lacks: what a model would generate) and target-only. With --fallback-src,
    also how many of the characters the target lacks each source in order would supply.
    With --font instead: how many characters of each charset one font draws and lacks.

    \b
    Exit status: 0 counted (and lists written); 1 bad input (a one-line message names the
    file) or lists that cannot be written; 2 usage error; 130 interrupted (SIGINT, Ctrl-C);
    143 stopped by SIGTERM.
    """
    from glyphrender.fonts.charsets import resolve_charset
    from glyphrender.fonts.coverage import compute_coverage
    from glyphrender.fonts.loading import FontRef, open_font

    if font_spec is not None:
        if src is not None or dsts or src_index is not None or dst_indices or fallback_srcs:
            raise click.UsageError("--font counts one font: give it without --src/--dst")
        return _one_font(font_spec, charset_specs, write_lists)
    if src is None or not dsts:
        raise click.UsageError("give --src and --dst (a source and its targets), or --font")
    target_refs = font_refs(dsts, dst_indices, "--dst")
    fonts = [FontRef.parse(src, src_index), *target_refs]
    _claim_lists(write_lists, [("a font", ref.path) for ref in fonts])
    charset = resolve_charset(charset_specs or DEFAULT_CHARSET)
    source = open_font(FontRef.parse(src, src_index))
    targets = [open_font(ref) for ref in target_refs]
    result = compute_coverage(source, targets, charset)

    click.echo(f"charset: {' '.join(charset.spec)} ({len(charset):,} characters)")
    click.echo(f"source: {source.ref} ({source.display_name}): {result.source_present:,} drawn")
    for style_id, t in enumerate(result.targets):
        click.echo(f"target {style_id}: {targets[style_id].ref} ({t.name}): {t.present:,} drawn")
        click.echo(
            f"  shared: {len(t.shared):,}  source-only: {len(t.missing):,}  "
            f"target-only: {len(t.target_only):,}"
        )
    if fallback_srcs:
        _echo_fallbacks(
            [source, *map(open_font, font_refs(fallback_srcs, (), "--fallback-src"))],
            targets,
            charset,
        )
    if len(targets) > 1:
        click.echo(
            f"all targets: shared by source and every target: {len(result.shared):,}  "
            f"source-only (no target draws it): {len(result.source_only):,}"
        )

    if write_lists is not None:
        lists: dict[str, Sequence[int]] = {}
        if len(targets) == 1:
            only = result.targets[0]
            lists = {
                "shared.txt": only.shared,
                "source_only.txt": only.missing,
                "target_only.txt": only.target_only,
            }
        else:
            lists = {"shared.txt": result.shared, "source_only.txt": result.source_only}
            for style_id, t in enumerate(result.targets):
                lists[f"shared_style{style_id}.txt"] = t.shared
                lists[f"source_only_style{style_id}.txt"] = t.missing
                lists[f"target_only_style{style_id}.txt"] = t.target_only
        _write_lists(write_lists, lists)


def _claim_lists(write_lists: Path | None, inputs: list[tuple[str, Path]]) -> None:
    """--write-lists apart from the fonts read and writable, before anything is counted."""
    if write_lists is not None:
        from glyphrender.outputs import claim_output

        claim_output(write_lists, inputs, "the lists", option="--write-lists")


def _one_font(font_spec: str, charset_specs: Sequence[str], write_lists: Path | None) -> None:
    """``coverage --font``: present and missing per charset, each on its own."""
    from glyphrender.fonts.charsets import resolve_charset
    from glyphrender.fonts.coverage import font_coverage
    from glyphrender.fonts.loading import FontRef, open_font

    _claim_lists(write_lists, [("the font", FontRef.parse(font_spec).path)])
    # By default every named set, less the aliases (big5-1-han is big5-1).
    specs = list(charset_specs) or [
        name for name, text in NAMED_SETS.items() if not text.startswith("the same as")
    ]
    charsets = [resolve_charset([spec]) for spec in specs]
    font = open_font(FontRef.parse(font_spec))
    rows = font_coverage(font, charsets)
    click.echo(f"font: {font.ref} ({font.display_name})")
    width = max(len(row.spec) for row in rows)
    for row in rows:
        share = 100 * len(row.present) / row.count
        click.echo(
            f"  {row.spec:<{width}}  present {len(row.present):>6,} of {row.count:>6,} "
            f"({share:.1f}%)  missing {len(row.missing):>6,}"
        )
    if write_lists is not None:
        names = [_list_name(spec, n) for n, spec in enumerate(specs)]
        _write_lists(write_lists, {n: row.missing for n, row in zip(names, rows, strict=True)})


def _list_name(spec: str, number: int) -> str:
    """missing_big5-1.txt for a named set; missing_set2.txt for a range or a file."""
    key = spec.strip().lower()
    return f"missing_{key}.txt" if key in NAMED_SETS else f"missing_set{number}.txt"


def _write_lists(folder: Path, lists: dict[str, Sequence[int]]) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, codepoints in lists.items():
            _write_list(folder / name, codepoints)
    except OSError as exc:
        raise GlyphrenderError(f"{folder}: cannot write lists: {exc.strerror or exc}") from None
    click.echo(f"wrote {len(lists)} lists to {folder}")


def _echo_fallbacks(sources: Sequence[Any], targets: Sequence[Any], charset: Any) -> None:
    """Per target: what each font of the source list would supply of what the target lacks."""
    from glyphrender.fonts.coverage import fallback_supply

    click.echo("source list: " + ", ".join(f"{i}: {s.ref}" for i, s in enumerate(sources)))
    for style_id, target in enumerate(targets):
        counts = fallback_supply(sources, target, charset)
        parts = ", ".join(
            f"{n:,} from {s.display_name}" for n, s in zip(counts, sources, strict=True)
        )
        click.echo(f"  target {style_id} lacks {sum(counts):,} that a source draws: {parts}")


def _write_list(path: Path, codepoints: Sequence[int]) -> None:
    """One `U+XXXX<TAB>char` line per codepoint, written atomically."""
    from glyphrender.atomic import write_text_atomic

    write_text_atomic(
        path, "".join(f"U+{cp:04X}\t{chr(cp)}\n" for cp in codepoints), "the character list"
    )
