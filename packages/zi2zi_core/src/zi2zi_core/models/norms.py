"""The one norm factory: every normalization and spectral-norm rule of both networks lives here.

Rules (each written once, below):

* A norm layer goes only on *inner* layers: never on a network's first layer (its input is raw
  pixels) nor on its output layer, and never on a 1x1 map (batch norm fails at batch 1 there,
  instance norm of a single pixel is zero).
* A conv keeps its bias only when the norm that follows has no shift of its own: every norm
  built here is affine (batch, instance, group and layer norm all carry a per-channel shift),
  so a normed conv gets ``bias=False`` and an un-normed one ``bias=True``. The rule reads the
  built norm module, so it cannot drift from the norm choice.
* Instance norm is affine (``affine=True``) and keeps no running statistics, unlike pix2pix's
  ``affine=False``: the conv bias before it would be cancelled by the mean subtraction anyway,
  and an affine instance norm gives the same learnable scale/shift as the other norms, so a
  norm comparison compares statistics, not parameter counts.
* Layer norm of conv features is ``GroupNorm(1, C)``; group norm uses the largest group count
  <= 32 that divides C.
* Spectral norm (the ``torch.nn.utils.parametrizations`` API) wraps conv, transposed conv and
  linear layers: ``all`` = every such layer, ``deep`` = all but the network's input layer and
  its output layer(s), ``off`` = none.
"""

from __future__ import annotations

from enum import Enum

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from zi2zi_core.errors import ConfigError
from zi2zi_core.models.config import NormKind, SpectralMode

MAX_GROUPS = 32


class Position(str, Enum):
    """Where a layer sits in its network; decides norm and spectral-norm placement."""

    FIRST = "first"  # input layer: sees raw pixels
    INNER = "inner"
    LAST = "last"  # output layer / head


def num_groups(channels: int, max_groups: int = MAX_GROUPS) -> int:
    """Largest group count <= ``max_groups`` that divides ``channels``."""
    for g in range(min(max_groups, channels), 0, -1):
        if channels % g == 0:
            return g
    return 1


def norm_module(kind: NormKind, channels: int) -> nn.Module:
    """A norm layer of ``kind`` for ``channels`` conv feature maps (Identity for NONE)."""
    if kind is NormKind.BATCH:
        return nn.BatchNorm2d(channels)
    if kind is NormKind.INSTANCE:
        return nn.InstanceNorm2d(channels, affine=True, track_running_stats=False)
    if kind is NormKind.GROUP:
        return nn.GroupNorm(num_groups(channels), channels)
    if kind is NormKind.LAYER:
        return nn.GroupNorm(1, channels)
    if kind is NormKind.NONE:
        return nn.Identity()
    raise ConfigError(f"norm {kind.value!r} must be resolved before building a network")


def has_shift(norm: nn.Module) -> bool:
    """Whether ``norm`` adds its own per-channel shift (making a preceding conv bias redundant)."""
    return isinstance(getattr(norm, "bias", None), nn.Parameter)


class LayerFactory:
    """Builds the norm, conv and linear layers of one network from its norm choices."""

    def __init__(self, norm: NormKind, spectral: SpectralMode) -> None:
        if norm is NormKind.AUTO or spectral is SpectralMode.AUTO:
            raise ConfigError(
                "norm choices still 'auto'; call ModelConfig.resolve(batch_size) first"
            )
        self.norm_kind = norm
        self.spectral = spectral

    def norm(self, channels: int, out_size: int, position: Position) -> nn.Module:
        """Norm after a layer producing ``channels`` maps of ``out_size`` x ``out_size``."""
        if position is not Position.INNER or out_size <= 1:
            return nn.Identity()
        return norm_module(self.norm_kind, channels)

    def uses_spectral(self, position: Position) -> bool:
        if self.spectral is SpectralMode.ALL:
            return True
        if self.spectral is SpectralMode.DEEP:
            return position is Position.INNER
        return False

    def _wrap(self, layer: nn.Module, position: Position) -> nn.Module:
        return spectral_norm(layer) if self.uses_spectral(position) else layer

    def conv(
        self,
        in_channels: int,
        out_channels: int,
        *,
        kernel: int,
        stride: int,
        padding: int,
        norm: nn.Module,
        position: Position,
        transposed: bool = False,
    ) -> nn.Module:
        """A conv (or transposed conv) whose bias follows ``norm`` and wrapped per spectral mode."""
        cls = nn.ConvTranspose2d if transposed else nn.Conv2d
        conv = cls(in_channels, out_channels, kernel, stride, padding, bias=not has_shift(norm))
        return self._wrap(conv, position)

    def linear(self, in_features: int, out_features: int, position: Position) -> nn.Module:
        return self._wrap(nn.Linear(in_features, out_features), position)
