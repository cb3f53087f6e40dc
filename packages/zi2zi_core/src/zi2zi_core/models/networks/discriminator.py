"""PatchGAN discriminator on (source, image) pairs with an auxiliary style classifier."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from zi2zi_core.errors import ConfigError
from zi2zi_core.models.config import MAX_CHANNEL_MULT, ModelConfig, discriminator_sizes
from zi2zi_core.models.norms import LayerFactory, Position


class Discriminator(nn.Module):
    """pix2pix PatchGAN (``d_layers`` 4x4 stride-2 convs, one 4x4 stride-1 conv, a 4x4 patch
    conv) on the channel concatenation of source and image, plus zi2zi's category head: a
    linear layer on the globally average-pooled last features giving ``num_styles`` logits.

    Average pooling (instead of zi2zi's flatten) keeps the head small and size-independent.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        cfg.require_resolved()
        self.cfg = cfg
        factory = LayerFactory(cfg.d_norm, cfg.d_spectral)
        sizes = discriminator_sizes(cfg.glyph_px, cfg.d_layers)
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

    def forward(self, source: Tensor, image: Tensor) -> tuple[Tensor, Tensor]:
        """(patch logits (B, 1, h, w), style logits (B, num_styles))."""
        px = self.cfg.glyph_px
        if source.shape[-2:] != (px, px) or image.shape[-2:] != source.shape[-2:]:
            raise ConfigError(
                f"discriminator built for {px}x{px} pairs, got source {tuple(source.shape)} "
                f"and image {tuple(image.shape)}"
            )
        feats = self.trunk(torch.cat([source, image], dim=1))
        return self.patch_head(feats), self.style_head(feats.mean(dim=(2, 3)))

    def parameter_counts(self) -> dict[str, int]:
        """Parameters per part: trunk, patch_head, style_head, total."""
        parts = {
            name: sum(p.numel() for p in getattr(self, name).parameters())
            for name in ("trunk", "patch_head", "style_head")
        }
        parts["total"] = sum(p.numel() for p in self.parameters())
        return parts
