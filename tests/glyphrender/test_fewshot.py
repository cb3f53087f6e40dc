"""glyphrender.dataset.fewshot: the seeded rules that pick a few-shot training set."""

from __future__ import annotations

import hashlib

import pytest
from glyphrender.dataset.fewshot import (
    PICK_RULES,
    PickError,
    jis_level1_kanji,
    pick_record,
    pick_train_chars,
)
from glyphrender.errors import GlyphrenderError

BLOCK = range(0x4E00, 0x4E00 + 1000)


@pytest.mark.parametrize("rule", PICK_RULES)
@pytest.mark.parametrize("n", [1, 7, 100, 999])
def test_picks_exactly_n_distinct_train_characters_sorted(rule, n):
    train = list(BLOCK)[::-1]  # order of the input does not matter
    picked = pick_train_chars(train, n, seed=3, rule=rule)
    assert len(picked) == len(set(picked)) == n
    assert set(picked) <= set(BLOCK)
    assert list(picked) == sorted(picked)


@pytest.mark.parametrize("rule", PICK_RULES)
def test_n_at_or_above_the_train_size_takes_everything(rule):
    assert pick_train_chars(BLOCK, 1000, rule=rule) == tuple(BLOCK)
    assert pick_train_chars(BLOCK, 5000, rule=rule) == tuple(BLOCK)


def test_same_inputs_same_pick_and_the_seed_moves_it():
    a = pick_train_chars(BLOCK, 100, seed=0)
    assert a == pick_train_chars(list(BLOCK), 100, seed=0)
    assert pick_train_chars(BLOCK, 100, seed=1) != a


def test_pick_is_pinned_across_platforms_and_versions():
    """Recorded picks must stay reproducible: the offset is sha256-derived, not ``random``."""
    assert pick_train_chars(range(0x4E00, 0x4E0A), 3, seed=0) == (0x4E03, 0x4E06, 0x4E09)
    assert pick_train_chars(range(0x4E00, 0x4E0A), 3, seed=1) == (0x4E00, 0x4E04, 0x4E07)


def test_spread_leaves_no_stretch_of_the_radical_order_unpicked():
    """Every run of len/n consecutive code points (radical then stroke order) holds one pick."""
    picked = pick_train_chars(BLOCK, 50, seed=11, rule="spread")
    step = len(BLOCK) // 50
    for k in range(50):
        window = set(range(BLOCK[0] + k * step, BLOCK[0] + (k + 1) * step))
        assert len(window & set(picked)) == 1


def test_jis_level1_is_the_2965_everyday_kanji():
    level1 = jis_level1_kanji()
    assert len(level1) == 2965
    assert {ord("亜"), ord("腕"), ord("日"), ord("本")} <= level1
    assert ord("弌") not in level1  # the first level-2 kanji


def test_common_prefers_level1_then_fills_from_the_rest():
    level1 = jis_level1_kanji()
    train = list(BLOCK)
    common = [cp for cp in train if cp in level1]
    assert 0 < len(common) < 900
    few = pick_train_chars(train, len(common) // 2, seed=0, rule="common")
    assert set(few) <= level1
    many = pick_train_chars(train, len(common) + 40, seed=0, rule="common")
    assert set(common) <= set(many) and len(set(many) - level1) == 40


@pytest.mark.parametrize(
    ("train", "n", "rule", "message"),
    [
        (BLOCK, 10, "frequency", "unknown pick rule 'frequency'"),
        (BLOCK, 0, "spread", "at least 1, got 0"),
        ([], 10, "spread", "no train characters"),
    ],
)
def test_bad_requests_raise_one_clear_error(train, n, rule, message):
    with pytest.raises(PickError, match=message) as info:
        pick_train_chars(train, n, rule=rule)
    assert isinstance(info.value, GlyphrenderError)


def test_record_names_the_rule_and_the_characters():
    picked = pick_train_chars(BLOCK, 3, seed=2)
    record = pick_record(picked, 3, 2, "spread")
    assert record["rule"] == "spread" and record["n"] == 3 and record["seed"] == 2
    assert record["codepoints"] == [f"U+{cp:04X}" for cp in picked]
    text = "".join(map(chr, picked)).encode()
    assert record["sha256"] == hashlib.sha256(text).hexdigest()
