"""scripts/fetch_fonts.py: verified copies from a shared dir, npm or a .deb, never a wrong file.

Offline: the shared directory is fake, the registry route runs against a fake ``npm``
executable that builds tarballs locally, and the Debian route against a fake ``apt-get`` that
writes a locally built .deb (ar archive + data.tar.xz). The script runs as a subprocess, the
way users and nox run it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import tarfile
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
DEB_NAMES = [f.name for f in FETCH.DEB_FILES]
ZOO_NAMES = [f.name for f in FETCH.ZOO_FILES]


def fake_content(name: str) -> bytes:
    return f"fake bytes of {name}\n".encode()


def write_sums(path: Path, names: list[str]) -> Path:
    lines = [f"{hashlib.sha256(fake_content(n)).hexdigest()}  {n}" for n in names]
    path.write_text("\n".join(lines) + "\n")
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


def make_deb(members: dict[str, bytes]) -> bytes:
    """A minimal .deb: an ar archive of debian-binary, control.tar.xz and data.tar.xz."""

    def tar_xz(files: dict[str, bytes]) -> bytes:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:xz") as tar:
            for name, data in files.items():
                info = tarfile.TarInfo("./" + name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return buf.getvalue()

    parts = [
        ("debian-binary", b"2.0\n"),
        ("control.tar.xz", tar_xz({"control": b"Package: fonts-noto-cjk\n"})),
        ("data.tar.xz", tar_xz({"usr/share/doc/other": b"x", **members})),
    ]
    out = io.BytesIO(b"!<arch>\n")
    out.seek(0, io.SEEK_END)
    for name, data in parts:
        header = f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n"
        out.write(header.encode() + data + (b"\n" if len(data) % 2 else b""))
    return out.getvalue()


def deb_members(wrong: str | None = None) -> dict[str, bytes]:
    """The collection's members as the fake .deb ships them (``wrong``: tampered bytes)."""
    return {
        f.member: b"tampered" if f.name == wrong else fake_content(f.name) for f in FETCH.DEB_FILES
    }


def write_fake_apt(bin_dir: Path, deb: bytes, needs_update: bool = False) -> Path:
    """An ``apt-get`` whose ``download`` writes ``deb`` (after ``update`` if ``needs_update``).

    Every call is appended to ``bin_dir/apt.log``.
    """
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "the.deb").write_bytes(deb)
    updated = bin_dir / "updated"
    if not needs_update:
        updated.write_text("")
    apt = bin_dir / "apt-get"
    apt.write_text(
        f"#!{sys.executable}\n"
        "import os, shutil, sys\n"
        f"open({str(bin_dir / 'apt.log')!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
        "if sys.argv[1] == 'update':\n"
        f"    open({str(updated)!r}, 'w').close()\n"
        "    sys.exit(0)\n"
        f"if not os.path.exists({str(updated)!r}):\n"
        "    print('E: Unable to locate package fonts-noto-cjk', file=sys.stderr)\n"
        "    sys.exit(100)\n"
        f"shutil.copy({str(bin_dir / 'the.deb')!r}, 'fonts-noto-cjk_1%3a20220127_all.deb')\n"
    )
    apt.chmod(0o755)
    return bin_dir / "apt.log"


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


def test_registry_route_extracts_the_pinned_members(tmp_path, sums):
    bin_dir = tmp_path / "bin"
    write_fake_npm(bin_dir, registry_layout())
    write_fake_apt(bin_dir, make_deb(deb_members()))
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


def test_zoo_from_registry_fetches_every_font_and_licence(tmp_path, zoo_sums):
    bin_dir = tmp_path / "bin"
    write_fake_npm(bin_dir, registry_layout(files=FETCH.NPM_FILES + FETCH.ZOO_FILES))
    write_fake_apt(bin_dir, make_deb(deb_members()))
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


# The Pan-CJK collection: Debian's fonts-noto-cjk .deb, via apt-get download or --deb FILE.


@pytest.fixture
def shared_without_collection(shared: Path) -> Path:
    """A shared copy holding only the npm fonts, as ../shared/fonts did before issue 20."""
    for name in DEB_NAMES:
        (shared / name).unlink()
    return shared


def test_collection_is_in_the_default_set_pinned_to_one_debian_version():
    assert "NotoSansCJK-Regular.ttc" in NAMES and "noto-cjk.LICENSE.txt" in NAMES
    assert FETCH.DEB_SPEC == "fonts-noto-cjk=1:20220127+repack1-1"
    sums = FETCH.read_sums(FETCH.DEFAULT_SUMS)
    assert sums["NotoSansCJK-Regular.ttc"] == (
        "b76b0433203017ca80401b2ee0dd69350349871c4b19d504c34dbdd80541690a"
    )


def test_collection_comes_from_apt_when_the_shared_copy_lacks_it(
    tmp_path, shared_without_collection, sums
):
    bin_dir = tmp_path / "bin"
    log = write_fake_apt(bin_dir, make_deb(deb_members()))
    dest = tmp_path / "fonts"
    proc = run(
        "--dest", dest, "--shared", shared_without_collection, "--sums", sums, path=str(bin_dir)
    )
    assert proc.returncode == 0, proc.stderr
    assert_all_fetched(dest)
    assert log.read_text() == f"download {FETCH.DEB_SPEC}\n"
    assert "NotoSansCJK-Regular.ttc <- fonts-noto-cjk_1%3a20220127_all.deb" in proc.stdout


def test_root_with_empty_package_lists_runs_apt_update_once(
    tmp_path, shared_without_collection, sums, monkeypatch
):
    bin_dir = tmp_path / "bin"
    log = write_fake_apt(bin_dir, make_deb(deb_members()), needs_update=True)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(FETCH.os, "geteuid", lambda: 0)
    dest = tmp_path / "fonts"
    assert FETCH.fetch(dest, shared_without_collection, sums, False) == 0
    assert_all_fetched(dest)
    assert log.read_text().splitlines() == [
        f"download {FETCH.DEB_SPEC}",
        "update -qq",
        f"download {FETCH.DEB_SPEC}",
    ]


def test_non_root_with_stale_lists_says_what_to_run(
    tmp_path, shared_without_collection, sums, monkeypatch
):
    bin_dir = tmp_path / "bin"
    log = write_fake_apt(bin_dir, make_deb(deb_members()), needs_update=True)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(FETCH.os, "geteuid", lambda: 1000)
    dest = tmp_path / "fonts"
    with pytest.raises(FETCH.FetchError) as info:
        FETCH.fetch(dest, shared_without_collection, sums, False)
    assert str(info.value) == (
        f"apt-get download {FETCH.DEB_SPEC} failed: E: Unable to locate package fonts-noto-cjk; "
        "run 'apt-get update' as root first, or pass --deb FILE"
    )
    assert "update" not in log.read_text()
    assert not any((dest / n).exists() for n in DEB_NAMES)


def test_no_apt_get_is_one_clear_error(tmp_path, shared_without_collection, sums, no_npm_path):
    dest = tmp_path / "fonts"
    proc = run(
        "--dest", dest, "--shared", shared_without_collection, "--sums", sums, path=no_npm_path
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "fetch_fonts: error: apt-get not found: the Pan-CJK collection comes from Debian's "
        f"{FETCH.DEB_SPEC}; download that .deb and pass --deb FILE (or --shared DIR with the fonts)"
    ]


def test_deb_option_reads_a_downloaded_package(
    tmp_path, shared_without_collection, sums, no_npm_path
):
    deb = tmp_path / "fonts-noto-cjk.deb"
    deb.write_bytes(make_deb(deb_members()))
    dest = tmp_path / "fonts"
    proc = run(
        "--dest",
        dest,
        "--shared",
        shared_without_collection,
        "--sums",
        sums,
        "--deb",
        deb,
        path=no_npm_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert_all_fetched(dest)


def test_tampered_collection_in_the_deb_is_refused(
    tmp_path, shared_without_collection, sums, no_npm_path
):
    deb = tmp_path / "fonts-noto-cjk.deb"
    deb.write_bytes(make_deb(deb_members(wrong="NotoSansCJK-Regular.ttc")))
    dest = tmp_path / "fonts"
    proc = run(
        "--dest",
        dest,
        "--shared",
        shared_without_collection,
        "--sums",
        sums,
        "--deb",
        deb,
        path=no_npm_path,
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "checksum mismatch for NotoSansCJK-Regular.ttc" in lines[0]
    assert not (dest / "NotoSansCJK-Regular.ttc").exists()
    assert not [p for p in dest.iterdir() if p.name.startswith(".")], "temp file left behind"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html>404</html>", "not a Debian package (no ar archive header)"),
        (b"!<arch>\n", "no data.tar member in the package"),
    ],
)
def test_garbage_deb_is_one_clear_error(
    tmp_path, shared_without_collection, sums, no_npm_path, content, message
):
    deb = tmp_path / "broken.deb"
    deb.write_bytes(content)
    proc = run(
        "--dest",
        tmp_path / "fonts",
        "--shared",
        shared_without_collection,
        "--sums",
        sums,
        "--deb",
        deb,
        path=no_npm_path,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [f"fetch_fonts: error: {deb}: {message}"]


def test_deb_without_the_collection_names_the_missing_file(
    tmp_path, shared_without_collection, sums, no_npm_path
):
    deb = tmp_path / "other.deb"
    deb.write_bytes(make_deb({"usr/share/fonts/other.ttc": b"x"}))
    proc = run(
        "--dest",
        tmp_path / "fonts",
        "--shared",
        shared_without_collection,
        "--sums",
        sums,
        "--deb",
        deb,
        path=no_npm_path,
    )
    assert proc.returncode == 1
    line = proc.stderr.strip()
    assert "package has no file" in line and "NotoSansCJK-Regular.ttc" in line
