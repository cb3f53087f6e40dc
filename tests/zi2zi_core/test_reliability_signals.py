"""A second Ctrl-C (or SIGTERM then Ctrl-C) during training, in a real process (issue 12).

The first signal promises a checkpoint. A second one during the step abandons it and says so
(exit 130); during the checkpoint's write it waits for the file (exit 0). Never a torn file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from zi2zi_core.rundir.checkpoint import load_checkpoint
from zi2zi_core.rundir.layout import CHECKPOINT_RE, RunDir
from zi2zi_core.rundir.metrics_log import read_metrics

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def train_args(dataset, run, tiny_model_flags, checkpoint_every: int = 100000) -> list[str]:
    args = ["--shards", str(dataset), "--run", str(run), "--device", "cpu", *tiny_model_flags]
    args += ["--batch-size", "8", "--steps", "100000", "--log-every", "1"]
    args += ["--checkpoint-every", str(checkpoint_every), "--val-every", "100000"]
    return [*args, "--sample-every", "100000"]


def assert_no_torn_checkpoint(run) -> list[int]:
    """Every file in checkpoints/ is a whole, verified checkpoint; return their steps."""
    names = sorted(p.name for p in RunDir(run).checkpoints.iterdir())
    assert all(CHECKPOINT_RE.fullmatch(n) or n == RunDir.BEST for n in names), names
    return [int(load_checkpoint(RunDir(run).checkpoints / n)["step"]) for n in names]


@pytest.mark.parametrize(
    "first, second",
    [(signal.SIGINT, signal.SIGINT), (signal.SIGTERM, signal.SIGINT)],
    ids=["int-int", "term-int"],
)
def test_a_second_signal_50ms_after_the_first_never_loses_silently(
    tiny_dataset, tmp_path, tiny_model_flags, first, second
):
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "zi2zi_core.cli.train"]
    cmd += train_args(tiny_dataset, run, tiny_model_flags, checkpoint_every=2)
    proc = subprocess.Popen(cmd, env=ENV, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and sum(r["kind"] == "train" for r in read_metrics(run)) < 5:
        time.sleep(0.05)
    proc.send_signal(first)
    time.sleep(0.05)
    proc.send_signal(second)
    _, err = proc.communicate(timeout=120)
    assert "Traceback" not in err and "Aborted" not in err, err
    steps = assert_no_torn_checkpoint(run)
    if proc.returncode == 0:  # the second came once the checkpoint was being written, or after
        stopped = read_metrics(run)[-1]
        assert stopped["event"] == "interrupted" and max(steps) == stopped["step"]
        assert f"zi2zi train --run {run} --resume" in err
    else:
        assert proc.returncode == 128 + second, err
        assert "without the checkpoint the first one asked for" in err
        assert f"the newest checkpoint is {RunDir(run).checkpoint(max(steps))}" in err


# In-process timing for the two cases: the harness sends the signals to its own process at an
# exact point (inside a step, or as the checkpoint's write begins), then runs the real command.
HARNESS = textwrap.dedent(
    """
    import os, signal, sys, time
    import zi2zi_core.rundir.checkpoint as checkpoint
    from zi2zi_core.cli.train import train
    from zi2zi_core.training.trainer import Trainer

    when, first = sys.argv[1], getattr(signal, sys.argv[2])
    step, write = Trainer.train_step, checkpoint.write_checkpoint_file
    sent = []

    def train_step(self):
        step(self)
        if self.step == 3 and not sent:
            sent.append(os.kill(os.getpid(), first))
            time.sleep(0.05)
            if when == "step":
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(2)  # the rest of a slow step

    def write_checkpoint_file(state, path):
        if when == "write" and sent and len(sent) == 1:
            sent.append(os.kill(os.getpid(), signal.SIGINT))
            time.sleep(0.05)
        write(state, path)

    Trainer.train_step = train_step
    checkpoint.write_checkpoint_file = write_checkpoint_file
    train.main(sys.argv[3:], prog_name="zi2zi train")
    """
)


@pytest.mark.parametrize("first", ["SIGINT", "SIGTERM"])
def test_a_second_signal_during_the_step_abandons_the_checkpoint_and_says_so(
    tiny_dataset, tmp_path, tiny_model_flags, first
):
    run = tmp_path / "run"
    args = train_args(tiny_dataset, run, tiny_model_flags, checkpoint_every=2)
    cmd = [sys.executable, "-c", HARNESS, "step", first, *args]
    done = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=120)
    assert done.returncode == 130, done.stderr
    lines = done.stderr.splitlines()
    assert f"zi2zi train: {first}: finishing this step and writing a checkpoint" in lines[-2]
    assert lines[-1] == (
        "zi2zi train: second signal (SIGINT): stopped at once at step 3, without the "
        f"checkpoint the first one asked for; the newest checkpoint is "
        f"{RunDir(run).checkpoint(2)} (step 2, 1 step(s) before the stop)"
    )
    assert assert_no_torn_checkpoint(run) == [2]


def test_a_second_signal_during_the_write_waits_for_the_checkpoint(
    tiny_dataset, tmp_path, tiny_model_flags
):
    run = tmp_path / "run"
    args = train_args(tiny_dataset, run, tiny_model_flags)
    cmd = [sys.executable, "-c", HARNESS, "write", "SIGINT", *args]
    done = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "zi2zi train: SIGINT: a checkpoint is being written; waiting for it to finish" in (
        done.stderr.splitlines()
    )
    assert f"resume with: zi2zi train --run {run} --resume" in done.stderr
    assert assert_no_torn_checkpoint(run) == [3]


def test_a_signal_after_the_promised_checkpoint_does_not_kill_the_exiting_command():
    """Once a stop was asked for, the command exits with its checkpoint: a late Ctrl-C (after
    the handlers' block, on the way out) must not turn that exit 0 into a kill."""
    from zi2zi_core.cli._stop import StopSignals

    class Trainer:
        def save(self):
            return None

        def request_stop(self):
            self.stopping = True

    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    stops = StopSignals(Trainer(), say=lambda _line: None)
    try:
        with stops.installed():
            stops.handle(signal.SIGINT, None)  # the first Ctrl-C
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
        os.kill(os.getpid(), signal.SIGINT)  # arrives on the way out: nothing happens
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
