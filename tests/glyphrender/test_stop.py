"""A SIGTERM or Ctrl-C is never lost, even when its exception lands where Python drops it.

CPython runs a signal handler wherever the main thread is; inside a ``__del__`` or weakref
callback the exception is printed as "Exception ignored" and dropped (CI saw a build finish
with exit 0 after SIGTERM that way). These tests put the handler's exception exactly there.
"""

from __future__ import annotations

import io
import signal
import sys
import textwrap

import click
import pytest
from click.testing import CliRunner
from glyphrender import stop
from glyphrender.cli import LazyGroup
from glyphrender.progress import Progress
from glyphrender.review.server import ReviewServer
from glyphrender.stop import Terminated


@pytest.fixture(autouse=True)
def no_request_left():
    yield
    stop.clear()


@pytest.fixture
def dropped(monkeypatch):
    """Exceptions CPython dropped ("Exception ignored in ..."), collected instead of printed."""
    seen: list[BaseException] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u.exc_value))
    return seen


class _SignalArrivesInDel:
    def __init__(self, signum: int) -> None:
        self.signum = signum

    def __del__(self) -> None:
        stop.handle(self.signum, None)  # as if the signal had come while this ran


def test_a_dropped_sigterm_stops_the_next_progress_update(dropped):
    _SignalArrivesInDel(signal.SIGTERM)  # the handler's exception is dropped here...
    assert [type(e) for e in dropped] == [Terminated]
    progress = Progress("build", 10, plain=io.StringIO(), live=None)
    with pytest.raises(Terminated):  # ...and raised again at the next unit of work
        progress.update(1)


def test_a_dropped_ctrl_c_is_raised_as_keyboard_interrupt_not_as_sigterm(dropped):
    _SignalArrivesInDel(signal.SIGINT)
    assert stop.requested() == signal.SIGINT
    with pytest.raises(KeyboardInterrupt) as caught:
        stop.check()
    assert not isinstance(caught.value, Terminated)


def test_no_request_no_exception():
    stop.check()
    Progress("build", 10, plain=io.StringIO(), live=None).update(1)


def test_the_review_server_ends_on_a_dropped_request(dropped):
    _SignalArrivesInDel(signal.SIGTERM)
    server = ReviewServer.__new__(ReviewServer)  # service_actions needs no socket
    with pytest.raises(Terminated):
        server.service_actions()


def _group_whose_command_drops(signum: int, tmp_path, monkeypatch, tag: str) -> click.Group:
    """A group with glyphrender's signal and error handling, whose one command ``finish``
    receives ``signum`` inside a ``__del__`` (so CPython drops its exception) and finishes."""
    name = f"stopdemo{tag}{int(signum)}"  # one module per case: imports are cached
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "cmd.py").write_text(
        textwrap.dedent(
            f"""
            import click
            from glyphrender import stop

            class Late:
                def __del__(self):
                    stop.handle({int(signum)}, None)

            @click.command()
            def finish():
                Late()
                click.echo("finished")
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    class Group(LazyGroup):
        lazy_commands = {"finish": "cmd:finish"}
        lazy_package = name

    @click.group(cls=Group)
    def main() -> None:
        """A group with glyphrender's signal and error handling."""

    return main


@pytest.mark.parametrize(
    "signum, status, line",
    [(signal.SIGTERM, 143, "terminated (SIGTERM)"), (signal.SIGINT, 130, "interrupted")],
)
def test_a_command_that_finishes_after_a_dropped_signal_exits_as_stopped(
    tmp_path, monkeypatch, dropped, signum, status, line
):
    """The last guard: no progress update came after the request, yet the exit status and the
    one line say the command was stopped, as if the exception had arrived."""
    main = _group_whose_command_drops(signum, tmp_path, monkeypatch, "a")
    result = CliRunner().invoke(main, ["finish"])
    assert result.exit_code == status
    assert result.output.splitlines()[-1] == f"glyphrender: {line}"
    assert stop.requested() is None  # cleared once reported


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_dropped_signal_prints_no_traceback(tmp_path, monkeypatch, signum):
    """CPython reports a dropped exception as "Exception ignored in ... Traceback" (CI saw it
    around a build's Ctrl-C). The request is raised again anyway, so the user sees only the
    one line; anything else dropped is still reported."""
    monkeypatch.setattr(sys, "unraisablehook", sys.__unraisablehook__)  # CPython's printer
    main = _group_whose_command_drops(signum, tmp_path, monkeypatch, "b")
    result = CliRunner().invoke(main, ["finish"])
    assert "Traceback" not in result.output and "Exception ignored" not in result.output
    assert len(result.output.splitlines()) == 2  # "finished", then the one line
    assert sys.unraisablehook is sys.__unraisablehook__  # put back


def test_the_quiet_hook_passes_on_everything_but_a_pending_stop(dropped):
    passed_on: list[BaseException] = []
    hook = stop.unraisable_hook(lambda u: passed_on.append(u.exc_value))
    collector = sys.unraisablehook  # the `dropped` fixture's
    sys.unraisablehook = hook
    try:
        _SignalArrivesInDel(signal.SIGINT)  # a stop: silent, raised again by check()

        class Broken:
            def __del__(self):
                raise ValueError("not a stop")

        Broken()  # anything else: reported as before
    finally:
        sys.unraisablehook = collector
    assert [type(e) for e in passed_on] == [ValueError]
    assert stop.requested() == signal.SIGINT
