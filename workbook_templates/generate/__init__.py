"""Template generation (openpyxl, new files only): the templates, their native formulas, the
Funktioner sheet and the embedded example municipality.
"""
