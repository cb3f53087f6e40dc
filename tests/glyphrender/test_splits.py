"""Split assignment: stable under charset growth, character-disjoint, roughly the fraction."""

from __future__ import annotations

from glyphrender.dataset.splits import plan_splits


def cps(plan_part):
    return {s.codepoint for s in plan_part}


def test_adding_characters_does_not_move_existing_ones():
    small = plan_splits([range(0x4E00, 0x5000)], [[]], seed=3, val_fraction=0.2)
    big = plan_splits([range(0x4E00, 0x6000)], [[]], seed=3, val_fraction=0.2)
    assert cps(small.val) == {c for c in cps(big.val) if c < 0x5000}
    assert cps(small.train) == {c for c in cps(big.train) if c < 0x5000}


def test_train_and_val_are_disjoint_and_the_fraction_is_roughly_right():
    plan = plan_splits([range(0x4E00, 0x4E00 + 5000)], [[]], seed=0, val_fraction=0.1)
    assert not cps(plan.train) & cps(plan.val)
    assert len(plan.train) + len(plan.val) == 5000
    assert 400 <= len(plan.val) <= 600


def test_a_character_is_in_val_for_every_style_or_none():
    shared = [range(0x4E00, 0x4F00), range(0x4E80, 0x5000)]
    plan = plan_splits(shared, [[], []], seed=1, val_fraction=0.3)
    assert not cps(plan.train) & cps(plan.val)
    both = set(range(0x4E80, 0x4F00))
    val_styles = {}
    for s in plan.val:
        val_styles.setdefault(s.codepoint, set()).add(s.style)
    assert all(val_styles[c] == {0, 1} for c in both if c in val_styles)


def test_seed_changes_the_split_and_missing_keeps_its_style():
    a = plan_splits([range(1000)], [[5000, 5001]], seed=0, val_fraction=0.5)
    b = plan_splits([range(1000)], [[5000, 5001]], seed=1, val_fraction=0.5)
    assert cps(a.val) != cps(b.val)
    assert [(s.codepoint, s.style) for s in a.missing] == [(5000, 0), (5001, 0)]
