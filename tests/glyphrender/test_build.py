"""glyphrender build as a library: schema, determinism, workers, render_for_dataset, safety."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
from fontfactory import make_font, standard_glyphs
from glyphrender.dataset.build import BuildConfig, build_dataset
from glyphrender.dataset.rerender import render_for_dataset
from glyphrender.dataset.shards import Dataset
from glyphrender.errors import DatasetError, FontError, GlyphrenderError
from glyphrender.fonts.loading import FontRef
from glyphrender.rendering.blend import mean_ink
from glyphrender.rendering.render import RenderOptions

PX = 32


@pytest.fixture
def fonts(font_factory):
    src, dst = font_factory.pair(src_count=40, dst_count=30)
    dst2 = make_font(
        font_factory.path("dst2.otf"), standard_glyphs(20, 140), flavor="otf", family="Dst Two"
    )
    return src, dst, dst2


def config(tmp_path, src, *dsts, name="ds", **kw):
    kw.setdefault("render", RenderOptions(glyph_px=PX))
    kw.setdefault("workers", 1)
    return BuildConfig(
        source=FontRef(src),
        targets=tuple(FontRef(d) for d in dsts),
        out=tmp_path / name,
        charset=("U+4E00-U+4EFF",),
        val_fraction=0.25,
        shard_size=7,
        **kw,
    )


def test_schema_counts_and_manifest(tmp_path, fonts):
    src, dst, _ = fonts
    result = build_dataset(config(tmp_path, src, dst))
    ds = Dataset.open(result.out)
    assert ds.count("train") + ds.count("val") == 30 and ds.count("missing") == 10
    m = ds.manifest.to_json()
    for key in (
        "schema_version",
        "tool",
        "created",
        "glyph_px",
        "render",
        "fonts",
        "charset",
        "split",
        "coverage",
        "splits",
        "compression",
    ):
        assert key in m
    assert m["render"]["placement"] == "font" and m["render"]["clipped"]["count"] == 0
    assert [f["role"] for f in m["fonts"]] == ["source", "target"]
    assert m["fonts"][1]["style_id"] == 0 and set(m["fonts"][0]["transform"]) == {
        "scale",
        "x_offset",
        "y_offset",
    }
    assert m["charset"] == {"spec": ["U+4E00-U+4EFF"], "count": 256}
    with h5py.File(result.out / m["splits"]["train"]["shards"][0]["file"]) as f:
        assert f["source"].dtype == np.uint8 and f["source"].chunks == (1, PX, PX)
        assert f["source"].compression == "gzip" and f["codepoint"].dtype == np.uint32
        assert f["style"].dtype == np.uint16 and f.attrs["split"] == "train"
        assert f.attrs["glyph_px"] == PX and f.attrs["schema_version"] == 1
    assert all(e["count"] <= 7 for s in m["splits"].values() for e in s["shards"])
    miss = ds.read_split("missing")
    assert miss.target is None and set(miss.codepoint) == set(range(0x4E00 + 30, 0x4E00 + 40))
    assert not ds.verify()


def test_same_inputs_give_identical_files_whatever_the_workers(tmp_path, fonts):
    src, dst, dst2 = fonts
    a = build_dataset(config(tmp_path, src, dst, dst2, name="a", workers=1))
    b = build_dataset(config(tmp_path, src, dst, dst2, name="b", workers=3))
    ma, mb = (json.loads((r.out / "manifest.json").read_text()) for r in (a, b))
    ma.pop("created"), mb.pop("created")
    assert ma == mb
    for split in ("train", "val", "missing"):
        for e in ma["splits"][split]["shards"]:
            assert (a.out / e["file"]).read_bytes() == (b.out / e["file"]).read_bytes()


def test_multi_style_dataset(tmp_path, fonts):
    src, dst, dst2 = fonts
    ds = Dataset.open(build_dataset(config(tmp_path, src, dst, dst2)).out)
    assert ds.num_styles == 2
    train, val = ds.read_split("train"), ds.read_split("val")
    assert set(train.style) == {0, 1}
    assert not set(train.codepoint) & set(val.codepoint)
    assert ds.count("train") + ds.count("val") == 30 + 20
    assert ds.count("missing") == 10 + 20


def test_render_for_dataset_matches_the_shards(tmp_path, fonts):
    src, dst, dst2 = fonts
    ds = Dataset.open(build_dataset(config(tmp_path, src, dst, dst2)).out)
    val = ds.read_split("val")
    assert len(val) > 0
    np.testing.assert_array_equal(render_for_dataset(ds, val.codepoint), val.source)
    for style in (0, 1):
        keep = val.style == style
        got = render_for_dataset(ds, val.codepoint[keep], role="target", style_id=style)
        np.testing.assert_array_equal(got, val.target[keep])
    miss = ds.read_split("missing")
    np.testing.assert_array_equal(render_for_dataset(ds, miss.codepoint), miss.source)


def test_render_for_dataset_refuses_changed_fonts_and_absent_glyphs(tmp_path, fonts):
    src, dst, _ = fonts
    ds = Dataset.open(build_dataset(config(tmp_path, src, dst)).out)
    with pytest.raises(FontError, match="U\\+4E1E"):
        render_for_dataset(ds, [0x4E00, 0x4E1E], role="target")  # dst draws only 30
    dst.write_bytes(dst.read_bytes() + b"\0")
    with pytest.raises(FontError, match="changed"):
        render_for_dataset(ds, [0x4E00], role="target")
    dst.unlink()
    with pytest.raises(FontError, match="no such font"):
        render_for_dataset(ds, [0x4E00], role="target")


def test_center_placement_and_clipping_are_recorded(tmp_path, font_factory):
    src = make_font(
        font_factory.path("wide.otf"),
        {0x4E00: [(-600, 0, 900, 500)], 0x4E01: [(100, 0, 500, 500)]},
        flavor="otf",
    )
    dst = make_font(
        font_factory.path("d.otf"),
        {0x4E00: [(100, 0, 500, 500)], 0x4E01: [(100, 0, 500, 500)]},
        flavor="otf",
    )
    result = build_dataset(config(tmp_path, src, dst, render=RenderOptions(PX, "center")))
    clipped = result.manifest.to_json()["render"]["clipped"]
    assert result.manifest.to_json()["render"]["placement"] == "center"
    assert clipped["count"] == 1 and clipped["glyphs"][0]["codepoint"] == "U+4E00"
    assert clipped["glyphs"][0]["role"] == "source" and clipped["glyphs"][0]["pixels_outside"] > 0


def test_existing_dataset_is_refused_without_force_and_other_files_kept(tmp_path, fonts):
    src, dst, _ = fonts
    out = tmp_path / "data"
    out.mkdir()
    (out / "README.md").write_text("keep me")
    build_dataset(config(tmp_path, src, dst, name="data"))
    assert (out / "README.md").read_text() == "keep me" and (out / "manifest.json").exists()
    with pytest.raises(DatasetError, match="--force"):
        build_dataset(config(tmp_path, src, dst, name="data"))
    result = build_dataset(config(tmp_path, src, dst, name="data", force=True, seed=5))
    assert Dataset.open(out).manifest.split_rule["seed"] == 5 and not Dataset.open(out).verify()
    assert (out / "README.md").exists() and result.out == out
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_failed_build_leaves_nothing(tmp_path, fonts, font_factory):
    src, _, _ = fonts
    with pytest.raises(FontError):
        build_dataset(config(tmp_path, src, font_factory.text_file()))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fonts"]


def test_force_killed_mid_publish_never_loses_the_old_dataset(tmp_path, fonts, monkeypatch):
    from glyphrender import atomic

    src, dst, _ = fonts
    out = tmp_path / "data"
    build_dataset(config(tmp_path, src, dst, name="data", seed=1))
    old_manifest = (out / "manifest.json").read_text()

    class Killed(BaseException):
        pass

    def die_after(step):
        if step == "aside":
            raise Killed  # the process dies between its two renames

    # The portable two-rename path: the one place where `out` is briefly absent.
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    monkeypatch.setattr(atomic, "_after_step", die_after)
    with pytest.raises(Killed):
        build_dataset(config(tmp_path, src, dst, name="data", seed=2, force=True))
    monkeypatch.setattr(atomic, "_after_step", None)
    assert not out.exists()
    with pytest.raises(DatasetError, match=r"left the previous dataset whole in .*\.data\.old-"):
        Dataset.open(out)
    notes = []
    with pytest.raises(DatasetError, match="--force"):  # restored first, then refused as usual
        build_dataset(config(tmp_path, src, dst, name="data", seed=3), notify=notes.append)
    assert (out / "manifest.json").read_text() == old_manifest and not Dataset.open(out).verify()
    assert len(notes) == 1 and "restored the previous folder" in notes[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "fonts"]


# --- a blended source (--blend) -------------------------------------------------------------


@pytest.fixture
def blend_fonts(font_factory, fonts):
    """Two more source designs: one draws every source character with thin strokes, the other
    only the first 12, with thick ones."""
    thin = make_font(font_factory.path("thin.ttf"), standard_glyphs(40, 30), family="Thin")
    part = make_font(font_factory.path("part.ttf"), standard_glyphs(12, 150), family="Part")
    return thin, part


def test_blended_source_is_the_mean_of_the_fonts_that_draw_each_character(
    tmp_path, fonts, blend_fonts
):
    src, dst, _ = fonts
    thin, part = blend_fonts
    plain = Dataset.open(build_dataset(config(tmp_path, src, dst, name="plain")).out)
    cfg = config(tmp_path, src, dst, name="blend", blend=(FontRef(thin), FontRef(part)))
    blended = Dataset.open(build_dataset(cfg).out)
    roles = [(f.role, f.family) for f in blended.manifest.fonts]
    assert roles == [
        ("source", "Src Sans"),
        ("blend", "Thin"),
        ("blend", "Part"),
        ("target", "Dst Round"),
    ]
    assert [f.family for f in blended.manifest.blend_fonts] == ["Thin", "Part"]
    alone = {
        name: Dataset.open(build_dataset(config(tmp_path, font, dst, name=name)).out)
        for name, font in (("thin", thin), ("part", part))
    }
    for split in ("train", "val", "missing"):
        want, got = plain.read_split(split), blended.read_split(split)
        # --src alone decides the characters and their split; the targets are untouched.
        np.testing.assert_array_equal(got.codepoint, want.codepoint)
        if split != "missing":
            np.testing.assert_array_equal(got.target, want.target)
        for i, cp in enumerate(got.codepoint.tolist()):
            images = [want.source[i].astype(float)]
            for name, data in alone.items():
                if cp < 0x4E00 + (40 if name == "thin" else 12):
                    images.append(render_for_dataset(data, [cp])[0].astype(float))
            assert len(images) == (3 if cp < 0x4E00 + 12 else 2)
            np.testing.assert_array_equal(got.source[i], np.rint(np.mean(images, axis=0)))
    assert not blended.verify()


def test_mean_ink_rounds_half_to_even_and_leaves_out_faces_that_do_not_draw():
    # (faces, characters, 1, 2): the third face does not draw the first character.
    glyphs = np.array(
        [[[[0, 1]], [[10, 20]]], [[[1, 2]], [[11, 21]]], [[[255, 255]], [[13, 24]]]], np.uint8
    )
    drawn = np.array([[True, True], [True, True], [False, True]])
    blended = mean_ink(glyphs, drawn)
    assert blended.dtype == np.uint8
    np.testing.assert_array_equal(blended, [[[0, 2]], [[11, 22]]])  # 0.5 -> 0, 1.5 -> 2
    np.testing.assert_array_equal(mean_ink(glyphs[:2, 0]), [[0, 2]])  # every face draws


def test_a_blended_dataset_renders_again_as_built(tmp_path, fonts, blend_fonts):
    src, dst, _ = fonts
    cfg = config(tmp_path, src, dst, blend=tuple(FontRef(f) for f in blend_fonts))
    ds = Dataset.open(build_dataset(cfg).out)
    for split in ("val", "missing"):
        batch = ds.read_split(split)
        np.testing.assert_array_equal(render_for_dataset(ds, batch.codepoint), batch.source)
    blend_fonts[1].write_bytes(blend_fonts[1].read_bytes() + b"\0")
    with pytest.raises(FontError, match="part.ttf: the font changed"):
        render_for_dataset(ds, [0x4E00])


def test_a_face_given_twice_among_src_and_blend_is_refused(tmp_path, fonts, blend_fonts):
    src, dst, _ = fonts
    for blend in ((src,), (blend_fonts[0], blend_fonts[0])):
        cfg = config(tmp_path, src, dst, blend=tuple(FontRef(f) for f in blend))
        with pytest.raises(GlyphrenderError, match="give each source design once"):
            build_dataset(cfg)
        assert not cfg.out.exists()
