"""The VBA modules in macros/ (issue 6): each button Sub calls an existing Python handler.

The .bas text is parsed here the way the VBA editor imports it: the ``Attribute VB_Name`` line
first, CRLF line ends, ASCII only, one ``RunPython "<python>"`` per Sub. The Python statement is
checked against :mod:`addin.buttons`, and the Subs against the buttons excel-setup adds.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from addin import buttons
from addin.excel_setup import BUTTONS

MACROS = Path(__file__).resolve().parents[1] / "macros"
SUB_RE = re.compile(r"^(?:Public |Private )?Sub (\w+)\(\)\r\n(.*?)^End Sub\r?$", re.M | re.S)
RUNPYTHON_RE = re.compile(r'^\s*RunPython "([^"]*)"\s*$')


def _subs(path: Path) -> dict[str, list[str]]:
    text = path.read_bytes().decode("ascii")
    return {m.group(1): [line for line in m.group(2).split("\r\n") if line.strip()]
            for m in SUB_RE.finditer(text)}


def test_knappar_bas_is_importable_vba_text() -> None:
    raw = (MACROS / "Knappar.bas").read_bytes()
    assert raw.isascii()
    assert raw.startswith(b'Attribute VB_Name = "Knappar"\r\n')
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF only: LF-only files import as garbage
    assert b"Option Explicit\r\n" in raw


def test_knappar_has_one_sub_per_button() -> None:
    subs = _subs(MACROS / "Knappar.bas")
    assert list(subs) == ["Kontrollera", "Berakna", "Resultatbalansera", "UppdateraAllt"]
    assert [b.macro for b in BUTTONS] == list(subs)


@pytest.mark.parametrize("bas", sorted(MACROS.glob("*.bas")), ids=lambda p: p.name)
def test_every_runpython_names_an_existing_handler(bas: Path) -> None:
    subs = _subs(bas)
    assert subs, f"{bas.name} has no Sub"
    for name, body in subs.items():
        assert len(body) == 1, f"{name}: one RunPython line, nothing else"
        m = RUNPYTHON_RE.match(body[0])
        assert m, f"{name}: {body[0]!r}"
        tree = ast.parse(m.group(1))
        imp, call = tree.body
        assert isinstance(imp, ast.Import) and imp.names[0].name == "addin.buttons"
        func = call.value.func  # addin.buttons.<handler>
        assert ast.unparse(func.value) == "addin.buttons" and not call.value.args
        handler = getattr(buttons, func.attr)
        assert callable(handler)
        spec = next(b for b in BUTTONS if b.macro == name)
        assert spec.handler == func.attr
