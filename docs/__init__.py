"""The user guide (ANVANDARGUIDE.md) and the developer docs, installed as the package
``kommunbudget_guide`` so that an installed kommunbudget can show its guide
(``kommunbudget guide``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["user_guide"]


def user_guide() -> Path:
    """The installed user guide (Swedish, Markdown; its pictures are in ``img/`` next to it)."""
    return Path(str(resources.files(__name__).joinpath("ANVANDARGUIDE.md")))
