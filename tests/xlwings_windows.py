"""xlwings' real Windows UDF machinery, run on Linux (issue 12).

Excel calls a KB_ function like this: the VBA wrapper that *Import Functions* wrote
(``xlwings.udfs.generate_vba_wrapper``) calls ``XLPy.CallUDF``; the COM server hands the
arguments to ``xlwings.udfs.call_udf``, which turns each one into Python with the options that
``xlwings.udfs.xlfunc/xlarg/xlret`` recorded (and, since xlwings 0.32, with the parameter's type
hint as converter), calls the function and converts the result back (``conversion.write``).

This module imports the *installed* xlwings as it imports on Windows — ``sys.platform`` is
"win32" while xlwings and our ``addin`` modules are imported — so ``xw.func``/``xw.arg``/``xw.ret``
are the real decorators and ``call_udf``/``generate_vba_wrapper``/``import_udfs`` the real code.
Stubbed is only what cannot exist on Linux: the pywin32 modules (``pythoncom``, ``pywintypes``,
``win32api``, ``win32con``, ``win32gui``, ``win32process``, ``win32timezone``, ``win32event``,
``win32com.*``), ``ctypes.windll``/``oledll`` and pywin32's DLL loaded through ``ctypes.PyDLL``;
faked is only what COM hands xlwings: a Range object for a range argument and for
``Application.Caller`` (``.Value`` as COM gives it: a scalar for one cell, a tuple of row tuples
for several, ``None`` for an empty cell, an error as its integer code, a date as
:class:`PyTime`), and the workbook object ``import_udfs`` talks to. Values passed by value arrive
as COM gives them: doubles, strings, booleans, error integers, and ``-2147352572``
(``DISP_E_PARAMNOTFOUND``) for an omitted optional argument: the VBA wrapper passes an omitted
``Optional`` inside ``Array(...)`` and pywin32 hands that VT_ERROR variant over as its code.

Use :func:`windows_xlwings` as a context manager; it restores ``sys.modules`` afterwards so the
rest of the test session keeps the ordinary (Linux) imports.
"""

from __future__ import annotations

import ctypes
import datetime
import io
import sys
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

#: What COM hands for an omitted optional argument (DISP_E_PARAMNOTFOUND).
MISSING = -2147352572
#: HRESULTs of pywintypes.com_error: a failed call (its excepinfo says why), an unknown member
#: name, an index not in a collection.
DISP_E_EXCEPTION = -2147352567
DISP_E_UNKNOWNNAME = -2147352570
DISP_E_BADINDEX = -2147352565
#: Excel error values as COM hands them (0x800A0000 + the xlErr code of VBA's XlCVError
#: enumeration), as signed integers.
XL_ERR_BASE = -2146828288
ERRORS = {
    "#NULL!": XL_ERR_BASE + 2000,
    "#DIV/0!": XL_ERR_BASE + 2007,
    "#VALUE!": XL_ERR_BASE + 2015,
    "#REF!": XL_ERR_BASE + 2023,  # -2146826265
    "#NAME?": XL_ERR_BASE + 2029,
    "#NUM!": XL_ERR_BASE + 2036,
    "#N/A": XL_ERR_BASE + 2042,
    # the newer errors: xlwings (cell_errors) has no name for these, they reach Python as integers
    "#GETTING_DATA": XL_ERR_BASE + 2043,
    "#SPILL!": XL_ERR_BASE + 2045,  # -2146826243
    "#CONNECT!": XL_ERR_BASE + 2046,
    "#BLOCKED!": XL_ERR_BASE + 2047,
    "#UNKNOWN!": XL_ERR_BASE + 2048,
    "#FIELD!": XL_ERR_BASE + 2049,
    "#CALC!": XL_ERR_BASE + 2050,
}
RANGE_IID = "{00020846-0000-0000-C000-000000000046}"
EXCEL_PID = 4242

_PYWIN32 = ("pythoncom", "pywintypes", "win32api", "win32con", "win32gui", "win32process",
            "win32timezone", "win32event", "win32com", "win32com.client",
            "win32com.client.gencache", "win32com.server", "win32com.server.dispatcher",
            "win32com.server.policy", "win32com.server.util")


class _StubModule(types.ModuleType):
    """A pywin32 module: any attribute not set explicitly is an inert class of that name."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = type(name, (), {"__init__": lambda self, *a, **k: None})
        setattr(self, name, value)
        return value


class _ComError(Exception):
    """pywintypes.com_error: ``args`` are (hresult, text, excepinfo, argerror); excepinfo is
    (wcode, source, description, helpfile, helpcontext, scode) or None."""

    def __init__(self, *args: object) -> None:
        if not args or not isinstance(args[0], int):  # com_error("text"): a generic failure
            args = (DISP_E_EXCEPTION, " ".join(map(str, args)), None, None)
        super().__init__(*args)

    @property
    def hresult(self) -> int:
        return self.args[0]  # type: ignore[no-any-return]


class CDispatch:
    """``win32com.client.CDispatch``, the class of every object COM hands pywin32 (late bound):
    xlwings wraps each one in its ``COMRetryObjectWrapper``. The fake Excel objects of
    ``tests/xlwings_excel.py`` derive from it, so they are wrapped as Excel's are."""

    def __bool__(self) -> bool:  # pywin32: "if object:" is always true, Count is not asked
        return True


class PyTime(datetime.datetime):
    """pywintypes.TimeType: since pywin32 300 a ``datetime`` subclass, time-zone aware (UTC);
    what COM hands for a date cell."""


class _Dll:
    """A Windows DLL (``ctypes.windll.user32``, pywin32's ``pythoncom3xx.dll``): inert functions."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *a, **k: 0


class _Dlls:
    def __getattr__(self, name: str) -> _Dll:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Dll()


_PYTHONCOM_DLL = "pythoncom311.dll"
#: The Excel windows a test has "opened" (``tests/xlwings_excel.py``): what
#: ``AccessibleObjectFromWindow`` + pywin32's ``PyCom_PyObjectFromIUnknown`` hand xlwings for
#: Excel's main window (``Book.caller()`` with ``--hwnd=``). The last one registered answers.
EXCEL_WINDOWS: list[Any] = []
#: Every ``win32api.MessageBox`` call (``App.alert``): (hwnd, prompt, title, style).
MESSAGE_BOXES: list[tuple[int, str, str, int]] = []


class _ObjectFromIUnknown:
    """pywin32's ``PyCom_PyObjectFromIUnknown`` (a ctypes function; xlwings sets its
    ``restype``): turns the IDispatch pointer of Excel's window into a Python COM object, here
    the registered fake window."""

    restype: object = None

    def __call__(self, *_a: object) -> Any:
        if not EXCEL_WINDOWS:
            raise AssertionError("no fake Excel is running (tests/xlwings_excel.py)")
        return EXCEL_WINDOWS[-1]


class _PythoncomDll(_Dll):
    """pywin32's ``pythoncom3xx.dll``."""

    def __init__(self) -> None:
        self.PyCom_PyObjectFromIUnknown = _ObjectFromIUnknown()


def _message_box(hwnd: int, prompt: str, title: str, style: int) -> int:
    MESSAGE_BOXES.append((hwnd, prompt, title, style))
    return 1  # IDOK


class _WindowsSys(types.ModuleType):
    """``sys`` as xlwings' modules see it on Windows: ``platform`` is "win32" while they run
    (``Book.caller()`` asks at run time, not only at import); everything else is the real
    ``sys`` (``argv`` included). Our own code keeps the real ``sys`` and runs as on Linux."""

    def __init__(self) -> None:
        super().__init__("sys")

    platform = "win32"

    def __getattr__(self, name: str) -> Any:
        return getattr(sys, name)


def _stubs() -> dict[str, types.ModuleType]:
    mods = {name: _StubModule(name) for name in _PYWIN32}
    pythoncom = mods["pythoncom"]
    pythoncom.__file__ = _PYTHONCOM_DLL
    pythoncom.CoInitialize = lambda: None  # type: ignore[attr-defined]
    pythoncom.IID_IDispatch = "IID_IDispatch"  # type: ignore[attr-defined]
    pythoncom.TypeIIDs = {"IID_IDispatch": object}  # type: ignore[attr-defined]
    pythoncom.com_error = _ComError  # type: ignore[attr-defined]
    pythoncom.ole_error = _ComError  # type: ignore[attr-defined]
    pywintypes = mods["pywintypes"]
    pywintypes.IID = lambda s: s.upper()  # type: ignore[attr-defined]
    pywintypes.com_error = _ComError  # type: ignore[attr-defined]
    pywintypes.TimeType = PyTime  # type: ignore[attr-defined]
    mods["win32process"].GetWindowThreadProcessId = (  # type: ignore[attr-defined]
        lambda hwnd: (1, EXCEL_PID))
    mods["win32api"].MessageBox = _message_box  # type: ignore[attr-defined]
    for name, value in (("MB_OK", 0), ("MB_OKCANCEL", 1), ("MB_YESNOCANCEL", 3),
                        ("MB_YESNO", 4), ("MB_ICONWARNING", 48), ("MB_ICONINFORMATION", 64)):
        setattr(mods["win32con"], name, value)
    # win32timezone.TimeZoneInfo.utc(): the zone xlwings gives a datetime it hands COM
    mods["win32timezone"].TimeZoneInfo = type(  # type: ignore[attr-defined]
        "TimeZoneInfo", (), {"utc": staticmethod(lambda: datetime.UTC)})
    client = mods["win32com.client"]
    client.CDispatch = CDispatch  # type: ignore[attr-defined]
    client.Dispatch = lambda obj, *a, **k: obj  # type: ignore[attr-defined]
    client.gencache = mods["win32com.client.gencache"]  # type: ignore[attr-defined]
    mods["win32com"].client = client  # type: ignore[attr-defined]
    mods["win32com"].server = mods["win32com.server"]  # type: ignore[attr-defined]
    for sub in ("dispatcher", "policy", "util"):
        setattr(mods["win32com.server"], sub, mods[f"win32com.server.{sub}"])
    return mods


def _ours(name: str) -> bool:
    return name in ("xlwings", "addin") or name.startswith(("xlwings.", "addin."))


@dataclass
class XlwingsWindows:
    """The real xlwings, imported as on Windows, and our UDF module imported under it."""

    xlwings: types.ModuleType
    udfs: types.ModuleType  # xlwings.udfs
    module: types.ModuleType  # addin.udfs, decorated by the real xlfunc/xlarg/xlret
    module_name: str = "addin.udfs"

    def functions(self) -> dict[str, Any]:
        return {n: getattr(self.module, n) for n in dir(self.module)
                if hasattr(getattr(self.module, n), "__xlfunc__")}

    def call(self, func_name: str, *args: object, caller: ComRange | None = None) -> object:
        """``XLPy.CallUDF(module, func, Array(args...), ThisWorkbook, Application.Caller)``:
        the arguments exactly as COM delivers them (see the module docstring)."""
        book = ComWorkbook()
        return self.udfs.call_udf(self.module_name, func_name, tuple(args), book,
                                  caller or ComRange(None, "$Z$99"))

    def read(self, rows: Sequence[Sequence[object]], *, err_to_str: bool = True,
             address: str = "$A$1") -> object:
        """``Range.options(ndim=2, err_to_str=...).value`` as xlwings' Windows code reads it
        (``xlwings.Range`` over ``_xlwindows.Range``, its ``raw_value`` and
        ``clean_value_data``) from a Range whose COM ``.Value`` holds ``rows``: what a
        button's ``sheet.range(...).options(...).value`` gets in Excel."""
        win = sys.modules["xlwings._xlwindows"]
        com = ComRange(tuple(tuple(r) for r in rows), address)
        return self.xlwings.Range(impl=win.Range(xl=com)).options(
            ndim=2, err_to_str=err_to_str).value

    @contextmanager
    def called_from(self, book: Any) -> Iterator[None]:
        """Python as ``RunPython`` starts it for a button in ``book`` (a
        ``tests.xlwings_excel.ExcelWorkbook``): the command line names the workbook and Excel's
        window (``--wb=``, ``--from_xl=1``, ``--hwnd=``), and that window is Excel's."""
        from tests.xlwings_excel import Window

        app = book.Application
        argv = sys.argv[:]
        window = Window(app)
        sys.argv[:] = ["-c", f"--wb={book.Name}", "--from_xl=1",
                       f"--app={app.Path}\\EXCEL.EXE", f"--hwnd={app.Hwnd}"]
        EXCEL_WINDOWS.append(window)
        try:
            yield
        finally:
            sys.argv[:] = argv
            EXCEL_WINDOWS.remove(window)

    def caller(self, book: Any) -> Any:
        """``xw.Book.caller()`` in a button of ``book``: the real ``xlwings.Book``."""
        with self.called_from(book):
            return self.xlwings.Book.caller()

    def press(self, handler: str, book: Any) -> None:
        """The button: the handler ``handler`` of the imported module, called from ``book``."""
        with self.called_from(book):
            getattr(self.module, handler)()

    def vba_wrappers(self, workbook_name: str = "Budget.xlsm") -> str:
        """The VBA module *Import Functions* writes (``generate_vba_wrapper``)."""
        out = io.StringIO()
        self.udfs.generate_vba_wrapper(self.module_name, self.module, out,
                                       ComWorkbook(workbook_name))
        return out.getvalue()

    def import_functions(self) -> ComWorkbook:
        """Run the real ``import_udfs`` (the *Import Functions* button) against a workbook object
        that records what Excel is told: the VBA module imported and each ``MacroOptions`` call
        (function wizard: description, category, argument help)."""
        book = ComWorkbook()
        self.udfs.import_udfs(self.module_name, book)
        return book


@contextmanager
def windows_xlwings(module_name: str = "addin.udfs") -> Iterator[XlwingsWindows]:
    saved = {k: v for k, v in sys.modules.items() if _ours(k)}
    saved_stubs = {k: sys.modules[k] for k in _PYWIN32 if k in sys.modules}
    saved_ctypes = {k: getattr(ctypes, k) for k in ("windll", "oledll", "PyDLL")
                    if hasattr(ctypes, k)}
    real_pydll = ctypes.PyDLL
    platform = sys.platform
    # stdlib modules that branch on the platform at import: import them as Linux first
    import asyncio  # noqa: F401
    import concurrent.futures  # noqa: F401
    import importlib
    import subprocess  # noqa: F401

    # the module's other dependencies (engine, workbook_templates, …) are imported as on Linux:
    # only xlwings and our addin modules are imported again as on Windows
    importlib.import_module(module_name)
    for k in [k for k in sys.modules if _ours(k)]:
        del sys.modules[k]
    sys.modules.update(_stubs())
    ctypes.windll = _Dlls()  # type: ignore[attr-defined]
    ctypes.oledll = _Dlls()  # type: ignore[attr-defined]
    ctypes.PyDLL = (  # type: ignore[misc]
        lambda name, *a, **k: _PythoncomDll() if name == _PYTHONCOM_DLL
        else real_pydll(name, *a, **k))
    try:
        sys.platform = "win32"
        try:
            xlwings = importlib.import_module("xlwings")
            udfs = importlib.import_module("xlwings.udfs")
            assert xlwings.func is udfs.xlfunc, "xlwings did not take its Windows code path"
            module = importlib.import_module(module_name)
        finally:
            sys.platform = platform
        windows_sys = _WindowsSys()
        for name, mod in list(sys.modules.items()):
            if name.startswith("xlwings") and getattr(mod, "sys", None) is sys:
                mod.sys = windows_sys  # type: ignore[attr-defined]
        udfs.cache.clear()
        yield XlwingsWindows(xlwings, udfs, module, module_name)
    finally:
        sys.platform = platform
        EXCEL_WINDOWS.clear()
        MESSAGE_BOXES.clear()
        for k in [k for k in sys.modules if _ours(k) or k in _PYWIN32]:
            del sys.modules[k]
        sys.modules.update(saved)
        sys.modules.update(saved_stubs)
        for k in ("windll", "oledll", "PyDLL"):
            if k in saved_ctypes:
                setattr(ctypes, k, saved_ctypes[k])
            elif hasattr(ctypes, k):
                delattr(ctypes, k)


# --- what COM hands xlwings -------------------------------------------------------------------

class _TypeAttr:
    def __init__(self, iid: str) -> None:
        self.iid = iid


class _TypeInfo:
    def __init__(self, iid: str) -> None:
        self._iid = iid

    def GetTypeAttr(self) -> _TypeAttr:  # noqa: N802 - COM name
        return _TypeAttr(self._iid)


class _OleObj:
    def GetTypeInfo(self) -> _TypeInfo:  # noqa: N802 - COM name
        return _TypeInfo(RANGE_IID.upper())


class _Count:
    def __init__(self, n: int) -> None:
        self.Count = n


class ComRange:
    """An Excel Range as COM hands it: ``.Value`` is a scalar for one cell, a tuple of row tuples
    for several; empty cells are ``None``; errors are their integer codes (:data:`ERRORS`)."""

    def __init__(self, value: object, address: str = "$A$1", sheet: Any = None,
                 value2: object = None) -> None:
        self._oleobj_ = _OleObj()
        self._value2 = value2  # what .Value2 hands, when it differs from .Value (currency)
        self.Worksheet = sheet if sheet is not None else ComWorkbook().Worksheets[0]
        self.Row, self.Column = 1, 1
        rows = value if isinstance(value, tuple) and value and isinstance(value[0], tuple) \
            else ((value,),)
        self._rows = tuple(tuple(r) for r in rows)
        self.Address = address
        self.Rows = _Count(len(self._rows))
        self.Columns = _Count(len(self._rows[0]))
        self.Count = self.Rows.Count * self.Columns.Count

    @property
    def Value(self) -> object:  # noqa: N802 - COM name
        if self.Count == 1:
            return self._rows[0][0]
        return self._rows

    @property
    def Value2(self) -> object:  # noqa: N802 - COM name
        """Value2 has no Currency type: a currency cell's double (given as ``value2``)."""
        if self._value2 is not None:
            return self._value2
        return self.Value

    def __call__(self, *a: object) -> Any:  # pragma: no cover - COM indexing is not used
        raise AssertionError("COM indexing of a Range argument was not expected")


def one(result: object) -> object:
    """``call_udf`` hands Excel every result as a 2-D array; a single value is ``[[v]]``."""
    assert isinstance(result, list) and len(result) == 1 and len(result[0]) == 1, result
    return result[0][0]


def cells(rows: Sequence[Sequence[object]], *, currency: bool = False) -> ComRange:
    """A block of cells given as Python rows (``None`` empty, ``"#REF!"`` an error).
    ``currency``: the cells are formatted as currency: ``.Value`` hands each number as pywin32
    hands a COM Currency (a Decimal rounded to four decimals), ``.Value2`` the double."""
    value = tuple(tuple(ERRORS.get(v, v) if isinstance(v, str) else v for v in r) for r in rows)
    if not currency:
        return ComRange(value)
    from decimal import ROUND_HALF_EVEN, Decimal

    def cy(v: object) -> object:
        if isinstance(v, float):
            return Decimal(repr(v)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)
        return v
    value2 = value if len(value) > 1 or len(value[0]) > 1 else value[0][0]
    return ComRange(tuple(tuple(cy(v) for v in r) for r in value), value2=value2)


def column(values: Sequence[object]) -> ComRange:
    return cells([[v] for v in values])


def cell(value: object) -> ComRange:
    return cells([[value]])


@dataclass
class _VBComponents:
    imported: list[str] = field(default_factory=list)

    def __call__(self, name: str) -> Any:
        raise _ComError("no such component")

    def Remove(self, component: object) -> None:  # noqa: N802 - COM name
        pass

    def Import(self, path: str) -> None:  # noqa: N802 - COM name
        with open(path, encoding=sys.getdefaultencoding()) as fh:
            self.imported.append(fh.read())


@dataclass
class _Application:
    Version: str = "16.0"
    Hwnd: int = 1
    macro_options: list[dict[str, Any]] = field(default_factory=list)

    def MacroOptions(self, macro: str, **kwargs: Any) -> None:  # noqa: N802 - COM name
        self.macro_options.append({"Macro": macro, **kwargs})

    def Run(self, *args: object) -> None:  # noqa: N802 - COM name
        raise AssertionError("fallback import path not expected")


class ComWorkbook:
    """The workbook object xlwings talks to (``ThisWorkbook``): name, sheets, VBA project,
    application (``MacroOptions`` is how the function wizard learns descriptions)."""

    def __init__(self, name: str = "Budget.xlsm") -> None:
        self.Name = name
        self.Worksheets: list[Any] = [types.SimpleNamespace(Name="Budget", Parent=self)]
        self.VBProject = types.SimpleNamespace(VBComponents=_VBComponents())
        self.Application = _Application()
