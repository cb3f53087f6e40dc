"""Model and loss configuration: frozen, validated on construction, JSON-able.

``ModelConfig`` describes the generator and discriminator, including the normalization chosen
for each network; ``LossConfig`` describes the loss terms and their weights. Both round-trip
through ``to_dict``/``from_dict`` (enums as their string values) so they can be stored in
checkpoints and run directories. ``AUTO`` norm choices are replaced by ``ModelConfig.resolve``
once the batch size is known; the networks are only built from resolved configs.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

from zi2zi_core.errors import ConfigError


class NormKind(str, Enum):
    """Normalization layer after each inner conv of a network."""

    AUTO = "auto"
    BATCH = "batch"
    INSTANCE = "instance"
    GROUP = "group"
    LAYER = "layer"
    NONE = "none"


class SpectralMode(str, Enum):
    """Where spectral norm wraps a network's conv/linear layers.

    ``deep``: every layer except the network's input layer and its output layer(s).
    """

    AUTO = "auto"
    OFF = "off"
    ALL = "all"
    DEEP = "deep"


class AdversarialLoss(str, Enum):
    """GAN objective for the real/fake patch map."""

    BCE = "bce"
    LSGAN = "lsgan"
    HINGE = "hinge"


# Batch size from which AUTO picks batch norm for the generator (instance norm below it).
AUTO_BATCH_NORM_MIN_BATCH = 16
# Channel multipliers are capped at 8x base_channels, as in pix2pix.
MAX_CHANNEL_MULT = 8

E = TypeVar("E", bound=Enum)


def _as_enum(enum_cls: type[E], value: Any, field: str) -> E:
    """Coerce a string (or enum member) to ``enum_cls``; ConfigError naming the choices."""
    if isinstance(value, enum_cls):
        return value
    try:
        return enum_cls(value)
    except ValueError:
        choices = ", ".join(m.value for m in enum_cls)
        raise ConfigError(f"{field}: {value!r} is not one of {choices}") from None


def _check_int(value: Any, field: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{field} must be an integer, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{field} must be >= {minimum}, got {value}")


def _check_weight(value: Any, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{field} must be a number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{field} must be a finite number >= 0, got {value}")


def encoder_sizes(glyph_px: int) -> tuple[int, ...]:
    """Spatial size after each generator encoder level: halved (floored) down to 1x1.

    A 4x4 stride-2 conv with padding 1 maps size s to floor(s / 2), so 256 gives
    (128, 64, 32, 16, 8, 4, 2, 1) and 96 gives (48, 24, 12, 6, 3, 1).
    """
    sizes = []
    s = glyph_px
    while s > 1:
        s //= 2
        sizes.append(s)
    return tuple(sizes)


def discriminator_sizes(glyph_px: int, d_layers: int) -> tuple[int, ...]:
    """Spatial size after each discriminator conv (PatchGAN): the last entry is the patch map.

    ``d_layers`` 4x4 stride-2 convs, then one 4x4 stride-1 conv and the 4x4 stride-1 patch conv
    (padding 1 each, so each stride-1 conv shrinks the map by one pixel).
    """
    sizes = []
    s = glyph_px
    for _ in range(d_layers):
        s //= 2
        sizes.append(s)
    for _ in range(2):
        s -= 1
        sizes.append(s)
    return tuple(sizes)


def discriminator_scales(glyph_px: int, d_scales: int) -> tuple[int, ...]:
    """Input size of each discriminator of a multi-scale D: the full size, then halved (a 3x3
    stride-2 average pool with padding 1 maps size s to ceil(s / 2)) ``d_scales - 1`` times."""
    sizes = [glyph_px]
    for _ in range(d_scales - 1):
        sizes.append(-(-sizes[-1] // 2))
    return tuple(sizes)


def _from_dict(cls: type, d: Any) -> Any:
    if not isinstance(d, dict):
        raise ConfigError(f"{cls.__name__}: expected a mapping, got {type(d).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(d) - names)
    if unknown:
        raise ConfigError(
            f"{cls.__name__}: unknown key(s) {', '.join(unknown)}; "
            f"known keys: {', '.join(sorted(names))}"
        )
    return cls(**d)


def _to_dict(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if isinstance(v, Enum):
            v = v.value
        elif isinstance(v, tuple):
            v = list(v)
        out[f.name] = v
    return out


@dataclass(frozen=True)
class ModelConfig:
    """Generator + discriminator architecture and per-network normalization."""

    glyph_px: int = 256
    in_channels: int = 1
    out_channels: int = 1
    base_channels: int = 64
    num_styles: int = 1
    style_dim: int = 128
    attention_resolutions: tuple[int, ...] = ()
    dropout: float = 0.5
    g_norm: NormKind = NormKind.AUTO
    g_spectral: SpectralMode = SpectralMode.AUTO
    d_norm: NormKind = NormKind.AUTO
    d_spectral: SpectralMode = SpectralMode.AUTO
    d_base_channels: int = 64
    d_layers: int = 3
    d_scales: int = 1  # pix2pixHD multi-scale D: one PatchGAN per scale, each input halved
    g_refine_convs: int = 0  # residual 3x3 convs after each generator up-sampling (0: zi2zi's)
    # Map size where the generator stops down-sampling: 1 is zi2zi's 1x1 bottleneck, a larger
    # size keeps a spatial code (fewer levels, the style embedding joined at every position).
    g_bottleneck_px: int = 1
    # 0: the generator draws ink (zi2zi's). R > 0: it draws the signed distance to the stroke
    # edge, cut at R px, and turns that into ink itself (zi2zi_core.models.distance).
    g_distance_px: int = 0

    def __post_init__(self) -> None:
        # Coerce strings (from JSON / CLI) to enums; frozen, hence object.__setattr__.
        for name, enum_cls in (
            ("g_norm", NormKind),
            ("d_norm", NormKind),
            ("g_spectral", SpectralMode),
            ("d_spectral", SpectralMode),
        ):
            object.__setattr__(self, name, _as_enum(enum_cls, getattr(self, name), name))
        _check_int(self.glyph_px, "glyph_px", 16)
        _check_int(self.in_channels, "in_channels", 1)
        _check_int(self.out_channels, "out_channels", 1)
        if self.in_channels != self.out_channels:
            # The constant loss re-encodes the generated image with the source encoder.
            raise ConfigError(
                f"in_channels ({self.in_channels}) must equal out_channels "
                f"({self.out_channels}): the generated image is re-encoded for the constant loss"
            )
        _check_int(self.base_channels, "base_channels", 1)
        _check_int(self.d_base_channels, "d_base_channels", 1)
        _check_int(self.num_styles, "num_styles", 1)
        _check_int(self.style_dim, "style_dim", 1)
        _check_int(self.d_layers, "d_layers", 1)
        _check_int(self.g_refine_convs, "g_refine_convs", 0)
        _check_int(self.g_bottleneck_px, "g_bottleneck_px", 1)
        _check_int(self.g_distance_px, "g_distance_px", 0)
        full = encoder_sizes(self.glyph_px)
        if self.g_bottleneck_px not in full:
            raise ConfigError(
                f"g_bottleneck_px={self.g_bottleneck_px} is not an encoder size at "
                f"glyph_px={self.glyph_px}; choose from {', '.join(map(str, full))}"
            )
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)):
            raise ConfigError(f"dropout must be a number, got {self.dropout!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")

        att = self.attention_resolutions
        if isinstance(att, (str, bytes)) or not isinstance(att, (tuple, list)):
            raise ConfigError(f"attention_resolutions must be a list of sizes, got {att!r}")
        valid = tuple(s for s in self.encoder_sizes if s > 1)
        for r in att:
            if isinstance(r, bool) or not isinstance(r, int) or r not in valid:
                raise ConfigError(
                    f"attention_resolutions: {r!r} is not an encoder resolution at "
                    f"glyph_px={self.glyph_px}; choose from {', '.join(map(str, valid))}"
                )
        if len(set(att)) != len(att):
            raise ConfigError(f"attention_resolutions has duplicates: {list(att)}")
        object.__setattr__(self, "attention_resolutions", tuple(sorted(att, reverse=True)))

        _check_int(self.d_scales, "d_scales", 1)
        self._check_patch_maps()

    def _check_patch_maps(self) -> None:
        """Every discriminator scale must leave a patch map of at least 1x1."""
        patch = discriminator_sizes(self.glyph_px, self.d_layers)[-1]
        if patch < 1:
            best = max(
                (
                    n
                    for n in range(1, self.d_layers)
                    if discriminator_sizes(self.glyph_px, n)[-1] >= 1
                ),
                default=None,
            )
            hint = f"; use d_layers <= {best}" if best else ""
            raise ConfigError(
                f"d_layers={self.d_layers} leaves no patch map at glyph_px={self.glyph_px}{hint}"
            )
        smallest = discriminator_scales(self.glyph_px, self.d_scales)[-1]
        if self.d_scales > 1 and discriminator_sizes(smallest, self.d_layers)[-1] < 1:
            raise ConfigError(
                f"d_scales={self.d_scales} with d_layers={self.d_layers} leaves no patch map at "
                f"the coarsest scale ({smallest} px of glyph_px={self.glyph_px}); use fewer scales"
            )

    # -- derived ----------------------------------------------------------------------------

    @property
    def encoder_sizes(self) -> tuple[int, ...]:
        """Spatial size after each generator encoder level (last is the bottleneck)."""
        return tuple(s for s in encoder_sizes(self.glyph_px) if s >= self.g_bottleneck_px)

    @property
    def num_levels(self) -> int:
        """Number of U-Net levels (stride-2 convs in the generator encoder)."""
        return len(self.encoder_sizes)

    def g_channels(self, level: int) -> int:
        """Output channels of generator encoder level ``level`` (0 = outermost)."""
        return self.base_channels * min(2**level, MAX_CHANNEL_MULT)

    @property
    def encoding_dim(self) -> int:
        """Length of the flattened bottleneck encoding returned by the generator."""
        return self.g_channels(self.num_levels - 1) * self.g_bottleneck_px**2

    @property
    def is_resolved(self) -> bool:
        return SpectralMode.AUTO not in (self.g_spectral, self.d_spectral) and (
            NormKind.AUTO not in (self.g_norm, self.d_norm)
        )

    def resolve(self, batch_size: int) -> ModelConfig:
        """Replace every AUTO choice using the training batch size.

        G: batch norm from batch ``AUTO_BATCH_NORM_MIN_BATCH`` (enough samples for stable
        batch statistics), instance norm below; no spectral norm. D: spectral norm on all
        layers, no norm layer.
        """
        _check_int(batch_size, "batch_size", 1)
        g_norm = self.g_norm
        if g_norm is NormKind.AUTO:
            g_norm = (
                NormKind.BATCH if batch_size >= AUTO_BATCH_NORM_MIN_BATCH else NormKind.INSTANCE
            )
        g_spectral = SpectralMode.OFF if self.g_spectral is SpectralMode.AUTO else self.g_spectral
        d_norm = NormKind.NONE if self.d_norm is NormKind.AUTO else self.d_norm
        d_spectral = SpectralMode.ALL if self.d_spectral is SpectralMode.AUTO else self.d_spectral
        return dataclasses.replace(
            self, g_norm=g_norm, g_spectral=g_spectral, d_norm=d_norm, d_spectral=d_spectral
        )

    def require_resolved(self) -> None:
        if not self.is_resolved:
            raise ConfigError(
                "model config still has 'auto' norm choices; call ModelConfig.resolve(batch_size) "
                "before building the networks"
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (enums as strings, tuples as lists)."""
        return _to_dict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        """Inverse of ``to_dict``; missing keys take defaults, unknown keys are an error."""
        d = dict(d) if isinstance(d, dict) else d
        if isinstance(d, dict) and isinstance(d.get("attention_resolutions"), list):
            d["attention_resolutions"] = tuple(d["attention_resolutions"])
        return _from_dict(cls, d)


@dataclass(frozen=True)
class LossConfig:
    """Loss terms and weights (zi2zi defaults) and the G/D update ratio."""

    adversarial: AdversarialLoss = AdversarialLoss.BCE
    l1_weight: float = 100.0
    const_weight: float = 15.0
    category_weight: float = 1.0
    tv_weight: float = 0.0
    g_steps_per_d: int = 2
    # Edge-aware L1: pixels within edge_radius px of the target's stroke edges weigh up to
    # 1 + edge_weight (linear falloff with distance); 0 is the plain L1.
    edge_weight: float = 0.0
    edge_radius: int = 2
    # pix2pixHD feature matching: L1 between D's features of the real and the generated pair.
    fm_weight: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "adversarial", _as_enum(AdversarialLoss, self.adversarial, "adversarial")
        )
        weights = ("l1_weight", "const_weight", "category_weight", "tv_weight")
        for name in (*weights, "edge_weight", "fm_weight"):
            _check_weight(getattr(self, name), name)
        _check_int(self.g_steps_per_d, "g_steps_per_d", 1)
        _check_int(self.edge_radius, "edge_radius", 1)

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LossConfig:
        return _from_dict(cls, d)
