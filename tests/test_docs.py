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


def _signatures(text: str, sep: str) -> dict[str, list[str]]:
    """``KB_NAME(a<sep> b<sep> [c])`` in backticks → {name: ["a", "b", "[c]"]}."""
    out: dict[str, list[str]] = {}
    for name, args in re.findall(r"`(KB_\w+)\(([^)`]*)\)`", text):
        if "=" in args or '"' in args:
            continue  # an example formula, not a signature
        out[name] = [a.strip() for a in args.split(sep)]
    return out


def test_argument_names_excel_shows_are_those_in_the_readme_and_the_guide() -> None:
    """Issue 12: the names Excel's wizard shows come from the real xlwings registration."""
    from tests.xlwings_windows import windows_xlwings

    readme = _signatures((ROOT / "README.md").read_text(encoding="utf-8"), ",")
    guide = _signatures((ROOT / "docs" / "ANVANDARGUIDE.md").read_text(encoding="utf-8"), ";")
    with windows_xlwings() as xl:
        for name, func in xl.functions().items():
            shown = [a["name"] if "optional" not in a else f"[{a['name']}]"
                     for a in func.__xlfunc__["args"]]
            assert readme.get(name) == shown, (name, readme.get(name), shown)
            assert guide.get(name) == shown, (name, guide.get(name), shown)


def test_reliability_counts_the_bad_input_corpus() -> None:
    """RELIABILITY.md says how many cases the bad-input corpus has, twice, and names each one."""
    from tests.bad_inputs import CASES

    text = (ROOT / "docs" / "RELIABILITY.md").read_text(encoding="utf-8")
    assert f"| bad-input corpus | **{len(CASES)}** cases" in text
    assert f"**Numbers: {len(CASES)} cases** (`CASES`)" in text
    for case in CASES:
        assert f"`{case.name}`" in text, case.name
