"""Named training recipes shipped with the package: ``zi2zi train --preset NAME``.

A preset is a run TOML file (the ``--config`` format) in ``zi2zi_core/presets/``, with the
evidence for it in a comment at its top. It sits between the built-in defaults and
``--config``: flags > ``--config`` > preset > resumed checkpoint > defaults. The name is kept
in the run's config (``train.preset``); the values it set are in the config too.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from zi2zi_core.errors import ConfigError
from zi2zi_core.training.config import config_sections, parse_toml_text

PRESET_SUFFIX = ".toml"


def _folder() -> Any:
    return resources.files("zi2zi_core").joinpath("presets")


def preset_names() -> list[str]:
    """The presets this installation ships, sorted."""
    return sorted(
        entry.name.removesuffix(PRESET_SUFFIX)
        for entry in _folder().iterdir()
        if entry.name.endswith(PRESET_SUFFIX)
    )


def preset_text(name: str) -> str:
    """The TOML text of preset ``name`` (ConfigError naming the presets there are)."""
    if name not in preset_names():
        raise ConfigError(f"no preset {name!r}; presets: {', '.join(preset_names()) or 'none'}")
    return _folder().joinpath(name + PRESET_SUFFIX).read_text(encoding="utf-8")


def load_preset(name: str) -> dict[str, dict[str, Any]]:
    """Preset ``name`` as config sections, with ``train.preset`` set to its name."""
    sections = config_sections(parse_toml_text(preset_text(name)), f"preset {name!r}")
    sections["train"]["preset"] = name
    return sections
