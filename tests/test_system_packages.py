"""The system packages the tests need (README, "System packages"). Where they are required
(``KB_REQUIRE_LIBREOFFICE=1``, as in CI) a missing one fails here by name instead of letting the
tests that use it skip or fail obscurely."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

REQUIRED = os.environ.get("KB_REQUIRE_LIBREOFFICE", "") not in ("", "0")


def _carlito() -> bool:
    if shutil.which("fc-list") is None:
        return False
    out = subprocess.run(["fc-list"], capture_output=True, text=True, check=False).stdout
    return "carlito" in out.casefold()


CHECKS = {
    "libreoffice-calc-nogui (soffice)": lambda: bool(shutil.which("soffice")
                                                     or shutil.which("libreoffice")),
    "poppler-utils (pdftoppm)": lambda: shutil.which("pdftoppm") is not None,
    "poppler-utils (pdftotext)": lambda: shutil.which("pdftotext") is not None,
    "fonts-crosextra-carlito (fc-list)": _carlito,
}


@pytest.mark.parametrize("package", list(CHECKS))
def test_system_package_is_installed(package: str) -> None:
    if not REQUIRED and not CHECKS[package]():
        pytest.skip(f"{package} not installed (required in CI: KB_REQUIRE_LIBREOFFICE=1)")
    assert CHECKS[package](), f"{package} is missing; see README, System packages"
