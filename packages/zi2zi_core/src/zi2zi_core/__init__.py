"""zi2zi_core: a zi2zi-style GAN trained straight from glyphrender shards."""

from zi2zi_core.errors import Zi2ziError

__version__ = "0.1.0"

__all__ = ["Zi2ziError", "__version__"]
