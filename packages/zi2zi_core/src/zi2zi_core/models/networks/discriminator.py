"""PatchGAN discriminator on (source, image) pairs with an auxiliary style classifier, and
pix2pixHD's multi-scale variant (one PatchGAN per scale, each on a halved copy of the pair)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zi2zi_core.errors import ConfigError
from zi2zi_core.models.config import (
    MAX_CHANNEL_MULT,
    ModelConfig,
    discriminator_scales,
    discriminator_sizes,
)
from zi2zi_core.models.norms import LayerFactory, Position

# D's output: (patch logits, style logits), plus the trunk's features when asked for. The patch
# logits are one (B, 1, h, w) map, or a tuple of maps (one per scale) for a multi-scale D.
DOutput = tuple


class Discriminator(nn.Module):
    """pix2pix PatchGAN (``d_layers`` 4x4 stride-2 convs, one 4x4 stride-1 conv, a 4x4 patch
    conv) on the channel concatenation of source and image, plus zi2zi's category head: a
    linear layer on the globally average-pooled last features giving ``num_styles`` logits.

    Average pooling (instead of zi2zi's flatten) keeps the head small and size-independent.
    ``px`` is the input size (``cfg.glyph_px`` unless it is one scale of a multi-scale D).
    """

    def __init__(self, cfg: ModelConfig, px: int | None = None) -> None:
        super().__init__()
        cfg.require_resolved()
        self.cfg = cfg
        self.px = cfg.glyph_px if px is None else px
        factory = LayerFactory(cfg.d_norm, cfg.d_spectral)
        sizes = discriminator_sizes(self.px, cfg.d_layers)
        layers: list[nn.Module] = []
        in_ch = cfg.in_channels + cfg.out_channels
        for i in range(cfg.d_layers + 1):  # d_layers stride-2 convs, then one stride-1 conv
            out_ch = cfg.d_base_channels * min(2**i, MAX_CHANNEL_MULT)
            pos = Position.FIRST if i == 0 else Position.INNER
            stride = 2 if i < cfg.d_layers else 1
            norm = factory.norm(out_ch, sizes[i], pos)
            layers += [
                factory.conv(
                    in_ch, out_ch, kernel=4, stride=stride, padding=1, norm=norm, position=pos
                ),
                norm,
                nn.LeakyReLU(0.2),
            ]
            in_ch = out_ch
        self.trunk = nn.Sequential(*layers)
        self.patch_head = factory.conv(
            in_ch, 1, kernel=4, stride=1, padding=1, norm=nn.Identity(), position=Position.LAST
        )
        self.style_head = factory.linear(in_ch, cfg.num_styles, Position.LAST)

    def forward(self, source: Tensor, image: Tensor, features: bool = False) -> DOutput:
        """(patch logits (B, 1, h, w), style logits (B, num_styles)); with ``features``, also
        the output of every trunk layer (after its activation), for feature matching."""
        px = self.px
        if source.shape[-2:] != (px, px) or image.shape[-2:] != source.shape[-2:]:
            raise ConfigError(
                f"discriminator built for {px}x{px} pairs, got source {tuple(source.shape)} "
                f"and image {tuple(image.shape)}"
            )
        x = torch.cat([source, image], dim=1)
        if not features:
            feats = self.trunk(x)
            return self.patch_head(feats), self.style_head(feats.mean(dim=(2, 3)))
        taken: list[Tensor] = []
        for layer in self.trunk:
            x = layer(x)
            if isinstance(layer, nn.LeakyReLU):
                taken.append(x)
        return self.patch_head(x), self.style_head(x.mean(dim=(2, 3))), tuple(taken)

    def parameter_counts(self) -> dict[str, int]:
        """Parameters per part: trunk, patch_head, style_head, total."""
        parts = {
            name: sum(p.numel() for p in getattr(self, name).parameters())
            for name in ("trunk", "patch_head", "style_head")
        }
        parts["total"] = sum(p.numel() for p in self.parameters())
        return parts


def downsample(image: Tensor) -> Tensor:
    """pix2pixHD's scale step: 3x3 stride-2 average pool (padding not counted), s -> ceil(s/2)."""
    return F.avg_pool2d(image, 3, stride=2, padding=1, count_include_pad=False)


class MultiScaleDiscriminator(nn.Module):
    """``cfg.d_scales`` PatchGANs of the same shape, scale i seeing the pair halved i times
    (pix2pixHD). Patch logits: a tuple, one map per scale; style logits: the mean of the
    scales' style heads (every head is trained, so no parameter is left unused under DDP);
    features: every scale's trunk outputs, concatenated in scale order."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        cfg.require_resolved()
        self.cfg = cfg
        sizes = discriminator_scales(cfg.glyph_px, cfg.d_scales)
        self.scales = nn.ModuleList(Discriminator(cfg, px=s) for s in sizes)

    def forward(self, source: Tensor, image: Tensor, features: bool = False) -> DOutput:
        """(tuple of patch logits, style logits[, features]); see the class docstring."""
        outs = []
        for i, net in enumerate(self.scales):
            if i:
                source, image = downsample(source), downsample(image)
            outs.append(net(source, image, features=features))
        patches = tuple(o[0] for o in outs)
        style = torch.stack([o[1] for o in outs]).mean(dim=0)
        if not features:
            return patches, style
        return patches, style, tuple(f for o in outs for f in o[2])

    def parameter_counts(self) -> dict[str, int]:
        """Parameters per part, summed over the scales: trunk, patch_head, style_head, total."""
        counts = [net.parameter_counts() for net in self.scales]
        return {key: sum(c[key] for c in counts) for key in counts[0]}
