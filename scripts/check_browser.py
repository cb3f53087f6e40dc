#!/usr/bin/env python3
"""Is the review page's browser test able to run here? (the README's test command asks first)

The test drives Debian's headless ``chromium`` through ``chromium-driver`` (``REVIEW_CHROMIUM``
/ ``REVIEW_CHROMEDRIVER`` name other binaries). Exit 0 when both are there; otherwise one line
on stderr naming the missing packages and how to get them, exit 1, so that the test command
fails instead of passing with the browser test skipped. Standard library only.
"""

from __future__ import annotations

import os
import shutil
import sys

PACKAGES = {  # binary -> (environment override, Debian package)
    "chromium": ("REVIEW_CHROMIUM", "chromium"),
    "chromedriver": ("REVIEW_CHROMEDRIVER", "chromium-driver"),
}
DEFAULT_PATHS = {"chromium": "/usr/bin/chromium", "chromedriver": "/usr/bin/chromedriver"}


def missing_packages(env: dict[str, str] | os._Environ[str] = os.environ) -> list[str]:
    """The Debian packages whose binaries are not found (in test order)."""
    missing = []
    for binary, (variable, package) in PACKAGES.items():
        path = env.get(variable, DEFAULT_PATHS[binary])
        if shutil.which(path) is None:  # as tests/browser does: that path, or a name on PATH
            missing.append(package)
    return missing


def main() -> int:
    missing = missing_packages()
    if not missing:
        return 0
    names = " ".join(missing)
    print(
        f"check_browser: the review page's browser test needs {', '.join(missing)} (not "
        f"installed): sudo apt-get install {names} (Debian/Ubuntu; .ci/run as root installs "
        f"them), or skip that session: nox -k 'not browser'",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
