"""The workbook layer: everything between the engine and the files.

Arranged by role:

- :mod:`workbook_templates.schema` — the contract between workbooks and code (sheet, table and
  header names); every role below uses it.
- :mod:`workbook_templates.files` — where files are **read and written**: the safety gate, the
  xlsx reader, the lossless writer, file operations (locks, backups, atomic replace) and the
  bookkeeping-export reader.
- :mod:`workbook_templates.generate` — where **templates are made** (openpyxl, new files only):
  the templates, their native formulas, the Funktioner sheet and the embedded example.
- :mod:`workbook_templates.pipeline` — where the **refresh runs**: loader (sheets → engine
  inputs), outputs (engine results → owned-sheet rows), the refresh and the outturn import.
- :mod:`workbook_templates.cli` — the **command line** (``kommunbudget``) and its terminal text.

Layers (enforced by ``make test``, see ``.importlinter``): ``cli`` may use everything, including
``addin``; ``addin`` uses ``pipeline`` and below; ``pipeline`` → ``generate`` → ``files`` →
``schema`` → ``engine``; ``engine`` imports nothing of the others.
"""



def __getattr__(name: str) -> str:
    """``__version__`` on first use: reading the installed package's metadata imports
    ``importlib.metadata`` (and through it ``email``, ``zipfile``, ``csv``…), which every
    ``kommunbudget`` run would otherwise pay for at start (issue 17)."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import metadata

    try:
        version = metadata.version("kommunbudget")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        version = "0+unknown"
    globals()["__version__"] = version
    return version
