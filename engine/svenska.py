"""Swedish text for numbers in messages: one format everywhere (issue 18).

Amounts go through :func:`engine.money.format_sv` (``-1 234 567,50``: no-break space between
thousands, decimal comma, two decimals for money). Counts go through :func:`antal`
(``1 varning``, ``2 varningar``, ``12 345 rader``), so a count is never "1 rader".
"""

from __future__ import annotations

from engine.money import format_sv

__all__ = ["antal", "format_sv", "heltal"]

#: singular -> plural of the nouns our messages count
PLURAL = {
    "fel": "fel", "varning": "varningar", "info": "info", "rad": "rader", "fil": "filer",
    "arbetsbok": "arbetsböcker", "enhet": "enheter", "cell": "celler", "nämnd": "nämnder",
    "konto": "konton", "ändring": "ändringar", "kolumn": "kolumner", "post": "poster",
    "kostnadsställe": "kostnadsställen", "period": "perioder", "resultatenhet": "resultatenheter",
    "centrala enhet": "centrala enheter", "fynd": "fynd",
}


def heltal(n: int) -> str:
    """A whole number with a no-break space between thousands: ``12 345``."""
    return f"{n:,}".replace(",", "\u00a0")


def antal(n: int, singular: str, plural: str | None = None) -> str:
    """``1 varning``, ``0 varningar``, ``12 345 rader``."""
    word = singular if n == 1 else (plural or PLURAL.get(singular, singular))
    return f"{heltal(n)} {word}"
