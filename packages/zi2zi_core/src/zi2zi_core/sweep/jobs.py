"""How many sweep runs train at once (``--jobs``), on which devices, with how many CPU threads.

One training process at batch 16 leaves most of a big GPU idle (measured on an H200: 290
images/s alone, 590 images/s for three processes side by side), so a sweep runs up to K of
its runs at once. The default K comes from the device:

* CPU (and MPS): 1. torch already spreads one process over every core; K > 1 only pays when
  each process is too small to use its threads (the tiny 32 px study ran 2 processes of one
  thread each on 2 cores), and then ``--jobs`` says so explicitly.
* CUDA, per GPU: the smallest of (free memory / an estimate of one run's memory), (a compute
  estimate: 3 processes filled the 132 SMs of an H200 at batch 16, 256 px, 64 channels; a run
  with less work per step needs proportionally more processes) and the CPU cores per GPU (each
  process needs a core to launch its kernels).

Every estimate here is a heuristic, stated in the plan's ``reason`` so the sweep can say what
it chose and why.
"""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from zi2zi_core.models.config import ModelConfig
from zi2zi_core.sweep.grid import SweepError, SweepRun

# The H200 measurement the compute estimate is scaled from.
REF_JOBS, REF_SMS, REF_BATCH, REF_PX, REF_CHANNELS = 3, 132, 16, 256, 64
# Bytes per parameter: fp32 weight, gradient, two Adam moments, and G's EMA copy.
BYTES_PER_PARAM = 20
# Saved activations per image, per pixel and per (G + D) base channel (a rough upper bound
# for the U-Net + PatchGAN pair in fp32).
ACT_BYTES_PER_PX_CHANNEL = 48
# CUDA context, cuDNN workspace and allocator slack of one process.
PROCESS_OVERHEAD_BYTES = 1 << 30
# Fraction of the free memory the runs may plan to use.
MEMORY_HEADROOM = 0.85


@dataclass(frozen=True)
class JobPlan:
    """K runs at once; slot i trains on ``devices[i % len(devices)]``."""

    jobs: int
    devices: tuple[str, ...]
    threads_per_run: int | None  # OMP threads each child gets; None: left to torch / the env
    reason: str

    def device_of(self, slot: int) -> str:
        return self.devices[slot % len(self.devices)]

    def to_dict(self) -> dict[str, object]:
        return {
            "jobs": self.jobs,
            "devices": list(self.devices),
            "threads_per_run": self.threads_per_run,
            "reason": self.reason,
        }


def parse_devices(text: str) -> tuple[str, ...]:
    """``"cuda:0,cuda:1"`` -> ("cuda:0", "cuda:1"); one name stays one device."""
    devices = tuple(d.strip() for d in text.split(",") if d.strip())
    if not devices:
        raise SweepError(f"--device {text!r}: expected a device name or a comma-separated list")
    return devices


def cpu_cores() -> int:
    """Cores this process may run on (the affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _model_config(run: SweepRun, glyph_px: int) -> ModelConfig:
    model = dict(run.sections["model"], glyph_px=glyph_px)
    return ModelConfig.from_dict(model).resolve(run.batch_size)


def parameter_count(run: SweepRun, glyph_px: int) -> int:
    """G + D parameters of a run, built on the meta device (nothing allocated)."""
    import torch

    from zi2zi_core.models.networks import build_discriminator, build_generator

    cfg = _model_config(run, glyph_px)
    with torch.device("meta"):
        g = build_generator(cfg).parameter_counts()["total"]
        d = build_discriminator(cfg).parameter_counts()["total"]
    return int(g + d)


def estimate_run_bytes(run: SweepRun, glyph_px: int) -> int:
    """Rough GPU memory of one training process: optimizer state, activations, overhead."""
    cfg = _model_config(run, glyph_px)
    channels = cfg.base_channels + cfg.d_base_channels
    activations = run.batch_size * glyph_px**2 * channels * ACT_BYTES_PER_PX_CHANNEL
    return BYTES_PER_PARAM * parameter_count(run, glyph_px) + activations + PROCESS_OVERHEAD_BYTES


def run_work(run: SweepRun, glyph_px: int) -> float:
    """Compute per step, relative to the reference run (batch 16, 256 px, 64 channels)."""
    cfg = _model_config(run, glyph_px)
    ref = REF_BATCH * REF_PX**2 * REF_CHANNELS**2
    return run.batch_size * glyph_px**2 * cfg.base_channels**2 / ref


def cuda_jobs(device: str, runs: Sequence[SweepRun], glyph_px: int, cores: int) -> tuple[int, str]:
    """Default K for one CUDA device, and the reason in words."""
    import torch

    index = torch.device(device).index or 0
    free, _total = torch.cuda.mem_get_info(index)
    sms = torch.cuda.get_device_properties(index).multi_processor_count
    need = max(estimate_run_bytes(r, glyph_px) for r in runs)
    by_memory = max(1, int(free * MEMORY_HEADROOM // need))
    work = statistics.mean(run_work(r, glyph_px) for r in runs)
    by_compute = max(1, math.ceil(REF_JOBS * sms / REF_SMS / work))
    jobs = max(1, min(by_memory, by_compute, cores))
    reason = (
        f"{device}: {free / 2**30:.0f} GiB free / ~{need / 2**30:.1f} GiB per run -> "
        f"{by_memory}; {sms} SMs at {work:.2g}x the work of a batch-16 256 px step -> "
        f"{by_compute}; {cores} CPU core(s) -> {cores}"
    )
    return jobs, reason


def default_jobs(
    devices: Sequence[str], runs: Sequence[SweepRun], glyph_px: int | None
) -> tuple[int, str]:
    """Default K over all devices (sum of each device's K) and why."""
    if not runs:
        return 1, "no runs"
    import torch

    cores = cpu_cores()
    total, reasons = 0, []
    for device in devices:
        kind = device.split(":")[0]
        if kind == "auto" and torch.cuda.is_available():
            device, kind = "cuda:0", "cuda"
        if kind == "cuda" and torch.cuda.is_available():
            k, why = cuda_jobs(device, runs, glyph_px or 256, max(1, cores // len(devices)))
        else:
            k, why = 1, f"{device}: 1 (one process already uses every core)"
        total += k
        reasons.append(why)
    return total, "; ".join(reasons)


def threads_for(jobs: int, devices: Sequence[str], env: dict[str, str]) -> int | None:
    """CPU threads per child: the cores split among the K children when K > 1 (K processes
    of all-cores threads would fight over the cores); None (torch's own choice) when K is 1
    or when the caller's environment already sets OMP_NUM_THREADS."""
    if "OMP_NUM_THREADS" in env or jobs <= 1:
        return None
    return max(1, cpu_cores() // jobs)


def plan_jobs(
    requested: int | None,
    device_text: str,
    runs: Sequence[SweepRun],
    glyph_px: int | None,
    env: dict[str, str],
) -> JobPlan:
    """K from ``--jobs`` or the device, never more than the runs to train."""
    devices = parse_devices(device_text)
    if requested is not None:
        jobs, reason = requested, f"--jobs {requested}"
    else:
        jobs, reason = default_jobs(devices, runs, glyph_px)
        reason = f"auto: {reason}"
    jobs = max(1, min(jobs, len(runs) or 1))
    if "OMP_NUM_THREADS" in env:
        reason += f"; OMP_NUM_THREADS={env['OMP_NUM_THREADS']} from the environment"
    return JobPlan(jobs, devices, threads_for(jobs, devices, env), reason)
