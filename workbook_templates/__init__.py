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

#: The package's version: the one place it is written (pyproject.toml reads it from here, so
#: the installed metadata says the same). A constant rather than the installed metadata read at
#: run time: reading that imports ``importlib.metadata`` and through it ``email`` (about 15 ms
#: of every refresh with ``--report``, issue 17).
__version__ = "0.1.0"
