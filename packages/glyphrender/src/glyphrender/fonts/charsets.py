"""Character sets: which codepoints a dataset is built from.

A charset is resolved from one or more specs, combined as a union. A spec is

- a named set (`NAMED_SETS`, e.g. ``cjk``, ``kana``, ``gb2312``, ``big5-han``),
- a range ``U+4E00-U+4E0F`` (also ``4E00-4E0F``) or one codepoint ``U+4E00``,
- a path to a UTF-8 text file: lines ``U+XXXX`` or ``U+XXXX-U+YYYY`` (anything after
  whitespace is ignored, so ``U+4E00<TAB>一`` lists from ``glyphrender coverage`` read back),
  lines starting with ``#`` are comments, and every other line adds each of its
  non-whitespace characters, a character followed by combining marks composed first
  (:func:`compose`).

The encoding-based sets are derived from Python's codecs (every double-byte code of the
encoding is decoded), so no data files ship with the package.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from glyphrender.errors import CharsetError

DEFAULT_CHARSET: tuple[str, ...] = ("cjk",)

_MAX_CODEPOINT = 0x10FFFF
_SURROGATES = range(0xD800, 0xE000)
_RANGE = re.compile(r"^(?:U\+)?([0-9A-F]{1,6})\s*-\s*(?:U\+)?([0-9A-F]{1,6})$", re.IGNORECASE)
_SINGLE = re.compile(r"^U\+([0-9A-Fa-f]{1,6})$", re.IGNORECASE)
_FILE_LINE = re.compile(r"^[Uu]\+([0-9A-Fa-f]{1,6})(?:\s*-\s*[Uu]\+([0-9A-Fa-f]{1,6}))?(?:\s.*)?$")


@dataclass(frozen=True)
class Charset:
    """Sorted unique codepoints and the specs they were resolved from."""

    codepoints: tuple[int, ...]
    spec: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.codepoints)

    def as_set(self) -> frozenset[int]:
        return frozenset(self.codepoints)

    def to_dict(self) -> dict[str, object]:
        """What the dataset manifest records."""
        return {"spec": list(self.spec), "count": len(self.codepoints)}


# --- named sets -----------------------------------------------------------------------------


def _ranges(*ranges: tuple[int, int]) -> frozenset[int]:
    return frozenset(cp for lo, hi in ranges for cp in range(lo, hi + 1))


def _double_byte(encoding: str, leads: Iterable[int], trails: Iterable[int]) -> frozenset[int]:
    """Every character one double-byte code of `encoding` decodes to."""
    trails = list(trails)
    out = set()
    for lead in leads:
        for trail in trails:
            try:
                text = bytes((lead, trail)).decode(encoding)
            except UnicodeDecodeError:
                continue
            if len(text) == 1:
                out.add(ord(text))
    return frozenset(out)


def _big5_codes(first: int, last: int) -> frozenset[int]:
    """The characters of the Big5 codes ``first``..``last`` (two-byte values, inclusive)."""
    trails = [*range(0x40, 0x7F), *_ROW]
    out = set()
    for lead in range(first >> 8, (last >> 8) + 1):
        for trail in trails:
            if first <= (lead << 8 | trail) <= last:
                out |= _double_byte("big5", [lead], [trail])
    return frozenset(out)


def _is_han(cp: int) -> bool:
    return unicodedata.name(chr(cp), "").startswith(
        ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")
    )


def _kana() -> frozenset[int]:
    # Letters only (Lo/Lm): leaves out the combining voicing marks and the middle dot.
    return frozenset(
        cp for cp in range(0x3040, 0x3100) if unicodedata.category(chr(cp)) in ("Lo", "Lm")
    )


_ROW = range(0xA1, 0xFF)
_BASE_SETS: dict[str, tuple[str, Callable[[], frozenset[int]]]] = {
    "cjk": (
        "CJK Unified Ideographs U+4E00-U+9FFF and Extension A U+3400-U+4DBF",
        lambda: _ranges((0x4E00, 0x9FFF), (0x3400, 0x4DBF)),
    ),
    "kana": (
        "Hiragana and Katakana letters (U+3040-U+30FF, categories Lo/Lm)",
        _kana,
    ),
    "ascii": ("printable ASCII U+0021-U+007E", lambda: _ranges((0x21, 0x7E))),
    "gb2312": (
        "GB 2312 (simplified Chinese): every double-byte code of Python's gb2312 codec",
        lambda: _double_byte("gb2312", range(0xA1, 0xF8), _ROW),
    ),
    "big5": (
        "Big5 (traditional Chinese): every double-byte code of Python's big5 codec",
        lambda: _double_byte("big5", range(0xA1, 0xFA), [*range(0x40, 0x7F), *_ROW]),
    ),
    # The standard's two levels of ideographs (the codec also decodes C6A1-C6FE, the ETEN
    # kana after level 1, and ten ideographs of the symbol rows A1-A3: in big5, not here).
    "big5-1": (
        "Big5 level 1, the 5,401 common ideographs (codes A440-C67E)",
        lambda: _big5_codes(0xA440, 0xC67E),
    ),
    "big5-2": (
        "Big5 level 2, the 7,652 less common ideographs (codes C940-F9D5)",
        lambda: _big5_codes(0xC940, 0xF9D5),
    ),
    "jis0208": (
        "JIS X 0208 (Japanese): the two-byte codes of Python's euc_jp codec",
        lambda: _double_byte("euc_jp", _ROW, _ROW),
    ),
    "ksx1001": (
        "KS X 1001 (Korean): the two-byte codes of Python's euc_kr codec",
        lambda: _double_byte("euc_kr", _ROW, _ROW),
    ),
}
_ENCODING_SETS = ("gb2312", "big5", "big5-1", "big5-2", "jis0208", "ksx1001")


def _describe() -> dict[str, str]:
    out = {name: text for name, (text, _) in _BASE_SETS.items()}
    for name in _ENCODING_SETS:
        out[f"{name}-han"] = f"the CJK ideographs (unified and compatibility) of {name}"
        if name.startswith("big5-"):  # the levels hold ideographs only: the same set
            out[f"{name}-han"] = f"the same as {name} (its codes are all ideographs)"
    return out


#: name -> description of every named set
NAMED_SETS: dict[str, str] = _describe()


@functools.cache
def named_set(name: str) -> frozenset[int]:
    """The codepoints of a named set; CharsetError if there is no such set."""
    key = name.strip().lower()
    if key in _BASE_SETS:
        return _BASE_SETS[key][1]()
    if key.endswith("-han") and key[: -len("-han")] in _ENCODING_SETS:
        return frozenset(cp for cp in named_set(key[: -len("-han")]) if _is_han(cp))
    raise CharsetError(f"unknown charset name {name!r} (known: {', '.join(NAMED_SETS)})")


# --- specs ----------------------------------------------------------------------------------


def _check_range(lo: int, hi: int, where: str) -> range:
    if hi > _MAX_CODEPOINT:
        raise CharsetError(f"{where}: codepoint U+{hi:04X} is beyond U+10FFFF")
    if lo > hi:
        raise CharsetError(f"{where}: range start U+{lo:04X} is after its end U+{hi:04X}")
    return range(lo, hi + 1)


def _parse_file(path: Path) -> set[int]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CharsetError(f"{path}: charset file is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise CharsetError(f"{path}: cannot read charset file: {exc.strerror or exc}") from None
    out: set[int] = set()
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line[:2] in ("U+", "u+"):
            match = _FILE_LINE.match(line)
            if not match:
                raise CharsetError(
                    f"{path}:{lineno}: bad codepoint line {line!r} "
                    "(expected U+XXXX or U+XXXX-U+YYYY)"
                )
            lo = int(match[1], 16)
            hi = int(match[2], 16) if match[2] else lo
            out.update(_check_range(lo, hi, f"{path}:{lineno}"))
            continue
        chars = compose(line)  # decomposed text (か + U+3099) lists the composed character
        out.update(ord(ch) for ch in chars if not ch.isspace() and unicodedata.category(ch) != "Cc")
    return out


def _continues(ch: str) -> bool:
    """True for a character that composes with the one before it: a combining mark
    (か + U+3099) or a Hangul medial vowel or final consonant (ᄀ + ᅡ)."""
    return unicodedata.category(ch) in ("Mn", "Mc", "Me") or 0x1160 <= ord(ch) <= 0x11FF


def compose(text: str) -> str:
    """``text`` with each character and the marks after it composed (NFC: か + U+3099 -> が).

    A character without marks is kept as typed: NFC would also replace singletons such as the
    CJK compatibility ideographs (U+F900 -> U+8C48), code points a font maker may want.
    """
    clusters: list[str] = []
    for ch in text:
        if clusters and _continues(ch):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return "".join(unicodedata.normalize("NFC", c) if len(c) > 1 else c for c in clusters)


def _resolve_one(spec: str) -> set[int]:
    stripped = spec.strip()
    if not stripped:
        raise CharsetError("empty charset spec")
    key = stripped.lower()
    if key in NAMED_SETS:
        return set(named_set(key))
    path = Path(stripped).expanduser()
    if path.is_file():
        return _parse_file(path)
    if path.is_dir():
        raise CharsetError(f"{path}: charset spec is a directory, not a text file")
    match = _RANGE.match(stripped) or _SINGLE.match(stripped)
    if match:
        lo = int(match[1], 16)
        hi = int(match[2], 16) if match.lastindex and match.lastindex > 1 else lo
        return set(_check_range(lo, hi, f"charset range {stripped!r}"))
    raise CharsetError(
        f"charset {stripped!r}: not a named set ({', '.join(NAMED_SETS)}), "
        "a range like U+4E00-U+4E0F, or an existing text file"
    )


def resolve_charset(specs: Sequence[str] | str = DEFAULT_CHARSET) -> Charset:
    """The union of the given specs; CharsetError naming the spec (or file and line) if bad."""
    if isinstance(specs, str):
        specs = (specs,)
    specs = tuple(specs) or DEFAULT_CHARSET
    codepoints: set[int] = set()
    for spec in specs:
        codepoints |= _resolve_one(spec)
    codepoints -= set(_SURROGATES)
    if not codepoints:
        raise CharsetError(f"charset {' '.join(specs)!r} contains no characters")
    return Charset(codepoints=tuple(sorted(codepoints)), spec=specs)
