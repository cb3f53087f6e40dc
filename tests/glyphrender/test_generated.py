"""Generated-glyph folders: write/read round trip, atomic replacement, clear refusals."""

from __future__ import annotations

import re

import h5py
import numpy as np
import pytest
from glyphrender.errors import DatasetError
from glyphrender.generated.folder import GLYPHS_NAME, GeneratedMeta, read_generated, write_generated
from glyphrender.rendering.transform import Transform
from PIL import Image


def _meta(glyph_px: int = 16) -> GeneratedMeta:
    return GeneratedMeta(
        style_id=0,
        style_name="Zen Maru Gothic Regular",
        glyph_px=glyph_px,
        placement="font",
        target_font_sha256="ab" * 32,
        target_font_path="fonts/ZenMaruGothic_400Regular.ttf",
        transform=Transform(scale=0.016, x_offset=0.0, y_offset=14.08),
        dataset_manifest_sha256="cd" * 32,
    )


def _images(n: int = 3, px: int = 16) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(n, px, px), dtype=np.uint8)


def test_round_trip_keeps_meta_images_and_codepoints(tmp_path):
    images = _images()
    out = write_generated(tmp_path / "gen" / "zen", images, [0x4E00, 0x20000, 0x41], _meta())
    meta, got, cps = read_generated(out)
    assert meta == _meta()
    np.testing.assert_array_equal(got, images)
    assert cps.dtype == np.uint32
    assert cps.tolist() == [0x4E00, 0x20000, 0x41]


def test_pngs_are_black_ink_on_white(tmp_path):
    images = _images()
    out = write_generated(tmp_path / "g", images, [0x4E00, 0x20000, 0x41], _meta())
    assert sorted(p.name for p in out.glob("*.png")) == ["U+0041.png", "U+20000.png", "U+4E00.png"]
    png = np.asarray(Image.open(out / "U+4E00.png"))
    np.testing.assert_array_equal(png, 255 - images[0])


def test_existing_folder_refused_then_replaced_with_force(tmp_path):
    out = tmp_path / "g"
    write_generated(out, _images(), [1, 2, 3], _meta())
    with pytest.raises(DatasetError, match="not empty"):
        write_generated(out, _images(1), [7], _meta())
    write_generated(out, _images(1), [7], _meta(), force=True)
    _, images, cps = read_generated(out)
    assert cps.tolist() == [7] and len(images) == 1
    assert sorted(p.name for p in out.iterdir()) == sorted([GLYPHS_NAME, "U+0007.png"])
    assert [p.name for p in tmp_path.iterdir()] == ["g"]  # no temp folders left behind


def test_force_replaces_only_the_generated_folders_own_files(tmp_path):
    # --out pointed at a folder holding other work (another run, notes): --force replaces the
    # glyphs, glyphs.h5 and the old review, and keeps everything else there.
    out = tmp_path / "g"
    write_generated(out, _images(), [1, 2, 3], _meta())
    (out / "decisions.json").write_text("{}", encoding="utf-8")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "checkpoints").mkdir()
    (out / "checkpoints" / "best.pt").write_bytes(b"weights")
    write_generated(out, _images(1), [7], _meta(), force=True)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [GLYPHS_NAME, "U+0007.png", "notes.txt", "checkpoints"]
    )
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (out / "checkpoints" / "best.pt").read_bytes() == b"weights"
    assert read_generated(out)[2].tolist() == [7]


def test_empty_existing_folder_is_fine(tmp_path):
    (tmp_path / "g").mkdir()
    write_generated(tmp_path / "g", _images(), [1, 2, 3], _meta())
    assert read_generated(tmp_path / "g")[2].tolist() == [1, 2, 3]


def test_write_refuses_wrong_size_and_duplicate_codepoints(tmp_path):
    with pytest.raises(DatasetError, match="glyph_px says 16x16"):
        write_generated(tmp_path / "a", _images(px=32), [1, 2, 3], _meta())
    with pytest.raises(DatasetError, match="not unique"):
        write_generated(tmp_path / "b", _images(), [1, 1, 3], _meta())
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_read_missing_folder_and_missing_h5(tmp_path):
    with pytest.raises(DatasetError, match="missing or not a directory"):
        read_generated(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match=f"no {GLYPHS_NAME}"):
        read_generated(tmp_path / "empty")


def test_read_names_bad_attributes_and_sizes(tmp_path):
    out = write_generated(tmp_path / "g", _images(), [1, 2, 3], _meta())
    with h5py.File(out / GLYPHS_NAME, "a") as f:
        f.attrs["glyph_px"] = 32
    with pytest.raises(DatasetError, match="glyph_px says 32x32"):
        read_generated(out)
    with h5py.File(out / GLYPHS_NAME, "a") as f:
        f.attrs["glyph_px"] = 16
        f.attrs["format_version"] = 99
    with pytest.raises(DatasetError, match="format version 99"):
        read_generated(out)
    with h5py.File(out / GLYPHS_NAME, "a") as f:
        f.attrs["format_version"] = 1
        del f.attrs["transform"]
    with pytest.raises(DatasetError, match="'transform'"):
        read_generated(out)
    (out / GLYPHS_NAME).write_bytes(b"not hdf5")
    with pytest.raises(DatasetError, match="unreadable HDF5"):
        read_generated(out)


def test_meta_validates():
    with pytest.raises(ValueError, match="placement"):
        GeneratedMeta(0, "x", 16, "middle", "", "", Transform(1, 0, 0), "")


def test_sources_are_stored_when_given(tmp_path):
    from glyphrender.generated.folder import read_sources

    images, sources = _images(), _images()[::-1].copy()
    out = write_generated(tmp_path / "g", images, [1, 2, 3], _meta(), sources=sources)
    np.testing.assert_array_equal(read_sources(out), sources)
    plain = write_generated(tmp_path / "h", images, [1, 2, 3], _meta())
    assert read_sources(plain) is None
    with pytest.raises(DatasetError, match="sources must be"):
        write_generated(tmp_path / "i", images, [1, 2, 3], _meta(), sources=sources[:2])


def test_load_glyphs_reads_back_edited_pngs_only(tmp_path):
    from glyphrender.generated.folder import load_glyphs

    images = _images()
    out = write_generated(tmp_path / "g", images, [0x41, 0x42, 0x43], _meta())
    untouched = load_glyphs(out)
    assert untouched.edited == () and untouched.missing_png == ()
    np.testing.assert_array_equal(untouched.images, images)
    edited = np.full((16, 16), 200, np.uint8)
    Image.fromarray(255 - edited, "L").save(out / "U+0042.png")  # re-encoded, new pixels
    Image.fromarray(255 - images[0], "L").save(out / "U+0041.png", compress_level=9)  # same pixels
    (out / "U+0043.png").unlink()
    loaded = load_glyphs(out)
    assert loaded.edited == (0x42,) and loaded.missing_png == (0x43,)
    np.testing.assert_array_equal(loaded.images[1], edited)
    np.testing.assert_array_equal(loaded.images[[0, 2]], images[[0, 2]])


def test_load_glyphs_without_stored_png_digests_compares_pixels(tmp_path):
    from glyphrender.generated.folder import load_glyphs

    images = _images()
    out = write_generated(tmp_path / "g", images, [0x41, 0x42, 0x43], _meta())
    with h5py.File(out / GLYPHS_NAME, "a") as f:
        del f["png_sha256"]  # a folder written before the digests were recorded
    Image.fromarray(np.zeros((16, 16), np.uint8), "L").save(out / "U+0043.png")
    loaded = load_glyphs(out)
    assert loaded.edited == (0x43,)
    assert (loaded.images[2] == 255).all()


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (Image.new("L", (17, 16), 255), "is 17x16 px; the glyphs of this folder are 16x16"),
        (Image.new("CMYK", (16, 16)), "image mode CMYK is not a greyscale or RGB picture"),
    ],
)
def test_an_edited_png_that_does_not_fit_is_refused_naming_it(tmp_path, image, message):
    from glyphrender.generated.folder import load_glyphs

    out = write_generated(tmp_path / "g", _images(), [0x41, 0x42, 0x43], _meta())
    path = out / "U+0042.png"
    image.save(path, format="TIFF" if image.mode == "CMYK" else "PNG")
    with pytest.raises(DatasetError, match=f"^{re.escape(str(path))}: {message}"):
        load_glyphs(out)


def test_transparent_pixels_of_an_edited_png_are_paper(tmp_path):
    from glyphrender.generated.folder import load_glyphs

    out = write_generated(tmp_path / "g", _images(), [0x41, 0x42, 0x43], _meta())
    rgba = Image.new("RGBA", (16, 16), (0, 0, 0, 0))  # transparent everywhere...
    rgba.putpixel((3, 4), (0, 0, 0, 255))  # ...but one black pixel
    rgba.save(out / "U+0041.png")
    coverage = load_glyphs(out).images[0]
    assert coverage[4, 3] == 255 and coverage.sum() == 255


def test_leftovers_of_a_killed_write_are_removed_and_reported(tmp_path):
    out = tmp_path / "gen" / "zen"
    stale = tmp_path / "gen" / ".zen.build-deadbeef"  # a killed generate's staging folder
    stale.mkdir(parents=True)
    (stale / "U+4E00.png").write_bytes(b"half")
    lines: list[str] = []
    write_generated(out, _images(), [0x4E00, 0x4E01, 0x4E02], _meta(), notify=lines.append)
    assert sorted(p.name for p in out.parent.iterdir()) == ["zen"]
    assert lines == [f"{stale}: removed, left by a run that did not finish"]


def test_source_font_per_glyph_round_trip_and_old_folders(tmp_path):
    from glyphrender.generated.folder import SourceOrigin, read_source_fonts

    fonts = (
        {"path": "fonts/NotoSansJP_400Regular.ttf", "face_index": 0, "sha256": "a", "name": "JP"},
        {"path": "fonts/NotoSansTC_400Regular.ttf", "face_index": 0, "sha256": "b", "name": "TC"},
    )
    origin = SourceOrigin(fonts, np.array([0, 1, 1], dtype=np.int16))
    out = write_generated(
        tmp_path / "new", _images(), [0x4E00, 0x4E01, 0x4E02], _meta(), origin=origin
    )
    got = read_source_fonts(out)
    assert got is not None and got.fonts == fonts
    assert got.font_ids.tolist() == [0, 1, 1] and got.counts() == [1, 2]
    assert read_generated(out)[2].tolist() == [0x4E00, 0x4E01, 0x4E02]  # the rest reads as ever

    old = write_generated(tmp_path / "old", _images(), [0x4E00, 0x4E01, 0x4E02], _meta())
    assert read_source_fonts(old) is None  # a folder that does not say still reads
    assert len(read_generated(old)[2]) == 3

    bad = SourceOrigin(fonts, np.array([0, 2, 1], dtype=np.int16))
    with pytest.raises(DatasetError, match=r"source font ids outside 0\.\.1"):
        write_generated(tmp_path / "bad", _images(), [1, 2, 3], _meta(), origin=bad)
    assert not (tmp_path / "bad").exists()
