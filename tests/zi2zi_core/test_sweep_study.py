"""The study sections of the sweep report: seed spread from repeated runs, claims (given as a
TOML file, e.g. the normalization study's) called real only above it, and the comparison with
another study (read from its report.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from zi2zi_core.cli import main
from zi2zi_core.sweep.claims import load_claims
from zi2zi_core.sweep.grid import SweepError
from zi2zi_core.sweep.report import build_report
from zi2zi_core.sweep.study import load_study, runs_from_report_md, seed_spread, threshold_of

# The background notes' claims live with the normalization study, not in the library.
CLAIMS = Path(__file__).resolve().parents[2] / "studies" / "normalization-gpu" / "claims.toml"


def _run(out: Path, g: str, d: str, batch: int, l1: float, iou: float = 0.5) -> None:
    """A finished run directory with one validation (the report reads only these files)."""
    tokens = {
        "batch": ("batch", "off"),
        "instance": ("instance", "off"),
        "none": ("none", "off"),
        "spectral": ("none", "all"),
    }
    run = out / "runs" / f"g-{g}_d-{d}_b{batch}"
    run.mkdir(parents=True)
    (gn, gs), (dn, ds) = tokens[g], tokens[d]
    model = {"g_norm": gn, "g_spectral": gs, "d_norm": dn, "d_spectral": ds}
    config = {"model": model, "loss": {}, "train": {"batch_size": batch, "steps": 10}}
    (run / "config.json").write_text(json.dumps(config))
    records = [
        {"kind": "baseline", "step": 0, "val_l1": 0.2, "val_ssim": 0.5, "val_iou": 0.4},
        {"kind": "train", "step": 10, "d_adv": 1.0, "images_per_s": 10.0},
        {"kind": "val", "step": 10, "val_l1": l1, "val_ssim": 0.6, "val_iou": iou},
    ]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


def _study(out: Path, shift: float) -> None:
    """G batch / instance / none against D spectral at batch 4 and 16."""
    for batch, values in ((4, (0.110, 0.112, 0.150)), (16, (0.100, 0.108, 0.140))):
        for g, v in zip(("batch", "instance", "none"), values, strict=True):
            _run(out, g, "spectral", batch, v + (shift if g == "batch" else 0.0))


def test_claims_are_called_real_only_above_the_seed_spread(tmp_path: Path) -> None:
    _study(tmp_path / "s0", 0.0)
    _study(tmp_path / "s1", 0.003)  # G batch moves by 0.003 with the other seed
    summary = build_report(tmp_path / "s0", repeats=[tmp_path / "s1"], claims=CLAIMS)
    spread = summary["study"]["seed_spread"]
    assert spread["by_batch"]["val_l1"] == {"4": pytest.approx(0.003), "16": pytest.approx(0.003)}
    assert threshold_of(spread, "val_l1", 64) == pytest.approx(0.003)  # unrepeated: the max
    claims = {c["key"]: c for c in summary["study"]["claims"]}
    # batch vs instance: 0.002 at batch 4 (noise), 0.008 at batch 16 (real, for the claim)
    at16 = claims["g_batch_at_16"]
    assert (at16["for"], at16["against"], at16["verdict"]) == (1, 0, "supported")
    small = claims["g_batch_small"]  # instance vs batch at 4: 0.002 < 0.003
    assert small["within_noise"] == 1 and small["verdict"] == "within seed noise"
    assert claims["g_needs_norm"]["verdict"] == "supported"
    assert claims["d_spectral"]["verdict"] == "not tested"  # one D only
    report = (tmp_path / "s0" / "report.md").read_text()
    assert "## Seed-to-seed spread" in report and "## The background notes' claims" in report
    assert "| `g-batch_d-spectral_b16` | `g-instance_d-spectral_b16` | 16 |" in report


def test_no_second_seed_calls_nothing_real(tmp_path: Path) -> None:
    _study(tmp_path, 0.0)
    spread = seed_spread(build_report(tmp_path)["runs"], [])
    assert spread["configs"] == [] and threshold_of(spread, "val_l1", 4) is None


def test_comparison_reads_the_reference_report_and_finds_flips(tmp_path: Path) -> None:
    _study(tmp_path / "cpu", 0.0)
    build_report(tmp_path / "cpu")
    reference = tmp_path / "cpu" / "report.md"
    assert len(runs_from_report_md(reference.read_text())) == 6
    # Here G instance beats G batch at 16 by 0.01: the reference's finding flips.
    for batch, values in ((4, (0.110, 0.112, 0.150)), (16, (0.118, 0.108, 0.140))):
        for g, v in zip(("batch", "instance", "none"), values, strict=True):
            _run(tmp_path / "gpu", g, "spectral", batch, v)
            _run(tmp_path / "gpu1", g, "spectral", batch, v + 0.001)
    args = ["sweep", "--out", str(tmp_path / "gpu"), "--report-only"]
    args += ["--repeat", str(tmp_path / "gpu1"), "--compare", str(reference)]
    args += ["--claims", str(CLAIMS)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    comparison = json.loads((tmp_path / "gpu" / "summary.json").read_text())["study"]["comparison"]
    rows = {r["key"]: r for r in comparison["claims"]}
    assert rows["g_batch_at_16"]["reference_verdict"] == "supported"
    assert rows["g_batch_at_16"]["verdict"] == "contradicted"
    assert rows["g_batch_at_16"]["pairs_flipped"] == 1
    assert rows["g_needs_norm"]["pairs_held"] == 4
    assert comparison["common_runs"] == 6 and comparison["reference"] == "cpu/report.md"
    assert "## Compared with cpu/report.md" in (tmp_path / "gpu" / "report.md").read_text()


def test_a_missing_or_foreign_reference_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    result = CliRunner().invoke(
        main, ["sweep", "--out", str(tmp_path), "--report-only", "--compare", str(bad)]
    )
    assert result.exit_code == 1
    assert (
        result.output.strip() == f"zi2zi: error: {bad}: not a sweep summary.json (no 'runs' list)"
    )
    (tmp_path / "empty.md").write_text("# not a sweep report\n")
    with pytest.raises(Exception, match="no runs in this study"):
        load_study(tmp_path / "empty.md")


def test_without_claims_the_report_has_the_spread_and_no_claim_verdicts(tmp_path: Path) -> None:
    _study(tmp_path / "s0", 0.0)
    _study(tmp_path / "s1", 0.003)
    summary = build_report(tmp_path / "s0", repeats=[tmp_path / "s1"])
    assert summary["study"]["claims"] == []
    report = (tmp_path / "s0" / "report.md").read_text()
    assert "## Seed-to-seed spread" in report
    assert "No claims were given (`--claims FILE`)." in report


def test_a_claims_file_of_ones_own_holds_axes_and_batch_ranges(tmp_path: Path) -> None:
    _study(tmp_path / "s0", 0.0)
    _run(tmp_path / "s0", "batch", "batch", 16, 0.090)  # D batch beats D spectral here
    _study(tmp_path / "s1", 0.001)
    claims = tmp_path / "mine.toml"
    claims.write_text(
        'title = "My claims"\n'
        '[[claim]]\nkey = "spectral_d_at_16"\ntext = "D spectral at batch 16"\n'
        'metric = "val_l1"\n'
        '[[claim.compare]]\nvary = "d"\nfavoured = "spectral"\nother = "batch"\n'
        'batch_min = 16\nhold = { g = "batch" }\n'
    )
    summary = build_report(tmp_path / "s0", repeats=[tmp_path / "s1"], claims=claims)
    (claim,) = summary["study"]["claims"]
    assert [(p["favoured"], p["other"]) for p in claim["pairs"]] == [
        ("g-batch_d-spectral_b16", "g-batch_d-batch_b16")
    ]
    assert claim["verdict"] == "contradicted"  # 0.100 vs 0.090, spread 0.001
    assert "## My claims" in (tmp_path / "s0" / "report.md").read_text()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            '[[claim]]\nkey = "k"\nmetric = "val_psnr"\n[[claim.compare]]\nvary = "g"\n'
            'favoured = "batch"\nother = "none"\n',
            "metric must be one of val_l1",
        ),
        ('[[claim]]\nkey = "k"\n', "a claim needs at least one [[claim.compare]]"),
        (
            '[[claim]]\nkey = "k"\n[[claim.compare]]\nvary = "batch_size"\nfavoured = "4"\n'
            'other = "16"\n',
            "vary must be one of g, d",
        ),
        (
            '[[claim]]\nkey = "k"\n[[claim.compare]]\nvary = "g"\nfavoured = "batch"\n',
            "lacks 'other'",
        ),
        ("claims = 1\n", "unknown top-level key(s): claims"),
    ],
)
def test_a_bad_claims_file_is_one_line_naming_it(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "claims.toml"
    path.write_text(text)
    with pytest.raises(SweepError, match=re.escape(problem)) as info:
        load_claims(path)
    assert str(info.value).startswith(f"{path}: ")
    result = CliRunner().invoke(
        main, ["sweep", "--out", str(tmp_path / "s"), "--report-only", "--claims", str(path)]
    )
    assert result.exit_code == 1
    assert result.output.strip().startswith(f"zi2zi: error: {path}: ")
    assert len(result.output.strip().splitlines()) == 1


def test_the_normalization_study_claims_file_reads() -> None:
    claim_set = load_claims(CLAIMS)
    keys = [c.key for c in claim_set.claims]
    assert keys[:2] == ["g_needs_norm", "g_batch_at_16"] and len(keys) == 8
    assert claim_set.reference_noise == {"val_l1": 0.003}
