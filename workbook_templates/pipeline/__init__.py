"""The refresh pipeline: loader (sheets -> engine inputs), outputs (engine results -> owned-sheet
rows), the refresh itself and the outturn import.
"""
