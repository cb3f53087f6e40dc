"""The ``glyphrender`` command line.

Exit codes: 0 success, 1 bad input or a failed operation (one line on stderr naming the
file and the problem; a full or read-only disk too), 2 usage error (click's own, or an output
that is, contains or lies inside an input), 130 interrupted by SIGINT (Ctrl-C), 143
stopped by SIGTERM. Both signals unwind the same way (temporary files and directories are
removed, worker processes stopped) and print one line.

Each command lives in its own module of this package and is imported only when it runs,
so ``glyphrender --help`` stays fast.
"""

from __future__ import annotations

import importlib
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from glyphrender import __version__, stop
from glyphrender.errors import (
    GlyphrenderError,
    OutputOverlapsInput,
    storage_error_line,
    storage_os_error,
)
from glyphrender.stop import Terminated

if TYPE_CHECKING:  # the CLI's start-up imports no font machinery
    from glyphrender.fonts.loading import FontRef

# command name -> "module:function" inside glyphrender.cli
COMMANDS = {
    "build": "build:build",
    "coverage": "coverage:coverage",
    "forms": "forms:forms",
    "inspect": "inspect:inspect_cmd",
    "preview": "preview:preview",
    "assemble": "assemble:assemble",
    "specimen": "specimen:specimen",
    "review": "review:review",
}


class TextDefault(click.Option):
    """An option whose default is described in words: `show_default="all cores"` shows
    `[default: all cores]` (click's own form is `[default: (all cores)]`)."""

    def get_help_extra(self, ctx: click.Context):  # type: ignore[override]
        extra = super().get_help_extra(ctx)
        if isinstance(self.show_default, str):
            extra["default"] = self.show_default
        return extra


# Options that mean the same in several commands, declared once so that they read the same.
SRC_FONT_HELP = "Source font (TTF/OTF/TTC/WOFF/WOFF2; FONT#N picks a collection face)."
src_font_option = click.option("--src", "src", required=True, metavar="FONT", help=SRC_FONT_HELP)
src_index_option = click.option(
    "--src-index",
    type=click.IntRange(min=0),
    metavar="N",
    show_default="FONT#N, else 0",
    cls=TextDefault,
    help="Face index of a --src collection (TTC/OTC).",
)


def font_refs(paths: Sequence[str], indices: Sequence[int], option: str) -> list[FontRef]:
    """FontRefs of a repeated font option (``--dst``, ``--fallback-src``) with its ``-index``
    option applied: given once it holds for every font, else once per font in order."""
    from glyphrender.fonts.loading import FontRef

    if indices and not paths:
        raise click.UsageError(f"{option}-index needs {option}")
    if indices and len(indices) not in (1, len(paths)):
        raise click.UsageError(
            f"{option}-index given {len(indices)} times for {len(paths)} {option} fonts; "
            f"give it once (for all) or once per {option}"
        )
    each = list(indices) * len(paths) if len(indices) == 1 else list(indices)
    return [FontRef.parse(p, i) for p, i in zip(paths, each or [None] * len(paths), strict=True)]


# What survives a write the disk refused outside glyphrender.atomic's own error lines: every
# output goes through it, so no file is half-written under its final name.
KEPT_ON_STORAGE_ERROR = "files already complete are intact, nothing is half-written under its name"


def failure_line(exc: BaseException) -> tuple[str, int] | None:
    """The one line and exit status of a failure both CLIs report without a traceback, or
    None for anything else (a bug: its traceback is wanted).

    An output that overlaps an input is a usage error (2); bad input and failed operations
    are 1, and so is a write the disk refused (full, read-only, no permission, name too long),
    wherever it happened.
    """
    if isinstance(exc, OutputOverlapsInput):
        return str(exc), 2
    if isinstance(exc, GlyphrenderError):
        return str(exc), 1
    err = storage_os_error(exc)
    if err is not None:
        return storage_error_line(err, kept=KEPT_ON_STORAGE_ERROR), 1
    return None


def _install_stop_handlers() -> dict[int, object]:
    """SIGTERM, and SIGINT where Python's own Ctrl-C handler is in place (not where the caller
    ignores it, as ``nohup`` does), go to :func:`glyphrender.stop.handle`; returns what to put
    back. Nothing when not on the main thread (an embedding program owns its signals)."""
    previous: dict[int, object] = {}
    try:
        previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, stop.handle)
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            previous[signal.SIGINT] = signal.signal(signal.SIGINT, stop.handle)
    except ValueError:
        pass
    return previous


class LazyCommands(click.Group):
    """A group whose subcommands are imported only when they run (so ``--help`` stays fast).

    Subclasses set ``lazy_commands`` (command name -> "module:function") and
    ``lazy_package`` (where the modules are); zi2zi's command line uses it too.
    """

    lazy_commands: dict[str, str] = {}
    lazy_package = ""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.lazy_commands)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = self.lazy_commands.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        module = importlib.import_module(f"{self.lazy_package}.{module_name}")
        return getattr(module, attr)


class LazyGroup(LazyCommands):
    """glyphrender's commands; errors and signals become one line and an exit status."""

    lazy_commands = COMMANDS
    lazy_package = "glyphrender.cli"

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        previous = _install_stop_handlers()
        previous_hook = sys.unraisablehook
        sys.unraisablehook = stop.unraisable_hook(previous_hook)
        try:
            result = super().invoke(ctx)
            stop.check()  # a request whose exception was dropped on the way (see stop.py)
            return result
        except Terminated:
            click.echo("glyphrender: terminated (SIGTERM)", err=True)
            sys.exit(143)
        except KeyboardInterrupt:
            click.echo("glyphrender: interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            found = failure_line(exc)
            if found is None:
                raise
            click.echo(f"glyphrender: error: {found[0]}", err=True)
            sys.exit(found[1])
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)  # type: ignore[arg-type]
            sys.unraisablehook = previous_hook
            stop.clear()


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="glyphrender")
def main() -> None:
    """Fonts to paired glyph bitmaps in HDF5 shards, and generated bitmaps back to fonts.

    Run `glyphrender COMMAND --help` for a command's options and their defaults.

    \b
    Exit status: 0 success; 1 bad input or a failed operation (one line on stderr naming the
    file); 2 usage error; 130 interrupted (SIGINT, Ctrl-C); 143 stopped by SIGTERM.
    """
