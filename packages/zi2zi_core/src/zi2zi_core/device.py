"""Device and precision selection, shared by training, evaluation and generation.

One rule everywhere, so a run trains and generates on the same kind of device: ``auto`` is
CUDA (this process's GPU under torchrun), then MPS, then CPU; precision ``auto`` is bf16 on
CUDA GPUs that support it, fp32 elsewhere (there is no fp16 mode, hence no loss scaling).
"""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager

import torch

from zi2zi_core.errors import ConfigError


def pick_device(name: str, local_rank: int = 0) -> torch.device:
    """``auto``: CUDA (GPU ``local_rank``), then MPS, then CPU; else the named device."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", local_rank)
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError("--device cuda: no CUDA device is available")
        if device.index is None:
            device = torch.device("cuda", local_rank)
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("--device mps: MPS is not available")
    return device


def pick_precision(name: str, device: torch.device) -> str:
    """``auto``: bf16 on CUDA GPUs that support it, fp32 elsewhere."""
    if name == "auto":
        cuda_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
        return "bf16" if cuda_bf16 else "fp32"
    return name


def autocast(precision: str, device: torch.device, cache: bool = True) -> AbstractContextManager:
    """The forward-pass context for ``precision`` (bf16 autocast, or nothing for fp32).

    ``cache=False`` for CUDA graph capture: autocast's cache of bf16 weight copies would hold
    tensors made outside the graph's memory pool."""
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16, cache_enabled=cache)
    return contextlib.nullcontext()


def tune_backend(device: torch.device) -> None:
    """cuDNN autotuning on CUDA: a training run's shapes are fixed, so the fastest convolution
    algorithm found on the first step is reused for every later one. TF32 stays off, so fp32
    means fp32."""
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (timing only: the training step never calls it)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
