"""The architecture flags that ``zi2zi train`` and ``zi2zi model-info`` share, declared once:
name, help text and accepted values. Each command turns a declaration into a click option
its own way (``train`` leaves defaults to its config layers, ``model-info`` uses the built-in
defaults directly)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click

from zi2zi_core.models.config import AUTO_BATCH_NORM_MIN_BATCH, NormKind, SpectralMode

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

POSITIVE = click.IntRange(min=1)
NORMS = click.Choice([k.value for k in NormKind])
SPECTRAL = click.Choice([m.value for m in SpectralMode])


@dataclass(frozen=True)
class ModelFlag:
    """One architecture flag; ``type`` None: text the command parses (``--attention``)."""

    flag: str
    help: str
    type: click.ParamType | None = None

    @property
    def name(self) -> str:
        """The parameter name click gives the flag (``--g-norm`` -> ``g_norm``)."""
        return self.flag.removeprefix("--").replace("-", "_")


MODEL_FLAGS: tuple[ModelFlag, ...] = (
    ModelFlag("--base-channels", "Generator channels at full resolution.", POSITIVE),
    ModelFlag("--d-base-channels", "Discriminator channels of its first layer.", POSITIVE),
    ModelFlag("--d-layers", "Stride-2 layers of the PatchGAN discriminator.", POSITIVE),
    ModelFlag("--style-dim", "Size of the style embedding.", POSITIVE),
    ModelFlag(
        "--g-norm",
        f"Generator norm (auto: batch from batch {AUTO_BATCH_NORM_MIN_BATCH}, else instance).",
        NORMS,
    ),
    ModelFlag("--d-norm", "Discriminator norm.", NORMS),
    ModelFlag("--g-spectral", "Spectral norm in the generator.", SPECTRAL),
    ModelFlag("--d-spectral", "Spectral norm in the discriminator.", SPECTRAL),
    ModelFlag("--attention", "Self-attention at these encoder sizes, e.g. 32,16 (or 'none')."),
    ModelFlag(
        "--g-refine-convs",
        "Residual 3x3 convs after each up-sampling of the generator (0: one layer per size).",
        click.IntRange(min=0),
    ),
    ModelFlag(
        "--g-bottleneck-px",
        "Map size where the generator stops down-sampling (1: zi2zi's 1x1 bottleneck; "
        "4 at 64 px keeps a 4x4 code).",
        click.IntRange(min=1),
    ),
    ModelFlag(
        "--g-distance-px",
        "Generator draws the signed distance to the stroke edge, cut at this many pixels, "
        "and turns it into ink (0: it draws ink).",
        click.IntRange(min=0),
    ),
)


def model_flag_options(make_option: Callable[[ModelFlag], Decorator]) -> Decorator:
    """Every flag of ``MODEL_FLAGS``, in that order, made into an option by ``make_option``."""

    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        for model_flag in reversed(MODEL_FLAGS):
            func = make_option(model_flag)(func)
        return func

    return apply
