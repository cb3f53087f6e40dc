"""glyphrender: fonts to paired glyph bitmaps in HDF5 shards, and generated bitmaps back to fonts."""

from glyphrender.errors import GlyphrenderError

__version__ = "0.1.0"

__all__ = ["GlyphrenderError", "__version__"]
