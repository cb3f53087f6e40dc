"""The review page's replacement candidates: generated glyphs for characters the target font
already draws are marked, and the page gets the target's own glyph to show beside them."""

from __future__ import annotations

import io
import json
import threading
import urllib.request

import numpy as np
import pytest
from glyphrender.review.server import open_review
from PIL import Image
from reviewfolder import GLYPH_PX, make_replacement_folder, make_review_folder


@pytest.fixture
def served(tmp_path):
    made = make_replacement_folder(tmp_path, count=2)
    srv = open_review(str(made.folder))
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield made, srv
    srv.shutdown()
    srv.server_close()


def _get(url: str):
    return urllib.request.urlopen(url, timeout=10)


def _pixels(response) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(response.read())).convert("L"))


def test_state_marks_the_characters_the_target_already_draws(served):
    made, srv = served
    state = json.load(_get(srv.url + "api/state"))
    assert state["replacements"] == 2
    marks = {g["cp"]: g["replaces"] for g in state["glyphs"]}
    assert [cp for cp, replaces in marks.items() if replaces] == made.codepoints[:2]
    assert not any(marks[cp] for cp in made.codepoints[2:])


def test_a_candidate_comes_with_the_target_glyph_it_would_replace(served):
    made, srv = served
    cp = made.codepoints[0]
    own = _pixels(_get(srv.url + f"img/target/{cp}.png"))
    generated = _pixels(_get(srv.url + f"img/gen/{cp}.png"))
    source = _pixels(_get(srv.url + f"img/src/{cp}.png"))
    assert own.shape == generated.shape == source.shape == (GLYPH_PX, GLYPH_PX)  # one scale
    expected = 255 - srv.catalog.target(cp)  # the target font's glyph, placed like generated
    assert np.array_equal(own, expected)
    assert (own < 128).sum() > 50 and not np.array_equal(own < 128, generated < 128)


def test_a_folder_of_missing_glyphs_has_no_replacements(tmp_path):
    made = make_review_folder(tmp_path)
    srv = open_review(str(made.folder))
    try:
        assert srv.catalog.replacements == frozenset()
    finally:
        srv.server_close()


def test_without_the_target_font_nothing_is_called_a_replacement(tmp_path):
    made = make_replacement_folder(tmp_path)
    made.base.unlink()  # the font recorded by generate is gone: no context, no candidates
    srv = open_review(str(made.folder))
    try:
        assert srv.catalog.replacements == frozenset() and srv.catalog.renderer is None
    finally:
        srv.server_close()
