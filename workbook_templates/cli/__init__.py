"""The command line ``kommunbudget`` (entry point :func:`workbook_templates.cli.main.main`) and its
terminal text.
"""
