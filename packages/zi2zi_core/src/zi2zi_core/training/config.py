"""Training configuration: the frozen ``TrainConfig`` and the TOML / flag precedence.

A run is described by three sections, each a frozen dataclass with ``to_dict``/``from_dict``:
``model`` (:class:`zi2zi_core.models.config.ModelConfig`), ``loss``
(:class:`zi2zi_core.models.config.LossConfig`) and ``train`` (:class:`TrainConfig`, here).
Values come from, highest first: command-line flags, the ``--config`` TOML file, a ``--preset``
(:mod:`zi2zi_core.training.presets`), the checkpoint being resumed, the dataset
(``glyph_px``, ``num_styles``), built-in defaults.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from glyphrender.dataset.fewshot import PICK_RULES

from zi2zi_core.errors import ConfigError
from zi2zi_core.evaluation.metric_names import VAL_METRICS

SECTIONS = ("model", "loss", "train")
LR_SCHEDULES = ("constant", "linear", "cosine", "step")
PRECISIONS = ("auto", "fp32", "bf16")
DEVICES = ("auto", "cpu", "cuda", "mps")
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")

_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "k": 10**3,
    "kb": 10**3,
    "kib": 2**10,
    "m": 10**6,
    "mb": 10**6,
    "mib": 2**20,
    "g": 10**9,
    "gb": 10**9,
    "gib": 2**30,
    "t": 10**12,
    "tb": 10**12,
    "tib": 2**40,
}


def parse_size(text: str | int) -> int:
    """``"512MiB"``, ``"2G"``, ``"1000000"`` -> bytes."""
    if isinstance(text, int):
        return text
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", str(text))
    if not match or match.group(2).lower() not in _SIZE_UNITS:
        raise ConfigError(f"data memory budget {text!r}: expected a size like 512MiB, 2G or 'auto'")
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()])


@dataclass(frozen=True)
class TrainConfig:
    """How to train: data, optimisation, schedule of side tasks, devices, fault handling."""

    shards: str = ""
    run_dir: str = ""
    steps: int = 100_000
    batch_size: int = 16
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    lr_schedule: str = "constant"
    lr_final_ratio: float = 0.0  # linear / cosine: the lr at the last step, as a fraction of lr
    lr_step_every: int = 20_000  # step schedule: multiply by lr_step_gamma every this many steps
    lr_step_gamma: float = 0.5
    seed: int = 0
    log_every: int = 50  # a "tick": losses are read back and logged once per tick
    val_every: int = 1000
    sample_every: int = 1000
    checkpoint_every: int = 1000
    keep_checkpoints: int = 3
    best_metric: str = "val_l1"
    val_max_samples: int = 0  # 0: the whole val split
    sample_count: int = 8  # characters in the sample grid
    ema_decay: float = 0.999
    precision: str = "auto"
    device: str = "auto"
    compile: bool = False
    compile_mode: str = "default"  # torch.compile's mode when compile is on
    cuda_graphs: bool = False  # capture the G/D step as one CUDA graph (CUDA only)
    channels_last: bool = False
    data_memory_budget: str = "auto"
    augment: bool = True
    augment_max_scale: float = 0.12  # zi2zi's 256 -> 286 px scale-up, then a random 256 crop
    nan_tolerance: int = 3
    threads: int = 0  # torch CPU threads; 0: chosen at start from the cores and their load
    preset: str = ""  # the --preset the run started from ("": none); its values are the others
    init_from: str = ""
    # Few-shot: train on only this many train characters per style (0: all), picked by
    # glyphrender.dataset.fewshot's rule train_pick with seed train_pick_seed; val is untouched.
    train_limit: int = 0
    train_pick: str = "spread"
    train_pick_seed: int = 0
    # Testing hook: losses at these steps are replaced by NaN (once per step per process) so the
    # skip-and-rollback path can be exercised. Not meant for real runs.
    debug_inject_nan_at_steps: tuple[int, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        positive = (
            "steps",
            "batch_size",
            "log_every",
            "val_every",
            "sample_every",
            "checkpoint_every",
            "keep_checkpoints",
            "lr_step_every",
            "nan_tolerance",
        )
        for name in positive:
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"train.{name} must be at least 1, got {getattr(self, name)}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ConfigError(f"train.lr must be a positive number, got {self.lr}")
        for name in ("beta1", "beta2", "ema_decay"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ConfigError(f"train.{name} must be in [0, 1), got {getattr(self, name)}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ConfigError(
                f"train.lr_schedule {self.lr_schedule!r}: choose from {', '.join(LR_SCHEDULES)}"
            )
        if not 0.0 <= self.lr_final_ratio <= 1.0:
            raise ConfigError(f"train.lr_final_ratio must be in [0, 1], got {self.lr_final_ratio}")
        if self.best_metric not in VAL_METRICS:
            raise ConfigError(
                f"train.best_metric {self.best_metric!r}: choose from {', '.join(VAL_METRICS)}"
            )
        if self.precision not in PRECISIONS:
            raise ConfigError(
                f"train.precision {self.precision!r}: choose from {', '.join(PRECISIONS)}"
            )
        if self.compile_mode not in COMPILE_MODES:
            raise ConfigError(
                f"train.compile_mode {self.compile_mode!r}: choose from {', '.join(COMPILE_MODES)}"
            )
        if self.device.split(":")[0] not in DEVICES:
            raise ConfigError(f"train.device {self.device!r}: choose from {', '.join(DEVICES)}")
        if self.augment_max_scale < 0:
            raise ConfigError(f"train.augment_max_scale must be >= 0, got {self.augment_max_scale}")
        if self.threads < 0:
            raise ConfigError(f"train.threads must be >= 0 (0: auto), got {self.threads}")
        if self.train_limit < 0:
            raise ConfigError(f"train.train_limit must be >= 0 (0: all), got {self.train_limit}")
        if self.train_pick not in PICK_RULES:
            raise ConfigError(
                f"train.train_pick {self.train_pick!r}: choose from {', '.join(PICK_RULES)}"
            )
        if self.val_max_samples < 0 or self.sample_count < 0:
            raise ConfigError("train.val_max_samples and train.sample_count must be >= 0")
        if self.data_memory_budget != "auto":
            parse_size(self.data_memory_budget)
        object.__setattr__(
            self, "debug_inject_nan_at_steps", tuple(int(s) for s in self.debug_inject_nan_at_steps)
        )

    def memory_budget_bytes(self) -> int | None:
        """The data budget in bytes, or None for the device-dependent default."""
        return None if self.data_memory_budget == "auto" else parse_size(self.data_memory_budget)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["debug_inject_nan_at_steps"] = list(self.debug_inject_nan_at_steps)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown train setting(s): {', '.join(unknown)}")
        data = dict(data)
        if "debug_inject_nan_at_steps" in data:
            data["debug_inject_nan_at_steps"] = tuple(data["debug_inject_nan_at_steps"])
        return cls(**data)


def _load_toml_module():
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    try:
        import tomli  # type: ignore[import-not-found]
    except ImportError:
        raise ConfigError(
            "reading a --config TOML file needs Python 3.11+ or the 'tomli' package"
        ) from None
    return tomli


def read_toml(
    path: str | os.PathLike[str], what: str = "config file", error: type[ConfigError] = ConfigError
) -> dict[str, Any]:
    """The one TOML reader (run configs, sweep grids); problems raise ``error`` naming the file."""
    toml = _load_toml_module()
    try:
        with open(path, "rb") as f:
            return toml.load(f)
    except OSError as exc:
        raise error(f"{path}: cannot read {what} ({exc.strerror})") from None
    except toml.TOMLDecodeError as exc:
        raise error(f"{path}: invalid TOML ({exc})") from None


def parse_toml_text(text: str) -> dict[str, Any]:
    """TOML text (a built-in file) -> dict."""
    return _load_toml_module().loads(text)


def load_config_file(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """Read a run TOML file into ``{"model": {...}, "loss": {...}, "train": {...}}``."""
    return config_sections(read_toml(Path(path)), str(path))


def config_sections(raw: dict[str, Any], origin: str) -> dict[str, dict[str, Any]]:
    """Parsed run TOML -> config sections. Keys may use dashes or underscores
    (``base-channels`` = ``base_channels``); anything outside the three tables, or an unknown
    table, is an error naming ``origin`` (the file or preset)."""
    out: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
    for key, value in raw.items():
        if key not in SECTIONS or not isinstance(value, dict):
            raise ConfigError(
                f"{origin}: unexpected top-level key {key!r} "
                "(expected tables [model], [loss], [train])"
            )
        out[key] = {k.replace("-", "_"): v for k, v in value.items()}
    return out


def merge_layers(*layers: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Merge section dicts; later layers win key by key (defaults first, flags last)."""
    merged: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
    for layer in layers:
        for section in SECTIONS:
            merged[section].update(layer.get(section, {}))
    return merged


def config_classes() -> dict[str, type]:
    """Section name -> its config dataclass (the schema every reader and flag derives from)."""
    from zi2zi_core.models.config import LossConfig, ModelConfig

    return {"model": ModelConfig, "loss": LossConfig, "train": TrainConfig}


def section_of() -> dict[str, str]:
    """Config key -> its section, from the three config dataclasses."""
    return {f.name: name for name, cls in config_classes().items() for f in fields(cls)}


def default_of(key: str) -> Any:
    """The built-in default of config key ``key`` (enums as their values)."""
    cls = config_classes()[section_of()[key]]
    f = next(f for f in fields(cls) if f.name == key)
    value = f.default_factory() if f.default is MISSING else f.default  # type: ignore[misc]
    return getattr(value, "value", value)


def flags_to_sections(params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Command-line values that were given (not None) -> config sections, by key name."""
    sections = section_of()
    flags: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
    for key, value in params.items():
        if value is not None and key in sections:
            flags[sections[key]][key] = value
    return flags


def parse_attention(text: str | Any) -> list[int]:
    """``"32,16"`` -> [32, 16]; ``""`` or ``"none"`` -> [] (the ``--attention`` syntax)."""
    text = str(text).strip().lower()
    if text in ("", "none"):
        return []
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"--attention {text!r}: expected sizes like 32,16 or 'none'") from None


def jsonable(value: Any) -> Any:
    """Plain JSON types only (enums -> values, tuples -> lists), for config.json and checkpoints."""
    return json.loads(json.dumps(value, default=lambda v: getattr(v, "value", str(v))))


def config_json(config: dict[str, dict[str, Any]]) -> str:
    """The resolved config as the text of ``config.json``."""
    return json.dumps(config, indent=2) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def to_toml(config: dict[str, dict[str, Any]]) -> str:
    """The resolved config as a TOML file usable with ``--config`` (None values are omitted)."""
    lines = []
    for section in SECTIONS:
        lines.append(f"[{section}]")
        for key, value in config.get(section, {}).items():
            if value is not None:
                lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


@dataclass(frozen=True)
class RunConfig:
    """The three resolved sections of a run (model norms resolved, no 'auto' left)."""

    model: Any  # ModelConfig
    loss: Any  # LossConfig
    train: TrainConfig

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return jsonable(
            {
                "model": self.model.to_dict(),
                "loss": self.loss.to_dict(),
                "train": self.train.to_dict(),
            }
        )


# Model settings a dataset decides; a flag may restate them but not change them.
DATASET_MODEL_KEYS = ("glyph_px", "num_styles")


def resolve_run_config(
    *,
    flags: dict[str, dict[str, Any]],
    file_layer: dict[str, dict[str, Any]] | None,
    dataset_glyph_px: int,
    dataset_num_styles: int,
    checkpoint_config: dict[str, dict[str, Any]] | None = None,
    init_model: dict[str, Any] | None = None,
    source: str = "flags",
) -> RunConfig:
    """Merge the layers (flags > file > checkpoint > dataset > defaults) and resolve norms.

    ``checkpoint_config`` is the resumed run's config: its model section is fixed and any
    override that changes it is a ConfigError. ``init_model`` (from ``--init-from``) supplies
    the architecture defaults of a fine-tuning run, except the style count.
    """
    from zi2zi_core.models.config import LossConfig, ModelConfig

    overrides = merge_layers(file_layer or {}, flags)
    base = checkpoint_config or {s: {} for s in SECTIONS}
    loss = LossConfig.from_dict({**base.get("loss", {}), **overrides["loss"]})
    train = TrainConfig.from_dict({**base.get("train", {}), **overrides["train"]})

    requested = overrides["model"]
    if requested.get("glyph_px", dataset_glyph_px) != dataset_glyph_px:
        raise ConfigError(
            f"glyph_px {requested['glyph_px']} does not match the dataset ({dataset_glyph_px} px)"
        )
    if checkpoint_config is not None:
        saved = ModelConfig.from_dict(checkpoint_config["model"])
        if (saved.glyph_px, saved.num_styles) != (dataset_glyph_px, dataset_num_styles):
            raise ConfigError(
                f"the dataset ({dataset_glyph_px} px, {dataset_num_styles} styles) does not match "
                f"the checkpoint ({saved.glyph_px} px, {saved.num_styles} styles)"
            )
        candidate = ModelConfig.from_dict({**saved.to_dict(), **requested}).resolve(
            train.batch_size
        )
        conflicts = [
            f"{key}={candidate.to_dict()[key]!r} (checkpoint: {saved.to_dict()[key]!r})"
            for key in requested
            if candidate.to_dict()[key] != saved.to_dict()[key]
        ]
        if conflicts:
            raise ConfigError(
                f"{source}: shape-defining settings come from the checkpoint being resumed; "
                f"conflicting: {', '.join(conflicts)}"
            )
        return RunConfig(saved, loss, train)
    start = {k: v for k, v in (init_model or {}).items() if k not in DATASET_MODEL_KEYS}
    model = ModelConfig.from_dict(
        {
            **start,
            **requested,
            "glyph_px": dataset_glyph_px,
            "num_styles": dataset_num_styles,
        }
    ).resolve(train.batch_size)
    return RunConfig(model, loss, train)
