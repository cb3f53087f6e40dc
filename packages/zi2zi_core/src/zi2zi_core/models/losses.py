"""zi2zi losses for the discriminator and the generator, with the terms reported separately.

Every entry of ``LossTerms.parts`` is the *weighted* term as it enters ``total`` (detached),
so ``total == sum(parts.values())``. Part names:

* D: ``d_adv`` (adversarial, real + fake), ``d_cat`` (style cross-entropy on real and fake,
  averaged, times ``category_weight``).
* G: ``g_adv``, ``g_l1`` (L1 to the target), ``g_const`` (MSE between the bottleneck encodings
  of the source and of the generated image), ``g_cat`` (style cross-entropy on the fake),
  ``g_tv`` (total variation of the generated image); with ``fm_weight > 0`` also ``g_fm``
  (feature matching). With ``edge_weight > 0``, ``g_l1`` is the edge-weighted L1
  (:mod:`zi2zi_core.models.edge_weights`); for a distance generator it compares distance maps
  (:mod:`zi2zi_core.models.distance`), not ink.

D's patch logits are one map or, for a multi-scale D, a tuple of maps: the adversarial terms
are the mean over the scales (so the weights keep their meaning when scales are added).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zi2zi_core.errors import ConfigError
from zi2zi_core.models.config import AdversarialLoss, LossConfig
from zi2zi_core.models.edge_weights import edge_weighted_l1

PatchLogits = Tensor | tuple[Tensor, ...]


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


def _scales(patch: PatchLogits) -> tuple[Tensor, ...]:
    """The patch logits of every scale, as float32 (losses in float32 even under autocast:
    reductions in fp16/bf16 lose precision)."""
    maps = patch if isinstance(patch, (tuple, list)) else (patch,)
    return tuple(m.float() for m in maps)


def _mean(values: list[Tensor]) -> Tensor:
    return values[0] if len(values) == 1 else torch.stack(values).mean()


def feature_matching(fake_feats: tuple[Tensor, ...], real_feats: tuple[Tensor, ...]) -> Tensor:
    """pix2pixHD's feature matching: mean over D's layers (all scales) of the L1 between the
    features of the generated pair and the (detached) features of the real pair."""
    pairs = zip(fake_feats, real_feats, strict=True)
    return _mean([F.l1_loss(f.float(), r.detach().float()) for f, r in pairs])


def discriminator_views(
    d_net: nn.Module, source: Tensor, fake: Tensor, target: Tensor, cfg: LossConfig
) -> tuple[tuple, tuple[Tensor, ...] | None]:
    """What the G loss needs from D: its output on (source, fake) and, when feature matching is
    on, its features of (source, target) without gradient (None otherwise)."""
    if cfg.fm_weight == 0:
        return d_net(source, fake), None
    with torch.no_grad():
        real_feats = d_net(source, target, features=True)[2]
    return d_net(source, fake, features=True), real_feats


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
    real_style, fake_style = real_out[1].float(), fake_out[1].float()
    real_adv = [_adv_real(p, cfg.adversarial, for_generator=False) for p in _scales(real_out[0])]
    adv = _mean(real_adv) + _mean([_adv_fake(p, cfg.adversarial) for p in _scales(fake_out[0])])
    cat = 0.5 * (F.cross_entropy(real_style, style) + F.cross_entropy(fake_style, style))
    return _finish({"d_adv": adv, "d_cat": cfg.category_weight * cat})


def generator_loss(
    fake_out: tuple,
    fake: Tensor,
    target: Tensor,
    style: Tensor,
    fake_encoding: Tensor,
    source_encoding: Tensor,
    cfg: LossConfig,
    real_feats: tuple[Tensor, ...] | None = None,
    distance: tuple[Tensor, Tensor] | None = None,
) -> LossTerms:
    """G loss from D's output on (source, fake), the fake and target images, the style ids,
    and the bottleneck encodings of the fake (``Generator.encode(fake)``) and of the source
    (``forward(..., return_encoding=True)``). Gradients flow through both encodings, as in
    zi2zi; detach ``source_encoding`` before calling to hold the source side fixed.
    With ``cfg.fm_weight > 0``, ``fake_out`` carries D's features and ``real_feats`` holds
    those of the real pair (both from :func:`discriminator_views`). ``distance``: a distance
    generator's map and the target's (:func:`~zi2zi_core.models.distance.target_distance`),
    which the L1 compares instead of the images.
    """
    fake_style = fake_out[1].float()
    fake, target = fake.float(), target.float()
    fake_encoding, source_encoding = fake_encoding.float(), source_encoding.float()
    drawn, wanted = (fake, target) if distance is None else (d.float() for d in distance)
    if cfg.edge_weight > 0:  # the weights come from the sign of ``wanted``: ink > 0 in both
        l1 = edge_weighted_l1(drawn, wanted, cfg.edge_radius, cfg.edge_weight)
    else:
        l1 = F.l1_loss(drawn, wanted)
    adv = [_adv_real(p, cfg.adversarial, for_generator=True) for p in _scales(fake_out[0])]
    terms = {
        "g_adv": _mean(adv),
        "g_l1": cfg.l1_weight * l1,
        "g_const": cfg.const_weight * F.mse_loss(fake_encoding, source_encoding),
        "g_cat": cfg.category_weight * F.cross_entropy(fake_style, style),
        "g_tv": cfg.tv_weight * total_variation(fake),
    }
    if cfg.fm_weight > 0:
        if real_feats is None or len(fake_out) < 3:
            raise ConfigError("fm_weight > 0 needs D's features: use discriminator_views")
        terms["g_fm"] = cfg.fm_weight * feature_matching(fake_out[2], real_feats)
    return _finish(terms)
