"""Which characters of a charset a source font and each target font draw, and how much of
each of several charsets one finished font covers.

"Draws" means `fonts.present_codepoints`: mapped to a non-empty outline that is not `.notdef`.
Per target: `shared` (both draw it: training pairs), `missing` (the source draws it, the target
does not: what a model generates), `target_only` (the target draws it, the source does not).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from glyphrender.fonts.charsets import Charset
from glyphrender.fonts.loading import LoadedFont, present_codepoints


@dataclass(frozen=True)
class TargetCoverage:
    """Coverage of one target font against the source, within the charset (sorted tuples)."""

    path: str
    face_index: int
    name: str  # "Family Style"
    present: int  # how many charset characters the target draws
    shared: tuple[int, ...]
    missing: tuple[int, ...]  # source draws, target lacks
    target_only: tuple[int, ...]  # target draws, source lacks

    def counts(self) -> dict[str, int]:
        return {
            "present": self.present,
            "shared": len(self.shared),
            "missing": len(self.missing),
            "target_only": len(self.target_only),
        }


@dataclass(frozen=True)
class Coverage:
    """Coverage of a charset by a source font and its targets (all lists sorted)."""

    charset_count: int
    source_present: int  # how many charset characters the source draws
    shared: tuple[int, ...]  # the source and every target draw it
    source_only: tuple[int, ...]  # the source draws it, no target does
    targets: tuple[TargetCoverage, ...]

    def to_dict(self) -> dict[str, object]:
        """Counts for the dataset manifest and reports."""
        return {
            "charset_count": self.charset_count,
            "source_present": self.source_present,
            "shared_all": len(self.shared),
            "source_only": len(self.source_only),
            "targets": [
                {"path": t.path, "face_index": t.face_index, "name": t.name, **t.counts()}
                for t in self.targets
            ],
        }


def compute_coverage(
    source: LoadedFont, targets: Sequence[LoadedFont], charset: Charset
) -> Coverage:
    """Compare what the source and each target draw within `charset`."""
    wanted = charset.as_set()
    src = present_codepoints(source) & wanted
    per_target: list[TargetCoverage] = []
    drawn_by_targets: list[frozenset[int]] = []
    for target in targets:
        dst = present_codepoints(target) & wanted
        drawn_by_targets.append(dst)
        per_target.append(
            TargetCoverage(
                path=str(target.path),
                face_index=target.face_index,
                name=f"{target.family} {target.style_name}".strip(),
                present=len(dst),
                shared=tuple(sorted(src & dst)),
                missing=tuple(sorted(src - dst)),
                target_only=tuple(sorted(dst - src)),
            )
        )
    shared_all = set(src) if targets else set()
    any_target: set[int] = set()
    for dst in drawn_by_targets:
        shared_all &= dst
        any_target |= dst
    return Coverage(
        charset_count=len(wanted),
        source_present=len(src),
        shared=tuple(sorted(shared_all)),
        source_only=tuple(sorted(src - any_target)),
        targets=tuple(per_target),
    )


def fallback_supply(
    sources: Sequence[LoadedFont], target: LoadedFont, charset: Charset
) -> list[int]:
    """For a source list (first font first, then fallbacks in order): how many characters of
    `charset` that `target` lacks each source supplies, each counted for the first source that
    draws it (what ``zi2zi generate --fallback-src`` would take from it)."""
    left = set(charset.as_set()) - present_codepoints(target)
    counts = []
    for source in sources:
        drawn = left & present_codepoints(source)
        counts.append(len(drawn))
        left -= drawn
    return counts


@dataclass(frozen=True)
class SetCoverage:
    """How much of one charset one font draws (sorted tuples)."""

    spec: str  # the charset spec as given (a named set, a range or a file)
    count: int  # characters in the charset
    present: tuple[int, ...]
    missing: tuple[int, ...]


def font_coverage(font: LoadedFont, charsets: Sequence[Charset]) -> list[SetCoverage]:
    """Per charset (each on its own, not their union): what ``font`` draws and lacks."""
    drawn = present_codepoints(font)
    out = []
    for charset in charsets:
        present = tuple(cp for cp in charset.codepoints if cp in drawn)
        missing = tuple(cp for cp in charset.codepoints if cp not in drawn)
        out.append(SetCoverage(" ".join(charset.spec), len(charset), present, missing))
    return out
