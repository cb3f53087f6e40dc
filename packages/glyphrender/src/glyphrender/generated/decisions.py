"""The review's verdicts: ``decisions.json`` in a generated-glyph folder.

One JSON object, written whole through :mod:`glyphrender.atomic` (durably) after every change,
so a reload, a restart of ``glyphrender review`` or a crash never loses or tears it::

    {
      "format": "glyphrender-review-decisions",
      "version": 1,
      "decisions": {"U+4E00": "accepted", "U+4E01": "rejected"}
    }

A character not listed is undecided. ``glyphrender assemble`` always leaves rejected glyphs out
and, with ``--only-accepted``, every glyph that is not accepted.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path

from glyphrender.atomic import write_text_atomic
from glyphrender.errors import DatasetError, GlyphrenderError
from glyphrender.outputs import folder_lock

DECISIONS_NAME = "decisions.json"
FORMAT = "glyphrender-review-decisions"
VERSION = 1
ACCEPTED, REJECTED, UNDECIDED = "accepted", "rejected", "undecided"
STATUSES = (ACCEPTED, REJECTED, UNDECIDED)
_KEY = re.compile(r"^U\+([0-9A-F]{4,6})$")


def codepoint_key(codepoint: int) -> str:
    """``U+4E00`` / ``U+20000``: the key of a character in the file (as the PNG names)."""
    return f"U+{codepoint:04X}"


def decisions_path(folder: str | os.PathLike[str]) -> Path:
    return Path(folder) / DECISIONS_NAME


def _parse(data: object, path: Path) -> dict[int, str]:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DatasetError(f"{path}: not a review decisions file (no format {FORMAT!r})")
    if data.get("version") != VERSION:
        raise DatasetError(
            f"{path}: decisions version {data.get('version')!r} is not supported "
            f"(this glyphrender reads {VERSION})"
        )
    entries = data.get("decisions")
    if not isinstance(entries, dict):
        raise DatasetError(f"{path}: 'decisions' must be an object of U+XXXX: status")
    out: dict[int, str] = {}
    for key, status in entries.items():
        match = _KEY.match(str(key))
        if match is None:
            raise DatasetError(f"{path}: {key!r} is not a character key like U+4E00")
        if status not in (ACCEPTED, REJECTED):
            raise DatasetError(f"{path}: {key}: status {status!r} is not accepted or rejected")
        out[int(match.group(1), 16)] = status
    return out


def read_decisions(folder: str | os.PathLike[str]) -> dict[int, str] | None:
    """{code point: "accepted" | "rejected"} from the folder's file, or None if it has none."""
    path = decisions_path(folder)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot be read ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: not valid JSON ({exc})") from None
    return _parse(data, path)


def write_decisions(folder: str | os.PathLike[str], decisions: Mapping[int, str]) -> Path:
    """Write the decided characters (code-point order) atomically and durably."""
    entries = {
        codepoint_key(cp): status
        for cp, status in sorted(decisions.items())
        if status in (ACCEPTED, REJECTED)
    }
    text = json.dumps({"format": FORMAT, "version": VERSION, "decisions": entries}, indent=1)
    return write_text_atomic(
        decisions_path(folder), text + "\n", "the review decisions", durable=True
    )


class DecisionStore:
    """The decisions of one folder, written through on every change.

    Thread-safe (the review server answers requests on several threads) and safe between
    processes: every change takes the folder's lock (:func:`glyphrender.outputs.folder_lock`),
    re-reads the file, applies only the change and writes the result, so two review servers
    on one folder lose nothing. Memory follows the file only once the write succeeded: a
    decision that could not be saved is reported as an error and never shown as saved.
    """

    def __init__(self, folder: str | os.PathLike[str], codepoints: Iterable[int]) -> None:
        self.folder = Path(folder)
        self.codepoints = frozenset(int(c) for c in codepoints)
        self._lock = threading.Lock()
        # Verdicts on characters the folder no longer holds are kept in the file untouched.
        self._decisions = read_decisions(self.folder) or {}

    def _refresh(self) -> None:
        """Take up what another server on this folder saved since (caller holds _lock)."""
        with contextlib.suppress(DatasetError):  # unreadable now: keep what this server saw
            self._decisions = read_decisions(self.folder) or {}

    def status(self, codepoint: int) -> str:
        return self.snapshot().get(codepoint, UNDECIDED)

    def snapshot(self) -> dict[int, str]:
        with self._lock:
            self._refresh()
            return dict(self._decisions)

    def counts(self, decisions: Mapping[int, str] | None = None) -> dict[str, int]:
        """Accepted, rejected and undecided glyphs of the folder, in ``decisions`` (a snapshot
        the caller already took, so both agree) or in the file now."""
        decisions = self.snapshot() if decisions is None else decisions
        decided = [s for cp, s in decisions.items() if cp in self.codepoints]
        accepted, rejected = decided.count(ACCEPTED), decided.count(REJECTED)
        return {
            ACCEPTED: accepted,
            REJECTED: rejected,
            UNDECIDED: len(self.codepoints) - accepted - rejected,
        }

    def set(self, changes: Mapping[int, str]) -> dict[str, int]:
        """Apply {code point: status} to the file; return the new counts.

        Bad changes raise :class:`DatasetError`; a save that fails (full or read-only disk,
        the folder held by another process for over 5 s, a file on disk damaged since)
        raises its one-line :class:`GlyphrenderError` and changes nothing, in the file or in
        memory.
        """
        for cp, status in changes.items():
            if cp not in self.codepoints:
                raise DatasetError(f"{self.folder}: holds no glyph {codepoint_key(cp)}")
            if status not in STATUSES:
                raise DatasetError(f"status {status!r} is not one of {', '.join(STATUSES)}")
        with self._lock, folder_lock(self.folder, "the review folder", wait_s=5.0):
            try:
                merged = read_decisions(self.folder) or {}
            except DatasetError as exc:  # the file's fault, not the change's: not saved
                raise GlyphrenderError(f"{exc}; not saved") from None
            for cp, status in changes.items():
                if status == UNDECIDED:
                    merged.pop(cp, None)
                else:
                    merged[cp] = status
            write_decisions(self.folder, merged)
            self._decisions = merged
        return self.counts(merged)  # what was just written: no second read
