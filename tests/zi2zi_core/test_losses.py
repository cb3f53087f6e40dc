"""Losses: finite for every adversarial objective, parts named and summing to the total."""

from __future__ import annotations

import math

import pytest
import torch
from zi2zi_core.models.config import AdversarialLoss, LossConfig, ModelConfig
from zi2zi_core.models.losses import discriminator_loss, generator_loss, total_variation
from zi2zi_core.models.networks import build_discriminator, build_generator

D_PARTS = {"d_adv", "d_cat"}
G_PARTS = {"g_adv", "g_l1", "g_const", "g_cat", "g_tv"}


def outputs(patch: float, style_logits: list[list[float]]):
    return torch.full((2, 1, 3, 3), patch), torch.tensor(style_logits)


@pytest.mark.parametrize("adv", list(AdversarialLoss))
def test_losses_on_real_networks_are_finite_and_backprop(adv):
    torch.manual_seed(0)
    mcfg = ModelConfig(glyph_px=32, base_channels=4, d_base_channels=4, num_styles=3).resolve(2)
    G, D = build_generator(mcfg), build_discriminator(mcfg)
    cfg = LossConfig(adversarial=adv, tv_weight=0.5)
    source, target = torch.rand(2, 1, 32, 32) * 2 - 1, torch.rand(2, 1, 32, 32) * 2 - 1
    style = torch.tensor([0, 2])
    fake, enc = G(source, style, return_encoding=True)
    d = discriminator_loss(D(source, target), D(source, fake.detach()), style, cfg)
    g = generator_loss(D(source, fake), fake, target, style, G.encode(fake), enc, cfg)
    assert set(d.parts) == D_PARTS and set(g.parts) == G_PARTS
    for terms in (d, g):
        assert torch.isfinite(terms.total)
        assert all(torch.isfinite(v) and not v.requires_grad for v in terms.parts.values())
        assert terms.total.item() == pytest.approx(sum(v.item() for v in terms.parts.values()))
    g.total.backward()
    assert all(p.grad is not None for p in G.parameters())


def test_bce_values():
    cfg = LossConfig()
    style = torch.tensor([0, 1])
    even = [[0.0, 0.0], [0.0, 0.0]]
    d = discriminator_loss(outputs(0.0, even), outputs(0.0, even), style, cfg)
    assert d.parts["d_adv"].item() == pytest.approx(2 * math.log(2))  # real + fake, as zi2zi
    assert d.parts["d_cat"].item() == pytest.approx(math.log(2))  # mean of real and fake CE


def test_lsgan_and_hinge_values():
    style = torch.tensor([0, 1])
    even = [[0.0, 0.0], [0.0, 0.0]]
    ls = LossConfig(adversarial="lsgan", category_weight=0.0)
    d = discriminator_loss(outputs(1.0, even), outputs(0.0, even), style, ls)
    assert d.total.item() == 0.0  # perfect D
    hinge = LossConfig(adversarial="hinge", category_weight=0.0)
    d = discriminator_loss(outputs(2.0, even), outputs(-3.0, even), style, hinge)
    assert d.total.item() == 0.0  # both beyond the margin
    d = discriminator_loss(outputs(0.5, even), outputs(0.0, even), style, hinge)
    assert d.total.item() == pytest.approx(0.5 + 1.0)
    img = torch.zeros(2, 1, 4, 4)
    g = generator_loss(
        outputs(0.25, even), img, img, style, torch.ones(2, 5), torch.ones(2, 5), hinge
    )
    assert g.parts["g_adv"].item() == pytest.approx(-0.25)


def test_generator_terms_and_weights():
    style = torch.tensor([1, 0])
    right = [[-9.0, 9.0], [9.0, -9.0]]  # D's style head agrees with the labels
    fake = torch.zeros(2, 1, 4, 4)
    target = fake.clone()
    target[..., 0, 0] = 1.0  # L1 = 1/16
    enc_fake, enc_src = torch.zeros(2, 4), torch.full((2, 4), 2.0)  # MSE = 4
    cfg = LossConfig(l1_weight=100.0, const_weight=15.0, category_weight=1.0, tv_weight=3.0)
    g = generator_loss(outputs(0.0, right), fake, target, style, enc_fake, enc_src, cfg)
    assert g.parts["g_l1"].item() == pytest.approx(100 / 16)
    assert g.parts["g_const"].item() == pytest.approx(15 * 4)
    assert g.parts["g_cat"].item() < 1e-6
    assert g.parts["g_tv"].item() == 0.0  # a flat image has no variation
    zero = LossConfig(l1_weight=0, const_weight=0, category_weight=0, tv_weight=0)
    g = generator_loss(outputs(0.0, right), fake, target, style, enc_fake, enc_src, zero)
    assert g.total.item() == pytest.approx(math.log(2))  # only the adversarial term left


def test_total_variation_of_a_step():
    img = torch.zeros(1, 1, 4, 4)
    img[..., :, 2:] = 1.0  # one vertical edge: 4 of the 12 horizontal neighbour pairs differ
    assert total_variation(img).item() == pytest.approx(4 / 12)


def test_parts_are_float32_under_autocast():
    # the trainer runs losses inside autocast; hinge/TV means must not stay in bfloat16
    style = torch.tensor([0, 1])
    logits = torch.zeros(2, 2, dtype=torch.bfloat16)
    out = (torch.zeros(2, 1, 3, 3, dtype=torch.bfloat16), logits)
    img = torch.rand(2, 1, 4, 4).bfloat16()
    enc = torch.ones(2, 5, dtype=torch.bfloat16)
    cfg = LossConfig(adversarial="hinge", tv_weight=1.0)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        g = generator_loss(out, img, img, style, enc, enc, cfg)
        d = discriminator_loss(out, out, style, cfg)
    for terms in (g, d):
        assert terms.total.dtype == torch.float32
        assert all(v.dtype == torch.float32 for v in terms.parts.values())
