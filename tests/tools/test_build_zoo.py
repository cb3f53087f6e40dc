"""scripts/build_zoo.py: the zoo's roles and one multi-style build from it (tiny fonts)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from fontfactory import make_font, standard_glyphs

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
SCRIPT = SCRIPTS / "build_zoo.py"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while decorating
    spec.loader.exec_module(module)
    return module


FETCH = _load("fetch_fonts")
ZOO = _load("build_zoo")


def run(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_held_out_fonts_never_reach_the_pretraining_set():
    assert "ZenMaruGothic_400Regular.ttf" in ZOO.HELD_OUT
    assert not set(ZOO.HELD_OUT) & set(ZOO.PRETRAIN_TARGETS)
    assert ZOO.SOURCE not in ZOO.PRETRAIN_TARGETS
    assert len(set(ZOO.PRETRAIN_TARGETS)) == len(ZOO.PRETRAIN_TARGETS)


def test_every_zoo_role_is_a_fetched_and_checksummed_file():
    fetched = {f.name for f in FETCH.FILES + FETCH.ZOO_FILES}
    for name in (ZOO.SOURCE, *ZOO.PRETRAIN_TARGETS, *ZOO.HELD_OUT):
        assert name in fetched, name
    sums = FETCH.read_sums(FETCH.DEFAULT_SUMS, FETCH.FILES + FETCH.ZOO_FILES)
    assert ZOO.SOURCE in sums


def test_dry_run_prints_one_build_with_every_target_in_style_order(tmp_path):
    proc = run("--dry-run", "--glyph-px", "48", "--fonts", tmp_path)
    assert proc.returncode == 0, proc.stderr
    argv = proc.stdout.split()
    assert argv[:4] == ["glyphrender", "build", "--src", str(tmp_path / ZOO.SOURCE)]
    dsts = [argv[i + 1] for i, a in enumerate(argv) if a == "--dst"]
    assert dsts == [str(tmp_path / n) for n in ZOO.PRETRAIN_TARGETS]
    assert argv[argv.index("--size") + 1] == "48"
    assert argv[argv.index("--out") + 1] == str(Path("data") / "zoo48")
    assert not list(tmp_path.iterdir()), "a dry run fetches nothing"


def test_builds_one_multi_style_dataset_from_tiny_fonts(tmp_path):
    """Tiny stand-ins under the zoo's file names: one dataset, a style per pretraining font."""
    fonts = tmp_path / "fonts"
    make_font(fonts / ZOO.SOURCE, standard_glyphs(12, 60), family="Src")
    for i, name in enumerate(ZOO.PRETRAIN_TARGETS):
        make_font(fonts / name, standard_glyphs(8 + i % 3, 70 + 5 * i), family=f"Zoo {i}")
    out = tmp_path / "zoo16"
    proc = run("--no-fetch", "--fonts", fonts, "--glyph-px", "16", "--out", out)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["glyph_px"] == 16
    targets = [f for f in manifest["fonts"] if f["role"] == "target"]
    assert [t["style_id"] for t in targets] == list(range(len(ZOO.PRETRAIN_TARGETS)))
    assert [Path(t["path"]).name for t in targets] == list(ZOO.PRETRAIN_TARGETS)
