"""The ``zi2zi`` command line.

Exit codes: 0 success (an interrupted training run that saved a checkpoint also exits 0),
1 bad input or a failed operation (one line on stderr; a full or read-only disk too), 2 usage
error (click's own, or an output that is, contains or lies inside an input),
130 interrupted without a checkpoint (143 when a SIGTERM did it). zi2zi's warnings (e.g. an
old checkpoint loaded without a checksum) are one ``zi2zi: warning:`` line each.

Each command lives in its own module of this package and is imported only when it runs, so
``zi2zi --help`` does not pay for importing torch.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import click
from glyphrender.cli import LazyCommands, failure_line

from zi2zi_core import __version__
from zi2zi_core.errors import Zi2ziError, Zi2ziWarning

# command name -> "module:function" inside zi2zi_core.cli
COMMANDS = {
    "train": "train:train",
    "eval": "eval:eval_cmd",
    "generate": "generate:generate",
    "model-info": "model_info:model_info",
    "sweep": "sweep:sweep",
}


@contextmanager
def one_line_warnings() -> Iterator[None]:
    """zi2zi's own warnings (e.g. an old checkpoint loaded unverified) as one line on stderr,
    ``zi2zi: warning: ...``; other warnings as Python shows them."""
    original = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
        if issubclass(category, Zi2ziWarning):
            click.echo(f"zi2zi: warning: {message}", err=True)
        else:
            original(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = original


class LazyGroup(LazyCommands):
    """zi2zi's commands, imported on use; errors become one line and an exit status."""

    lazy_commands = COMMANDS
    lazy_package = "zi2zi_core.cli"

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            with one_line_warnings():
                return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("zi2zi: interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            report_failure(exc)


def report_failure(exc: Exception) -> None:
    """Exit with one line for zi2zi's and glyphrender's errors and a refused write (see
    glyphrender.cli.failure_line); anything else (a bug) is raised again, traceback and all."""
    found = (str(exc), 1) if isinstance(exc, Zi2ziError) else failure_line(exc)
    if found is None:
        raise exc
    click.echo(f"zi2zi: error: {found[0]}", err=True)
    sys.exit(found[1])


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="zi2zi")
def main() -> None:
    """Train, evaluate and run a zi2zi GAN on glyphrender datasets."""
