"""glyphrender never imports torch: every module imports with torch made unimportable.

Users building datasets or fonts must not need (or pay the import time of) torch. A fresh
interpreter installs a meta-path finder that refuses ``torch`` before anything else runs,
then imports every module of the package, found with ``pkgutil.walk_packages``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import importlib
    import importlib.abc
    import pkgutil
    import sys

    class BlockTorch(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                raise ImportError(f"blocked import of {name}")
            return None

    sys.meta_path.insert(0, BlockTorch())

    import glyphrender

    names = ["glyphrender"]
    failures = []
    def onerror(name):
        failures.append(f"{name}: {sys.exc_info()[1]!r}")
    for info in pkgutil.walk_packages(glyphrender.__path__, "glyphrender.", onerror=onerror):
        names.append(info.name)
        try:
            importlib.import_module(info.name)
        except Exception as exc:
            failures.append(f"{info.name}: {exc!r}")
    assert "torch" not in sys.modules
    for line in failures:
        print("FAILED", line)
    for name in names:
        print("IMPORTED", name)
    sys.exit(1 if failures else 0)
    """
)


def test_every_glyphrender_module_imports_without_torch():
    proc = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    imported = {line.split()[1] for line in proc.stdout.splitlines() if line.startswith("IMPORTED")}
    # The walk really found the package's modules (not just the top level).
    assert {"glyphrender", "glyphrender.dataset.shards", "glyphrender.cli"} <= imported


def test_the_blocker_really_blocks():
    """Guard against a vacuous pass: the same finder makes ``import torch`` fail."""
    code = CHILD.split("import glyphrender", 1)[0] + "import torch\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "blocked import of torch" in proc.stderr
