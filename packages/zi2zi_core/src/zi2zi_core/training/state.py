"""The trainer's side of the checkpoint format (:mod:`zi2zi_core.rundir.checkpoint`):
what a checkpoint holds of a run, and putting it back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from glyphrender.dataset.shards import MANIFEST_NAME, sha256_file

from zi2zi_core.errors import CheckpointError
from zi2zi_core.rundir.checkpoint import FORMAT_VERSION

if TYPE_CHECKING:
    from zi2zi_core.training.trainer import Trainer


def trainer_state(trainer: Trainer) -> dict[str, Any]:
    """The checkpoint dict of ``trainer`` at its current step."""
    rng = {"torch_cpu": torch.get_rng_state()}
    if trainer.device.type == "cuda":
        rng["torch_cuda"] = torch.cuda.get_rng_state_all()
    manifest = trainer.dataset.path / MANIFEST_NAME
    return {
        "format_version": FORMAT_VERSION,
        "step": trainer.step,
        "config": trainer.config.to_dict(),
        "dataset": {
            "path": str(trainer.dataset.path.resolve()),
            "manifest_sha256": sha256_file(manifest),
        },
        "generator": trainer.generator.state_dict(),
        "discriminator": trainer.discriminator.state_dict(),
        "ema": trainer.ema.state_dict(),
        "opt_g": trainer.opt_g.state_dict(),
        "opt_d": trainer.opt_d.state_dict(),
        "scaler": {},  # format 1 keeps the key; no fp16, so no loss scaler state
        "schedule": {"lr_scale": trainer.lr_scale},
        "rng": rng,
        "best": dict(trainer.best),
    }


def load_trainer_state(trainer: Trainer, state: dict[str, Any], path: Path) -> None:
    """Put a checkpoint's weights, optimizer moments, step, schedule, best and RNG back."""
    saved_model = state["config"]["model"]
    if saved_model != trainer.config.to_dict()["model"]:
        raise CheckpointError(
            f"{path}: the checkpoint's model config differs from this run's "
            f"({json.dumps(saved_model, sort_keys=True)})"
        )
    try:
        trainer.generator.load_state_dict(state["generator"])
        trainer.discriminator.load_state_dict(state["discriminator"])
        trainer.ema.load_state_dict(state["ema"])
        trainer.opt_g.load_state_dict(state["opt_g"])
        trainer.opt_d.load_state_dict(state["opt_d"])
    except (KeyError, RuntimeError, ValueError) as exc:
        raise CheckpointError(f"{path}: checkpoint does not fit the model ({exc})") from None
    trainer.step = int(state["step"])
    trainer.lr_scale = float(state["schedule"]["lr_scale"])
    best = state.get("best") or {}
    if best.get("metric") == trainer.cfg.best_metric:
        trainer.best = dict(best)
    torch.set_rng_state(state["rng"]["torch_cpu"].cpu())
    if trainer.device.type == "cuda" and "torch_cuda" in state["rng"]:
        torch.cuda.set_rng_state_all([s.cpu() for s in state["rng"]["torch_cuda"]])
