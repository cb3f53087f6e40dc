"""``--cuda-graphs``: the G and D phases of a step captured once as a CUDA graph, then replayed.

The batch shape is fixed and the data are already on the device, so after a few eager warm-up
steps (optimizer state, cuDNN's algorithm choice, torch.compile's kernels are made there) the
whole of :func:`~zi2zi_core.training.phases.run_phases` - forwards, backwards, gradient norms,
the non-finite checks and both fused Adam updates - is recorded once and replayed with one
launch per step. The inputs live in static buffers (the batch is copied in; the learning rate
and the NaN-injection factor are device scalars filled before each replay), gradients are
zeroed in place so their memory stays where the graph expects it, and autocast runs without
its weight cache. The data path and the EMA stay outside the graph (a few launches each).

The eager body is the same function the graph records: with ``capture=False`` (tests on the
CPU) every step runs that body eagerly, which proves it computes what the ordinary step does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn

from zi2zi_core.errors import ConfigError
from zi2zi_core.models.config import LossConfig
from zi2zi_core.training.phases import Phase, StepInputs, run_phases

WARMUP_STEPS = 3  # eager steps before capture (the torch docs' whole-network example uses 3)


def check_graphs_supported(device: torch.device, distributed: bool, compile_mode: str) -> None:
    """``--cuda-graphs`` needs one CUDA process and no compile mode that makes its own graphs;
    raise one clear line otherwise."""
    if compile_mode in ("reduce-overhead", "max-autotune"):
        raise ConfigError(
            f"--cuda-graphs with --compile-mode {compile_mode}: that mode records CUDA graphs "
            "itself; use --compile-mode default or max-autotune-no-cudagraphs"
        )
    if device.type != "cuda":
        raise ConfigError(
            f"--cuda-graphs needs a CUDA device (this run is on {device.type}); "
            "train without it, or with --compile"
        )
    if distributed:
        raise ConfigError("--cuda-graphs is not supported under torchrun; train without it")


@dataclass(frozen=True)
class StepSpec:
    """What the recorded step runs: both phases, the generator and how losses are computed."""

    g: Phase
    d: Phase
    generator: nn.Module
    loss_cfg: LossConfig
    precision: str
    g_steps: int


class GraphStep:
    """Runs the G/D phases through static buffers; replays one CUDA graph after warm-up."""

    def __init__(self, spec: StepSpec, *, capture: bool = True, warmup: int = WARMUP_STEPS):
        self.spec = spec
        self.capture = capture
        self.warmup = warmup
        self._graph: torch.cuda.CUDAGraph | None = None
        self._buffers: dict[str, torch.Tensor] | None = None
        self._out: tuple[dict[str, torch.Tensor], torch.Tensor] | None = None
        self._eager_steps = 0
        for phase in (spec.g, spec.d):
            if not phase.keep_grads:
                raise ValueError(f"GraphStep: phase {phase.name} must keep its gradients")

    def reset(self) -> None:
        """Forget the graph (after loading a checkpoint: optimizer state tensors are new)."""
        self._graph, self._out, self._eager_steps = None, None, 0

    def _static(self, inputs: StepInputs, lr: float) -> dict[str, torch.Tensor]:
        """Copy this step's batch, learning rate and poison factor into the static buffers."""
        if self._buffers is None:
            dev = inputs.source.device
            self._buffers = {
                "source": torch.empty_like(inputs.source),
                "target": torch.empty_like(inputs.target),
                "style": torch.empty_like(inputs.style),
                # CUDA's fused Adam reads a float32 scalar; the CPU kernel a double (exact).
                "lr": torch.zeros((), dtype=_lr_dtype(dev), device=dev),
                "poison": torch.ones((), dtype=torch.float32, device=dev),
            }
        buf = self._buffers
        for name in ("source", "target", "style"):
            buf[name].copy_(getattr(inputs, name))
        buf["lr"].fill_(lr)
        buf["poison"].fill_(1.0 if inputs.poison is None else float("nan"))
        for phase in (self.spec.g, self.spec.d):
            for group in phase.optimizer.param_groups:
                group["lr"] = buf["lr"]  # a device scalar the fused kernel reads at replay
                group["capturable"] = buf["lr"].device.type == "cuda"
        return buf

    def _body(self, buf: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        s = self.spec
        inputs = StepInputs(
            source=buf["source"],
            target=buf["target"],
            style=buf["style"],
            loss_cfg=s.loss_cfg,
            precision=s.precision,
            poison=buf["poison"],
            autocast_cache=False,
        )
        return run_phases(
            s.g, s.d, s.generator, inputs, g_steps=s.g_steps, distributed=False, mark=_no_mark
        )

    def __call__(
        self, inputs: StepInputs, lr: float
    ) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        """One step: the step's device values and its skipped flag (as run_phases returns)."""
        buf = self._static(inputs, lr)
        if self._graph is not None:
            self._graph.replay()
            assert self._out is not None
            return self._out
        if not self.capture or self._eager_steps < self.warmup:
            self._eager_steps += 1
            with _side_stream(buf["source"].device):
                return self._body(buf)
        graph = torch.cuda.CUDAGraph()
        # thread_local: a streaming sampler's thread may pin memory while this thread captures
        with torch.cuda.graph(graph, capture_error_mode="thread_local"):
            self._out = self._body(buf)
        self._graph = graph
        graph.replay()  # capture records the work without running it
        return self._out


def _lr_dtype(device: torch.device) -> torch.dtype:
    return torch.float32 if device.type == "cuda" else torch.float64


def _no_mark(_phase: str) -> None:
    """Phase marks synchronize the device: impossible inside a graph, meaningless around it."""


@contextlib.contextmanager
def _side_stream(device: torch.device) -> Iterator[None]:
    """Warm-up steps on a side stream, as the CUDA graphs docs ask (no-op on CPU)."""
    if device.type != "cuda":
        yield
        return
    stream = torch.cuda.Stream(device)
    stream.wait_stream(torch.cuda.current_stream(device))
    with torch.cuda.stream(stream):
        yield
    torch.cuda.current_stream(device).wait_stream(stream)
