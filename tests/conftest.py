"""Fixtures shared by all test packages: test fonts from `tests/fontfactory.py`."""

from __future__ import annotations

import pytest
from fontfactory import FontFactory


@pytest.fixture
def font_factory(tmp_path) -> FontFactory:
    """Makes small test fonts under this test's tmp_path (see tests/fontfactory.py)."""
    return FontFactory(tmp_path / "fonts")


@pytest.fixture
def ttf_font(font_factory):
    """A glyf TTF: 40 CJK glyphs (U+4E00..), an empty glyph, a .notdef mapping and copy."""
    return font_factory.standard("std.ttf", flavor="ttf")


@pytest.fixture
def otf_font(font_factory):
    """The same glyphs as `ttf_font` in a CFF-flavoured OTF."""
    return font_factory.standard("std.otf", flavor="otf")


@pytest.fixture
def small_disk(tmp_path):
    """``small_disk(size="2m", read_only=False)``: a fresh tmpfs mounted under tmp_path for
    this test (skipped where it cannot be mounted), unmounted at the end."""
    from contextlib import ExitStack

    from smalldisk import tmpfs

    with ExitStack() as stack:
        count = iter(range(100))

        def mount(size: str = "2m", read_only: bool = False):
            return stack.enter_context(tmpfs(tmp_path / f"disk{next(count)}", size, read_only))

        yield mount
