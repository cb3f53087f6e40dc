"""Outputs appear under their final name only when complete."""

from __future__ import annotations

import stat

import pytest
from glyphrender.atomic import atomic_path, write_bytes_atomic
from glyphrender.errors import GlyphrenderError


def test_a_completed_write_is_renamed_and_readable_by_everyone(tmp_path):
    out = write_bytes_atomic(tmp_path / "report.json", b"{}\n")
    assert out.read_bytes() == b"{}\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_failed_write_leaves_nothing_and_keeps_the_old_file(tmp_path):
    final = tmp_path / "font.ttf"
    final.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(final) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("interrupted")
    assert final.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["font.ttf"]


def test_an_unwritable_place_is_one_clear_error(tmp_path):
    final = tmp_path / "no-such-dir" / "sheet.png"
    with pytest.raises(GlyphrenderError, match=r"sheet\.png: cannot write the preview here"):
        write_bytes_atomic(final, b"", "the preview")


def test_text_is_written_as_utf8_and_durable_writes_land_too(tmp_path):
    from glyphrender.atomic import write_text_atomic

    out = write_text_atomic(tmp_path / "config.toml", "name = '永'\n", durable=True)
    assert out.read_text(encoding="utf-8") == "name = '永'\n"
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]
