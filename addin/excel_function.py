"""How a KB_ function is declared to xlwings (issue 12): one decorator for all of them.

:func:`kb_function` gives xlwings what Excel's function wizard shows and what ``call_udf`` needs:

* category ``Kommunbudget`` and a one-line Swedish description (``MacroOptions`` Description is
  the function's docstring as xlwings sees it);
* help text for every argument (``xw.arg(..., doc=...)``), and ``err_to_str=True`` on every
  argument, optional ones included: without it xlwings turns an error cell into ``None``, which
  would read as "missing";
* xlwings' own value converter with one stage more (:class:`KbValues`): a cell formatted as
  currency reaches Python through ``Range.Value`` as a Decimal rounded to four decimals
  (xlwings issues #65, #640); its double is read from ``Range.Value2``;
* NO type hints on the function Excel sees: since xlwings 0.32 the Windows UDF server makes each
  parameter's hint a converter (``object`` has none: every call failed). The implementation keeps
  its hints; the decorator exposes a hint-free wrapper with the same parameter names;
* no ``expand``: tables are returned as a 2-D list and spill natively (Excel 365/2021);
* the wrapper adapts COM's shapes (:func:`addin.excel_values.from_com`) and never raises into
  Excel: :class:`~addin.excel_values.UdfInputError` becomes ``#KB: <message>``, anything else
  ``#KB: oväntat fel …``.

The argument names Excel shows are the Python parameter names: ASCII, because VBA identifiers are
stored in the machine's ANSI code page (``invanare``, not ``invånare``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import xlwings as xw
from xlwings.conversion.standard import ReadValueFromRangeStage, ValueAccessor

from addin.excel_values import UdfInputError, currency_as_doubles, from_com, kb_error
from engine.findings import bounded

__all__ = ["CATEGORY", "ArgSpec", "kb_function"]

CATEGORY = "Kommunbudget"
F = TypeVar("F", bound=Callable[..., Any])
#: Per argument: its Swedish help text, or (help text, extra xlwings options such as ``ndim``).
ArgSpec = str | tuple[str, Mapping[str, Any]]


class _CurrencyAsDoubles:
    """A stage of xlwings' reading of a range argument, right after ``Range.Value`` is read:
    a cell formatted as currency comes as a four-decimal Decimal; its double is taken from
    ``Range.Value2`` (:func:`addin.excel_values.currency_as_doubles`)."""

    def __call__(self, c: Any) -> None:
        rng = c.range
        if rng is not None:
            c.value = currency_as_doubles(c.value, lambda: rng.api.Value2)


class KbValues(ValueAccessor):
    """xlwings' value converter (``xw.arg``'s default) with :class:`_CurrencyAsDoubles`."""

    @staticmethod
    def reader(options: Mapping[str, Any]) -> Any:
        return ValueAccessor.reader(options).insert_stage(
            _CurrencyAsDoubles(), after=ReadValueFromRangeStage)


def kb_function(description: str, args: Mapping[str, ArgSpec]) -> Callable[[F], Any]:
    """Register ``func`` as the Excel function of the same name (see the module docstring)."""
    if "\n" in description or len(description) > 255:
        raise ValueError("the wizard description is one line of at most 255 characters")

    def decorate(func: F) -> Any:
        params = list(inspect.signature(func).parameters)
        if list(args) != params:
            raise ValueError(f"{func.__name__}: document every argument in order: {params}")

        @functools.wraps(func)
        def excel_function(*values):  # no hints: xlwings would make them converters
            try:
                result = func(*(from_com(v) for v in values))
                # A message never outgrows a cell, whatever value it quotes (issue 15).
                return bounded(result) if isinstance(result, str) else result
            except UdfInputError as err:
                return bounded(kb_error(str(err)))
            except Exception as err:  # noqa: BLE001 - a function must never raise into Excel
                return kb_error(f"oväntat fel ({type(err).__name__}: {err}); rapportera felet")

        excel_function.__annotations__ = {}
        excel_function.__doc__ = description
        decorated: Any = excel_function
        for name in reversed(params):
            spec = args[name]
            doc, options = (spec, {}) if isinstance(spec, str) else (spec[0], dict(spec[1]))
            if len(doc) > 255:
                raise ValueError(f"{func.__name__}.{name}: help text over 255 characters")
            options.setdefault("convert", KbValues)
            decorated = xw.arg(name, doc=doc, err_to_str=True, **options)(decorated)
        return xw.func(category=CATEGORY)(decorated)

    return decorate
