"""The review page used as a person would: a real Chromium, clicks and keys, reload, restart,
the decisions file, then assemble.

Needs Chromium and its driver (Debian: ``apt-get install chromium chromium-driver``) and
selenium (``nox -s browser`` installs it; ``.ci/run`` installs the browser). Without them the
test is skipped with the reason, except under CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from reviewfolder import make_replacement_folder, make_review_folder

CHROMIUM = os.environ.get("REVIEW_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("REVIEW_CHROMEDRIVER", "/usr/bin/chromedriver")
# Without these, Chromium as root on a closed network refuses to start or hangs.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
)
WAIT_S = 20


def _missing() -> list[str]:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if shutil.which(p) is None]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip)")
    return missing


@pytest.fixture
def browser(tmp_path):
    missing = _missing()
    if missing:
        reason = f"the browser test needs {', '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must install them (.ci/run)")
        pytest.skip(f"{reason} (apt-get install chromium chromium-driver; nox -s browser-3.11)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let selenium look for drivers online
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    driver = webdriver.Chrome(service=Service(shutil.which(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT_S)
    yield driver
    driver.quit()


class ReviewProcess:
    """`glyphrender review DIR --no-browser` in a subprocess, as a user starts it."""

    def __init__(self, folder: Path) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from glyphrender.cli import main; main()", "review"]
            + [str(folder), "--no-browser"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            # Ctrl-C must reach it even where this test runs with SIGINT ignored (a background
            # job of a non-interactive shell): Python keeps an inherited SIG_IGN.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self.lines = []
        for line in self.proc.stdout:
            self.lines.append(line)
            if match := re.match(r"open (http://127\.0\.0\.1:\d+/)", line):
                self.url = match.group(1)
                return
        raise AssertionError(f"review did not start: {''.join(self.lines)}")

    def stop(self) -> str:
        """Ctrl-C, as a user stops it; returns what it printed after the address."""
        self.proc.send_signal(signal.SIGINT)
        out, _ = self.proc.communicate(timeout=WAIT_S)
        assert self.proc.returncode == 0, out
        return out


def _wait(driver, condition, what: str):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_S).until(lambda d: condition(d), message=what)


def _open(driver, url: str) -> None:
    driver.get(url)
    _wait(driver, lambda d: d.find_element("tag name", "body").get_attribute("data-ready"), "page")


def _card(driver, cp: int):
    return driver.find_element("css selector", f'.card[data-cp="{cp}"]')


def _statuses(driver, cps: list[int]) -> list[str]:
    return [_card(driver, cp).get_attribute("data-status") for cp in cps]


# Images load lazily: scroll to the first one not yet loaded, as a reader scrolling down would,
# until every image of the page has arrived.
_SCROLL_TO_PENDING_IMAGE = """
const pending = [...document.images].filter(i => !(i.naturalWidth > 0));
if (pending.length) { pending[0].scrollIntoView(); }
return pending.length === 0;
"""


def _wait_for_every_image(driver) -> None:
    _wait(driver, lambda d: d.execute_script(_SCROLL_TO_PENDING_IMAGE), "every image loaded")
    driver.execute_script("window.scrollTo(0, 0)")


def _saved(driver) -> bool:
    body = driver.find_element("tag name", "body")
    return (
        body.get_attribute("data-pending") == "0"
        and not driver.find_element("id", "error").is_displayed()
    )


def _counts(driver) -> tuple[str, str, str]:
    return tuple(
        driver.find_element("id", f"n-{s}").text for s in ("accepted", "rejected", "undecided")
    )


def _press(driver, *keys: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    for key in keys:
        ActionChains(driver).send_keys(key).perform()
        _wait(driver, _saved, f"decision after key {key!r} saved")


def _assemble_what_the_review_decided(made, tmp_path: Path) -> None:
    """``glyphrender assemble`` after the review above: the two rejected glyphs are left out,
    and ``--only-accepted`` keeps just the two accepted."""
    from click.testing import CliRunner
    from fontTools.ttLib import TTFont
    from glyphrender.cli import main

    cps = made.codepoints
    out = tmp_path / "reviewed.ttf"
    args = ["assemble", "--base", str(made.base), "--glyphs", str(made.folder), "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (
        f"left out 2 glyphs rejected in the review: U+{cps[1]:04X} U+{cps[3]:04X}" in result.output
    )
    cmap = TTFont(str(out)).getBestCmap()
    assert [cp in cmap for cp in cps] == [True, False, True, False] + [True] * (len(cps) - 4)

    only = tmp_path / "accepted.ttf"
    result = CliRunner().invoke(main, [*args[:-1], str(only), "--only-accepted"])
    assert result.exit_code == 0, result.output
    cmap = TTFont(str(only)).getBestCmap()
    assert [cp for cp in cps if cp in cmap] == [cps[0], cps[2]]


def test_review_by_click_and_key_survives_reload_and_restart_and_drives_assemble(browser, tmp_path):
    from selenium.webdriver.common.keys import Keys

    made = make_review_folder(tmp_path)
    cps = made.codepoints
    server = ReviewProcess(made.folder)
    try:
        _open(browser, server.url)
        assert len(browser.find_elements("css selector", ".card")) == len(cps)
        # Every glyph is shown with its source and the target font's own glyphs beside it.
        images = browser.find_elements("css selector", f'.card[data-cp="{cps[0]}"] img')
        sources = [i.get_attribute("src") for i in images]
        assert any(f"/img/src/{cps[0]}.png" in s for s in sources)
        assert sum("/img/target/" in s for s in sources) >= 2
        _wait_for_every_image(browser)
        # Source and generated glyph are drawn at one scale (issue #23): the same box on screen.
        box = "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        box += " return [r.width, r.height];"
        assert browser.execute_script(box, ".gen img") == browser.execute_script(box, ".src img")

        # By click: accept the first glyph, reject the second.
        _card(browser, cps[0]).find_element("css selector", "button.accept").click()
        _wait(browser, _saved, "click saved")
        _card(browser, cps[1]).find_element("css selector", "button.reject").click()
        _wait(browser, _saved, "click saved")
        # By key: focus the third, accept it (a), reject the fourth (r, focus moves on),
        # go back (left arrow), make it undecided (u), then reject it again with x.
        _card(browser, cps[2]).find_element("css selector", ".gen img").click()
        _press(browser, "a", "r", Keys.ARROW_LEFT, "u")
        assert _statuses(browser, cps[:4]) == ["accepted", "rejected", "accepted", "undecided"]
        _press(browser, "x")
        expected = ["accepted", "rejected", "accepted", "rejected"] + ["undecided"] * (len(cps) - 4)
        assert _statuses(browser, cps) == expected
        assert _counts(browser) == ("2", "2", str(len(cps) - 4))

        browser.refresh()  # a reload shows what was saved
        _open(browser, server.url)
        assert _statuses(browser, cps) == expected
        assert _counts(browser) == ("2", "2", str(len(cps) - 4))
        assert "2 accepted, 2 rejected" in server.stop()
    finally:
        if server.proc.poll() is None:
            server.proc.kill()

    saved = json.loads((made.folder / "decisions.json").read_text(encoding="utf-8"))
    assert saved["decisions"] == {
        f"U+{cps[0]:04X}": "accepted",
        f"U+{cps[1]:04X}": "rejected",
        f"U+{cps[2]:04X}": "accepted",
        f"U+{cps[3]:04X}": "rejected",
    }

    restarted = ReviewProcess(made.folder)  # a restart of the command keeps the decisions
    try:
        assert any("2 accepted, 2 rejected so far" in line for line in restarted.lines)
        _open(browser, restarted.url)
        assert _statuses(browser, cps) == expected
        # The filter shows only the rejected ones.
        from selenium.webdriver.support.ui import Select

        Select(browser.find_element("id", "filter")).select_by_value("rejected")
        shown = [
            int(c.get_attribute("data-cp")) for c in browser.find_elements("css selector", ".card")
        ]
        assert shown == [cps[1], cps[3]]
        restarted.stop()
    finally:
        if restarted.proc.poll() is None:
            restarted.proc.kill()

    _assemble_what_the_review_decided(made, tmp_path)


def test_replacement_candidates_show_the_targets_own_glyph_and_drive_assemble(browser, tmp_path):
    """Glyphs for characters the font already draws: source | generated | the font's own, at
    one scale, marked, filtered; only the accepted one is replaced by assemble."""
    from selenium.webdriver.support.ui import Select

    made = make_replacement_folder(tmp_path, count=2)
    cps = made.codepoints
    server = ReviewProcess(made.folder)
    try:
        _open(browser, server.url)
        _wait_for_every_image(browser)
        for cp in cps[:2]:
            card = _card(browser, cp)
            assert "replacement" in card.get_attribute("class").split()
            assert card.find_element("css selector", ".replace-tag").text == "replacement"
            images = card.find_elements("css selector", ".pair img")
            kinds = [i.get_attribute("src").split("/img/")[1] for i in images]
            assert kinds == [f"src/{cp}.png", f"gen/{cp}.png", f"target/{cp}.png"]
            sizes = {(i.size["width"], i.size["height"]) for i in images}
            assert len(sizes) == 1, f"not one scale: {sizes}"
        assert not _card(browser, cps[2]).find_elements("css selector", ".replace-tag")
        assert "2 of them replacements" in browser.find_element("id", "title").text

        Select(browser.find_element("id", "filter")).select_by_value("replacements")
        shown = [
            int(c.get_attribute("data-cp")) for c in browser.find_elements("css selector", ".card")
        ]
        assert shown == cps[:2]
        _card(browser, cps[0]).find_element("css selector", "button.accept").click()
        _wait(browser, _saved, "click saved")
        _card(browser, cps[1]).find_element("css selector", "button.reject").click()
        _wait(browser, _saved, "click saved")
        server.stop()
    finally:
        if server.proc.poll() is None:
            server.proc.kill()

    from click.testing import CliRunner
    from glyphrender.cli import main

    out = tmp_path / "replaced.ttf"
    args = ["assemble", "--base", str(made.base), "--glyphs", str(made.folder), "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert f"added {len(cps) - 2} glyphs and replaced 1 (" in result.output
    assert f"replaced 1 glyphs of the base, accepted in the review: U+{cps[0]:04X}" in result.output
