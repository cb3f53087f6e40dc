#!/usr/bin/env python3
"""Put the real fonts (and their OFL licences) into ``fonts/``, verified by checksum.

Usage::

    python3 scripts/fetch_fonts.py [--dest fonts] [--shared ../shared/fonts] [--from-registry]
        [--zoo]

By default the four fonts the tests, the demo and the benchmarks use, plus the Pan-CJK
collection ``NotoSansCJK-Regular.ttc`` (the regional forms of issue 20: face 0 JP, 3 TC, 4 HK);
``--zoo`` adds the font zoo of docs/few-shot.md (twelve more OFL Japanese fonts of varied
design, 57 MB on disk, ~130 MB of tarballs to download). Source order, per file: a shared copy
(``../shared/fonts`` next to the repository, if it exists and has the file), otherwise the
npm registry (``npm pack`` of pinned ``@expo-google-fonts`` packages, which ship the Google
Fonts TTFs unchanged) or, for the collection, PyPI (``python -m pip download`` of the pinned
wheel ``noto-cjk-sans-otc==0.0.1``, read with zipfile). Every file is checked against
``fonts/SHA256SUMS`` before it gets its final name; files already present with the right hash
are left alone.

Exit codes: 0 all files present and verified, 1 any failure (one line on stderr).
Standard library only, so it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEST = REPO_ROOT / "fonts"
DEFAULT_SHARED = REPO_ROOT.parent / "shared" / "fonts"
DEFAULT_SUMS = REPO_ROOT / "fonts" / "SHA256SUMS"


@dataclass(frozen=True)
class FontFile:
    """One file we want in ``fonts/`` and where it lives inside its npm package."""

    name: str
    package: str
    member: str  # path inside the package tarball


NOTO = "@expo-google-fonts/noto-sans-tc@0.4.3"
ZEN_MARU = "@expo-google-fonts/zen-maru-gothic@0.4.1"
ZEN_KAKU = "@expo-google-fonts/zen-kaku-gothic-new@0.4.1"

# The Pan-CJK collection comes from PyPI: the wheel noto-cjk-sans-otc 0.0.1 (OFL-1.1, 15.5 MB)
# carries the Regular collection byte-identical to Debian's fonts-noto-cjk 1:20220127+repack1-1
# (the upstream release is a 100+ MB zip of every weight), and pip is there wherever Python is.
# Its licence file, the SIL OFL 1.1 text, travels with it.
PIP_SPEC = "noto-cjk-sans-otc==0.0.1"
PIP_FILES: tuple[FontFile, ...] = (
    FontFile("NotoSansCJK-Regular.ttc", PIP_SPEC, "noto_cjk_sans_otc/NotoSansCJK-Regular.ttc"),
    FontFile(
        "noto-cjk.LICENSE.txt", PIP_SPEC, "noto_cjk_sans_otc-0.0.1.dist-info/licenses/LICENSE"
    ),
)

# The npm part of the default set: what CI, the demo and the benchmarks need.
NPM_FILES: tuple[FontFile, ...] = (
    FontFile("NotoSansTC_400Regular.ttf", NOTO, "package/400Regular/NotoSansTC_400Regular.ttf"),
    FontFile("noto-sans-tc.LICENSE_FONT.txt", NOTO, "package/LICENSE_FONT"),
    FontFile(
        "ZenMaruGothic_400Regular.ttf", ZEN_MARU, "package/400Regular/ZenMaruGothic_400Regular.ttf"
    ),
    FontFile("ZenMaruGothic_700Bold.ttf", ZEN_MARU, "package/700Bold/ZenMaruGothic_700Bold.ttf"),
    FontFile("zen-maru-gothic.LICENSE_FONT.txt", ZEN_MARU, "package/LICENSE_FONT"),
    FontFile(
        "ZenKakuGothicNew_400Regular.ttf",
        ZEN_KAKU,
        "package/400Regular/ZenKakuGothicNew_400Regular.ttf",
    ),
    FontFile("zen-kaku-gothic-new.LICENSE_FONT.txt", ZEN_KAKU, "package/LICENSE_FONT"),
)

# The default set. The collection is in it because the real-font tests of the form oracle
# (tests/integration) and the TC font chain need it.
FILES: tuple[FontFile, ...] = NPM_FILES + PIP_FILES


def _regular_with_licence(slug: str, version: str, stem: str) -> tuple[FontFile, FontFile]:
    """The 400 Regular TTF of ``@expo-google-fonts/<slug>@<version>`` and its OFL text."""
    package = f"@expo-google-fonts/{slug}@{version}"
    name = f"{stem}_400Regular.ttf"
    return (
        FontFile(name, package, f"package/400Regular/{name}"),
        FontFile(f"{slug}.LICENSE_FONT.txt", package, "package/LICENSE_FONT"),
    )


# The font zoo (opt-in, ``--zoo``): OFL Japanese fonts of varied design for the multi-font
# pretraining of docs/few-shot.md, plus Noto Sans JP, the source drawn in Japanese forms.
# (package slug, pinned version, file stem); scripts/build_zoo.py says which role each plays.
ZOO_PACKAGES: tuple[tuple[str, str, str], ...] = (
    ("noto-sans-jp", "0.4.3", "NotoSansJP"),
    ("noto-serif-jp", "0.4.3", "NotoSerifJP"),
    ("biz-udpgothic", "0.4.2", "BIZUDPGothic"),
    ("m-plus-rounded-1c", "0.4.4", "MPLUSRounded1c"),
    ("zen-old-mincho", "0.4.1", "ZenOldMincho"),
    ("kaisei-decol", "0.4.1", "KaiseiDecol"),
    ("kiwi-maru", "0.4.1", "KiwiMaru"),
    ("klee-one", "0.4.1", "KleeOne"),
    ("yusei-magic", "0.4.2", "YuseiMagic"),
    ("zen-kurenaido", "0.4.1", "ZenKurenaido"),
    ("dela-gothic-one", "0.4.1", "DelaGothicOne"),
    ("rocknroll-one", "0.4.1", "RocknRollOne"),
)
ZOO_FILES: tuple[FontFile, ...] = tuple(
    f for entry in ZOO_PACKAGES for f in _regular_with_licence(*entry)
)


_UMASK = os.umask(0)
os.umask(_UMASK)


class FetchError(Exception):
    """A failure to report as one line and exit 1."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_sums(path: Path, files: Iterable[FontFile] = FILES) -> dict[str, str]:
    """Parse a ``sha256sum`` style file (``<hex>  <name>`` per line) that must cover ``files``."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise FetchError(f"{path}: cannot read checksum file ({exc.strerror})") from None
    sums: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or len(parts[0]) != 64:
            raise FetchError(f"{path}:{number}: not a '<sha256>  <name>' line")
        sums[parts[1].lstrip("*").strip()] = parts[0].lower()
    missing = [f.name for f in files if f.name not in sums]
    if missing:
        raise FetchError(f"{path}: no checksum for {', '.join(missing)}")
    return sums


def install_stream(src: BinaryIO, dest: Path, expected: str, origin: str) -> None:
    """Copy ``src`` to ``dest`` via a temp name; rename only if the hash matches."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
                out.write(chunk)
        actual = digest.hexdigest()
        if actual != expected:
            raise FetchError(
                f"{origin}: checksum mismatch for {dest.name} "
                f"(got {actual[:12]}..., expected {expected[:12]}...)"
            )
        # mkstemp creates 0600; give the file the mode a plain copy would get.
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()


def copy_from_shared(shared: Path, wanted: Iterable[FontFile], dest: Path, sums: dict) -> None:
    for font in wanted:
        src = shared / font.name
        try:
            fh = src.open("rb")
        except OSError as exc:
            raise FetchError(f"{src}: cannot read ({exc.strerror})") from None
        with fh:
            install_stream(fh, dest / font.name, sums[font.name], str(src))
        print(f"fetch_fonts: {font.name} <- {src}")


def npm_pack(package: str, workdir: Path) -> Path:
    """Download one package tarball with ``npm pack``; return its path."""
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError(
            "npm not found on PATH: install Node.js/npm, or pass --shared DIR with the fonts"
        )
    outdir = Path(tempfile.mkdtemp(dir=workdir))
    try:
        proc = subprocess.run(
            [npm, "pack", package, "--silent"],
            cwd=outdir,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as exc:
        raise FetchError(f"npm: cannot run {npm} ({exc.strerror})") from None
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        detail = lines[-1].strip() if lines else f"exit status {proc.returncode}"
        raise FetchError(f"npm pack {package} failed: {detail}")
    tarballs = sorted(outdir.glob("*.tgz"))
    if len(tarballs) != 1:
        raise FetchError(f"npm pack {package} produced {len(tarballs)} tarballs, expected 1")
    return tarballs[0]


def fetch_from_registry(wanted: list[FontFile], dest: Path, sums: dict) -> None:
    with tempfile.TemporaryDirectory(prefix="fetch_fonts-") as tmp:
        packages = dict.fromkeys(f.package for f in wanted)  # ordered, unique
        for package in packages:
            tgz = npm_pack(package, Path(tmp))
            try:
                with tarfile.open(tgz, "r:gz") as tar:
                    for font in (f for f in wanted if f.package == package):
                        # Read members directly instead of extracting: no path games.
                        try:
                            member = tar.extractfile(font.member)
                        except KeyError:
                            member = None
                        if member is None:
                            raise FetchError(f"{package}: tarball has no file {font.member}")
                        with member:
                            install_stream(member, dest / font.name, sums[font.name], package)
                        print(f"fetch_fonts: {font.name} <- {package}")
            except (tarfile.TarError, EOFError, OSError) as exc:
                raise FetchError(f"{tgz.name}: unreadable tarball ({exc})") from None


def pip_download(spec: str, workdir: Path) -> Path:
    """Download one pinned wheel with this Python's pip into ``workdir``; return its path.

    pip's own settings apply (``PIP_INDEX_URL``, ``PIP_NO_INDEX`` + ``PIP_FIND_LINKS`` for a
    folder holding the wheel when offline, proxies, certificates).
    """
    python = sys.executable
    command = [python, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    command += ["--disable-pip-version-check", "--dest", str(workdir), spec]
    print(f"fetch_fonts: downloading {spec} with pip (15.5 MB)")
    try:
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise FetchError(f"pip: cannot run {python} ({exc.strerror})") from None
    if proc.returncode != 0:
        output = proc.stderr or proc.stdout or ""
        if "No module named pip" in output:
            raise FetchError(
                f"{python} has no pip: the Pan-CJK collection comes from PyPI ({spec}); "
                "install pip for it, or pass --shared DIR with the fonts"
            )
        lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
        errors = [ln.removeprefix("ERROR: ") for ln in lines if ln.startswith("ERROR:")]
        detail = (errors or lines or [f"exit status {proc.returncode}"])[-1]
        raise FetchError(
            f"pip download {spec} failed ({detail}): rerun 'python3 scripts/fetch_fonts.py' "
            "once PyPI is reachable, or pass --shared DIR with the fonts"
        )
    wheels = sorted(workdir.glob("*.whl"))
    if len(wheels) != 1:
        raise FetchError(f"pip download {spec} produced {len(wheels)} wheels, expected 1")
    return wheels[0]


def install_from_wheel(wheel: Path, wanted: list[FontFile], dest: Path, sums: dict) -> None:
    """Copy the ``wanted`` members out of a wheel (a zip archive), each checksummed."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            for font in wanted:
                try:
                    member = archive.open(font.member)
                except KeyError:
                    raise FetchError(f"{wheel.name}: wheel has no file {font.member}") from None
                with member:
                    install_stream(member, dest / font.name, sums[font.name], wheel.name)
                print(f"fetch_fonts: {font.name} <- {wheel.name}")
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise FetchError(f"{wheel.name}: unreadable wheel ({exc})") from None


def fetch_from_pip(wanted: list[FontFile], dest: Path, sums: dict) -> None:
    """The collection's files from a fresh ``pip download`` of the pinned wheel."""
    with tempfile.TemporaryDirectory(prefix="fetch_fonts-") as tmp:
        install_from_wheel(pip_download(PIP_SPEC, Path(tmp)), wanted, dest, sums)


def fetch(
    dest: Path,
    shared: Path,
    sums_path: Path,
    from_registry: bool,
    zoo: bool = False,
) -> int:
    files = FILES + ZOO_FILES if zoo else FILES
    sums = read_sums(sums_path, files)
    wanted: list[FontFile] = []
    for font in files:
        target = dest / font.name
        if target.is_file() and sha256_file(target) == sums[font.name]:
            continue
        if target.exists():
            print(f"fetch_fonts: {target} has the wrong checksum; replacing it")
        wanted.append(font)
    if not wanted:
        print(f"fetch_fonts: all {len(files)} files present and verified in {dest}")
        return 0
    # The shared copy holds the default set; what it lacks comes from npm or PyPI.
    in_shared = (
        []
        if from_registry or not shared.is_dir()
        else [f for f in wanted if (shared / f.name).exists()]
    )
    if in_shared:
        copy_from_shared(shared, in_shared, dest, sums)
    from_pip = [f for f in wanted if f in PIP_FILES and f not in in_shared]
    from_npm = [f for f in wanted if f not in in_shared and f not in from_pip]
    if from_npm:
        fetch_from_registry(from_npm, dest, sums)
    if from_pip:
        fetch_from_pip(from_pip, dest, sums)
    print(f"fetch_fonts: {len(wanted)} file(s) written, all {len(files)} verified in {dest}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST, help="target directory")
    parser.add_argument(
        "--shared",
        type=Path,
        default=DEFAULT_SHARED,
        help="directory with a verified copy, used if it exists (default: ../shared/fonts)",
    )
    parser.add_argument(
        "--from-registry",
        action="store_true",
        help="ignore the shared copy; download with npm pack (pip download for the collection)",
    )
    parser.add_argument(
        "--sums", type=Path, default=DEFAULT_SUMS, help="checksum file (default: fonts/SHA256SUMS)"
    )
    parser.add_argument(
        "--zoo",
        action="store_true",
        help="also fetch the font zoo for multi-font pretraining (docs/few-shot.md)",
    )
    args = parser.parse_args(argv)
    try:
        return fetch(args.dest, args.shared, args.sums, args.from_registry, args.zoo)
    except FetchError as exc:
        print(f"fetch_fonts: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"fetch_fonts: error: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("fetch_fonts: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
