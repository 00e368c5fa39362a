"""The VBA modules of the workbook buttons, kept as text (``*.bas``); a package only so that they
ship with the installed distribution (``importlib.resources.files("macros")``)."""
