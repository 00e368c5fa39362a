"""Shorthands the binding-item tests share (test_checks, test_outturn): ``D`` for Decimal, the
two principles and the three kinds."""

from decimal import Decimal

from engine.binding import Kind, Principle

D = Decimal
B, N = Principle.BRUTTO, Principle.NETTO
ANSLAG, INK, NETTO = Kind.ANSLAG, Kind.BERAKNAD_INKOMST, Kind.NETTO
