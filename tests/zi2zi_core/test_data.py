"""The data path: scaling, samplers (resident and streaming), augmentation."""

from __future__ import annotations

import torch
from glyphrender.dataset.shards import Dataset
from zi2zi_core.models.imaging import from_model, to_model, to_unit, unit_from_coverage
from zi2zi_core.training.data import (
    Augmenter,
    ResidentSampler,
    StreamingSampler,
    UintBatch,
    load_val,
    open_train_sampler,
)

CPU = torch.device("cpu")


def test_scaling_paper_is_minus_one_ink_plus_one_and_round_trips():
    u8 = torch.arange(256, dtype=torch.uint8)
    x = to_model(u8)
    assert x[0] == -1.0 and x[255] == 1.0 and x.dtype == torch.float32
    assert torch.equal(from_model(x), u8)
    assert torch.allclose(to_unit(x), u8.float() / 255)
    assert torch.equal(unit_from_coverage(u8), to_unit(x))
    assert from_model(torch.tensor([-3.0, 3.0])).tolist() == [0, 255]


def _codes(sampler, dataset, steps):
    # Identify samples by content: (source bytes, style) -> consistent across samplers.
    out = []
    for step in range(steps):
        b = sampler.batch(step)
        out += [
            bytes(s.flatten().tolist()) + bytes([int(k)])
            for s, k in zip(b.source, b.style, strict=True)
        ]
    return out


def test_resident_epoch_visits_every_sample_once_and_is_a_function_of_seed_and_step(tiny_dataset):
    ds = Dataset.open(tiny_dataset)
    sampler = ResidentSampler(ds, CPU, batch_size=16, seed=3)
    epoch = _codes(sampler, ds, 4)  # 64 samples = one epoch
    train = ds.read_split("train")
    expected = sorted(
        bytes(s.flatten().tolist()) + bytes([int(k)])
        for s, k in zip(train.source, train.style, strict=True)
    )
    assert sorted(epoch) == expected
    again = ResidentSampler(ds, CPU, batch_size=16, seed=3)
    assert torch.equal(again.batch(7).source, sampler.batch(7).source)
    other_rank = ResidentSampler(ds, CPU, batch_size=16, seed=3, rank=1)
    assert not torch.equal(other_rank.batch(0).source, sampler.batch(0).source)
    # a batch straddling two epochs still has the batch size
    odd = ResidentSampler(ds, CPU, batch_size=24, seed=3)
    assert odd.batch(2).source.shape == (24, 16, 16)


def test_pairs_stay_aligned(tiny_dataset):
    from conftest import dilate

    ds = Dataset.open(tiny_dataset)
    for sampler in (
        ResidentSampler(ds, CPU, 8, seed=1),
        open_train_sampler(ds, CPU, 8, seed=1, memory_budget=1),
    ):
        b = sampler.batch(5)
        assert torch.equal(b.target, torch.from_numpy(dilate(b.source.numpy(), 1)))
        sampler.close()


def test_tiny_budget_streams_every_sample_once_per_epoch_and_resumes_exactly(tiny_dataset):
    ds = Dataset.open(tiny_dataset)
    sampler = open_train_sampler(ds, CPU, batch_size=16, seed=5, memory_budget=1000)
    assert isinstance(sampler, StreamingSampler)
    try:
        first = _codes(sampler, ds, 8)  # two epochs over 3 shards (24 + 24 + 16)
        assert sorted(first[:64]) == sorted(first[64:]) and len(set(first[:64])) == 64
        assert first[:64] != first[64:]  # epochs are reshuffled
        resumed = StreamingSampler(ds, CPU, batch_size=16, seed=5)
        assert _codes_from(resumed, 5, 8) == first[5 * 16 :]
        resumed.close()
    finally:
        sampler.close()
    big = open_train_sampler(ds, CPU, batch_size=16, seed=5, memory_budget=1 << 30)
    assert isinstance(big, ResidentSampler)


def _codes_from(sampler, start, stop):
    out = []
    for step in range(start, stop):
        b = sampler.batch(step)
        out += [
            bytes(s.flatten().tolist()) + bytes([int(k)])
            for s, k in zip(b.source, b.style, strict=True)
        ]
    return out


def test_augmentation_is_identical_for_source_and_target_and_seeded():
    g = torch.Generator().manual_seed(0)
    u8 = (torch.rand((4, 16, 16), generator=g) > 0.7).to(torch.uint8) * 255
    batch = UintBatch(u8, u8.clone(), torch.zeros(4, dtype=torch.long))
    aug = Augmenter(CPU, max_scale=0.12, enabled=True, seed=0)
    src, tgt = aug(batch, step=3)
    assert src.shape == (4, 1, 16, 16) and torch.equal(src, tgt)
    assert src.min() >= -1 and src.max() <= 1
    assert not torch.equal(src, to_model(u8).unsqueeze(1))  # it did scale
    assert torch.equal(aug(batch, step=3)[0], src)
    assert not torch.equal(aug(batch, step=4)[0], src)
    plain = Augmenter(CPU, max_scale=0.12, enabled=False, seed=0)
    assert torch.equal(plain(batch, step=3)[0], to_model(u8).unsqueeze(1))


def test_val_thinning_keeps_pairs(tiny_dataset):
    ds = Dataset.open(tiny_dataset)
    full = load_val(ds, 0, pin=False)
    thin = load_val(ds, 5, pin=False)
    assert len(full) == 16 and len(thin) == 5
    assert torch.equal(thin.source[0], full.source[0]) and torch.equal(
        thin.source[-1], full.source[-1]
    )
    sizes = [len(b.style) for b in full.batches(6, CPU)]
    assert sizes == [6, 6, 4]
