#!/usr/bin/env python3
"""Put the real fonts (and their OFL licences) into ``fonts/``, verified by checksum.

Usage::

    python3 scripts/fetch_fonts.py [--dest fonts] [--shared ../shared/fonts] [--from-registry]
        [--zoo] [--deb fonts-noto-cjk_20220127+repack1-1_all.deb]

By default the four fonts the tests, the demo and the benchmarks use, plus the Pan-CJK
collection ``NotoSansCJK-Regular.ttc`` (the regional forms of issue 20: face 0 JP, 3 TC, 4 HK);
``--zoo`` adds the font zoo of docs/few-shot.md (twelve more OFL Japanese fonts of varied
design, 57 MB on disk, ~130 MB of tarballs to download). Source order, per file: a shared copy
(``../shared/fonts`` next to the repository, if it exists and has the file), otherwise the
npm registry (``npm pack`` of pinned ``@expo-google-fonts`` packages, which ship the Google
Fonts TTFs unchanged) or, for the collection, Debian's ``fonts-noto-cjk`` package at a pinned
version (``apt-get download``, or a ``.deb`` given with ``--deb``), read in Python (ar archive,
data.tar.xz). Every file is checked against ``fonts/SHA256SUMS`` before it gets its final
name; files already present with the right hash are left alone.

Exit codes: 0 all files present and verified, 1 any failure (one line on stderr).
Standard library only, so it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
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

# The Pan-CJK collection comes from Debian (the upstream release is a 100+ MB zip of every
# weight); the package's copyright file carries the SIL OFL 1.1 text and travels with it.
DEB_PACKAGE = "fonts-noto-cjk"
DEB_VERSION = "1:20220127+repack1-1"
DEB_SPEC = f"{DEB_PACKAGE}={DEB_VERSION}"
DEB_FILES: tuple[FontFile, ...] = (
    FontFile(
        "NotoSansCJK-Regular.ttc", DEB_SPEC, "usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
    ),
    FontFile("noto-cjk.LICENSE.txt", DEB_SPEC, "usr/share/doc/fonts-noto-cjk/copyright"),
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
# (tests/integration) and the TC font chain need it; CI runs as root on Debian, where apt works.
FILES: tuple[FontFile, ...] = NPM_FILES + DEB_FILES


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


class _Slice:
    """A read-only window ``[offset, offset + size)`` of an open file (one ar member)."""

    def __init__(self, fh: BinaryIO, offset: int, size: int) -> None:
        fh.seek(offset)
        self._fh, self._left = fh, size

    def read(self, n: int = -1) -> bytes:
        n = self._left if n is None or n < 0 else min(n, self._left)
        data = self._fh.read(n)
        self._left -= len(data)
        return data


def _deb_data_member(fh: BinaryIO, deb: Path) -> tuple[str, _Slice]:
    """Find ``data.tar.*`` in the ar archive of a .deb; return its name and a reader over it."""
    if fh.read(8) != b"!<arch>\n":
        raise FetchError(f"{deb}: not a Debian package (no ar archive header)")
    offset = 8
    while True:
        fh.seek(offset)
        header = fh.read(60)
        if len(header) < 60 or header[58:60] != b"`\n":
            raise FetchError(f"{deb}: no data.tar member in the package")
        name = header[:16].decode("ascii", "replace").strip().rstrip("/")
        try:
            size = int(header[48:58].decode("ascii").strip())
        except ValueError:
            raise FetchError(f"{deb}: corrupt ar member header at byte {offset}") from None
        if name.startswith("data.tar"):
            return name, _Slice(fh, offset + 60, size)
        offset += 60 + size + (size & 1)  # members are padded to an even length


def install_from_deb(deb: Path, wanted: list[FontFile], dest: Path, sums: dict) -> None:
    """Copy the ``wanted`` members out of a .deb's data.tar.xz (or .gz), each checksummed."""
    try:
        fh = deb.open("rb")
    except OSError as exc:
        raise FetchError(f"{deb}: cannot read ({exc.strerror})") from None
    by_member = {font.member: font for font in wanted}
    with fh:
        name, data = _deb_data_member(fh, deb)
        compression = {"data.tar.xz": "xz", "data.tar.gz": "gz", "data.tar": ""}.get(name)
        if compression is None:
            raise FetchError(f"{deb}: unsupported {name} (expected data.tar.xz)")
        try:
            # Stream mode: one pass over the xz data, no temporary copy of the tarball.
            with tarfile.open(fileobj=data, mode=f"r|{compression}") as tar:
                for member in tar:
                    font = by_member.pop(member.name.removeprefix("./"), None)
                    if font is None or not member.isfile():
                        continue
                    with tar.extractfile(member) as stream:
                        install_stream(stream, dest / font.name, sums[font.name], deb.name)
                    print(f"fetch_fonts: {font.name} <- {deb.name}")
        except (tarfile.TarError, lzma.LZMAError, EOFError) as exc:
            raise FetchError(f"{deb}: unreadable {name} ({exc})") from None
    if by_member:
        raise FetchError(f"{deb}: package has no file {', '.join(sorted(by_member))}")


def _apt_error(proc: subprocess.CompletedProcess) -> str:
    lines = [ln.strip() for ln in (proc.stderr or proc.stdout or "").splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("E:")]
    return (errors or lines or [f"exit status {proc.returncode}"])[-1]


def apt_download(spec: str, workdir: Path) -> Path:
    """``apt-get download`` one pinned package into ``workdir``; return the .deb's path.

    As root, a failed download is retried once after ``apt-get update`` (fresh containers
    ship with empty package lists); otherwise the error says what to run.
    """
    apt = shutil.which("apt-get")
    if apt is None:
        raise FetchError(
            f"apt-get not found: the Pan-CJK collection comes from Debian's {spec}; "
            "download that .deb and pass --deb FILE (or --shared DIR with the fonts)"
        )
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    for attempt in (1, 2):
        try:
            proc = subprocess.run(
                [apt, "download", spec], cwd=workdir, capture_output=True, text=True, check=False
            )
        except OSError as exc:
            raise FetchError(f"apt-get: cannot run {apt} ({exc.strerror})") from None
        if proc.returncode == 0:
            break
        if attempt == 2 or not is_root:
            hint = "" if is_root else "; run 'apt-get update' as root first, or pass --deb FILE"
            raise FetchError(f"apt-get download {spec} failed: {_apt_error(proc)}{hint}")
        update = subprocess.run([apt, "update", "-qq"], capture_output=True, text=True, check=False)
        if update.returncode != 0:
            raise FetchError(f"apt-get update failed: {_apt_error(update)}")
    debs = sorted(workdir.glob("*.deb"))
    if len(debs) != 1:
        raise FetchError(f"apt-get download {spec} produced {len(debs)} .deb files, expected 1")
    return debs[0]


def fetch_from_deb(wanted: list[FontFile], dest: Path, sums: dict, deb: Path | None) -> None:
    """The collection's files from ``deb``, or from a fresh ``apt-get download``."""
    if deb is not None:
        install_from_deb(deb, wanted, dest, sums)
        return
    with tempfile.TemporaryDirectory(prefix="fetch_fonts-") as tmp:
        install_from_deb(apt_download(DEB_SPEC, Path(tmp)), wanted, dest, sums)


def fetch(
    dest: Path,
    shared: Path,
    sums_path: Path,
    from_registry: bool,
    zoo: bool = False,
    deb: Path | None = None,
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
    # The shared copy holds the default set; what it lacks comes from npm or Debian.
    in_shared = (
        []
        if from_registry or not shared.is_dir()
        else [f for f in wanted if (shared / f.name).exists()]
    )
    if in_shared:
        copy_from_shared(shared, in_shared, dest, sums)
    from_deb = [f for f in wanted if f in DEB_FILES and f not in in_shared]
    from_npm = [f for f in wanted if f not in in_shared and f not in from_deb]
    if from_npm:
        fetch_from_registry(from_npm, dest, sums)
    if from_deb:
        fetch_from_deb(from_deb, dest, sums, deb)
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
        help="ignore the shared copy; download with npm pack (and apt-get for the collection)",
    )
    parser.add_argument(
        "--sums", type=Path, default=DEFAULT_SUMS, help="checksum file (default: fonts/SHA256SUMS)"
    )
    parser.add_argument(
        "--zoo",
        action="store_true",
        help="also fetch the font zoo for multi-font pretraining (docs/few-shot.md)",
    )
    parser.add_argument(
        "--deb",
        type=Path,
        help=f"take the Pan-CJK collection from this .deb ({DEB_SPEC}) instead of apt-get",
    )
    args = parser.parse_args(argv)
    try:
        return fetch(args.dest, args.shared, args.sums, args.from_registry, args.zoo, args.deb)
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
