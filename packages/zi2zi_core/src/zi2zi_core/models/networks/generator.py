"""U-Net generator (zi2zi / pix2pix lineage) with a style embedding joined at the bottleneck."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zi2zi_core.errors import ConfigError
from zi2zi_core.models.config import ModelConfig
from zi2zi_core.models.distance import ink_from_distance
from zi2zi_core.models.networks.attention import SelfAttention
from zi2zi_core.models.norms import LayerFactory, Position

# zi2zi and pix2pix put dropout in the three innermost decoder blocks.
DROPOUT_DECODER_BLOCKS = 3


class ResizeTo(nn.Module):
    """Bilinear resize to a fixed size: where a skip's size is not twice the inner one (96 px)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def forward(self, x: Tensor) -> Tensor:
        return F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)

    def extra_repr(self) -> str:
        return f"size={self.size}"


class RefineConv(nn.Module):
    """A residual 3x3 conv at one decoder resolution: ``x + norm(conv(relu(x)))``.

    A U-Net level of the zi2zi lineage has one 4x4 stride-2 layer each way, so where a stroke
    edge lands is decided by a single transposed conv per size. These layers give each size
    its own stride-1 refinement; the residual form keeps the plain U-Net's signal path.
    """

    def __init__(self, channels: int, size: int, factory: LayerFactory) -> None:
        super().__init__()
        norm = factory.norm(channels, size, Position.INNER)
        conv = factory.conv(
            channels, channels, kernel=3, stride=1, padding=1, norm=norm, position=Position.INNER
        )
        self.body = nn.Sequential(nn.ReLU(), conv, norm)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class UNetBlock(nn.Module):
    """One U-Net level: a down path (conv [+ attention]) and its mirrored up path.

    ``down``: [LeakyReLU 0.2] -> 4x4 stride-2 conv -> norm; ``attention``: optional
    self-attention on the down output; ``up``: ReLU -> 4x4 stride-2 transposed conv ->
    [resize] -> norm -> ``refine_convs`` x RefineConv -> [dropout] (or tanh for the outermost
    block). With ``refine_convs`` the outermost block's transposed conv keeps ``down_out``
    channels at full size for its refinements, and a 3x3 conv draws the image from them.
    Norm and spectral-norm placement comes from the LayerFactory, which knows the layer's
    position and map size.
    """

    def __init__(
        self,
        *,
        down_in: int,
        down_out: int,
        down_size: int,
        up_in: int,
        up_out: int,
        up_size: int,
        outermost: bool,
        attention: bool,
        dropout: float,
        factory: LayerFactory,
        refine_convs: int = 0,
    ) -> None:
        super().__init__()
        pos_in = Position.FIRST if outermost else Position.INNER
        down_norm = factory.norm(down_out, down_size, pos_in)
        down: list[nn.Module] = [] if outermost else [nn.LeakyReLU(0.2)]
        down += [
            factory.conv(
                down_in, down_out, kernel=4, stride=2, padding=1, norm=down_norm, position=pos_in
            ),
            down_norm,
        ]
        self.down = nn.Sequential(*down)
        self.attention = SelfAttention(down_out, factory) if attention else None
        self.up = nn.Sequential(
            *self._up_layers(
                up_in, up_out, down_out, down_size, up_size, outermost, refine_convs, factory
            )
        )
        if not outermost and dropout > 0:
            self.up.append(nn.Dropout(dropout))

    @staticmethod
    def _up_layers(
        up_in: int,
        up_out: int,
        down_out: int,
        down_size: int,
        up_size: int,
        outermost: bool,
        refine_convs: int,
        factory: LayerFactory,
    ) -> list[nn.Module]:
        head = outermost and refine_convs > 0  # refinements at full size, then a 3x3 head
        channels = down_out if head else up_out
        position = Position.LAST if outermost and not head else Position.INNER
        up_norm = factory.norm(channels, up_size, position)
        layers: list[nn.Module] = [
            nn.ReLU(),
            factory.conv(
                up_in,
                channels,
                kernel=4,
                stride=2,
                padding=1,
                norm=up_norm,
                position=position,
                transposed=True,
            ),
        ]
        if 2 * down_size != up_size:  # a 4x4/2 transposed conv doubles; odd sizes need a resize
            layers.append(ResizeTo(up_size))
        layers.append(up_norm)
        layers += [RefineConv(channels, up_size, factory) for _ in range(refine_convs)]
        if head:
            last = nn.Identity()
            layers += [
                nn.ReLU(),
                factory.conv(
                    channels,
                    up_out,
                    kernel=3,
                    stride=1,
                    padding=1,
                    norm=last,
                    position=Position.LAST,
                ),
            ]
        if outermost:
            layers.append(nn.Tanh())
        return layers

    def encode(self, x: Tensor) -> Tensor:
        x = self.down(x)
        return self.attention(x) if self.attention is not None else x

    def decode(self, x: Tensor) -> Tensor:
        return self.up(x)


class Generator(nn.Module):
    """U-Net generator: ``forward(source, style)`` draws ``source`` glyphs in style ``style``.

    Depth follows ``glyph_px``: stride-2 levels until the map is ``g_bottleneck_px`` wide (1x1,
    8 levels at 256 px, as in zi2zi). Channels are ``base_channels * min(2**level, 8)``. The
    style embedding (``num_styles`` x ``style_dim``) is concatenated to the bottleneck at
    every position. With ``g_distance_px`` the last layer draws a signed distance map, which
    ``forward`` turns into the ink image it returns (:mod:`zi2zi_core.models.distance`).
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        cfg.require_resolved()
        self.cfg = cfg
        factory = LayerFactory(cfg.g_norm, cfg.g_spectral)
        sizes = cfg.encoder_sizes
        n = len(sizes)
        blocks = []
        for i in range(n):
            ch = cfg.g_channels(i)
            innermost = i == n - 1
            blocks.append(
                UNetBlock(
                    down_in=cfg.in_channels if i == 0 else cfg.g_channels(i - 1),
                    down_out=ch,
                    down_size=sizes[i],
                    # innermost: bottleneck + style; others: up output of the level below + skip
                    up_in=ch + cfg.style_dim if innermost else 2 * ch,
                    up_out=cfg.out_channels if i == 0 else cfg.g_channels(i - 1),
                    up_size=cfg.glyph_px if i == 0 else sizes[i - 1],
                    outermost=i == 0,
                    attention=sizes[i] in cfg.attention_resolutions,
                    dropout=cfg.dropout if i >= max(1, n - DROPOUT_DECODER_BLOCKS) else 0.0,
                    factory=factory,
                    refine_convs=cfg.g_refine_convs,
                )
            )
        self.blocks = nn.ModuleList(blocks)  # outermost first
        self.embedding = nn.Embedding(cfg.num_styles, cfg.style_dim)

    def _check_input(self, x: Tensor, name: str) -> None:
        px = self.cfg.glyph_px
        if x.dim() != 4 or x.shape[1] != self.cfg.in_channels or x.shape[-2:] != (px, px):
            raise ConfigError(
                f"generator built for {name} of shape (B, {self.cfg.in_channels}, {px}, {px}), "
                f"got {tuple(x.shape)}"
            )

    def _encode(self, x: Tensor) -> list[Tensor]:
        feats = []
        for block in self.blocks:
            x = block.encode(x)
            feats.append(x)
        return feats

    def encode(self, image: Tensor) -> Tensor:
        """Flattened bottleneck encoding (B, encoding_dim), without the style embedding."""
        self._check_input(image, "image")
        return self._encode(image)[-1].flatten(1)

    def forward(
        self,
        source: Tensor,
        style: Tensor,
        return_encoding: bool = False,
        return_distance: bool = False,
    ) -> Tensor | tuple[Tensor, ...]:
        """Generated image (B, out, H, W) in [-1, 1]; with ``return_encoding`` also the
        flattened bottleneck encoding of ``source`` (for the constant loss); with
        ``return_distance`` (a distance generator only) also the distance map the image was
        drawn from (for the L1)."""
        self._check_input(source, "source")
        feats = self._encode(source)
        bottleneck = feats[-1]
        emb = self.embedding(style)[:, :, None, None].expand(-1, -1, *bottleneck.shape[-2:])
        x = torch.cat([bottleneck, emb], dim=1)
        for i in range(len(self.blocks) - 1, -1, -1):
            x = self.blocks[i].decode(x)
            if i > 0:
                x = torch.cat([x, feats[i - 1]], dim=1)
        distance = x
        if self.cfg.g_distance_px:
            x = ink_from_distance(distance, self.cfg.g_distance_px)
        elif return_distance:
            raise ConfigError("return_distance: this generator draws ink (g_distance_px 0)")
        out = (x, bottleneck.flatten(1)) if return_encoding else (x,)
        out += (distance,) if return_distance else ()
        return out[0] if len(out) == 1 else out

    def parameter_counts(self) -> dict[str, int]:
        """Parameters per part: encoder, attention, decoder, embedding, total."""

        def count(mods) -> int:
            return sum(p.numel() for m in mods if m is not None for p in m.parameters())

        parts = {
            "encoder": count(b.down for b in self.blocks),
            "attention": count(b.attention for b in self.blocks),
            "decoder": count(b.up for b in self.blocks),
            "embedding": count([self.embedding]),
        }
        parts["total"] = sum(p.numel() for p in self.parameters())
        return parts
