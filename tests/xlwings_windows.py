"""Run the KB_ functions through xlwings' own Windows UDF code path, pywin32 stubbed.

On Linux ``xw.func``/``xw.arg``/``xw.ret`` are no-ops, so calling a UDF directly proves nothing
about what Excel gets. This script imports the *real* ``xlwings.udfs`` and ``xlwings._xlwindows``
(the modules Excel's COM server runs) with the pywin32 modules replaced by stubs, re-imports the
add-in so that its functions are decorated by the real ``xlfunc``/``xlarg``/``xlret``, and calls
them with :func:`xlwings.udfs.call_udf` — the function Excel's VBA wrapper calls — handing range
arguments as COM Range objects (a stub whose ``Value`` is what COM returns: a scalar for one cell,
a tuple of row tuples for a block, ``None`` for blanks, Excel's error integers for error cells).
xlwings' own reading (``ndim``, ``err_to_str``, blanks) and writing of the result then run.

Used by ``tests/test_udfs_windows.py`` in a subprocess (stdin: JSON list of calls; stdout: JSON
list of results), so the stubs never leak into the rest of the test session. A call is
``[function name, arg, ...]``; an arg ``{"range": [[...], ...]}`` is a range (``{"error": n}`` in it
is an error cell), ``{"missing": true}`` an omitted optional argument, anything else a literal.
Only the synchronous path without a caller is exercised (no dynamic-array resize).
"""

from __future__ import annotations

import ctypes
import datetime as dt
import json
import sys
import traceback
import types
from typing import Any
from unittest import mock

RANGE_IID = "{00020846-0000-0000-C000-000000000046}"
MISSING = -2147352572  # what COM passes for an omitted optional argument
PYWIN32 = ("pythoncom", "pywintypes", "win32api", "win32con", "win32gui", "win32process",
           "win32timezone", "win32com", "win32com.client", "win32com.server",
           "win32com.server.util", "win32com.client.dynamic", "win32com.client.gencache")


class _Stub(types.ModuleType):
    """A pywin32 module: any attribute is a mock (nothing here talks to Windows)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = mock.MagicMock(name=f"{self.__name__}.{name}")
        setattr(self, name, value)
        return value


class ComRange:
    """What Excel hands Python over COM for a range argument (only what xlwings reads)."""

    class _Count:
        def __init__(self, n: int) -> None:
            self.Count = n

    def __init__(self, rows: list[list[object]]) -> None:
        self._rows = tuple(tuple(r) for r in rows)
        self.Worksheet = mock.MagicMock(name="Worksheet")  # sheet -> book -> app -> engine
        self.Worksheet.Name = "Funktioner"
        self.Worksheet.Parent.Name = "kommun.xlsx"
        self.Row, self.Column = 1, 1
        self.Address = f"$A$1:${chr(64 + max(1, len(self._rows[0]) if self._rows else 1))}$" \
            f"{max(1, len(self._rows))}"
        ole = mock.MagicMock()
        ole.GetTypeInfo.return_value.GetTypeAttr.return_value.iid = RANGE_IID
        self._oleobj_ = ole

    @property
    def Value(self) -> object:  # noqa: N802 - COM name
        if len(self._rows) == 1 and len(self._rows[0]) == 1:
            return self._rows[0][0]
        return self._rows

    @property
    def Count(self) -> int:  # noqa: N802
        return sum(len(r) for r in self._rows)

    @property
    def Rows(self) -> _Count:  # noqa: N802
        return self._Count(len(self._rows))

    @property
    def Columns(self) -> _Count:  # noqa: N802
        return self._Count(len(self._rows[0]) if self._rows else 0)


def install() -> Any:
    """Stub pywin32, import xlwings' Windows UDF machinery and the add-in decorated by it."""
    for name in PYWIN32:
        sys.modules[name] = _Stub(name)
    sys.modules["win32com"].client = sys.modules["win32com.client"]  # type: ignore[attr-defined]
    sys.modules["pythoncom"].__file__ = "pythoncom.dll"
    sys.modules["pywintypes"].IID = lambda s: s  # type: ignore[attr-defined]
    sys.modules["pywintypes"].TimeType = dt.datetime  # type: ignore[attr-defined]
    for name in ("windll", "oledll", "PyDLL"):
        setattr(ctypes, name, mock.MagicMock(name=f"ctypes.{name}"))
    import xlwings
    import xlwings._xlwindows as xlwindows
    import xlwings.udfs as udfs
    from xlwings.main import Engine

    com_server = types.ModuleType("xlwings.com_server")
    com_server.loop = None  # type: ignore[attr-defined]
    sys.modules["xlwings.com_server"] = com_server
    xlwings.engines.add(Engine(impl=xlwindows.engine))
    xlwings.engines.active = xlwings.engines["excel"]
    xlwings.func, xlwings.arg, xlwings.ret = udfs.xlfunc, udfs.xlarg, udfs.xlret
    for name in [m for m in sys.modules if m == "addin" or m.startswith("addin.")]:
        del sys.modules[name]
    import addin.udfs  # noqa: F401 - decorated by the real xlfunc now
    return udfs


def _arg(spec: object) -> object:
    if isinstance(spec, dict) and "range" in spec:
        return ComRange([[c["error"] if isinstance(c, dict) else c for c in row]
                         for row in spec["range"]])
    if isinstance(spec, dict) and spec.get("missing"):
        return MISSING
    return spec


def main() -> None:
    udfs = install()
    out = []
    for name, *args in json.load(sys.stdin):
        caller = None
        if args and isinstance(args[-1], dict) and "caller" in args[-1]:
            caller = ComRange(args.pop()["caller"])  # the cells a table function fills
        try:
            result = udfs.call_udf("addin.udfs", name, tuple(_arg(a) for a in args),
                                   caller=caller)
            out.append({"value": result})
        except Exception:  # report, do not stop: every call gets its answer
            out.append({"exception": traceback.format_exc()})
    json.dump(out, sys.stdout, default=str)


if __name__ == "__main__":
    main()
