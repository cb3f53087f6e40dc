"""Which generated glyphs go into the font: not those the base already maps, not those the
review rejected and, with ``only_accepted``, only those it accepted."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glyphrender.errors import AssembleError
from glyphrender.generated.decisions import ACCEPTED, DECISIONS_NAME, REJECTED
from glyphrender.generated.folder import GeneratedGlyphs


@dataclass(frozen=True)
class Selection:
    """Which generated glyphs go into the font, and why the others do not."""

    todo: list[tuple[int, np.ndarray]]  # (code point, coverage) to trace and add
    already_present: tuple[int, ...]
    rejected: tuple[int, ...]  # rejected in the review
    not_accepted: tuple[int, ...]  # undecided, left out by --only-accepted
    edited: tuple[int, ...]  # of the glyphs in todo, those whose PNG was edited


def select_glyphs(
    glyphs: GeneratedGlyphs,
    present: set[int],
    decisions: dict[int, str] | None,
    only_accepted: bool,
    glyph_dir: Path,
) -> Selection:
    """Leave out what the base already has, what the review rejected and, with
    ``only_accepted``, what it did not accept."""
    if only_accepted and decisions is None:
        raise AssembleError(
            f"{glyph_dir}: has no {DECISIONS_NAME} for --only-accepted; review the glyphs "
            f"first (glyphrender review {glyph_dir})"
        )
    verdicts = decisions or {}
    todo, already, rejected, not_accepted = [], [], [], []
    for cp, image in zip(glyphs.codepoints.tolist(), glyphs.images, strict=True):
        verdict = verdicts.get(cp)
        if cp in present:
            already.append(cp)
        elif verdict == REJECTED:
            rejected.append(cp)
        elif only_accepted and verdict != ACCEPTED:
            not_accepted.append(cp)
        else:
            todo.append((cp, image))
    if only_accepted and not todo and not already:
        raise AssembleError(f"{glyph_dir}: no glyph is accepted in {DECISIONS_NAME}")
    chosen = {cp for cp, _ in todo}
    edited = tuple(cp for cp in glyphs.edited if cp in chosen)
    return Selection(todo, tuple(already), tuple(rejected), tuple(not_accepted), edited)
