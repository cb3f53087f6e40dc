"""scripts/fetch_fonts.py: verified copies from a shared dir, npm or PyPI, never a wrong file.

Offline: the shared directory is fake, the registry route runs against a fake ``npm``
executable that builds tarballs locally, and the PyPI route runs the real ``pip download``
with no index and no config files, finding only a locally built wheel in a folder
(``PIP_NO_INDEX`` + ``PIP_FIND_LINKS``, the way a user fetches offline). The script runs as a
subprocess, the way users and nox run it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fetch_fonts.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("fetch_fonts", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while decorating
    spec.loader.exec_module(module)
    return module


FETCH = _load_script()
NAMES = [f.name for f in FETCH.FILES]
PIP_NAMES = [f.name for f in FETCH.PIP_FILES]
ZOO_NAMES = [f.name for f in FETCH.ZOO_FILES]


def fake_content(name: str) -> bytes:
    return f"fake bytes of {name}\n".encode()


def write_sums(path: Path, names: list[str]) -> Path:
    lines = [f"{hashlib.sha256(fake_content(n)).hexdigest()}  {n}" for n in names]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(autouse=True)
def wheelhouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """pip offline for every test: no config files, no index, only this folder (empty unless
    the test builds the wheel into it), so a pip failure is what pip does without network."""
    path = tmp_path / "wheelhouse"
    path.mkdir()
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(path))
    return path


@pytest.fixture
def sums(tmp_path: Path) -> Path:
    """A checksum file for the fake contents (the real one lists the real fonts)."""
    return write_sums(tmp_path / "SHA256SUMS", NAMES)


@pytest.fixture
def zoo_sums(tmp_path: Path) -> Path:
    """Checksums of the fake default set and the fake zoo."""
    return write_sums(tmp_path / "SHA256SUMS.all", NAMES + ZOO_NAMES)


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    path = tmp_path / "shared"
    path.mkdir()
    for name in NAMES:
        (path / name).write_bytes(fake_content(name))
    return path


@pytest.fixture
def no_npm_path(tmp_path: Path) -> str:
    """A PATH with no npm on it."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    return str(empty)


def write_fake_npm(bin_dir: Path, layout: dict[str, dict[str, str]] | None) -> None:
    """An ``npm`` that packs tarballs from ``layout`` (spec -> member -> text) or fails."""
    bin_dir.mkdir(exist_ok=True)
    layout_file = bin_dir / "layout.json"
    layout_file.write_text(json.dumps(layout))
    npm = bin_dir / "npm"
    npm.write_text(
        f"#!{sys.executable}\n"
        "import io, json, sys, tarfile\n"
        f"layout = json.load(open({str(layout_file)!r}))\n"
        "spec = sys.argv[2]\n"
        "if layout is None or spec not in layout:\n"
        "    print('npm notice something', file=sys.stderr)\n"
        "    print('npm error 404 Not Found - GET ' + spec, file=sys.stderr)\n"
        "    sys.exit(1)\n"
        "with tarfile.open('pkg-1.0.0.tgz', 'w:gz') as tar:\n"
        "    for member, text in layout[spec].items():\n"
        "        data = text.encode()\n"
        "        info = tarfile.TarInfo(member)\n"
        "        info.size = len(data)\n"
        "        tar.addfile(info, io.BytesIO(data))\n"
        "print('pkg-1.0.0.tgz')\n"
    )
    npm.chmod(0o755)


def registry_layout(
    wrong: str | None = None, files: tuple = FETCH.NPM_FILES
) -> dict[str, dict[str, str]]:
    layout: dict[str, dict[str, str]] = {}
    for font in files:
        text = fake_content(font.name).decode()
        if font.name == wrong:
            text = "tampered\n"
        layout.setdefault(font.package, {})[font.member] = text
    return layout


WHEEL_NAME = "noto_cjk_sans_otc-0.0.1-py3-none-any.whl"


def make_wheel(wheelhouse: Path, wrong: str | None = None, leave_out: str | None = None) -> Path:
    """The pinned wheel as pip sees it, with fake fonts (``wrong``: tampered bytes)."""
    dist_info = "noto_cjk_sans_otc-0.0.1.dist-info"
    members = {
        f.member: b"tampered" if f.name == wrong else fake_content(f.name)
        for f in FETCH.PIP_FILES
        if f.name != leave_out
    }
    members["noto_cjk_sans_otc/__init__.py"] = b""
    members[f"{dist_info}/METADATA"] = (
        b"Metadata-Version: 2.1\nName: noto-cjk-sans-otc\nVersion: 0.0.1\n"
    )
    members[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    members[f"{dist_info}/RECORD"] = b""
    wheel = wheelhouse / WHEEL_NAME
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return wheel


def run(*args: str | Path, path: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def assert_all_fetched(dest: Path) -> None:
    assert sorted(p.name for p in dest.iterdir()) == sorted(NAMES)
    for name in NAMES:
        assert (dest / name).read_bytes() == fake_content(name)


def test_copies_every_file_from_shared_dir(tmp_path, shared, sums, no_npm_path):
    dest = tmp_path / "fonts"
    proc = run("--dest", dest, "--shared", shared, "--sums", sums, path=no_npm_path)
    assert proc.returncode == 0, proc.stderr
    assert_all_fetched(dest)


def test_checksum_mismatch_is_refused_and_leaves_no_file(tmp_path, shared, sums, no_npm_path):
    bad = "ZenMaruGothic_400Regular.ttf"
    (shared / bad).write_bytes(b"not the font we pinned")
    dest = tmp_path / "fonts"
    proc = run("--dest", dest, "--shared", shared, "--sums", sums, path=no_npm_path)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "checksum mismatch" in lines[0] and bad in lines[0]
    assert not (dest / bad).exists()
    assert not [p for p in dest.iterdir() if p.name.startswith(".")], "temp file left behind"


def test_missing_npm_is_one_clear_error(tmp_path, sums, no_npm_path):
    dest = tmp_path / "fonts"
    proc = run("--dest", dest, "--from-registry", "--sums", sums, path=no_npm_path)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "fetch_fonts: error: npm not found on PATH: install Node.js/npm, "
        "or pass --shared DIR with the fonts"
    ]
    assert "Traceback" not in proc.stderr


def test_npm_failure_is_one_clear_error(tmp_path, sums):
    bin_dir = tmp_path / "bin"
    write_fake_npm(bin_dir, None)
    proc = run("--dest", tmp_path / "fonts", "--from-registry", "--sums", sums, path=str(bin_dir))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "npm pack @expo-google-fonts/" in lines[0]
    assert "404 Not Found" in lines[0]


def test_registry_route_extracts_the_pinned_members(tmp_path, sums, wheelhouse):
    make_wheel(wheelhouse)
    bin_dir = tmp_path / "bin"
    write_fake_npm(bin_dir, registry_layout())
    dest = tmp_path / "fonts"
    proc = run("--dest", dest, "--from-registry", "--sums", sums, path=str(bin_dir))
    assert proc.returncode == 0, proc.stderr
    assert_all_fetched(dest)


def test_registry_mismatch_is_refused(tmp_path, sums):
    bad = "noto-sans-tc.LICENSE_FONT.txt"
    bin_dir = tmp_path / "bin"
    write_fake_npm(bin_dir, registry_layout(wrong=bad))
    dest = tmp_path / "fonts"
    proc = run("--dest", dest, "--from-registry", "--sums", sums, path=str(bin_dir))
    assert proc.returncode == 1
    assert "checksum mismatch" in proc.stderr and bad in proc.stderr
    assert not (dest / bad).exists()


def test_second_run_touches_nothing_and_needs_no_source(tmp_path, shared, sums, no_npm_path):
    dest = tmp_path / "fonts"
    assert run("--dest", dest, "--shared", shared, "--sums", sums).returncode == 0
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in dest.iterdir()}
    # No shared dir and no npm: only possible to succeed if nothing needs fetching.
    proc = run("--dest", dest, "--from-registry", "--sums", sums, path=no_npm_path)
    assert proc.returncode == 0, proc.stderr
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in dest.iterdir()}
    assert after == before


def test_wrong_file_already_in_dest_is_replaced(tmp_path, shared, sums, no_npm_path):
    dest = tmp_path / "fonts"
    dest.mkdir()
    (dest / "ZenMaruGothic_700Bold.ttf").write_bytes(b"stale download")
    proc = run("--dest", dest, "--shared", shared, "--sums", sums, path=no_npm_path)
    assert proc.returncode == 0, proc.stderr
    assert_all_fetched(dest)


def test_committed_sums_cover_every_file():
    sums = FETCH.read_sums(FETCH.DEFAULT_SUMS, FETCH.FILES + FETCH.ZOO_FILES)
    assert set(sums) == set(NAMES) | set(ZOO_NAMES)


def test_zoo_is_opt_in(tmp_path, shared, sums, no_npm_path):
    """The default fetch needs no zoo checksum and writes no zoo file."""
    dest = tmp_path / "fonts"
    proc = run("--dest", dest, "--shared", shared, "--sums", sums, path=no_npm_path)
    assert proc.returncode == 0, proc.stderr
    assert_all_fetched(dest)


def test_zoo_from_registry_fetches_every_font_and_licence(tmp_path, zoo_sums, wheelhouse):
    make_wheel(wheelhouse)
    bin_dir = tmp_path / "bin"
    write_fake_npm(bin_dir, registry_layout(files=FETCH.NPM_FILES + FETCH.ZOO_FILES))
    dest = tmp_path / "fonts"
    proc = run("--dest", dest, "--from-registry", "--zoo", "--sums", zoo_sums, path=str(bin_dir))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in dest.iterdir()) == sorted(NAMES + ZOO_NAMES)
    for name in NAMES + ZOO_NAMES:
        assert (dest / name).read_bytes() == fake_content(name)


def test_zoo_takes_what_the_shared_copy_has_and_the_rest_from_npm(tmp_path, shared, zoo_sums):
    """The shared copy holds only the default set; the fake npm serves only the zoo."""
    bin_dir = tmp_path / "bin"
    write_fake_npm(bin_dir, registry_layout(files=FETCH.ZOO_FILES))
    dest = tmp_path / "fonts"
    proc = run("--dest", dest, "--shared", shared, "--zoo", "--sums", zoo_sums, path=str(bin_dir))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in dest.iterdir()) == sorted(NAMES + ZOO_NAMES)
    assert f"{NAMES[0]} <- {shared / NAMES[0]}" in proc.stdout


def test_zoo_without_its_checksums_is_one_clear_error(tmp_path, shared, sums, no_npm_path):
    dest = tmp_path / "fonts"
    proc = run("--dest", dest, "--shared", shared, "--zoo", "--sums", sums, path=no_npm_path)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no checksum for" in lines[0] and ZOO_NAMES[0] in lines[0]
    assert not dest.exists() or not list(dest.iterdir())


def test_zoo_tampered_font_is_refused(tmp_path, zoo_sums):
    bad = "NotoSansJP_400Regular.ttf"
    bin_dir = tmp_path / "bin"
    write_fake_npm(bin_dir, registry_layout(wrong=bad, files=FETCH.NPM_FILES + FETCH.ZOO_FILES))
    dest = tmp_path / "fonts"
    proc = run("--dest", dest, "--from-registry", "--zoo", "--sums", zoo_sums, path=str(bin_dir))
    assert proc.returncode == 1
    assert "checksum mismatch" in proc.stderr and bad in proc.stderr
    assert not (dest / bad).exists()


def test_zoo_pins_one_regular_ttf_and_its_licence_per_package():
    packages = {f.package for f in FETCH.ZOO_FILES}
    assert len(packages) == len(FETCH.ZOO_PACKAGES) == len(FETCH.ZOO_FILES) // 2
    for package in packages:
        members = sorted(f.member for f in FETCH.ZOO_FILES if f.package == package)
        assert members[0] == "package/400Regular/" + members[0].rsplit("/", 1)[1]
        assert members[0].endswith("_400Regular.ttf") and members[1] == "package/LICENSE_FONT"
        assert "@" in package.removeprefix("@"), f"{package} is not pinned to a version"
    assert not set(NAMES) & set(ZOO_NAMES), "the zoo must not refetch the default set"


def test_tarball_reader_rejects_garbage(tmp_path, sums):
    """A corrupt download is an error line, not a traceback."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(f"#!{sys.executable}\nopen('pkg.tgz', 'wb').write(b'not gzip')\n")
    npm.chmod(0o755)
    proc = run("--dest", tmp_path / "fonts", "--from-registry", "--sums", sums, path=str(bin_dir))
    assert proc.returncode == 1
    assert proc.stderr.startswith("fetch_fonts: error: pkg.tgz: unreadable tarball")
    assert "Traceback" not in proc.stderr


# The Pan-CJK collection: PyPI's noto-cjk-sans-otc wheel, via pip download.


@pytest.fixture
def shared_without_collection(shared: Path) -> Path:
    """A shared copy holding only the npm fonts, as ../shared/fonts does."""
    for name in PIP_NAMES:
        (shared / name).unlink()
    return shared


def test_collection_is_in_the_default_set_pinned_to_one_pypi_wheel():
    assert "NotoSansCJK-Regular.ttc" in NAMES and "noto-cjk.LICENSE.txt" in NAMES
    assert FETCH.PIP_SPEC == "noto-cjk-sans-otc==0.0.1"
    sums = FETCH.read_sums(FETCH.DEFAULT_SUMS)
    # The same bytes as Debian's fonts-noto-cjk 1:20220127+repack1-1 ships.
    assert sums["NotoSansCJK-Regular.ttc"] == (
        "b76b0433203017ca80401b2ee0dd69350349871c4b19d504c34dbdd80541690a"
    )
    # The wheel's licence file: the SIL OFL 1.1 text.
    assert sums["noto-cjk.LICENSE.txt"] == (
        "6a73f9541c2de74158c0e7cf6b0a58ef774f5a780bf191f2d7ec9cc53efe2bf2"
    )


def test_collection_comes_from_pip_when_the_shared_copy_lacks_it(
    tmp_path, shared_without_collection, sums, wheelhouse, no_npm_path
):
    make_wheel(wheelhouse)
    dest = tmp_path / "fonts"
    proc = run(
        "--dest", dest, "--shared", shared_without_collection, "--sums", sums, path=no_npm_path
    )
    assert proc.returncode == 0, proc.stderr
    assert_all_fetched(dest)
    assert f"NotoSansCJK-Regular.ttc <- {WHEEL_NAME}" in proc.stdout
    assert f"noto-cjk.LICENSE.txt <- {WHEEL_NAME}" in proc.stdout


def test_shared_copy_wins_over_pip(tmp_path, shared, sums, wheelhouse, no_npm_path):
    """With the collection in the shared copy pip is never asked (its wheel here is wrong)."""
    make_wheel(wheelhouse, wrong="NotoSansCJK-Regular.ttc")
    dest = tmp_path / "fonts"
    proc = run("--dest", dest, "--shared", shared, "--sums", sums, path=no_npm_path)
    assert proc.returncode == 0, proc.stderr
    assert_all_fetched(dest)
    assert f"NotoSansCJK-Regular.ttc <- {shared / 'NotoSansCJK-Regular.ttc'}" in proc.stdout
    assert "downloading" not in proc.stdout and WHEEL_NAME not in proc.stdout


def test_pip_failure_is_one_line_naming_the_package_and_what_to_run(
    tmp_path, shared_without_collection, sums, no_npm_path
):
    """No wheel reachable (the wheelhouse is empty, as PyPI is without network)."""
    dest = tmp_path / "fonts"
    proc = run(
        "--dest", dest, "--shared", shared_without_collection, "--sums", sums, path=no_npm_path
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "fetch_fonts: error: pip download noto-cjk-sans-otc==0.0.1 failed (No matching "
        "distribution found for noto-cjk-sans-otc==0.0.1): rerun 'python3 scripts/fetch_fonts.py' "
        "once PyPI is reachable, or pass --shared DIR with the fonts"
    ]
    assert not any((dest / n).exists() for n in PIP_NAMES)
    assert not [p for p in dest.iterdir() if p.name.startswith(".")], "temp file left behind"


def test_python_without_pip_is_one_clear_error(tmp_path, shared_without_collection, sums):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    dest = tmp_path / "fonts"
    proc = subprocess.run(
        [str(python), str(SCRIPT), "--dest", str(dest), "--shared", str(shared_without_collection)]
        + ["--sums", str(sums)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"fetch_fonts: error: {python} has no pip: the Pan-CJK collection comes from PyPI "
        "(noto-cjk-sans-otc==0.0.1); install pip for it, or pass --shared DIR with the fonts"
    ]
    assert not any((dest / n).exists() for n in PIP_NAMES)


def test_tampered_collection_in_the_wheel_is_refused(
    tmp_path, shared_without_collection, sums, wheelhouse, no_npm_path
):
    make_wheel(wheelhouse, wrong="NotoSansCJK-Regular.ttc")
    dest = tmp_path / "fonts"
    proc = run(
        "--dest", dest, "--shared", shared_without_collection, "--sums", sums, path=no_npm_path
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        f"fetch_fonts: error: {WHEEL_NAME}: checksum mismatch for NotoSansCJK-Regular.ttc "
        f"(got {hashlib.sha256(b'tampered').hexdigest()[:12]}..., expected "
        f"{hashlib.sha256(fake_content('NotoSansCJK-Regular.ttc')).hexdigest()[:12]}...)"
    ]
    assert not (dest / "NotoSansCJK-Regular.ttc").exists()
    assert not [p for p in dest.iterdir() if p.name.startswith(".")], "temp file left behind"


def test_wheel_without_the_licence_names_the_missing_file(
    tmp_path, shared_without_collection, sums, wheelhouse, no_npm_path
):
    make_wheel(wheelhouse, leave_out="noto-cjk.LICENSE.txt")
    proc = run(
        "--dest",
        tmp_path / "fonts",
        "--shared",
        shared_without_collection,
        "--sums",
        sums,
        path=no_npm_path,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"fetch_fonts: error: {WHEEL_NAME}: wheel has no file "
        "noto_cjk_sans_otc-0.0.1.dist-info/licenses/LICENSE"
    ]


def test_garbage_wheel_is_one_clear_error(tmp_path, sums):
    wheel = tmp_path / WHEEL_NAME
    wheel.write_bytes(b"<html>404</html>")
    with pytest.raises(FETCH.FetchError) as info:
        FETCH.install_from_wheel(
            wheel, list(FETCH.PIP_FILES), tmp_path / "fonts", FETCH.read_sums(sums)
        )
    assert str(info.value) == f"{WHEEL_NAME}: unreadable wheel (File is not a zip file)"
