"""Benchmarks: synthetic municipalities and exports (``generate``), ledger import (``bench_ledger``)."""
