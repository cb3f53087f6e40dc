"""The ``zi2zi`` command line.

Exit codes: 0 success (an interrupted training run that saved a checkpoint also exits 0),
1 bad input or a failed operation (one line on stderr), 2 usage error (click's own),
130 interrupted without a checkpoint.

Each command lives in its own module of this package and is imported only when it runs, so
``zi2zi --help`` does not pay for importing torch.
"""

from __future__ import annotations

import importlib
import sys

import click
from glyphrender.errors import GlyphrenderError

from zi2zi_core import __version__
from zi2zi_core.errors import Zi2ziError

# command name -> "module:function" inside zi2zi_core.cli
COMMANDS = {
    "train": "train:train",
    "eval": "eval:eval_cmd",
    "generate": "generate:generate",
    "model-info": "model_info:model_info",
    "sweep": "sweep:sweep",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on use and whose errors become one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        module = importlib.import_module(f"zi2zi_core.cli.{module_name}")
        return getattr(module, attr)

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except (Zi2ziError, GlyphrenderError) as exc:
            click.echo(f"zi2zi: error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("zi2zi: interrupted", err=True)
            sys.exit(130)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="zi2zi")
def main() -> None:
    """Train, evaluate and run a zi2zi GAN on glyphrender datasets."""
