"""SAGAN-style self-attention over the positions of a feature map."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from zi2zi_core.models.norms import LayerFactory, Position


class SelfAttention(nn.Module):
    """``x + gamma * attention(x)`` with a learned gate ``gamma`` that starts at 0.

    Starting at 0 makes the block an identity at initialization, so the network first learns
    local features and lets attention in gradually (Zhang et al., SAGAN). Query/key project to
    ``channels // 8`` (at least 1); value keeps all channels. The 1x1 convs are inner layers,
    so they get spectral norm under ``all`` and ``deep``; they have no norm layer.
    """

    def __init__(self, channels: int, factory: LayerFactory) -> None:
        super().__init__()
        inner = max(1, channels // 8)

        def conv1x1(out: int) -> nn.Module:
            return factory.conv(
                channels,
                out,
                kernel=1,
                stride=1,
                padding=0,
                norm=nn.Identity(),
                position=Position.INNER,
            )

        self.query = conv1x1(inner)
        self.key = conv1x1(inner)
        self.value = conv1x1(channels)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x: Tensor) -> Tensor:
        b, c, h, w = x.shape
        q = self.query(x).flatten(2).transpose(1, 2)  # (B, N, C')
        k = self.key(x).flatten(2)  # (B, C', N)
        v = self.value(x).flatten(2)  # (B, C, N)
        attn = torch.softmax(torch.bmm(q, k), dim=-1)  # (B, N, N): row i attends over all j
        out = torch.bmm(v, attn.transpose(1, 2)).view(b, c, h, w)
        return x + self.gamma * out
