"""prepare_run: the whole run is checked before anything is written."""

from __future__ import annotations

import pytest
from glyphrender.errors import GlyphrenderError
from zi2zi_core.errors import CheckpointError, ConfigError, MissingInput
from zi2zi_core.rundir.metrics_log import read_metrics
from zi2zi_core.training.prepare import prepare_run

TINY = {
    "model": {"base_channels": 4, "d_base_channels": 4, "d_layers": 2, "style_dim": 4},
    "loss": {},
    "train": {"batch_size": 8, "steps": 2, "log_every": 1, "device": "cpu"},
}


def test_a_prepared_run_trains_with_the_dataset_it_opened(tiny_dataset, tmp_path):
    run = tmp_path / "run"
    prepared = prepare_run(flags=TINY, shards=tiny_dataset, run_dir=run)
    assert not run.exists()  # preparing writes nothing
    assert prepared.config.model.glyph_px == 16 and prepared.config.train.shards == str(
        tiny_dataset
    )
    trainer = prepared.trainer()
    assert trainer.dataset is prepared.dataset and not run.exists()
    assert trainer.run().step == 2
    again = prepare_run(flags={"train": {"steps": 3}}, run_dir=run, resume=True)
    assert again.resume_from[1].name == "ckpt-00000002.pt"
    assert again.trainer().run().step == 3
    assert [r["event"] for r in read_metrics(run) if r["kind"] == "event"] == ["resume"]


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        ({"model": {"glyph_px": 32}}, ConfigError, "does not match the dataset"),
        ({"train": {"lr": -1.0}}, ConfigError, "train.lr"),
        ({"init_from": "missing"}, CheckpointError, "run directory not found"),
        ({"config_file": "bad.toml"}, ConfigError, "invalid TOML"),
        ({"shards": "empty"}, GlyphrenderError, "empty"),
    ],
)
def test_bad_input_leaves_no_run_directory(tiny_dataset, tmp_path, bad, error, message):
    (tmp_path / "bad.toml").write_text("[train\n", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    run = tmp_path / "run"
    kwargs = {"flags": TINY, "shards": tiny_dataset, "run_dir": run}
    for key in ("init_from", "config_file", "shards"):
        if key in bad:
            kwargs[key] = tmp_path / bad[key]
    if "model" in bad or "train" in bad:
        kwargs["flags"] = {s: {**TINY[s], **bad.get(s, {})} for s in TINY}
    with pytest.raises(error, match=message):
        prepare_run(**kwargs)
    assert not run.exists()


def test_missing_inputs_are_usage_problems(tmp_path):
    with pytest.raises(MissingInput, match="--resume needs --run"):
        prepare_run(flags=TINY, resume=True)
    with pytest.raises(MissingInput, match="--shards DATASET is required"):
        prepare_run(flags=TINY, run_dir=tmp_path / "run")
