"""Which generated glyphs go into the font: not those the review rejected and, with
``only_accepted``, only those it accepted. A generated glyph for a character the base already
maps is a *replacement candidate* (e.g. the Taiwanese form of a character a Japanese font
draws in its Japanese form): it replaces the base's glyph only when the review accepted it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from glyphrender.errors import AssembleError
from glyphrender.generated.decisions import ACCEPTED, DECISIONS_NAME, REJECTED
from glyphrender.generated.folder import GeneratedGlyphs


@dataclass(frozen=True)
class Selection:
    """Which generated glyphs go into the font, and why the others do not."""

    todo: list[tuple[int, np.ndarray]]  # (code point, coverage) to trace and add
    already_present: tuple[int, ...]  # replacement candidates not accepted: the base's kept
    rejected: tuple[int, ...]  # rejected in the review
    not_accepted: tuple[int, ...]  # undecided, left out by --only-accepted
    edited: tuple[int, ...]  # of the glyphs in todo and replace, those whose PNG was edited
    replace: list[tuple[int, np.ndarray]] = field(default_factory=list)  # accepted candidates


def select_glyphs(
    glyphs: GeneratedGlyphs,
    present: set[int],
    decisions: dict[int, str] | None,
    only_accepted: bool,
    glyph_dir: Path,
) -> Selection:
    """Leave out what the review rejected and, with ``only_accepted``, what it did not
    accept; of the characters in ``present`` (the base's cmap) replace only the accepted."""
    if only_accepted and decisions is None:
        raise AssembleError(
            f"{glyph_dir}: has no {DECISIONS_NAME} for --only-accepted; review the glyphs "
            f"first (glyphrender review {glyph_dir})"
        )
    verdicts = decisions or {}
    todo, replace, already, rejected, not_accepted = [], [], [], [], []
    for cp, image in zip(glyphs.codepoints.tolist(), glyphs.images, strict=True):
        verdict = verdicts.get(cp)
        if cp in present:
            (replace if verdict == ACCEPTED else already).append((cp, image))
        elif verdict == REJECTED:
            rejected.append(cp)
        elif only_accepted and verdict != ACCEPTED:
            not_accepted.append(cp)
        else:
            todo.append((cp, image))
    if only_accepted and not todo and not replace and not already:
        raise AssembleError(f"{glyph_dir}: no glyph is accepted in {DECISIONS_NAME}")
    chosen = {cp for cp, _ in todo + replace}
    edited = tuple(cp for cp in glyphs.edited if cp in chosen)
    kept = tuple(cp for cp, _ in already)
    return Selection(todo, kept, tuple(rejected), tuple(not_accepted), edited, replace)
