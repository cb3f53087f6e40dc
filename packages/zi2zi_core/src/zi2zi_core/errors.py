"""The package's exceptions: one base class, subclasses by topic; messages carry their context."""

from __future__ import annotations


class Zi2ziError(Exception):
    """Base class of every error zi2zi_core raises on bad input or bad state."""


class ConfigError(Zi2ziError):
    """A model, loss or training configuration is invalid."""


class CheckpointError(Zi2ziError):
    """A checkpoint or run directory is missing, corrupt or incompatible."""


class MissingInput(ConfigError):
    """A required input was not given (the CLI reports it as a usage error, exit 2)."""


class Zi2ziWarning(UserWarning):
    """Something the user should know that does not stop the command (the CLI shows one line)."""
