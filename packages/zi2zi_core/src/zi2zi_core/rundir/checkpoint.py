"""The checkpoint format: durable atomic save, verified safe load, pruning, loading for
inference, finding the newest intact checkpoint to resume from.

A checkpoint is one dict of tensors and plain containers (loaded with
``torch.load(weights_only=True)``, so loading never runs code), stored behind a header with
its sha256 that every load checks first (:mod:`zi2zi_core.rundir.checkpoint_file`)::

    format_version, step, config {model, loss, train}, dataset {path, manifest_sha256},
    generator, discriminator, ema (state dicts), opt_g, opt_d, scaler, schedule {lr_scale},
    rng {torch_cpu, torch_cuda}, best {metric, value, step}

Format 2 added the checksum header; the dict is as in format 1, whose files (no header) still
load, with an ``UnverifiedCheckpoint`` warning. ``scaler`` is kept and written empty: there is no fp16 precision, so no loss
scaling (older checkpoints hold a disabled GradScaler's state, which is ignored).
The trainer's side of the format, ``state_dict``/``load_state``, is
:class:`zi2zi_core.training.session.TrainingSession`; where checkpoints live is :class:`RunDir`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from zi2zi_core.errors import CheckpointError, ConfigError
from zi2zi_core.models.config import ModelConfig
from zi2zi_core.rundir.checkpoint_file import read_checkpoint_file, write_checkpoint_file
from zi2zi_core.rundir.layout import RunDir

FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)  # 1: the same dict, in a file without the checksum header
# State-dict keys whose first dimension is the number of styles (resized by --init-from).
STYLE_KEYS = ("embedding.", "style_head.")


def list_checkpoints(run_dir: Path) -> list[Path]:
    """Step checkpoints of a run, oldest first (``best.pt`` excluded)."""
    return [p for _, p in RunDir(run_dir).step_checkpoints()]


def latest_checkpoint(run_dir: Path) -> Path | None:
    found = list_checkpoints(run_dir)
    return found[-1] if found else None


def save_checkpoint(state: dict[str, Any], path: Path) -> Path:
    """Write ``state`` to ``path`` atomically and durably (fsynced: it must survive a power
    loss, since resuming and rolling back read it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_checkpoint_file(state, path)
    return path


def prune_checkpoints(run_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` step checkpoints; return the deleted paths."""
    found = list_checkpoints(run_dir)
    doomed = found[:-keep] if keep > 0 else found
    for p in doomed:
        p.unlink(missing_ok=True)
    return doomed


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load and check a checkpoint dict: checksum first, then weights only (CheckpointError,
    one line naming the file, on any problem)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    state = read_checkpoint_file(path, map_location)
    if not isinstance(state, dict) or "format_version" not in state:
        raise CheckpointError(f"{path}: not a zi2zi checkpoint (no format_version)")
    if state["format_version"] not in READABLE_VERSIONS:
        raise CheckpointError(
            f"{path}: checkpoint format {state['format_version']} is not supported "
            f"(this zi2zi reads {', '.join(map(str, READABLE_VERSIONS))})"
        )
    return state


@dataclass(frozen=True)
class Resumable:
    """The newest intact step checkpoint of a run, and the newer ones that could not be read."""

    state: dict[str, Any]
    path: Path
    step: int
    refused: tuple[str, ...]  # one line per newer checkpoint: why it was not used
    newest_step: int  # the step of the newest checkpoint on disk, intact or not
    refused_paths: tuple[Path, ...] = ()  # those newer checkpoints

    @property
    def steps_lost(self) -> int:
        return self.newest_step - self.step


def newest_intact_checkpoint(
    run_dir: Path,
    map_location: str | torch.device = "cpu",
    at_most: int | None = None,
    on_refused: Callable[[str], None] | None = None,
) -> Resumable | None:
    """Load the newest step checkpoint that passes its checks (``at_most``: of a step no later
    than that); corrupt or truncated newer ones are skipped and reported in ``refused`` (and to
    ``on_refused`` as they are met). None when there are no step checkpoints; CheckpointError
    listing every refusal when none is intact."""
    found = [
        (s, p) for s, p in RunDir(run_dir).step_checkpoints() if at_most is None or s <= at_most
    ]
    if not found:
        return None
    refused: list[str] = []
    refused_paths: list[Path] = []
    for _step, path in reversed(found):
        try:
            state = load_checkpoint(path, map_location)
        except CheckpointError as exc:
            refused.append(str(exc))
            refused_paths.append(path)
            if on_refused is not None:
                on_refused(str(exc))
            continue
        step = int(state["step"])
        return Resumable(state, path, step, tuple(refused), found[-1][0], tuple(refused_paths))
    raise CheckpointError(
        f"{RunDir(run_dir).checkpoints}: no intact checkpoint ({len(refused)} refused: "
        + "; ".join(refused)
        + ")"
    )


def resolve_checkpoint(run_dir_or_file: Path, which: str = "best") -> Path:
    """``which`` = "best" (falls back to the latest when no validation has run), "last",
    or a checkpoint file path; ``run_dir_or_file`` may itself be a checkpoint file."""
    target = Path(run_dir_or_file)
    if target.is_file():
        return target
    if which not in ("best", "last"):
        path = Path(which)
        if not path.is_file():
            raise CheckpointError(f"{path}: checkpoint not found")
        return path
    if not target.is_dir():
        raise CheckpointError(f"{target}: run directory not found")
    run = RunDir(target)
    if which == "best" and run.best_checkpoint.is_file():
        return run.best_checkpoint
    latest = latest_checkpoint(target)
    if latest is None:
        raise CheckpointError(f"{target}: no checkpoints in {run.checkpoints}")
    return latest


def model_config_of(state: dict[str, Any], path: Path) -> ModelConfig:
    try:
        return ModelConfig.from_dict(state["config"]["model"])
    except (KeyError, TypeError, ConfigError) as exc:
        raise CheckpointError(f"{path}: checkpoint holds no valid model config ({exc})") from None


@dataclass(frozen=True)
class InferenceBundle:
    """What eval/generate need from a run: the EMA generator and where it came from."""

    generator: nn.Module
    model_config: ModelConfig
    train_config: dict[str, Any]
    loss_config: dict[str, Any]
    dataset_path: Path
    step: int
    checkpoint_path: Path


def load_for_inference(
    run_dir: Path, which: str = "best", device: str | torch.device = "cpu"
) -> InferenceBundle:
    """The EMA generator of a run (eval mode, on ``device``) with its configs."""
    from zi2zi_core.models.networks import build_generator

    path = resolve_checkpoint(Path(run_dir), which)
    state = load_checkpoint(path, map_location="cpu")
    cfg = model_config_of(state, path)
    generator = build_generator(cfg)
    try:
        generator.load_state_dict(state["ema"])
    except (KeyError, RuntimeError) as exc:
        raise CheckpointError(
            f"{path}: EMA weights do not fit the stored model config ({exc})"
        ) from None
    generator.eval().requires_grad_(False).to(device)
    return InferenceBundle(
        generator=generator,
        model_config=cfg,
        train_config=dict(state["config"].get("train", {})),
        loss_config=dict(state["config"].get("loss", {})),
        dataset_path=Path(state.get("dataset", {}).get("path", "")),
        step=int(state["step"]),
        checkpoint_path=path,
    )


def check_belongs_to_run(bundle: InferenceBundle, run_dir: Path) -> None:
    """Refuse a ``--checkpoint FILE`` of another run than ``--run`` (another width, dataset or
    history; its numbers would be reported under ``--run``'s name). A file inside ``--run``
    is its own, even if the run was moved since; else the run it records must be ``--run``."""
    path, run = bundle.checkpoint_path.resolve(), Path(run_dir).resolve()
    if path.is_relative_to(run):
        return
    recorded = bundle.train_config.get("run_dir")
    if recorded and Path(recorded).resolve() == run:
        return
    raise CheckpointError(
        f"{bundle.checkpoint_path}: a checkpoint of run {recorded or '(unrecorded)'}, not of "
        f"--run {run_dir} (give --run {recorded or 'the run it belongs to'})"
    )


def transfer_weights(
    source: dict[str, torch.Tensor], network: nn.Module, what: str, origin: Path
) -> list[str]:
    """Copy ``source`` weights into ``network`` for fine-tuning (``--init-from``).

    Every tensor must match in shape, except the style-dependent ones (G's style embedding,
    D's style head, first dimension = number of styles): their rows for style ids present in
    both are copied and extra new styles keep their fresh initialization. Returns the keys
    that were resized. Anything else that differs is an architecture mismatch.
    """
    target = network.state_dict()
    missing = sorted(set(target) - set(source))
    extra = sorted(set(source) - set(target))
    if missing or extra:
        raise CheckpointError(
            f"{origin}: {what} architecture differs (missing {missing[:3]}, unexpected {extra[:3]})"
        )
    resized = []
    merged = {}
    for key, fresh in target.items():
        old = source[key]
        if old.shape == fresh.shape:
            merged[key] = old
            continue
        style_dim_only = (
            key.startswith(STYLE_KEYS)
            and old.dim() == fresh.dim()
            and old.shape[1:] == fresh.shape[1:]
        )
        if not style_dim_only:
            raise CheckpointError(
                f"{origin}: {what} tensor {key} has shape {tuple(old.shape)}, "
                f"this model needs {tuple(fresh.shape)}"
            )
        rows = min(len(old), len(fresh))
        value = fresh.clone()
        if not key.endswith(("_u", "_v")):  # power-iteration vectors restart from fresh
            value[:rows] = old[:rows]
        merged[key] = value
        resized.append(key)
    network.load_state_dict(merged)
    return resized
