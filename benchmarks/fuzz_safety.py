"""Coverage-guided fuzzing of the safety gate with atheris (libFuzzer), for a bounded time.

    .venv/bin/pip install atheris          # optional dependency, not needed for the test suite
    .venv/bin/python benchmarks/fuzz_safety.py --seconds 60 [--work DIR] [-- libFuzzer flags]

The seeds come from tests/fuzz_corpus.py (generated) plus tests/corpus/ (stored). libFuzzer keeps
the inputs it finds interesting in the work directory (a temporary one by default), never in
tests/corpus/. An input fails when the gate raises, falls back to its "internal" finding,
decompresses more than its cap, or changes the file; libFuzzer then writes it as ``crash-*``:
minimize it (``-minimize_crash=1``), fix the gate and store the minimized input in tests/corpus/.
libFuzzer's last line, "Done N runs in S second(s)", is the figure docs/RELIABILITY.md reports.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

with atheris.instrument_imports(include=["workbook_templates.files.safety", "zipfile"]):
    from workbook_templates.files.safety import DEFAULT_LIMITS, inspect_workbook

import fuzz_corpus  # noqa: E402  (needs the sys.path above)

_TARGET = Path(tempfile.mkdtemp(prefix="kb_atheris_")) / "fuzz.xlsx"


def one_input(data: bytes) -> None:
    _TARGET.write_bytes(data)
    report = inspect_workbook(_TARGET)
    if hashlib.sha256(_TARGET.read_bytes()).digest() != hashlib.sha256(data).digest():
        raise AssertionError("the gate changed the file")
    internal = [
        f.message for c, f in zip(report.codes, report.findings, strict=True) if c == "internal"
    ]
    if internal:
        raise AssertionError(f"unanticipated exception in the gate: {internal}")
    if report.bytes_decompressed > DEFAULT_LIMITS.max_total_uncompressed:
        raise AssertionError(f"byte cap exceeded: {report.bytes_decompressed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--work", type=Path, default=None, help="libFuzzer working corpus")
    args, rest = parser.parse_known_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="kb_atheris_corpus_"))
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for n, path in enumerate(fuzz_corpus.write_seeds(Path(tmp))):
            (work / f"seed{n:03d}").write_bytes(path.read_bytes())
    flags = [
        f"-max_total_time={args.seconds}",
        "-max_len=65536",
        "-rss_limit_mb=1024",
        "-timeout=10",
        "-print_final_stats=1",
    ]
    libfuzzer_args = [sys.argv[0], *flags, *[a for a in rest if a != "--"], str(work)]
    atheris.Setup(libfuzzer_args, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
