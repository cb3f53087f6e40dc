"""Train/val/missing assignment of characters.

A shared character goes to ``val`` when a seeded hash of its code point falls below
``val_fraction``, otherwise to ``train``. The decision depends only on (seed, code point),
so growing the charset never moves a character that was already assigned, and a character
is in ``val`` for every target style or for none. ``missing`` holds the charset characters
the source draws and a target lacks (source image only).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SPLIT_RULE = "blake2b-64(f'{seed}:{codepoint}') / 2**64 < val_fraction -> val, else train"
DEFAULT_VAL_FRACTION = 0.1
DEFAULT_SEED = 0


def hash_fraction(codepoint: int, seed: int) -> float:
    """A uniform number in [0, 1) fixed by (seed, codepoint)."""
    digest = hashlib.blake2b(f"{seed}:{codepoint}".encode("ascii"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def is_val(codepoint: int, seed: int, val_fraction: float) -> bool:
    return hash_fraction(codepoint, seed) < val_fraction


@dataclass(frozen=True)
class Sample:
    codepoint: int
    style: int


@dataclass(frozen=True)
class SplitPlan:
    """The samples of each split, in write order (code point, then style)."""

    train: tuple[Sample, ...]
    val: tuple[Sample, ...]
    missing: tuple[Sample, ...]

    def by_name(self) -> dict[str, tuple[Sample, ...]]:
        return {"train": self.train, "val": self.val, "missing": self.missing}


def plan_splits(
    shared_per_style: Sequence[Iterable[int]],
    missing_per_style: Sequence[Iterable[int]],
    seed: int = DEFAULT_SEED,
    val_fraction: float = DEFAULT_VAL_FRACTION,
) -> SplitPlan:
    """Assign samples given, for each style id, the characters it shares with the source and
    the characters it lacks. Samples are ordered by code point, then style."""
    if not 0 <= val_fraction <= 1:
        raise ValueError(f"val_fraction must be in [0, 1], got {val_fraction}")
    train: list[Sample] = []
    val: list[Sample] = []
    missing: list[Sample] = []
    for style, cps in enumerate(shared_per_style):
        for cp in cps:
            (val if is_val(cp, seed, val_fraction) else train).append(Sample(int(cp), style))
    for style, cps in enumerate(missing_per_style):
        missing.extend(Sample(int(cp), style) for cp in cps)

    def key(s: Sample) -> tuple[int, int]:
        return (s.codepoint, s.style)

    return SplitPlan(
        tuple(sorted(set(train), key=key)),
        tuple(sorted(set(val), key=key)),
        tuple(sorted(set(missing), key=key)),
    )
