"""Few-shot training sets: which N of a target's train characters a font maker draws first.

Two seeded, documented rules pick ``n`` characters out of the target's train split (never
its val split: the caller passes the train characters only):

``spread``
    Sort the characters by code point and take ``n`` evenly spaced ones, the grid shifted by
    a seeded offset. CJK Unified Ideographs (U+4E00-U+9FFF, and Extension A on its own) are
    ordered by Kangxi radical and then by residual stroke count, so even spacing over code
    points spreads the picks over the radicals in proportion to how many characters each has.

``common``
    The same spread, first over the JIS X 0208 level-1 kanji among the characters (2,965
    kanji in everyday Japanese use, rows 16-47 of the standard, read from Python's ``euc_jp``
    codec), then, if ``n`` is larger than those, all of them plus a spread over the rest.
    What a font maker drawing the everyday characters first would have.

The result is sorted by code point; the same (characters, n, seed, rule) always gives the
same pick on every platform and Python version (the offset comes from sha256, not ``random``).
``n`` at or above the number of characters picks them all.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Sequence

from glyphrender.errors import GlyphrenderError

PICK_RULES: tuple[str, ...] = ("spread", "common")
DEFAULT_PICK_RULE = "spread"


class PickError(GlyphrenderError):
    """A few-shot pick cannot be made (bad n, unknown rule, no characters)."""


def seeded_offset(seed: int, salt: str = "") -> float:
    """A fraction in [0, 1) fixed by ``seed`` (sha256, stable across platforms)."""
    # The salt keeps the module's old name (glyphrender.fewshot) so picks made before the
    # package was split into rooms stay the same.
    digest = hashlib.sha256(f"glyphrender.fewshot:{salt}:{seed}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def spread(codepoints: Sequence[int], n: int, offset: float) -> list[int]:
    """``n`` evenly spaced items of the sorted ``codepoints``, the grid shifted by ``offset``."""
    ordered = sorted(set(codepoints))
    if n >= len(ordered):
        return ordered
    step = len(ordered) / n
    return [ordered[int((i + offset) * step)] for i in range(n)]


@functools.cache
def jis_level1_kanji() -> frozenset[int]:
    """The JIS X 0208 level-1 kanji: rows 16-47 (EUC-JP lead bytes 0xB0-0xCF)."""
    out = set()
    for lead in range(0xB0, 0xD0):
        for trail in range(0xA1, 0xFF):
            try:
                text = bytes((lead, trail)).decode("euc_jp")
            except UnicodeDecodeError:
                continue
            out.add(ord(text))
    return frozenset(out)


def pick_train_chars(
    train: Iterable[int], n: int, seed: int = 0, rule: str = DEFAULT_PICK_RULE
) -> tuple[int, ...]:
    """``n`` of the ``train`` code points by ``rule`` (see the module docstring), sorted."""
    if rule not in PICK_RULES:
        raise PickError(f"unknown pick rule {rule!r} (known: {', '.join(PICK_RULES)})")
    if n < 1:
        raise PickError(f"the number of characters to pick must be at least 1, got {n}")
    chars = sorted(set(int(cp) for cp in train))
    if not chars:
        raise PickError("no train characters to pick from")
    offset = seeded_offset(seed)
    if rule == "spread":
        return tuple(spread(chars, n, offset))
    level1 = jis_level1_kanji()
    common = [cp for cp in chars if cp in level1]
    if n <= len(common):
        return tuple(spread(common, n, offset))
    rest = [cp for cp in chars if cp not in level1]
    return tuple(sorted(common + spread(rest, n - len(common), offset)))


def pick_record(picked: Sequence[int], n: int, seed: int, rule: str) -> dict[str, object]:
    """What a run records about its pick: the rule, and the characters with their digest."""
    text = "".join(chr(cp) for cp in picked)
    return {
        "rule": rule,
        "n": n,
        "seed": seed,
        "count": len(picked),
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "codepoints": [f"U+{cp:04X}" for cp in picked],
    }
