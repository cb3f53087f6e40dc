"""The ``glyphrender`` command line.

Exit codes: 0 success, 1 bad input or a failed operation (one line on stderr naming the
file and the problem), 2 usage error (click's own), 130 interrupted.

Each command lives in its own module of this package and is imported only when it runs,
so ``glyphrender --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys

import click

from glyphrender import __version__
from glyphrender.errors import GlyphrenderError

# command name -> "module:function" inside glyphrender.cli
COMMANDS = {
    "build": "build:build",
    "coverage": "coverage:coverage",
    "inspect": "inspect:inspect_cmd",
    "preview": "preview:preview",
    "assemble": "assemble:assemble",
    "specimen": "specimen:specimen",
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
        module = importlib.import_module(f"glyphrender.cli.{module_name}")
        return getattr(module, attr)

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except GlyphrenderError as exc:
            click.echo(f"glyphrender: error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("glyphrender: interrupted", err=True)
            sys.exit(130)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="glyphrender")
def main() -> None:
    """Fonts to paired glyph bitmaps in HDF5 shards, and generated bitmaps back to fonts."""
