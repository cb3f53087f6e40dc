"""Options and set-up shared by the commands that load a trained generator (``eval``,
``generate``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])

_TRAINED_MODEL_OPTIONS = (
    click.option(
        "--run",
        "run_dir",
        required=True,
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        help="Run directory written by `zi2zi train` (runs/NAME).",
    ),
    click.option(
        "--shards",
        "shards",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        default=None,
        help="Dataset directory.  [default: the one recorded in the checkpoint]",
    ),
    click.option(
        "--checkpoint",
        "which",
        default="best",
        show_default=True,
        help="best, last, or the path of a checkpoint file.",
    ),
)

_DEVICE_OPTIONS = (
    click.option(
        "--batch-size",
        type=click.IntRange(min=1),
        default=16,
        show_default=True,
        help="Glyphs per forward pass of the generator.",
    ),
    click.option(
        "--device",
        default="auto",
        show_default=True,
        help="auto (cuda, then mps, then cpu), cpu, cuda, cuda:N, mps.",
    ),
)


def _apply(options: tuple[Callable[[F], F], ...], func: F) -> F:
    for option in reversed(options):
        func = option(func)
    return func


def trained_model_options(func: F) -> F:
    """``--run``, ``--shards``, ``--checkpoint``: which trained generator, on which dataset."""
    return _apply(_TRAINED_MODEL_OPTIONS, func)


def device_options(func: F) -> F:
    """``--batch-size`` and ``--device`` for batched inference."""
    return _apply(_DEVICE_OPTIONS, func)


def use_cpu_threads() -> None:
    """The CPU thread rule of ``zi2zi train`` (zi2zi_core.cpu_threads), without a flag:
    ``OMP_NUM_THREADS`` overrides it. Call before anything imports torch."""
    from zi2zi_core.cpu_threads import apply_cpu_threads, choose_cpu_threads, prefer_passive_waiting

    prefer_passive_waiting()
    apply_cpu_threads(choose_cpu_threads())


@contextmanager
def glyph_progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress line over ``total`` glyphs (glyphrender.progress); yields its update."""
    from glyphrender.progress import Progress

    with Progress(label, total, rate_unit="glyph") as progress:
        yield progress.update
