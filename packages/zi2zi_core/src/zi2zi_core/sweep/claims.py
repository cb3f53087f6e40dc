"""Claims about normalization choices, as data: a claim is a name, a metric and comparisons.

A study's claims live with the study (e.g. ``studies/normalization-gpu/claims.toml``) and are
passed to ``zi2zi sweep --claims FILE``; this module holds only the machinery. A file::

    title = "The background notes' claims"     # the report section's heading
    [reference_noise]                           # the noise level a --compare study's own
    val_l1 = 0.003                              # verdicts use (metric -> value; optional)

    [[claim]]
    key = "g_batch_at_16"
    text = "BatchNorm for G at batch >= 16 (G batch vs G instance)"
    metric = "val_l1"                           # val_l1, val_ssim or val_iou
    [[claim.compare]]                           # one or more; their pairs are joined
    vary = "g"                                  # the axis that differs within a pair: g or d
    favoured = "batch"                          # the value the claim favours ...
    other = "instance"                          # ... against this one
    batch_min = 16                              # optional: only these batch sizes
    # batch_max = 8; hold = {d = "spectral"}    # optional: the other axis held at one value

A comparison pairs the run with ``vary = favoured`` against the run with ``vary = other``
that has the same batch size and the same value on the other axis, for every batch size and
every value of the other axis the runs have (within the limits given), where both ran.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zi2zi_core.evaluation.metric_names import VAL_METRICS as METRICS
from zi2zi_core.sweep.grid import SweepError
from zi2zi_core.training.config import read_toml

AXES = ("g", "d")
_CLAIM_KEYS = {"key", "text", "metric", "compare"}
_COMPARE_KEYS = {"vary", "favoured", "other", "batch_min", "batch_max", "hold"}


def run_name(g: str, d: str, batch: int) -> str:
    """The sweep's run name of a configuration (grid.py names runs the same way)."""
    return f"g-{g}_d-{d}_b{batch}"


@dataclass(frozen=True)
class Comparison:
    """One axis varied (``favoured`` vs ``other``), everything else equal."""

    vary: str
    favoured: str
    other: str
    batch_min: int | None = None
    batch_max: int | None = None
    hold: str | None = None  # the other axis's one value, when the comparison fixes it

    def __post_init__(self) -> None:
        if self.vary not in AXES:
            raise ValueError(f"vary must be one of {', '.join(AXES)}, not {self.vary!r}")

    def keeps(self, batch: int) -> bool:
        low = self.batch_min if self.batch_min is not None else batch
        high = self.batch_max if self.batch_max is not None else batch
        return low <= batch <= high

    def pairs(self, runs: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str]]:
        """(favoured run, other run) names present in ``runs``: batch sizes in order, then
        the held axis's values in order."""
        held_axis = "d" if self.vary == "g" else "g"
        batches = sorted(
            {int(r["batch_size"]) for r in runs.values() if self.keeps(int(r["batch_size"]))}
        )
        held = sorted({r[held_axis] for r in runs.values()}) if self.hold is None else [self.hold]
        found = []
        for batch in batches:
            for value in held:
                names = []
                for choice in (self.favoured, self.other):
                    axes = {self.vary: choice, held_axis: value}
                    names.append(run_name(axes["g"], axes["d"], batch))
                if names[0] in runs and names[1] in runs:
                    found.append((names[0], names[1]))
        return found


@dataclass(frozen=True)
class Claim:
    """A claim: a key, its wording, the metric that judges it and its comparisons."""

    key: str
    text: str
    metric: str
    comparisons: tuple[Comparison, ...]

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ValueError(f"metric must be one of {', '.join(METRICS)}, not {self.metric!r}")
        if not self.comparisons:
            raise ValueError("a claim needs at least one [[claim.compare]]")

    def pairs(self, runs: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str]]:
        return [p for c in self.comparisons for p in c.pairs(runs)]


@dataclass(frozen=True)
class ClaimSet:
    """The claims a study tests, its heading and the reference study's noise levels."""

    claims: tuple[Claim, ...] = ()
    title: str = "Claims"
    reference_noise: Mapping[str, float] = field(default_factory=dict)
    source: str = ""


def _comparison(raw: Mapping[str, Any]) -> Comparison:
    unknown = set(raw) - _COMPARE_KEYS
    if unknown:
        raise ValueError(f"unknown key(s) in [[claim.compare]]: {', '.join(sorted(unknown))}")
    hold = raw.get("hold")
    held_value = None
    if hold is not None:
        held_axis = "d" if raw.get("vary") == "g" else "g"
        if not isinstance(hold, dict) or set(hold) != {held_axis}:
            raise ValueError(f"hold must be {{{held_axis} = VALUE}} (the axis not varied)")
        held_value = str(hold[held_axis])
    return Comparison(
        vary=str(raw.get("vary")),
        favoured=str(raw["favoured"]),
        other=str(raw["other"]),
        batch_min=int(raw["batch_min"]) if "batch_min" in raw else None,
        batch_max=int(raw["batch_max"]) if "batch_max" in raw else None,
        hold=held_value,
    )


def _claim(raw: Mapping[str, Any]) -> Claim:
    unknown = set(raw) - _CLAIM_KEYS
    if unknown:
        raise ValueError(f"unknown key(s) in [[claim]]: {', '.join(sorted(unknown))}")
    compare = raw.get("compare", [])
    if not isinstance(compare, list):
        raise ValueError("compare must be a list of tables ([[claim.compare]])")
    return Claim(
        key=str(raw["key"]),
        text=str(raw.get("text", raw["key"])),
        metric=str(raw.get("metric", "val_l1")),
        comparisons=tuple(_comparison(c) for c in compare),
    )


def parse_claims(data: Mapping[str, Any], source: str = "") -> ClaimSet:
    """A :class:`ClaimSet` from a parsed claims file (ValueError/KeyError on a bad one)."""
    unknown = set(data) - {"title", "reference_noise", "claim"}
    if unknown:
        raise ValueError(f"unknown top-level key(s): {', '.join(sorted(unknown))}")
    noise = dict(data.get("reference_noise", {}))
    bad = set(noise) - set(METRICS)
    if bad:
        raise ValueError(f"reference_noise: unknown metric(s) {', '.join(sorted(bad))}")
    claims = tuple(_claim(c) for c in data.get("claim", []))
    keys = [c.key for c in claims]
    if len(set(keys)) != len(keys):
        raise ValueError("claim keys must be unique")
    return ClaimSet(
        claims=claims,
        title=str(data.get("title", "Claims")),
        reference_noise={m: float(v) for m, v in noise.items()},
        source=source,
    )


def load_claims(path: str | Path) -> ClaimSet:
    """Read a claims TOML file; any problem is one :class:`SweepError` naming the file."""
    path = Path(path)
    data = read_toml(path, "the claims", SweepError)
    try:
        return parse_claims(data, str(path))
    except KeyError as exc:
        raise SweepError(f"{path}: a claim or comparison lacks {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise SweepError(f"{path}: {exc}") from None
