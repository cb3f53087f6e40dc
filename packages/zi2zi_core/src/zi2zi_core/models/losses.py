"""zi2zi losses for the discriminator and the generator, with the terms reported separately.

Every entry of ``LossTerms.parts`` is the *weighted* term as it enters ``total`` (detached),
so ``total == sum(parts.values())``. Part names:

* D: ``d_adv`` (adversarial, real + fake), ``d_cat`` (style cross-entropy on real and fake,
  averaged, times ``category_weight``).
* G: ``g_adv``, ``g_l1`` (L1 to the target), ``g_const`` (MSE between the bottleneck encodings
  of the source and of the generated image), ``g_cat`` (style cross-entropy on the fake),
  ``g_tv`` (total variation of the generated image).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from zi2zi_core.models.config import AdversarialLoss, LossConfig


@dataclass
class LossTerms:
    """A loss to backpropagate and its detached weighted parts (for logging)."""

    total: Tensor
    parts: dict[str, Tensor]


def _adv_real(logits: Tensor, kind: AdversarialLoss, *, for_generator: bool) -> Tensor:
    """Adversarial loss pushing ``logits`` towards 'real'."""
    if kind is AdversarialLoss.BCE:
        return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
    if kind is AdversarialLoss.LSGAN:
        return F.mse_loss(logits, torch.ones_like(logits))
    # hinge: D gets max(0, 1 - D(real)); G maximizes D(fake) without a margin
    if for_generator:
        return -logits.mean()
    return F.relu(1.0 - logits).mean()


def _adv_fake(logits: Tensor, kind: AdversarialLoss) -> Tensor:
    """Discriminator loss pushing ``logits`` towards 'fake'."""
    if kind is AdversarialLoss.BCE:
        return F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))
    if kind is AdversarialLoss.LSGAN:
        return F.mse_loss(logits, torch.zeros_like(logits))
    return F.relu(1.0 + logits).mean()


def total_variation(image: Tensor) -> Tensor:
    """Mean absolute difference between vertically and horizontally adjacent pixels."""
    dy = (image[..., 1:, :] - image[..., :-1, :]).abs().mean()
    dx = (image[..., :, 1:] - image[..., :, :-1]).abs().mean()
    return dx + dy


def _finish(terms: dict[str, Tensor]) -> LossTerms:
    total = torch.stack(list(terms.values())).sum()
    return LossTerms(total=total, parts={k: v.detach() for k, v in terms.items()})


def discriminator_loss(
    real_out: tuple[Tensor, Tensor],
    fake_out: tuple[Tensor, Tensor],
    style: Tensor,
    cfg: LossConfig,
) -> LossTerms:
    """D loss from D's outputs on (source, target) and on (source, fake.detach()).

    ``d_adv`` = real term + fake term (summed, as zi2zi); ``d_cat`` = category_weight *
    (CE(real) + CE(fake)) / 2, as zi2zi's ``category_loss / 2``.
    """
    # losses in float32 even under autocast: reductions in fp16/bf16 lose precision
    real_patch, real_style = (t.float() for t in real_out)
    fake_patch, fake_style = (t.float() for t in fake_out)
    adv = _adv_real(real_patch, cfg.adversarial, for_generator=False) + _adv_fake(
        fake_patch, cfg.adversarial
    )
    cat = 0.5 * (F.cross_entropy(real_style, style) + F.cross_entropy(fake_style, style))
    return _finish({"d_adv": adv, "d_cat": cfg.category_weight * cat})


def generator_loss(
    fake_out: tuple[Tensor, Tensor],
    fake: Tensor,
    target: Tensor,
    style: Tensor,
    fake_encoding: Tensor,
    source_encoding: Tensor,
    cfg: LossConfig,
) -> LossTerms:
    """G loss from D's output on (source, fake), the fake and target images, the style ids,
    and the bottleneck encodings of the fake (``Generator.encode(fake)``) and of the source
    (``forward(..., return_encoding=True)``). Gradients flow through both encodings, as in
    zi2zi; detach ``source_encoding`` before calling to hold the source side fixed.
    """
    fake_patch, fake_style = (t.float() for t in fake_out)
    fake, target = fake.float(), target.float()
    fake_encoding, source_encoding = fake_encoding.float(), source_encoding.float()
    terms = {
        "g_adv": _adv_real(fake_patch, cfg.adversarial, for_generator=True),
        "g_l1": cfg.l1_weight * F.l1_loss(fake, target),
        "g_const": cfg.const_weight * F.mse_loss(fake_encoding, source_encoding),
        "g_cat": cfg.category_weight * F.cross_entropy(fake_style, style),
        "g_tv": cfg.tv_weight * total_variation(fake),
    }
    return _finish(terms)
