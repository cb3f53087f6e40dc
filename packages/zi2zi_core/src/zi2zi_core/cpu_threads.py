"""How many CPU threads torch uses, and how its OpenMP threads wait: chosen for a shared machine.

Measured on a 2-core machine (bench/bench_threads.py, bench/results/threads-*.json): torch's
default, one thread per core whose OpenMP workers spin while they wait, collapses when another
process wants a core (the demo's training fell to a fifth of its speed and below), while one
thread keeps most of it. So: OpenMP threads sleep while waiting (``OMP_WAIT_POLICY=PASSIVE``,
set before torch loads, unless the environment sets it), and the thread count is the usable
cores minus the other processes running when the command starts; on two cores or fewer it is
one thread, which measured as fast as two sleeping-while-waiting threads on a quiet machine and
kept its speed beside a competitor. ``--threads N`` or ``OMP_NUM_THREADS`` overrides it.

No torch at import time: :func:`prefer_passive_waiting` must run before torch is loaded.
"""

from __future__ import annotations

import math
import os
import statistics
import sys
import time
from collections.abc import Mapping, MutableMapping
from dataclasses import asdict, dataclass
from pathlib import Path

WAIT_POLICY_VAR = "OMP_WAIT_POLICY"
THREADS_VAR = "OMP_NUM_THREADS"
LOADAVG = Path("/proc/loadavg")
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")  # cgroup v2: "QUOTA PERIOD" or "max PERIOD"
# Samples of the run queue, a few ms apart: one sample catches bursts, the median does not.
RUN_QUEUE_SAMPLES = 7
RUN_QUEUE_INTERVAL_S = 0.03
# Up to this many usable cores, one thread: on the 2-core machine of
# bench/results/threads-cpu2-amd-epyc.json one thread made 68 images/s alone and 67 beside a busy
# process, two passive threads 60 and 42, torch's two spinning threads 84 and 23.
FEW_CORES = 2


@dataclass(frozen=True)
class CpuThreads:
    """The CPU thread setting of a command and why it was chosen (recorded in config.json)."""

    threads: int
    wait_policy: str  # OMP_WAIT_POLICY in effect when torch loaded ("" if unset: libgomp spins)
    reason: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def describe(self) -> str:
        """One phrase for a start line, e.g. ``1 CPU thread (1 of 2 cores: ...)``."""
        plural = "s" if self.threads != 1 else ""
        return f"{self.threads} CPU thread{plural} ({self.reason})"


def cgroup_cpu_limit(path: Path = CGROUP_CPU_MAX) -> int | None:
    """The CPUs a container's cgroup quota allows (rounded up), or None without a quota: a
    container limited to 2 CPUs on a 64-core host still sees all 64 in its affinity mask."""
    try:
        quota, period = path.read_text().split()[:2]
        return max(1, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError, ZeroDivisionError):  # no file, "max", or unreadable
        return None


def usable_cores() -> int:
    """Cores this process may run on: the affinity mask where the OS has one, capped by a
    cgroup CPU quota."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    limit = cgroup_cpu_limit()
    return min(cores, limit) if limit else cores


def other_busy_processes() -> float:
    """About how many other processes want a core right now.

    Linux: the median of a few samples of the run queue in /proc/loadavg (which counts this
    process too), so a process that started a second ago counts and one that finished does
    not; elsewhere the 1-minute load average.
    """
    try:
        samples = []
        for _ in range(RUN_QUEUE_SAMPLES):
            running = LOADAVG.read_text().split()[3].split("/")[0]
            samples.append(int(running) - 1)
            time.sleep(RUN_QUEUE_INTERVAL_S)
        return max(0.0, statistics.median(samples))
    except (OSError, IndexError, ValueError):
        try:
            return os.getloadavg()[0]
        except OSError:
            return 0.0


def prefer_passive_waiting(env: MutableMapping[str, str] | None = None) -> str:
    """Make OpenMP threads sleep while they wait, unless the environment chose otherwise.

    Must run before torch is imported (OpenMP reads the variable once, when it loads); once
    torch is loaded it changes nothing. Returns the policy in effect ("" when unset)."""
    env = os.environ if env is None else env
    if "torch" not in sys.modules:
        env.setdefault(WAIT_POLICY_VAR, "PASSIVE")
    return env.get(WAIT_POLICY_VAR, "")


def choose_cpu_threads(
    requested: int = 0,
    env: Mapping[str, str] | None = None,
    cores: int | None = None,
    others: float | None = None,
) -> CpuThreads:
    """The thread count: ``requested`` (> 0), else ``OMP_NUM_THREADS``, else one thread on
    ``FEW_CORES`` or fewer usable cores and otherwise the usable cores minus the other busy
    processes (at least 1), with the reason in words."""
    env = os.environ if env is None else env
    wait = env.get(WAIT_POLICY_VAR, "")
    if requested > 0:
        return CpuThreads(requested, wait, f"--threads {requested}")
    from_env = env.get(THREADS_VAR, "").strip()
    if from_env.isdigit() and int(from_env) > 0:
        return CpuThreads(int(from_env), wait, f"{THREADS_VAR}={from_env} from the environment")
    cores = usable_cores() if cores is None else cores
    others = other_busy_processes() if others is None else others
    busy = int(others + 0.5)
    if cores <= FEW_CORES:
        threads = 1
        why = f"1 of {cores} core(s): on {FEW_CORES} or fewer one thread keeps its speed beside"
        why += f" other processes (~{busy} busy at start)"
    elif busy == 0:
        threads = cores
        why = f"{cores} idle core(s)"
    else:
        threads = max(1, cores - busy)
        why = f"{threads} of {cores} core(s): ~{busy} other busy process(es) at start"
    if wait:
        why += f"; OpenMP waiting {wait.lower()}"
    return CpuThreads(threads, wait, f"{why}; --threads N overrides")


def apply_cpu_threads(choice: CpuThreads) -> None:
    """Set torch's intra-op thread count (torch is imported here)."""
    import torch

    torch.set_num_threads(choice.threads)
