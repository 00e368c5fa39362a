"""The docs keep their promises: pictures exist, every Excel function is documented."""

from __future__ import annotations

import re
from pathlib import Path

import addin.udfs as udfs

ROOT = Path(__file__).resolve().parents[1]


def test_every_picture_the_docs_show_exists() -> None:
    for doc in (ROOT / "docs").glob("*.md"):
        for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", doc.read_text(encoding="utf-8")):
            assert (doc.parent / target).exists(), f"{doc.name}: {target}"


def test_every_registered_udf_is_in_the_readme_and_the_user_guide() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    guide = (ROOT / "docs" / "ANVANDARGUIDE.md").read_text(encoding="utf-8")
    names = sorted(n for n in dir(udfs) if n.startswith("KB_"))
    assert len(names) >= 13
    for name in names:
        assert f"{name}(" in readme, name
        assert name in guide, name
