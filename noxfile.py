"""Test, lint and demo sessions for the zi2zi monorepo.

``nox`` runs the default set (tests on every installed Python 3.10-3.13, the zi2zi_core,
integration and browser tests on 3.11, lint). ``nox -l`` lists everything; ``nox -s demo`` / ``-s bench``
/ ``-s fonts`` run the extras. Arguments after ``--`` go to pytest (or the script).

Every install goes through ``constraints.txt`` (it pins torch to the build that resolves
locally; any other torch pulls gigabytes of CUDA wheels).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
CONSTRAINTS = ("-c", "constraints.txt")
GLYPHRENDER = ("-e", "packages/glyphrender")
ZI2ZI_CORE = ("-e", "packages/zi2zi_core")
# -rs: a skipped test says why in the summary, not only with a flag the reader must know.
PYTEST = ("pytest", "-q", "-rs", "-p", "no:cacheprovider")
# Same ruff as the development venv, so `lint` gives the same answer everywhere.
RUFF = "ruff==0.17.6"
MATRIX = ("3.10", "3.11", "3.12", "3.13")
# torch==2.13.0 (constraints.txt) only resolves for this one.
TORCH_PYTHON = "3.11"

nox.options.reuse_venv = "yes"  # repeated local runs skip venv creation; pip still syncs


def _probe(candidate: str, version: str) -> str | None:
    """Return the real executable behind ``candidate`` if it runs and is ``version``."""
    try:
        proc = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2], sys.executable)"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found, _, executable = proc.stdout.strip().partition(" ")
    # pyenv shims exist on PATH for every installed version but fail unless it is active.
    return executable if proc.returncode == 0 and found == version else None


def _pyenv_candidates(version: str) -> list[str]:
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    pattern = re.compile(rf"^{re.escape(version)}\.(\d+)$")  # 3.10.13, not 3.13.0t / envs
    found = [
        (int(m.group(1)), d) for d in root.glob(f"{version}.*") if (m := pattern.match(d.name))
    ]
    return [str(d / "bin" / f"python{version}") for _, d in sorted(found, reverse=True)]


def find_python(version: str) -> str | None:
    """An installed interpreter for ``version``: PATH first, then pyenv's versions dir."""
    candidates = [shutil.which(f"python{version}"), *_pyenv_candidates(version)]
    for candidate in filter(None, candidates):
        if executable := _probe(candidate, version):
            return executable
    return None


INTERPRETERS = {v: path for v in MATRIX if (path := find_python(v))}
# The torch sessions are always listed: a missing 3.11 must fail loudly, not vanish.
TORCH_INTERPRETER = INTERPRETERS.get(TORCH_PYTHON, TORCH_PYTHON)


def _glyphrender_tests(session: nox.Session) -> None:
    """glyphrender alone (no torch) and the repo tools' tests."""
    session.install(*CONSTRAINTS, *GLYPHRENDER, "pytest")
    session.run(*PYTEST, "tests/glyphrender", "tests/tools", *session.posargs)


for _version, _python in INTERPRETERS.items():
    nox.session(name=f"glyphrender-{_version}", python=_python, tags=["tests", "glyphrender"])(
        _glyphrender_tests
    )


@nox.session(name=f"zi2zi_core-{TORCH_PYTHON}", python=TORCH_INTERPRETER, tags=["tests"])
def zi2zi_core_tests(session: nox.Session) -> None:
    """zi2zi_core with torch, on the one Python the pinned torch supports."""
    # scikit-image: the SSIM cross-check in tests/zi2zi_core/test_metrics.py runs, not skips;
    # opentype-sanitizer: the TC font chain's test (scripts/tc_font.py) runs ots-sanitize.
    session.install(
        *CONSTRAINTS, *GLYPHRENDER, *ZI2ZI_CORE, "pytest", "scikit-image", "opentype-sanitizer"
    )
    session.run(*PYTEST, "tests/zi2zi_core", *session.posargs)


@nox.session(name=f"integration-{TORCH_PYTHON}", python=TORCH_INTERPRETER, tags=["tests"])
def integration(session: nox.Session) -> None:
    """Both packages against the real fonts (fetched and verified first)."""
    session.install(*CONSTRAINTS, *GLYPHRENDER, *ZI2ZI_CORE, "pytest")
    session.run("python", "scripts/fetch_fonts.py")
    session.run(*PYTEST, "tests/integration", *session.posargs)


@nox.session(name=f"browser-{TORCH_PYTHON}", python=TORCH_INTERPRETER, tags=["tests"])
def browser(session: nox.Session) -> None:
    """The review page in a real Chromium (Debian's chromium + chromium-driver, via selenium).

    Without Chromium the session fails at once with one line naming the packages to install
    (scripts/check_browser.py): a green run means the page was tested. ``.ci/run`` installs
    them; ``nox -k 'not browser'`` runs everything else.
    """
    session.run("python", "scripts/check_browser.py")
    session.install(*CONSTRAINTS, *GLYPHRENDER, "pytest", "selenium")
    session.run(*PYTEST, "tests/browser", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check on the whole tree."""
    session.install(*CONSTRAINTS, RUFF)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=False)
def fonts(session: nox.Session) -> None:
    """Fetch and verify the real fonts into fonts/ (stdlib only, no venv)."""
    session.run(sys.executable, "scripts/fetch_fonts.py", *session.posargs, external=True)


@nox.session(python=TORCH_INTERPRETER)
def demo(session: nox.Session) -> None:
    """The end-to-end demo: fonts -> dataset -> (model -> glyphs -> font) via the CLIs."""
    session.install(*CONSTRAINTS, *GLYPHRENDER, *ZI2ZI_CORE)
    session.run("python", "scripts/fetch_fonts.py")
    session.run("python", "scripts/demo.py", *session.posargs)


@nox.session(name="tc-font", python=TORCH_INTERPRETER)
def tc_font(session: nox.Session) -> None:
    """Zen Maru Gothic TC (scripts/tc_font.py) at 64 px on CPU; arguments after -- go to it
    (default --accept-all, standing in for the font maker's review)."""
    session.install(*CONSTRAINTS, *GLYPHRENDER, *ZI2ZI_CORE, "opentype-sanitizer")
    session.run(
        "python", "scripts/tc_font.py", "--size", "64", *(session.posargs or ["--accept-all"])
    )


@nox.session(python=TORCH_INTERPRETER)
def bench(session: nox.Session) -> None:
    """Benchmarks (bench/run_all.py); results go to bench/results/."""
    if not (ROOT / "bench" / "run_all.py").is_file():
        session.error("bench/run_all.py not found: no benchmarks to run yet")
    session.install(*CONSTRAINTS, *GLYPHRENDER, *ZI2ZI_CORE)
    session.run("python", "scripts/fetch_fonts.py")
    session.run("python", "bench/run_all.py", *session.posargs)


nox.options.sessions = [
    *(f"glyphrender-{v}" for v in INTERPRETERS),
    f"zi2zi_core-{TORCH_PYTHON}",
    f"integration-{TORCH_PYTHON}",
    f"browser-{TORCH_PYTHON}",
    "lint",
]
