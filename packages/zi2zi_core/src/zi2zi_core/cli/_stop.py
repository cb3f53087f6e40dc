"""Ctrl-C and SIGTERM during ``zi2zi train``: stop with a checkpoint, or say plainly that it
was abandoned.

- The first signal asks the trainer to finish its step and write a checkpoint.
- A second one while that step still runs stops at once: the checkpoint it promised is
  abandoned, and the command says so, names the newest checkpoint on disk and exits 130
  (143 for SIGTERM).
- A second one while a checkpoint is being written waits for the file: it is seconds from
  done, and stopping then would only lose it. Once it is written, more signals change nothing.

Checkpoints are written under a temporary name and renamed when complete, so no signal (nor
``kill -9``) can leave a torn checkpoint; an abandoned write leaves no file at all.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from zi2zi_core.rundir.layout import RunDir

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopAbandoned(KeyboardInterrupt):
    """A second signal stopped training before the checkpoint the first one asked for."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


class StopSignals:
    """The signal handler of one training run (see the module docstring for the rules)."""

    def __init__(self, trainer: Any, say: Callable[[str], None]) -> None:
        self.trainer, self.say = trainer, say
        self.first: str | None = None  # name of the first signal, once one came
        self.writing = False  # a checkpoint is being written now
        self.written = False  # a checkpoint started after the first signal is on disk
        self._save = trainer.save
        trainer.save = self._save_watched  # the loop calls trainer.save: watch each write

    def _save_watched(self, *args: Any, **kwargs: Any) -> Path | None:
        after_first = self.first is not None
        self.writing = True
        try:
            path = self._save(*args, **kwargs)
            self.written = self.written or after_first
        finally:
            self.writing = False
        return path

    def handle(self, signum: int, _frame: Any) -> None:
        name = signal.Signals(signum).name
        if self.first is None:
            self.first = name
            self.say(
                f"{name}: finishing this step and writing a checkpoint (a second Ctrl-C stops "
                "at once without it)"
            )
            self.trainer.request_stop()
        elif self.writing:
            self.say(f"{name}: a checkpoint is being written; waiting for it to finish")
        elif not self.written:
            raise StopAbandoned(signum)

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Handle SIGINT and SIGTERM inside the block; the previous handlers come back after,
        unless a stop was asked for: then the command is on its way out with the checkpoint it
        promised, and a late signal must not turn that exit into a kill (they are ignored)."""
        previous = {s: signal.signal(s, self.handle) for s in STOP_SIGNALS}
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, signal.SIG_IGN if self.first is not None else handler)


def abandoned_message(stop: StopAbandoned, run_dir: Path, step: int) -> str:
    """What the user is told when a second signal abandoned the checkpoint."""
    found = RunDir(run_dir).step_checkpoints()
    head = (
        f"second signal ({signal.Signals(stop.signum).name}): stopped at once at step {step}, "
        "without the checkpoint the first one asked for"
    )
    if not found:
        return f"{head}; no checkpoint was written, so this run cannot be resumed"
    saved_step, path = found[-1]
    return (
        f"{head}; the newest checkpoint is {path} (step {saved_step}, {step - saved_step} "
        "step(s) before the stop)"
    )
