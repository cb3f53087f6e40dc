"""``zi2zi generate``: draw characters in a trained target style and write them for
``glyphrender assemble`` (one U+XXXX.png per glyph plus glyphs.h5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import click

from zi2zi_core.cli._options import (
    device_options,
    glyph_progress,
    trained_model_options,
    use_cpu_threads,
)


@click.command("generate")
@trained_model_options
@click.option(
    "--split",
    type=click.Choice(["missing", "val", "train"]),
    default=None,
    help="Generate every character of this split of the run's dataset.  [default: missing]",
)
@click.option(
    "--chars",
    default=None,
    help='Generate these characters instead of a split, e.g. --chars "永東國".  [default: none]',
)
@click.option(
    "--charset",
    "charset_spec",
    default=None,
    help="Generate a charset instead of a split: a text file, a named set or a range "
    "(as `glyphrender build --charset`).  [default: none]",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help="Generate only the first N of the chosen characters (in code-point order).  "
    "[default: all]",
)
@click.option(
    "--src",
    "src_font",
    default=None,
    metavar="FONT",
    help="Draw the source glyphs from this font (FONT#N picks a collection face) instead of the "
    "dataset's source, rendered as a dataset built with it as --src would be (its own em box, "
    "the dataset's size, placement and margin). With the missing split: the characters of the "
    "dataset's charset that the target lacks and FONT draws.  [default: the dataset's source]",
)
@click.option(
    "--src-index",
    "src_index",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Face index of a --src collection (TTC/OTC).  [default: FONT#N, else 0]",
)
@click.option(
    "--fallback-src",
    "fallback_srcs",
    multiple=True,
    metavar="FONT",
    help="Fallback source font (FONT#N picks a collection face); repeatable, tried in order. "
    "Each character is drawn from the dataset's source font when it draws it, else from the "
    "first fallback that does; with the missing split, the characters the target lacks that "
    "only a fallback draws are added.  [default: none]",
)
@click.option(
    "--fallback-src-index",
    "fallback_indices",
    type=click.IntRange(min=0),
    multiple=True,
    metavar="N",
    help="Face index of a --fallback-src collection; give once per --fallback-src in order, "
    "or once for all.  [default: FONT#N, else 0]",
)
@click.option(
    "--blend",
    "blend_srcs",
    multiple=True,
    metavar="FONT",
    help="For a dataset built with glyphrender build --blend: draw the blend from these fonts "
    "instead (FONT#N picks a collection face), as many as the build blended, each rendered as "
    "a build with it as --blend would be. The same designs in other forms: with --src, draw "
    "Traditional Chinese from a model trained on Japanese faces.  [default: the build's]",
)
@click.option(
    "--style",
    default=None,
    help="Target style: id, family, style name or font file stem (required with several).  "
    "[default: the only one]",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (gen/NAME); refused if it exists and is not empty, unless --force, "
    "and always if it is, contains or lies inside the checkpoint, dataset or a font.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace the glyphs, glyphs.h5 and decisions.json of a non-empty output folder (other "
    "files there stay).  [default: off]",
)
@device_options
def generate(
    run_dir: Path,
    shards: Path | None,
    which: str,
    split: str | None,
    chars: str | None,
    charset_spec: str | None,
    limit: int | None,
    src_font: str | None,
    src_index: int | None,
    fallback_srcs: Sequence[str],
    fallback_indices: Sequence[int],
    blend_srcs: Sequence[str],
    style: str | None,
    out_dir: Path,
    force: bool,
    batch_size: int,
    device: str,
) -> None:
    """Generate glyphs in a run's target style, in code-point order.

    By default every character of the dataset's missing split (the characters the target
    font lacks). With --chars or --charset, the chosen characters are rendered from the source
    font exactly as the dataset's shards were, then generated. --limit N keeps the first N.
    With --fallback-src, characters the source font lacks come from the first fallback font
    that draws them, rendered the same way, and the count from each font is printed. With
    --src, another font takes the dataset's source's place (e.g. train on a Japanese source,
    draw from a Traditional Chinese one). Chosen characters the target already draws are
    counted: they are replacement candidates for review and assemble. A blended source
    (glyphrender build --blend) is drawn as built; --blend swaps its blend fonts.

    Exit status: 0 on success; 1 on bad input or a failed operation (one line on stderr,
    nothing written under the final name); 2 on a usage error; 130 when interrupted.
    """
    _check_one_choice(split, chars, charset_spec)
    sources = _source_choice(
        split, src_font, src_index, fallback_srcs, fallback_indices, blend_srcs
    )

    use_cpu_threads()
    from zi2zi_core.evaluation.generate import (
        check_out_dir,
        count_target_draws,
        generate_images,
        open_run_dataset,
        resolve_device,
        resolve_style,
        write_glyphs,
    )
    from zi2zi_core.evaluation.outputs import check_apart_from_dataset, claim_inference_output
    from zi2zi_core.rundir.checkpoint import check_belongs_to_run, load_for_inference

    # Before any work, so a refused run costs nothing; --force never reaches an input.
    charset_file = Path(charset_spec) if charset_spec and Path(charset_spec).is_file() else None
    claim_inference_output(
        out_dir, run_dir, which, shards, sources.fonts(), charset_file=charset_file
    )
    check_out_dir(out_dir, force)
    torch_device = resolve_device(device)
    bundle = load_for_inference(run_dir, which=which, device=torch_device)
    check_belongs_to_run(bundle, run_dir)
    check_apart_from_dataset(out_dir, bundle.dataset_path)
    dataset = open_run_dataset(bundle, shards)
    style_id = resolve_style(dataset, style)
    glyphs, what = _choose_glyphs(dataset, style_id, split, chars, charset_spec, limit, sources)
    # Only chosen characters can include ones the target draws (a split cannot mix them).
    chosen_chars = chars is not None or charset_spec is not None
    redraws = count_target_draws(dataset, style_id, glyphs.codepoints) if chosen_chars else 0
    with glyph_progress("zi2zi generate", len(glyphs.codepoints)) as on_done:
        images = generate_images(bundle.generator, glyphs, batch_size, torch_device, on_done)
    notify = partial(click.echo, err=True)  # leftovers of killed runs removed
    out = write_glyphs(out_dir, dataset, glyphs, images, force=force, notify=notify)
    font = dataset.target_font(style_id)
    click.echo(
        f"generated {what} in style {style_id} ({font.family} {font.style_name}) "
        f"with checkpoint step {bundle.step}"
    )
    _report_sources(glyphs, sources, redraws)
    _report_blend(dataset, glyphs.codepoints, sources)
    click.echo(f"wrote {out}")


def _report_blend(dataset: Any, codepoints: Any, sources: SourceChoice) -> None:
    """For a blended source (build --blend): how many characters had every blend font, and
    how many fewer, since the model trained on full blends (docs/eval-generate.md)."""
    num_fonts = 1 + len(dataset.manifest.blend_fonts)
    if num_fonts == 1 or not len(codepoints):
        return
    from glyphrender.dataset.sourcelist import blend_counts

    counts = blend_counts(dataset, codepoints.tolist(), sources.blend)
    fewer, alone = int((counts < num_fonts).sum()), int((counts == 1).sum())
    click.echo(
        f"  source blend of {num_fonts} fonts: {len(counts) - fewer} characters drawn by all, "
        f"{fewer} by fewer ({alone} by the source font alone)"
        + (": inputs unlike the full blends it trained on, review them closely" if fewer else "")
    )


def _check_one_choice(split: str | None, chars: str | None, charset_spec: str | None) -> None:
    """--split, --chars and --charset exclude each other (a usage error)."""
    chosen = [name for name, value in (("--split", split), ("--chars", chars)) if value]
    if charset_spec is not None:
        chosen.append("--charset")
    if len(chosen) > 1:
        raise click.UsageError(f"{' and '.join(chosen)} exclude each other; give one")


@dataclass(frozen=True)
class SourceChoice:
    """Where the source glyphs come from: ``--src`` (None: the dataset's source font), the
    ``--fallback-src`` fonts after it, and ``--blend`` (None: the build's blend fonts)."""

    source: Any
    fallbacks: list[Any]
    blend: list[Any] | None = None

    def fonts(self) -> list[Any]:
        """The font files given (``--src`` first), which the output must stay apart from."""
        given = ([self.source] if self.source else []) + self.fallbacks + (self.blend or [])
        return [f.path for f in given]

    @property
    def listed(self) -> bool:
        """Whether a source list is needed (any font other than the dataset's own)."""
        return self.source is not None or bool(self.fallbacks) or self.blend is not None


def _source_choice(
    split: str | None,
    src_font: str | None,
    src_index: int | None,
    fallback_srcs: Sequence[str],
    fallback_indices: Sequence[int],
    blend_srcs: Sequence[str],
) -> SourceChoice:
    """``--src``/``--src-index``, ``--fallback-src``/``--fallback-src-index`` and ``--blend``
    as FontRefs (``blend`` None when not given: the build's own blend fonts)."""
    from glyphrender.cli import font_refs

    fallbacks = font_refs(fallback_srcs, fallback_indices, "--fallback-src")
    index = [] if src_index is None else [src_index]
    source = font_refs([src_font] if src_font else [], index, "--src")
    if fallbacks and not source and split in ("val", "train"):
        raise click.UsageError(
            f"--fallback-src needs characters the source may lack: the missing split, --chars "
            f"or --charset (every {split} character is drawn by the dataset's source)"
        )
    blend = font_refs(blend_srcs, [], "--blend") or None
    return SourceChoice(source[0] if source else None, fallbacks, blend)


def _drawn_from(sources: SourceChoice) -> str:
    """How the source list differs from the dataset's own source, for the summary line."""
    parts = [
        words
        for given, words in (
            (sources.fallbacks, "with fallbacks"),
            (sources.source is not None and not sources.fallbacks, "from --src"),
            (sources.blend is not None, "with --blend"),
        )
        if given
    ]
    return " ".join(parts)


def _report_sources(glyphs: Any, sources: SourceChoice, redraws: int) -> None:
    """The count from each source font, and how many are replacement candidates."""
    if sources.listed and glyphs.origin is not None:
        for font, count in zip(glyphs.origin.fonts, glyphs.origin.counts(), strict=True):
            click.echo(f"  {count} from {font['name']} ({font['path']})")
    if redraws:
        click.echo(
            f"  {redraws} of them the target already draws: replacement candidates "
            "(glyphrender review shows them beside the target's own; assemble replaces "
            "only the accepted ones)"
        )


def _choose_glyphs(
    dataset: Any,
    style_id: int,
    split: str | None,
    chars: str | None,
    charset_spec: str | None,
    limit: int | None,
    sources: SourceChoice,
) -> tuple[Any, str]:
    """The source glyphs to generate from, and how to describe them."""
    from zi2zi_core.evaluation.generate import (
        codepoints_for,
        missing_with_fallbacks,
        sources_from_codepoints,
        sources_from_list,
        sources_from_split,
    )

    source_list = None
    if sources.listed:
        from glyphrender.dataset.sourcelist import open_source_list

        source_list = open_source_list(dataset, sources.fallbacks, sources.source, sources.blend)
    if chars is not None or charset_spec is not None:
        if source_list is not None:
            glyphs = sources_from_list(
                source_list, codepoints_for(chars, charset_spec), style_id, limit
            )
        else:
            glyphs = sources_from_codepoints(
                dataset, codepoints_for(chars, charset_spec, limit), style_id
            )
        return glyphs, f"{len(glyphs.codepoints)} chosen characters"
    name = split or "missing"
    if source_list is not None and name == "missing":
        glyphs = missing_with_fallbacks(dataset, source_list, style_id, limit)
        what = f"the missing split {_drawn_from(sources)} ({len(glyphs.codepoints)} characters)"
    elif source_list is not None:
        split_glyphs = sources_from_split(dataset, name, style_id, limit)
        glyphs = sources_from_list(source_list, split_glyphs.codepoints.tolist(), style_id)
        what = f"the {name} split {_drawn_from(sources)} ({len(glyphs.codepoints)} characters)"
    else:
        glyphs = sources_from_split(dataset, name, style_id, limit)
        what = f"the {name} split ({len(glyphs.codepoints)} characters)"
    if limit is not None:
        what = f"the first {len(glyphs.codepoints)} characters of {what.split(' (')[0]}"
    return glyphs, what
