"""Using a trained generator: glyph metrics, ``zi2zi eval`` scoring and review sheets,
``zi2zi generate``. Imports nothing from ``zi2zi_core.training``."""
