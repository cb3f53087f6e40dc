"""Training up to K sweep runs at once, each in its own ``zi2zi train`` process.

Each child runs in its own process group, so a Ctrl-C at the terminal reaches only the sweep,
which passes every SIGINT / SIGTERM it gets on to each running child exactly once: a child
then finishes its step and writes a checkpoint (a second Ctrl-C stops it without one), as a
single ``zi2zi train`` does. On Linux a child also gets SIGTERM if the sweep itself dies.
A time budget stops the children the same way (one SIGINT) and starts no new run.

Every start and end is appended to ``OUT/sweep-log.jsonl`` with wall-clock times, so the
overlap of the runs (and what ran on which device) can be checked afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from zi2zi_core.rundir.layout import RunDir
from zi2zi_core.sweep.jobs import JobPlan
from zi2zi_core.sweep.runner import Launch, checkpoint_step, last_line

SWEEP_LOG = "sweep-log.jsonl"
POLL_S = 0.2


@dataclass(frozen=True)
class RunOutcome:
    """How one run of the sweep ended (``returncode`` None: it never started)."""

    name: str
    action: str  # trained | resumed | not started
    returncode: int | None
    step: int  # newest checkpoint after the run
    seconds: float
    signalled: bool = False  # the sweep passed a stop signal on to it


@dataclass
class PoolResult:
    outcomes: list[RunOutcome] = field(default_factory=list)
    stopped_by: str | None = None  # SIGINT | SIGTERM | time budget

    def failed(self, steps: int) -> list[str]:
        """Runs that exited non-zero without having been sent a stop signal (a signal that
        arrives while a child starts up or shuts down makes it exit non-zero: not a failure)."""
        return [o.name for o in self.outcomes if o.returncode not in (None, 0) and not o.signalled]

    def unfinished(self, steps: int) -> list[RunOutcome]:
        return [o for o in self.outcomes if o.step < steps]


@dataclass
class _Child:
    launch: Launch
    proc: subprocess.Popen
    slot: int
    log: IO[str]
    started: float
    label: str
    signalled: bool = False


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the sweep dies (Linux prctl PR_SET_PDEATHSIG),
    so no training process outlives a killed sweep."""
    import ctypes

    ctypes.CDLL(None).prctl(1, signal.SIGTERM)


class Pool:
    """K slots; each slot trains one run at a time on its device (see :class:`JobPlan`)."""

    def __init__(
        self,
        plan: JobPlan,
        *,
        shards: Path,
        out: Path,
        steps: int,
        env: dict[str, str],
        say: Callable[[str], None],
    ) -> None:
        self.plan, self.shards, self.out, self.steps, self.say = plan, shards, out, steps, say
        self.env = dict(env)
        if plan.threads_per_run is not None:
            for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
                self.env[var] = str(plan.threads_per_run)
        self.running: dict[int, _Child] = {}
        self.result = PoolResult()

    def log_event(self, **record: Any) -> None:
        with open(self.out / SWEEP_LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps({"time": round(time.time(), 3), **record}) + "\n")

    def free_slots(self) -> list[int]:
        return [s for s in range(self.plan.jobs) if s not in self.running]

    def start(self, launch: Launch, slot: int, label: str) -> None:
        device = self.plan.device_of(slot)
        cmd = launch.command(self.shards, device)
        log = open(RunDir(launch.run_dir).train_log, "a", encoding="utf-8")  # noqa: SIM115
        log.write(f"$ {' '.join(cmd)}\n")
        log.flush()
        proc = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            process_group=0,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        self.running[slot] = _Child(launch, proc, slot, log, time.time(), label)
        verb = "resuming" if launch.resume else "training"
        self.say(
            f"{label} {launch.run.name}: {verb} to step {self.steps} on {device} (slot {slot + 1})"
        )
        self.log_event(
            event="start",
            run=launch.run.name,
            slot=slot,
            device=device,
            threads=self.plan.threads_per_run,
            resume=launch.resume,
        )

    def reap(self) -> None:
        """Collect the children that have exited and free their slots."""
        for slot, child in list(self.running.items()):
            code = child.proc.poll()
            if code is None:
                continue
            del self.running[slot]
            child.log.close()
            seconds = time.time() - child.started
            step = checkpoint_step(child.launch.run_dir)
            name = child.launch.run.name
            action = "resumed" if child.launch.resume else "trained"
            outcome = RunOutcome(name, action, code, step, seconds, child.signalled)
            self.result.outcomes.append(outcome)
            self.log_event(event="end", run=name, returncode=code, step=step, seconds=seconds)
            self.say(f"{child.label} {name}: {self._ending(outcome, child)}")

    def _ending(self, outcome: RunOutcome, child: _Child) -> str:
        """How a run ended, in words."""
        code, step = outcome.returncode, outcome.step
        if code != 0 and not child.signalled:
            return f"failed (exit {code}): {last_line(RunDir(child.launch.run_dir).train_log)}"
        if step >= self.steps:
            done = f"done in {outcome.seconds:.0f} s"
            return done if code == 0 else f"{done} (exit {code}: the stop came as it ended)"
        if step == 0:
            return f"stopped before its first checkpoint (exit {code})"
        return f"stopped at step {step} (checkpoint saved)"

    def stop(self, reason: str, signum: int) -> None:
        """Pass ``signum`` on to every running child; start no new run."""
        if self.result.stopped_by is None:
            self.result.stopped_by = reason
            self.log_event(event="stop", reason=reason)
        for child in self.running.values():
            if child.proc.poll() is None:
                child.signalled = True
                child.proc.send_signal(signum)


def run_pool(
    launches: Sequence[tuple[str, Launch]],
    plan: JobPlan,
    *,
    shards: Path,
    out: Path,
    steps: int,
    say: Callable[[str], None],
    time_budget: float | None = None,
    env: dict[str, str] | None = None,
    on_poll: Callable[[int, str], None] | None = None,
) -> PoolResult:
    """Train ``launches`` ((label, launch) pairs, in order) K at a time until all have exited,
    a signal arrives or the time budget is spent. Returns what happened to each run.
    ``on_poll(runs ended, "running: NAME, ...")`` at every poll (a command's progress line)."""
    env = dict(os.environ if env is None else env)
    pool = Pool(plan, shards=shards, out=out, steps=steps, env=env, say=say)
    pool.log_event(event="sweep", steps=steps, runs=len(launches), **plan.to_dict())
    pending = deque(launches)
    deadline = None if time_budget is None else time.monotonic() + time_budget
    handlers = _install_handlers(pool)
    try:
        while pool.running or (pending and pool.result.stopped_by is None):
            if pool.result.stopped_by is None and deadline and time.monotonic() >= deadline:
                say(f"time budget of {time_budget:g} s spent: stopping the running runs")
                pool.stop("time budget", signal.SIGINT)
            while pending and pool.result.stopped_by is None and pool.free_slots():
                label, launch = pending.popleft()
                pool.start(launch, pool.free_slots()[0], label)
            pool.reap()
            if on_poll is not None:
                names = ", ".join(c.launch.run.name for c in pool.running.values())
                on_poll(len(pool.result.outcomes), f"running: {names}" if names else "")
            if pool.running:
                time.sleep(POLL_S)
    finally:
        for signum, previous in handlers.items():
            signal.signal(signum, previous)
    for _label, launch in pending:
        step = checkpoint_step(launch.run_dir)
        pool.result.outcomes.append(RunOutcome(launch.run.name, "not started", None, step, 0.0))
    return pool.result


def _install_handlers(pool: Pool) -> dict[int, Any]:
    """SIGINT / SIGTERM of the sweep go on to its children (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def on_signal(signum: int, _frame: Any) -> None:
        name = signal.Signals(signum).name
        if pool.result.stopped_by is None:
            pool.say(f"{name}: each running run finishes its step and writes a checkpoint")
        pool.stop(name, signum)

    return {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
