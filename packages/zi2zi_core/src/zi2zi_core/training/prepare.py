"""Run preparation: everything ``zi2zi train`` decides before the first step.

:func:`prepare_run` resolves the run directory, the dataset, the checkpoint being resumed or
fine-tuned from, and the run config; it opens the dataset and each checkpoint once and hands
them to the :class:`~zi2zi_core.training.trainer.Trainer`. Everything is read and checked
before anything is written, so a bad input leaves no half-made run directory (the trainer
writes its first file when :meth:`Trainer.run` starts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glyphrender.dataset.shards import MANIFEST_NAME, Dataset, sha256_file
from glyphrender.errors import DatasetError
from glyphrender.outputs import check_output_apart, folder_lock

from zi2zi_core.cpu_threads import CpuThreads
from zi2zi_core.errors import ConfigError, MissingInput
from zi2zi_core.rundir.checkpoint import (
    Resumable,
    latest_checkpoint,
    load_checkpoint,
    newest_intact_checkpoint,
    resolve_checkpoint,
)
from zi2zi_core.rundir.layout import RunDir
from zi2zi_core.training.config import (
    RunConfig,
    load_config_file,
    merge_layers,
    resolve_run_config,
)
from zi2zi_core.training.distributed import DistInfo
from zi2zi_core.training.fewshot import TrainPick, check_resume_pick, select_train
from zi2zi_core.training.presets import load_preset

if TYPE_CHECKING:
    from zi2zi_core.training.trainer import Trainer

Loaded = tuple[dict[str, Any], Path]  # a checkpoint dict and the file it came from


def default_run_dir(shards: Path) -> Path:
    """``runs/DATASET-YYYYmmdd-HHMMSS``."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{shards.resolve().name}-{stamp}"


@dataclass(frozen=True)
class PreparedRun:
    """A checked run, ready to train: config, run directory, open dataset, loaded checkpoints."""

    config: RunConfig
    run_dir: Path
    dataset: Dataset
    resume_from: Loaded | None
    init_from: Loaded | None
    notes: tuple[str, ...] = ()  # for the user: e.g. corrupt checkpoints skipped on --resume
    # Refused checkpoints newer than the resumed one, for the command to delete when training
    # starts: left in place they would outrank (and get pruned) the resumed run's new ones.
    stale_checkpoints: tuple[Path, ...] = ()
    train_pick: TrainPick | None = None  # the few-shot rows (--train-limit), None: all

    @property
    def nothing_to_train(self) -> bool:
        """A resumed run already at or past ``--steps``: the command says so and writes
        nothing (a run would rewrite the run's config with the smaller end)."""
        return self.resume_from is not None and self.config.train.steps <= int(
            self.resume_from[0]["step"]
        )

    def trainer(
        self,
        dist_info: DistInfo | None = None,
        on_message: Callable[[str], None] | None = None,
        cpu_threads: CpuThreads | None = None,
    ) -> Trainer:
        """The trainer of this run (builds networks and data on the device; writes nothing)."""
        from zi2zi_core.training.trainer import Trainer

        return Trainer(
            self.config,
            self.run_dir,
            dist_info=dist_info,
            on_message=on_message,
            dataset=self.dataset,
            resume_from=self.resume_from,
            init_from=self.init_from,
            train_pick=self.train_pick,
            cpu_threads=cpu_threads,
        )


def _resume_state(run_dir: Path | None) -> Resumable:
    """The newest intact checkpoint of ``run_dir`` (corrupt or truncated newer ones skipped)."""
    if run_dir is None:
        raise MissingInput("--resume needs --run RUN (the run directory to continue)")
    found = newest_intact_checkpoint(run_dir)
    if found is None:
        raise ConfigError(
            f"{run_dir}: nothing to resume (no step checkpoints in {RunDir(run_dir).checkpoints})"
        )
    return found


def _resume_notes(found: Resumable) -> tuple[str, ...]:
    if not found.refused:
        return ()
    return (
        *found.refused,
        f"resuming from step {found.step} ({found.path.name}), the newest intact checkpoint: "
        f"{found.steps_lost} step(s) of training lost; the {len(found.refused)} refused "
        "checkpoint(s) are deleted (the run writes those steps again)",
    )


def check_shards(dataset: Dataset) -> None:
    """Every shard against the manifest (sha256, layout, style ids, code points; no image
    decoding) before anything is written: the streaming sampler reads a shard only when its
    turn comes, long after the run directory exists. DatasetError naming the first bad one."""
    problems = dataset.verify()
    if problems:
        more = len(problems) - 1
        extra = f" (and {more} more bad shard(s): glyphrender inspect --verify)" if more else ""
        raise DatasetError(problems[0] + extra)


def resume_dataset_note(found: Resumable, dataset: Dataset) -> tuple[str, ...]:
    """A note when the dataset resumed on is not the checkpoint's (its manifest differs,
    e.g. another dataset of the same glyph size and styles, or one rebuilt since)."""
    recorded = (found.state.get("dataset") or {}).get("manifest_sha256")
    if not recorded or recorded == sha256_file(dataset.path / MANIFEST_NAME):
        return ()
    return (
        f"{dataset.path}: its manifest differs from that of the dataset {found.path.name} was "
        f"trained on ({found.state['dataset'].get('path')}); resuming on it anyway (to "
        "fine-tune on another dataset, use --init-from into a new --run)",
    )


def prepare_run(
    *,
    flags: dict[str, dict[str, Any]],
    shards: Path | None = None,
    run_dir: Path | None = None,
    config_file: Path | None = None,
    preset: str | None = None,
    resume: bool = False,
    init_from: Path | None = None,
    distributed: bool = False,
) -> PreparedRun:
    """Check and resolve a training run (flags > ``config_file`` > ``preset`` > resumed
    checkpoint > dataset > defaults). Raises ConfigError / CheckpointError / DatasetError
    naming the file (every shard is checked); creates and writes nothing."""
    file_layer = merge_layers(
        load_preset(preset) if preset else {},
        load_config_file(config_file) if config_file else {},
    )
    found = _resume_state(run_dir) if resume else None
    resumed = (found.state, found.path) if found else None
    checkpoint_config = resumed[0]["config"] if resumed else None
    if shards is None and checkpoint_config is not None:
        shards = Path(checkpoint_config["train"]["shards"])
    if shards is None:
        raise MissingInput("--shards DATASET is required (unless resuming)")
    if run_dir is None:
        if distributed:
            raise MissingInput("--run-dir is required with torchrun (all ranks must agree)")
        run_dir = default_run_dir(shards)
    if not resume and latest_checkpoint(run_dir) is not None:
        raise ConfigError(
            f"{run_dir}: already holds checkpoints; add --resume or choose another --run"
        )
    train = {**flags.get("train", {}), "shards": str(shards), "run_dir": str(run_dir)}
    initial: Loaded | None = None
    if init_from is not None:
        train["init_from"] = str(init_from)
        path = resolve_checkpoint(init_from, "best")
        initial = (load_checkpoint(path), path)
    check_output_apart(run_dir, [("the dataset", shards)], option="--run")
    dataset = Dataset.open(shards)
    check_shards(dataset)
    config = resolve_run_config(
        flags={**flags, "train": train},
        file_layer=file_layer,
        dataset_glyph_px=dataset.glyph_px,
        dataset_num_styles=dataset.num_styles,
        checkpoint_config=checkpoint_config,
        init_model=initial[0]["config"]["model"] if initial else None,
        source=str(config_file or (f"--preset {preset}" if preset else "flags")),
    )
    t = config.train
    pick = select_train(dataset, t.train_limit, t.train_pick, t.train_pick_seed)
    if checkpoint_config is not None:
        check_resume_pick(Path(run_dir), checkpoint_config["train"], t, pick)
    notes = (*_resume_notes(found), *resume_dataset_note(found, dataset)) if found else ()
    if found is not None and t.steps <= found.step:
        notes += (
            f"the run is already at step {found.step}, --steps is {t.steps}: nothing to train "
            "(give a larger --steps to continue)",
        )
    stale = found.refused_paths if found else ()
    return PreparedRun(config, Path(run_dir), dataset, resumed, initial, notes, stale, pick)


@contextmanager
def claim_run_dir(params: dict[str, Any], lock: bool = True) -> Iterator[Path | None]:
    """The run directory of a ``zi2zi train`` command, apart from its inputs, writable and
    locked (one writer: a second train on it is refused, "already in use by PID N").

    Yields ``--run`` (or the default ``runs/DATASET-TIMESTAMP`` when ``--shards`` is given;
    None when neither is, for :func:`prepare_run` to refuse). Checked before anything is read
    or computed: the run directory must not be, contain or lie inside the dataset, the
    ``--init-from`` checkpoint (a ``--config`` file may live in it: a sweep's does). ``lock`` False (other torchrun ranks) only
    yields the path. A failure inside leaves no directory this call made.
    """
    run_dir, shards = params.get("run_dir"), params.get("shards")
    if run_dir is None and shards is not None and not params.get("resume"):
        run_dir = default_run_dir(Path(shards))
    if run_dir is None or not lock:
        yield run_dir
        return
    inputs = [("the dataset", shards), ("the --init-from checkpoint", params.get("init_from"))]
    check_output_apart(run_dir, inputs, option="--run")
    with folder_lock(run_dir, "the run directory"):
        yield Path(run_dir)
