"""Generator and discriminator: every norm x spectral choice builds, runs, and has exactly the
requested layers where the norm rules say, and nowhere else."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize
from zi2zi_core.errors import ConfigError
from zi2zi_core.models.config import ModelConfig, NormKind, SpectralMode
from zi2zi_core.models.networks import SelfAttention, build_discriminator, build_generator
from zi2zi_core.models.networks.generator import ResizeTo

NORMS = [NormKind.BATCH, NormKind.INSTANCE, NormKind.GROUP, NormKind.LAYER, NormKind.NONE]
SPECTRALS = [SpectralMode.OFF, SpectralMode.ALL, SpectralMode.DEEP]
PAIRS = list(itertools.product(NORMS, SPECTRALS))  # 15 (norm, spectral) combinations
# U-Net levels (stride-2 convs down to 1x1), counted by hand: 32->16,8,4,2,1; 96->48,...,3,1
LEVELS = {32: 5, 64: 6, 96: 6}
ATTENTION = {32: (), 64: (16, 8), 96: (12,)}
PATCH = {32: 2, 64: 6, 96: 10}  # /8, then two 4x4 stride-1 convs each take one pixel
D_LAYERS = 3
NORM_TYPES = (nn.BatchNorm2d, nn.InstanceNorm2d, nn.GroupNorm, nn.LayerNorm)
CONV_TYPES = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models gain nothing from intra-op threads, and on a loaded 2-core machine the
    thread hand-offs stall (85 s for this file with 2 threads vs 8 s with 1, measured)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny(px: int, **kw) -> ModelConfig:
    base = dict(glyph_px=px, base_channels=4, d_base_channels=4, num_styles=3, style_dim=8)
    base.update(kw)
    return ModelConfig(**base)


def is_kind(m: nn.Module, kind: NormKind) -> bool:
    """Whether ``m`` is the norm layer ``kind`` asks for (layer norm = GroupNorm(1, C))."""
    if kind is NormKind.BATCH:
        return type(m) is nn.BatchNorm2d
    if kind is NormKind.INSTANCE:
        return type(m) is nn.InstanceNorm2d and m.affine
    if kind is NormKind.GROUP:
        return type(m) is nn.GroupNorm and m.num_groups > 1
    if kind is NormKind.LAYER:
        return type(m) is nn.GroupNorm and m.num_groups == 1
    return False


def norms_in(module: nn.Module) -> list[nn.Module]:
    return [m for m in module.modules() if isinstance(m, NORM_TYPES)]


def spectral_in(module: nn.Module) -> list[nn.Module]:
    return [m for m in module.modules() if parametrize.is_parametrized(m, "weight")]


def check_bias_rule(net: nn.Module) -> None:
    """A conv has a bias exactly when no norm follows it in its Sequential."""
    for seq in net.modules():
        if not isinstance(seq, nn.Sequential):
            continue
        mods = [m for m in seq if not isinstance(m, ResizeTo)]
        for i, m in enumerate(mods):
            if isinstance(m, CONV_TYPES):
                normed = i + 1 < len(mods) and isinstance(mods[i + 1], NORM_TYPES)
                assert (m.bias is None) == normed, f"bias rule broken at {m}"


def matrix():
    """Each size x each of the 15 (norm, spectral) pairs for G; D gets a shifted pairing so
    that D too sees all 15 combinations at every size, in 45 cases rather than 675."""
    for px in LEVELS:
        for k, (gn, gs) in enumerate(PAIRS):
            dn, ds = PAIRS[(k + 7) % len(PAIRS)]
            yield pytest.param(
                px, gn, gs, dn, ds, id=f"{px}-G{gn.value}-{gs.value}-D{dn.value}-{ds.value}"
            )


@pytest.mark.parametrize("px,g_norm,g_spectral,d_norm,d_spectral", list(matrix()))
def test_norm_matrix(px, g_norm, g_spectral, d_norm, d_spectral):
    torch.manual_seed(0)
    cfg = tiny(
        px,
        attention_resolutions=ATTENTION[px],
        g_norm=g_norm,
        g_spectral=g_spectral,
        d_norm=d_norm,
        d_spectral=d_spectral,
    )
    G, D = build_generator(cfg), build_discriminator(cfg)
    levels, n_att = LEVELS[px], len(ATTENTION[px])

    # generator norms: encoder levels 1..L-2 (not the first, not the 1x1 bottleneck) and
    # decoder levels 1..L-1 (not the tanh output)
    g_norms = norms_in(G)
    expected = 0 if g_norm is NormKind.NONE else (levels - 2) + (levels - 1)
    assert len(g_norms) == expected
    assert all(is_kind(m, g_norm) for m in g_norms)
    assert norms_in(G.blocks[0].down) == []  # first encoder conv
    assert norms_in(G.blocks[-1].down) == []  # 1x1 bottleneck
    assert norms_in(G.blocks[0].up) == []  # output layer
    check_bias_rule(G)

    # generator spectral norm: 2 convs per level + 3 per attention block; deep skips 2
    first, last = G.blocks[0].down[0], G.blocks[0].up[1]
    n_sn = {
        SpectralMode.OFF: 0,
        SpectralMode.ALL: 2 * levels + 3 * n_att,
        SpectralMode.DEEP: 2 * levels - 2 + 3 * n_att,
    }[g_spectral]
    assert len(spectral_in(G)) == n_sn
    edge_sn = g_spectral is SpectralMode.ALL
    assert parametrize.is_parametrized(first, "weight") == edge_sn
    assert parametrize.is_parametrized(last, "weight") == edge_sn
    assert sum(isinstance(m, SelfAttention) for m in G.modules()) == n_att

    # discriminator norms: the D_LAYERS inner convs (not the first, not the patch conv)
    d_norms = norms_in(D)
    assert len(d_norms) == (0 if d_norm is NormKind.NONE else D_LAYERS)
    assert all(is_kind(m, d_norm) for m in d_norms)
    assert not isinstance(D.trunk[1], NORM_TYPES)
    check_bias_rule(D)
    n_sn = {SpectralMode.OFF: 0, SpectralMode.ALL: D_LAYERS + 3, SpectralMode.DEEP: D_LAYERS}
    assert len(spectral_in(D)) == n_sn[d_spectral]
    for head in (D.trunk[0], D.patch_head, D.style_head):
        assert parametrize.is_parametrized(head, "weight") == (d_spectral is SpectralMode.ALL)

    # forward and backward through both, batch 2, training mode
    source = torch.rand(2, 1, px, px) * 2 - 1
    style = torch.tensor([0, 2])
    fake, enc = G(source, style, return_encoding=True)
    assert fake.shape == (2, 1, px, px)
    assert fake.abs().max() <= 1
    assert enc.shape == (2, cfg.encoding_dim)
    patch, logits = D(source, fake)
    assert patch.shape == (2, 1, PATCH[px], PATCH[px])
    assert logits.shape == (2, 3)
    (patch.mean() + logits.mean() + G.encode(fake).mean()).backward()
    for net in (G, D):
        for name, p in net.named_parameters():
            assert p.grad is not None and torch.isfinite(p.grad).all(), name


@pytest.mark.parametrize("norm", NORMS)
def test_batch_of_one_trains_with_every_norm(norm):
    # why no norm sits on a 1x1 map: batch norm and instance norm raise there at batch 1
    cfg = tiny(32, g_norm=norm, d_norm=norm, g_spectral="deep", d_spectral="off")
    G, D = build_generator(cfg).train(), build_discriminator(cfg).train()
    source = torch.rand(1, 1, 32, 32) * 2 - 1
    fake = G(source, torch.tensor([1]))
    patch, logits = D(source, fake)
    (patch.mean() + logits.sum()).backward()
    assert torch.isfinite(fake).all()


def test_non_power_of_two_resizes_only_where_sizes_differ():
    # 96: 48 24 12 6 3 1 -> the 1x1 bottleneck upsamples to 2, the skip is 3x3
    g96 = build_generator(tiny(96).resolve(2))
    assert [m.size for m in g96.modules() if isinstance(m, ResizeTo)] == [3]
    g64 = build_generator(tiny(64).resolve(2))
    assert not any(isinstance(m, ResizeTo) for m in g64.modules())


def test_dropout_in_the_three_inner_decoder_blocks_only():
    g = build_generator(tiny(64, dropout=0.3).resolve(2))
    with_dropout = [
        i for i, b in enumerate(g.blocks) if any(isinstance(m, nn.Dropout) for m in b.up)
    ]
    assert with_dropout == [3, 4, 5]
    assert all(m.p == 0.3 for m in g.modules() if isinstance(m, nn.Dropout))
    g0 = build_generator(tiny(64, dropout=0.0).resolve(2))
    assert not any(isinstance(m, nn.Dropout) for m in g0.modules())


def test_channels_follow_base_and_cap_at_8x():
    g = build_generator(tiny(256, base_channels=2).resolve(2))
    outs = [b.down[-2].out_channels for b in g.blocks]
    assert outs == [2, 4, 8, 16, 16, 16, 16, 16]


def test_style_changes_output_and_encoding_ignores_style():
    torch.manual_seed(0)
    G = build_generator(tiny(32).resolve(2)).eval()
    source = torch.rand(2, 1, 32, 32) * 2 - 1
    with torch.no_grad():
        a, enc_a = G(source, torch.tensor([0, 0]), return_encoding=True)
        b, enc_b = G(source, torch.tensor([1, 2]), return_encoding=True)
        assert not torch.allclose(a, b)
        assert torch.equal(enc_a, enc_b)
        assert torch.allclose(G.encode(source), enc_a)


def test_attention_starts_as_identity_and_gamma_opens_it():
    from zi2zi_core.models.norms import LayerFactory

    att = SelfAttention(16, LayerFactory(NormKind.NONE, SpectralMode.OFF))
    x = torch.randn(2, 16, 4, 4)
    assert torch.equal(att(x), x)
    with torch.no_grad():
        att.gamma.fill_(1.0)
    assert not torch.allclose(att(x), x)


def test_unresolved_config_is_rejected():
    with pytest.raises(ConfigError, match="resolve"):
        build_generator(tiny(32))
    with pytest.raises(ConfigError, match="resolve"):
        build_discriminator(tiny(32, g_norm="batch", g_spectral="off"))


def test_wrong_input_size_is_a_clear_error():
    G = build_generator(tiny(32).resolve(2))
    with pytest.raises(ConfigError, match="32, 32"):
        G(torch.zeros(1, 1, 64, 64), torch.tensor([0]))


def test_default_256_parameter_count_on_meta_device():
    cfg = ModelConfig().resolve(16)
    with torch.device("meta"):
        G, D = build_generator(cfg), build_discriminator(cfg)
    g, d = G.parameter_counts(), D.parameter_counts()
    # Counted by hand (auto at batch 16: G batch norm, no spectral norm; D no norm layer).
    # Channels 64 128 256 512 512 512 512 512; every conv is 4x4 (16 taps).
    # encoder: 1*64*16 + 64 (bias, no norm on the first conv)
    #   + sum over levels 1..6 of c_in*c_out*16 + 2*c_out (batch norm scale/shift, no bias)
    #   + 512*512*16 + 512 (1x1 bottleneck: no norm, so a bias)          = 19,536,192
    # decoder: (512 + 128 style)*512*16 + 2*512
    #   + sum over levels 6..1 of 2*c*c_out*16 + 2*c_out + 128*1*16 + 1 = 35,920,769
    # embedding: 1 style x 128                                           =        128
    # That is pix2pix's unet_256 (~54.4 M) + 1,048,576 for the style channels of the
    # innermost transposed conv + two biases.
    # D: weights 2*64*16 + 64*128*16 + 128*256*16 + 256*512*16 + 512*1*16 = 2,762,752,
    #   biases 64+128+256+512+1 = 961, style head 512*1 + 1 = 513      =  2,764,226
    assert g["total"] == 55_457_089
    assert 50e6 < g["total"] < 66e6
    assert g["total"] == g["encoder"] + g["attention"] + g["decoder"] + g["embedding"]
    assert g["embedding"] == 128
    assert d["total"] == 2_764_226
    assert d["total"] == d["trunk"] + d["patch_head"] + d["style_head"]
    # self-attention at 32 and 16: q,k (C -> C/8) and v (C -> C) 1x1 convs with bias, + gamma
    att = ModelConfig(attention_resolutions=(32, 16)).resolve(16)
    with torch.device("meta"):
        ga = build_generator(att).parameter_counts()

    def sagan(c: int) -> int:
        return 2 * (c * (c // 8) + c // 8) + c * c + c + 1

    assert ga["attention"] == sagan(256) + sagan(512)
    assert ga["total"] == g["total"] + ga["attention"]
