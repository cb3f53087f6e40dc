"""The package's exceptions: one base class, subclasses by topic.

Every message names the file or object it is about, so the CLI can print it as one line.
"""

from __future__ import annotations


class GlyphrenderError(Exception):
    """Base class of every error glyphrender raises on bad input."""


class FontError(GlyphrenderError):
    """A font file is missing, unreadable, or unusable for the requested operation."""


class CharsetError(GlyphrenderError):
    """A charset specification cannot be parsed or resolved."""


class DatasetError(GlyphrenderError):
    """A dataset directory, manifest or shard is missing, malformed or inconsistent."""


class AssembleError(GlyphrenderError):
    """Generated glyphs cannot be assembled into the given base font."""
