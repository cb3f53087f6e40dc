"""The normalization sweep's grid: grid files and their expansion into named runs.

A grid TOML has three parts (keys may use dashes or underscores)::

    [base]                # settings shared by every run: any model / loss / train key
    base_channels = 8     # (flat keys, or [base.model] / [base.loss] / [base.train] tables)

    [axes]                # lists whose product gives the runs
    g = ["batch", "instance", "none"]        # generator norm token
    d = ["spectral", "batch", "spectral+batch"]  # discriminator norm token
    batch_size = [4, 16, 64]                 # any other model / loss / train key works too

    [[extra]]             # single runs added after the product (same keys, plus an
    g = "spectral-deep"   # optional name)
    d = "spectral"
    batch_size = 4

A norm token is ``+``-joined parts: at most one norm (``batch``, ``instance``, ``group``,
``layer``, ``none``) and at most one spectral part (``spectral`` = spectral norm on every layer,
``spectral-deep`` = all but the input and output layers). A missing part means "none" / "off",
so D ``spectral`` is the PatchGAN with spectral norm and no norm layer.

Each run is its own ``zi2zi train`` process with a per-run ``--config`` TOML, so runs are
isolated, resumable and can be spread over machines (``--part i/n``, ``--only``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import product
from typing import Any

from zi2zi_core.errors import ConfigError
from zi2zi_core.models.config import LossConfig, ModelConfig, NormKind, SpectralMode
from zi2zi_core.training.config import (
    SECTIONS,
    TrainConfig,
    merge_layers,
    parse_toml_text,
    read_toml,
    section_of,
)

RUNS_DIR = "runs"
GRID_JSON = "sweep.json"

# Keys the sweep itself decides (from the data, --steps, --device or the run directory).
RESERVED_KEYS = {"glyph_px", "num_styles", "shards", "run_dir", "steps", "device", "init_from"}
# Short labels of axis keys in run names.
NAME_LABELS = {"batch_size": "b"}

# The default grid: 3 G norms x 3 D choices x 3 batch sizes, then the generator with spectral
# norm on its deep layers (each G norm, no norm included) against the spectral D at every
# batch size: 27 + 9 = 36 runs. Schedules derive from --steps (see schedule_defaults).
DEFAULT_GRID_TOML = """\
[base]
seed = 0

[axes]
g = ["batch", "instance", "none"]
d = ["spectral", "batch", "spectral+batch"]
batch_size = [4, 16, 64]

[[extra]]
g = "spectral-deep+batch"
d = "spectral"
batch_size = 4

[[extra]]
g = "spectral-deep+batch"
d = "spectral"
batch_size = 16

[[extra]]
g = "spectral-deep+batch"
d = "spectral"
batch_size = 64

[[extra]]
g = "spectral-deep+instance"
d = "spectral"
batch_size = 4

[[extra]]
g = "spectral-deep+instance"
d = "spectral"
batch_size = 16

[[extra]]
g = "spectral-deep+instance"
d = "spectral"
batch_size = 64

[[extra]]
g = "spectral-deep"
d = "spectral"
batch_size = 4

[[extra]]
g = "spectral-deep"
d = "spectral"
batch_size = 16

[[extra]]
g = "spectral-deep"
d = "spectral"
batch_size = 64
"""


class SweepError(ConfigError):
    """A grid file or sweep request is invalid."""


SECTION_OF = section_of()  # config key -> section, from the config dataclasses


@dataclass(frozen=True)
class NormChoice:
    """One network's normalization: a norm layer kind and a spectral-norm mode."""

    norm: NormKind
    spectral: SpectralMode

    @property
    def token(self) -> str:
        """Canonical token: spectral part first, then the norm (``none`` left out)."""
        parts = []
        if self.spectral is SpectralMode.ALL:
            parts.append("spectral")
        elif self.spectral is SpectralMode.DEEP:
            parts.append("spectral-deep")
        if self.norm is not NormKind.NONE or not parts:
            parts.append(self.norm.value)
        return "+".join(parts)


_SPECTRAL_TOKENS = {"spectral": SpectralMode.ALL, "spectral-deep": SpectralMode.DEEP}


def parse_norm_token(text: Any, what: str) -> NormChoice:
    """``"spectral+batch"`` -> NormChoice(BATCH, ALL); SweepError naming ``what`` otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise SweepError(f"{what}: expected a norm token like 'batch' or 'spectral+batch'")
    norm: NormKind | None = None
    spectral: SpectralMode | None = None
    norms = [k.value for k in NormKind if k is not NormKind.AUTO]
    for part in text.strip().lower().split("+"):
        part = part.strip()
        if part in _SPECTRAL_TOKENS and spectral is None:
            spectral = _SPECTRAL_TOKENS[part]
        elif part in norms and norm is None:
            norm = NormKind(part)
        else:
            raise SweepError(
                f"{what}: {text!r} is not a norm token (one of {', '.join(norms)}, optionally "
                "joined by '+' with spectral or spectral-deep)"
            )
    return NormChoice(norm or NormKind.NONE, spectral or SpectralMode.OFF)


def _value_label(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass(frozen=True)
class SweepRun:
    """One configuration of the grid: its name and its config sections (without the data)."""

    name: str
    sections: dict[str, dict[str, Any]]
    labels: dict[str, str]  # axis -> value label, for tables and plots

    @property
    def batch_size(self) -> int:
        return int(self.sections["train"].get("batch_size", TrainConfig().batch_size))


@dataclass(frozen=True)
class Grid:
    """The expanded grid, in a fixed order (product first, extras after)."""

    runs: tuple[SweepRun, ...]
    source: str

    def names(self) -> list[str]:
        return [r.name for r in self.runs]


def _flat_settings(table: dict[str, Any], where: str) -> dict[str, dict[str, Any]]:
    """Flat keys and/or [model]/[loss]/[train] sub-tables -> config sections."""
    out: dict[str, dict[str, Any]] = {s: {} for s in SECTIONS}
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        if key in SECTIONS and isinstance(value, dict):
            for k, v in value.items():
                k = k.replace("-", "_")
                if SECTION_OF.get(k) != key:
                    raise SweepError(f"{where}: {k!r} is not a [{key}] setting")
                _set(out, key, k, v, where)
            continue
        if key not in SECTION_OF:
            raise SweepError(f"{where}: unknown setting {raw_key!r}")
        _set(out, SECTION_OF[key], key, value, where)
    return out


def _set(out: dict[str, dict[str, Any]], section: str, key: str, value: Any, where: str) -> None:
    if key in RESERVED_KEYS:
        raise SweepError(
            f"{where}: {key!r} is set by the sweep (data, --steps, --device), not the grid"
        )
    out[section][key] = value


def _apply_axis(
    sections: dict[str, dict[str, Any]], key: str, value: Any, where: str
) -> tuple[str, str]:
    """Set one axis value; return (label key, label value) for the run name."""
    if key in ("g", "d"):
        choice = parse_norm_token(value, f"{where}: {key}")
        sections["model"][f"{key}_norm"] = choice.norm.value
        sections["model"][f"{key}_spectral"] = choice.spectral.value
        return key, choice.token
    if key not in SECTION_OF:
        raise SweepError(f"{where}: unknown axis {key!r} (use g, d or a model/loss/train key)")
    _set(sections, SECTION_OF[key], key, value, where)
    return key, _value_label(value)


def run_name(labels: dict[str, str]) -> str:
    """``{"g": "batch", "d": "spectral", "batch_size": "16"}`` -> ``g-batch_d-spectral_b16``."""
    parts = []
    for key, value in labels.items():
        label = NAME_LABELS.get(key)
        parts.append(f"{label}{value}" if label else f"{key}-{value}")
    name = "_".join(parts) or "base"
    return re.sub(r"[^A-Za-z0-9+._-]", "-", name)


def _validate(run: SweepRun, where: str, glyph_px: int | None) -> None:
    """Build the three config objects so a bad value fails before any training starts."""
    model = dict(run.sections["model"])
    if glyph_px is not None:
        model["glyph_px"] = glyph_px
    try:
        ModelConfig.from_dict(model).resolve(run.batch_size)
        LossConfig.from_dict(run.sections["loss"])
        TrainConfig.from_dict(run.sections["train"])
    except ConfigError as exc:
        raise SweepError(f"{where}: run {run.name}: {exc}") from None
    except TypeError as exc:  # a value of the wrong type deep in a dataclass check
        raise SweepError(f"{where}: run {run.name}: {exc}") from None


def parse_grid(raw: dict[str, Any], source: str, glyph_px: int | None = None) -> Grid:
    """Expand a parsed grid TOML (``[base]``, ``[axes]``, ``[[extra]]``) into named runs."""
    unknown = sorted(set(raw) - {"base", "axes", "extra"})
    if unknown:
        raise SweepError(
            f"{source}: unexpected top-level key(s) {', '.join(unknown)} "
            "(expected [base], [axes], [[extra]])"
        )
    base_table = raw.get("base", {})
    axes = raw.get("axes", {})
    extras = raw.get("extra", [])
    if not isinstance(base_table, dict) or not isinstance(axes, dict):
        raise SweepError(f"{source}: [base] and [axes] must be tables")
    if not isinstance(extras, list) or not all(isinstance(e, dict) for e in extras):
        raise SweepError(f"{source}: extra runs must be [[extra]] tables")
    base = _flat_settings(base_table, f"{source} [base]")

    runs: list[SweepRun] = []
    axis_keys = [k.replace("-", "_") for k in axes]
    values = []
    for raw_key in axes:
        v = axes[raw_key]
        if not isinstance(v, list) or not v:
            raise SweepError(f"{source} [axes]: {raw_key} must be a non-empty list")
        values.append(v)
    if axis_keys:
        for combo in product(*values):
            sections = merge_layers(base)
            labels = dict(
                _apply_axis(sections, k, v, f"{source} [axes]")
                for k, v in zip(axis_keys, combo, strict=True)
            )
            runs.append(SweepRun(run_name(labels), sections, labels))
    for i, extra in enumerate(extras, 1):
        where = f"{source} [[extra]] #{i}"
        extra = {k.replace("-", "_"): v for k, v in extra.items()}
        name = extra.pop("name", None)
        sections = merge_layers(base)
        labels = {}
        # Extras are labelled like the product runs: g, d, then the axis keys, then the rest.
        order = [k for k in ("g", "d") if k in extra] + [
            k for k in axis_keys if k in extra and k not in ("g", "d")
        ]
        order += [k for k in extra if k not in order]
        for key in order:
            k, label = _apply_axis(sections, key, extra[key], where)
            labels[k] = label
        if name is not None and (not isinstance(name, str) or not re.fullmatch(r"[\w+.-]+", name)):
            raise SweepError(f"{where}: name {name!r} must be letters, digits, + . - _")
        runs.append(SweepRun(name or run_name(labels), sections, labels))
    if not runs:
        runs.append(SweepRun("base", base, {}))
    seen: set[str] = set()
    for run in runs:
        if run.name in seen:
            raise SweepError(f"{source}: two runs are both named {run.name}")
        seen.add(run.name)
        _validate(run, source, glyph_px)
    return Grid(tuple(runs), source)


def load_grid(path: str | os.PathLike[str] | None, glyph_px: int | None = None) -> Grid:
    """Read a grid TOML file (None: the built-in default grid)."""
    if path is None:
        return default_grid(glyph_px)
    return parse_grid(read_toml(path, "grid file", SweepError), str(path), glyph_px)


def default_grid(glyph_px: int | None = None) -> Grid:
    """The built-in grid (see ``DEFAULT_GRID_TOML``)."""
    return parse_grid(parse_toml_text(DEFAULT_GRID_TOML), "default grid", glyph_px)


def parse_part(text: str) -> tuple[int, int]:
    """``"2/4"`` -> (2, 4); 1-based part index."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise SweepError(f"--part {text!r}: expected i/n with 1 <= i <= n, e.g. 1/2")
    return int(match.group(1)), int(match.group(2))


def partition(runs: list[SweepRun], n: int) -> list[list[SweepRun]]:
    """Split runs into ``n`` parts of about equal cost, deterministically.

    Batch size stands in for a run's cost (same steps, so the work is about proportional to it):
    runs are dealt, most expensive first, each to the part with the least cost so far (lowest
    part index on ties); each part keeps the grid order.
    """
    index = {id(r): k for k, r in enumerate(runs)}
    load = [0] * n
    parts: list[list[SweepRun]] = [[] for _ in range(n)]
    for run in sorted(runs, key=lambda r: (-r.batch_size, index[id(r)])):
        target = min(range(n), key=lambda p: (load[p], p))
        parts[target].append(run)
        load[target] += run.batch_size
    return [sorted(p, key=lambda r: index[id(r)]) for p in parts]


def select_runs(
    grid: Grid, only: Iterable[str] = (), part: tuple[int, int] | None = None
) -> list[SweepRun]:
    """Part i of n of the grid (see ``partition``; computed on the whole grid so every machine
    agrees), then only the runs named in ``only`` (all when empty)."""
    runs = list(grid.runs)
    if part is not None:
        i, n = part
        runs = partition(runs, n)[i - 1]
    wanted = [n for n in only if n]
    if wanted:
        known = set(grid.names())
        missing = [n for n in wanted if n not in known]
        if missing:
            raise SweepError(
                f"--only: no run named {', '.join(missing)} in {grid.source} "
                f"(runs: {', '.join(grid.names()[:6])}{', ...' if len(known) > 6 else ''})"
            )
        runs = [r for r in runs if r.name in wanted]
    return runs


def schedule_defaults(steps: int) -> dict[str, int]:
    """Train-section defaults of a sweep run, from its step budget: about 50 ticks (collapse
    detection needs a loss curve), 10 validations and checkpoints, one sample grid at the end."""
    every = max(1, steps // 10)
    return {
        "log_every": max(1, steps // 50),
        "val_every": every,
        "checkpoint_every": every,
        "sample_every": steps,
        "keep_checkpoints": 1,
    }


def run_sections(run: SweepRun, steps: int) -> dict[str, dict[str, Any]]:
    """The per-run config file's sections: schedule defaults < grid settings; steps fixed."""
    sections = merge_layers({"train": schedule_defaults(steps)}, run.sections)
    sections["train"]["steps"] = steps
    return sections
