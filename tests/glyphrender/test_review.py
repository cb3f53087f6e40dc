"""glyphrender review without a browser: the decisions file, the server's API, the CLI."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
from click.testing import CliRunner
from glyphrender.cli import main
from glyphrender.errors import DatasetError
from glyphrender.generated.decisions import DecisionStore, read_decisions, write_decisions
from glyphrender.outputs import LOCK_NAME
from glyphrender.review.server import open_review
from PIL import Image
from reviewfolder import GLYPH_PX, make_review_folder


@pytest.fixture
def made(tmp_path):
    return make_review_folder(tmp_path)


@pytest.fixture
def server(made):
    srv = open_review(str(made.folder))
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _get(url: str, headers: dict | None = None):
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}))


def _post(server, body: bytes, content_type: str = "application/json", headers=None):
    request = urllib.request.Request(
        server.url + "api/decisions",
        data=body,
        headers={"Content-Type": content_type, **(headers or {})},
    )
    return urllib.request.urlopen(request)


# --- the decisions file ---------------------------------------------------------------------------


def test_decisions_round_trip_and_undecided_is_absent(made):
    assert read_decisions(made.folder) is None
    cps = made.codepoints
    store = DecisionStore(made.folder, cps)
    store.set({cps[0]: "accepted", cps[1]: "rejected", cps[2]: "accepted"})
    counts = store.set({cps[2]: "undecided"})
    assert counts == {"accepted": 1, "rejected": 1, "undecided": len(cps) - 2}
    assert read_decisions(made.folder) == {cps[0]: "accepted", cps[1]: "rejected"}
    text = (made.folder / "decisions.json").read_text(encoding="utf-8")
    assert json.loads(text)["decisions"] == {
        f"U+{cps[0]:04X}": "accepted",
        f"U+{cps[1]:04X}": "rejected",
    }
    # A new store (a restarted command) starts from the file.
    assert DecisionStore(made.folder, cps).status(cps[1]) == "rejected"
    # No temporary files left; the lock file (one writer at a time) stays.
    assert [p.name for p in made.folder.glob(".*") if p.name != LOCK_NAME] == []


def test_decisions_refuse_unknown_glyphs_and_statuses(made):
    store = DecisionStore(made.folder, made.codepoints)
    with pytest.raises(DatasetError, match="holds no glyph U\\+0041"):
        store.set({0x41: "accepted"})
    with pytest.raises(DatasetError, match="status 'maybe'"):
        store.set({made.codepoints[0]: "maybe"})
    assert read_decisions(made.folder) is None  # nothing written by a refused change


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"format": "other"}', "not a review decisions file"),
        (
            '{"format": "glyphrender-review-decisions", "version": 1, "decisions": {"U+4E00": "ok"}}',
            "U\\+4E00: status 'ok' is not accepted or rejected",
        ),
    ],
)
def test_a_damaged_decisions_file_is_one_line_naming_it(made, text, message):
    (made.folder / "decisions.json").write_text(text, encoding="utf-8")
    with pytest.raises(DatasetError, match=message) as info:
        read_decisions(made.folder)
    assert str(info.value).startswith(str(made.folder / "decisions.json"))


# --- the server -----------------------------------------------------------------------------------


def test_state_lists_every_glyph_with_quality_proxies(server, made):
    state = json.load(_get(server.url + "api/state"))
    assert [g["cp"] for g in state["glyphs"]] == made.codepoints
    assert state["has_source"] is True and state["glyph_px"] == GLYPH_PX
    assert len(state["context"]) >= 2  # the target font's own characters
    assert all(0 < g["ink"] < 1 and 0 <= g["dis"] <= 1 for g in state["glyphs"])
    assert len({g["dis"] for g in state["glyphs"]}) > 1  # it tells glyphs apart
    assert state["counts"] == {"accepted": 0, "rejected": 0, "undecided": len(made.codepoints)}


def test_images_are_pngs_of_the_glyph_size(server, made):
    cp = made.codepoints[0]
    state = json.load(_get(server.url + "api/state"))
    for path in (f"img/gen/{cp}.png", f"img/src/{cp}.png", f"img/target/{state['context'][0]}.png"):
        with _get(server.url + path) as response:
            assert response.headers["Content-Type"] == "image/png"
            assert Image.open(response).size == (GLYPH_PX, GLYPH_PX)
    line = Image.open(_get(server.url + "img/line.png?text=" + urllib.request.quote(chr(cp) * 3)))
    assert line.size == (3 * GLYPH_PX, GLYPH_PX)


def test_posted_decisions_are_saved_and_counted(server, made):
    cp = made.codepoints[1]
    answer = json.load(_post(server, json.dumps({f"U+{cp:04X}": "rejected"}).encode()))
    assert answer["counts"]["rejected"] == 1
    assert read_decisions(made.folder) == {cp: "rejected"}
    state = json.load(_get(server.url + "api/state"))
    assert state["glyphs"][1]["status"] == "rejected"


@pytest.mark.parametrize(
    ("body", "content_type", "headers", "status"),
    [
        (b'{"U+4E08": "accepted"}', "text/plain", None, 415),  # what a plain HTML form sends
        (b'{"U+4E08": "accepted"}', "application/json", {"Host": "evil.example:80"}, 403),
        (b'{"U+0041": "accepted"}', "application/json", None, 400),
        (b'{"U+4E08": "maybe"}', "application/json", None, 400),
        (b"[]", "application/json", None, 400),
    ],
)
def test_bad_or_foreign_posts_change_nothing(server, made, body, content_type, headers, status):
    with pytest.raises(urllib.error.HTTPError) as info:
        _post(server, body, content_type, headers)
    assert info.value.code == status
    assert read_decisions(made.folder) is None


def test_an_edited_png_is_shown_and_flagged(tmp_path):
    made = make_review_folder(tmp_path)
    cp = made.codepoints[2]
    Image.new("L", (GLYPH_PX, GLYPH_PX), 0).save(made.folder / f"U+{cp:04X}.png")  # all ink
    srv = open_review(str(made.folder))
    try:
        stats = {s.codepoint: s for s in srv.catalog.stats}
        assert stats[cp].edited and stats[cp].ink == 1.0
        assert not stats[made.codepoints[0]].edited
        assert (srv.catalog.generated(cp) == 255).all()
    finally:
        srv.server_close()


def test_without_stored_sources_the_page_says_so(tmp_path):
    made = make_review_folder(tmp_path, with_sources=False)
    srv = open_review(str(made.folder))
    try:
        assert srv.catalog.sources is None
        assert all(s.disagreement is None for s in srv.catalog.stats)
    finally:
        srv.server_close()


def test_the_font_each_source_came_from_reaches_the_page(tmp_path, made):
    import numpy as np
    from glyphrender.generated.folder import (
        SourceOrigin,
        read_generated,
        read_sources,
        write_generated,
    )
    from glyphrender.review.server import state_json

    meta, images, cps = read_generated(made.folder)
    fonts = ({"name": "Noto Sans JP Regular"}, {"name": "Noto Sans TC Regular"})
    ids = np.array([i % 2 for i in range(len(cps))], dtype=np.int16)
    folder = write_generated(
        tmp_path / "listed", images, cps, meta, sources=read_sources(made.folder),
        origin=SourceOrigin(fonts, ids),
    )  # fmt: skip
    srv = open_review(str(folder))
    try:
        state = state_json(srv.catalog, DecisionStore(folder, srv.catalog.codepoints))
    finally:
        srv.server_close()
    assert state["source_fonts"] == ["Noto Sans JP Regular", "Noto Sans TC Regular"]
    assert [g["src_font"] for g in state["glyphs"]] == ids.tolist()
    old = _get_state(made)  # a folder that does not say: no names, null per glyph
    assert old["source_fonts"] == [] and {g["src_font"] for g in old["glyphs"]} == {None}


def _get_state(made):
    srv = open_review(str(made.folder))
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        return json.load(_get(srv.url + "api/state"))
    finally:
        srv.shutdown()
        srv.server_close()


# --- the command line -----------------------------------------------------------------------------


def test_cli_bad_folder_is_one_line(tmp_path):
    result = CliRunner().invoke(main, ["review", str(tmp_path / "nope"), "--no-browser"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"glyphrender: error: {tmp_path / 'nope'}: not a generated-glyph folder "
        "(missing or not a directory)"
    ]


def test_cli_port_in_use_is_one_line(server, made):
    port = server.server_address[1]
    result = CliRunner().invoke(
        main, ["review", str(made.folder), "--no-browser", "--port", str(port)]
    )
    assert result.exit_code == 1
    assert result.output.startswith(f"glyphrender: error: cannot listen on 127.0.0.1:{port} (")
    assert len(result.output.strip().splitlines()) == 1


def test_write_decisions_keeps_only_verdicts(made):
    write_decisions(made.folder, {made.codepoints[0]: "undecided", made.codepoints[1]: "accepted"})
    assert read_decisions(made.folder) == {made.codepoints[1]: "accepted"}


def test_source_and_generated_glyphs_are_shown_at_one_scale():
    """Issue #23: both PNGs are glyph_px (above), so one box size draws them at one scale."""
    import re
    from pathlib import Path

    from glyphrender.review import server as review_server

    css = (Path(review_server.__file__).parent / "static" / "review.css").read_text()

    def box(selector: str) -> tuple[str, str]:
        rule = re.search(r"(?m)^" + re.escape(selector) + r"\s*\{([^}]*)\}", css).group(1)
        width, height = (
            re.search(rf"(?<![-\w]){k}:\s*([^;]+);", rule).group(1) for k in ("width", "height")
        )
        return width.strip(), height.strip()

    assert box(".gen img") == box(".src img") == box(".src .none")
