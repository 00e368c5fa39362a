"""Bounded fuzz run of the safety gate (issue 9): mutated workbooks never make it raise.

Hypothesis mutates the seed corpus (tests/fuzz_corpus.py): byte flips, inserts, deletes,
overwrites and truncation of the whole file (mostly breaking the zip structure and CRCs), and the
same mutations applied to one part *before* zipping (so the zip is sound and the XML checks get
the damaged content). For every mutant the gate must return a list of ``IN`` findings, must not
fall back to its "internal" finding (which would mean an exception it did not anticipate), must
stay within its byte cap, and must leave the file unchanged.

Bounded: ``max_examples`` (300 per test, ``KB_FUZZ_EXAMPLES`` to change) with no per-example
deadline; the whole module runs in a few seconds.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import fuzz_corpus
import hostile_files as hf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.findings import Finding
from workbook_templates.files.safety import DEFAULT_LIMITS, inspect_workbook

SEEDS = fuzz_corpus.seed_bytes()
with tempfile.TemporaryDirectory() as _tmp:
    PART_SEED = hf.read_entries(hf.valid_workbook(Path(_tmp), "seed.xlsx"))

# 300 examples per test in the normal suite (about a second each); a longer campaign:
#   KB_FUZZ_EXAMPLES=10000 .venv/bin/pytest tests/test_fuzz_safety.py --hypothesis-show-statistics
FUZZ = settings(
    max_examples=int(os.environ.get("KB_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# (kind, relative position in [0, 1], payload)
mutation = st.tuples(
    st.sampled_from(["flip", "insert", "delete", "overwrite", "truncate"]),
    # half of the positions land in the last quarter, where the zip directory lives
    st.one_of(st.floats(0, 1), st.floats(0.75, 1)),
    st.binary(min_size=1, max_size=16),
)


mutate = fuzz_corpus.mutate


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def gate_ok(directory: Path, data: bytes) -> list[Finding]:
    path = directory / "fuzz.xlsx"
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    report = inspect_workbook(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    findings = list(report.findings)
    assert all(isinstance(f, Finding) and f.rule == "IN" for f in findings)
    assert len(report.codes) == len(findings)
    internal = [f.message for c, f in zip(report.codes, findings, strict=True) if c == "internal"]
    assert not internal, internal
    assert "unreadable" not in report.codes  # the file is readable; damage is reported as such
    assert report.bytes_decompressed <= DEFAULT_LIMITS.max_total_uncompressed
    return findings


def test_IN_fuzz_seed_corpus_is_not_empty() -> None:
    # two valid workbooks + 15 hostile cases, all small
    assert len(SEEDS) >= 17
    assert all(len(data) <= fuzz_corpus.MAX_SEED_BYTES for _, data in SEEDS)


@pytest.mark.parametrize(("name", "data"), SEEDS, ids=[n for n, _ in SEEDS])
def test_IN_fuzz_seeds_pass_the_gate_without_internal_errors(
    name: str, data: bytes, fuzz_dir: Path
) -> None:
    gate_ok(fuzz_dir, data)


@FUZZ
@given(
    seed=st.integers(0, len(SEEDS) - 1),
    mutations=st.lists(mutation, min_size=1, max_size=6),
)
def test_IN_fuzz_whole_file_mutations_never_raise(
    fuzz_dir: Path, seed: int, mutations: list[tuple[str, float, bytes]]
) -> None:
    gate_ok(fuzz_dir, mutate(SEEDS[seed][1], mutations))


@FUZZ
@given(
    part=st.integers(0, len(PART_SEED) - 1),
    mutations=st.lists(mutation, min_size=1, max_size=4),
    method=st.sampled_from([0, 8]),
)
def test_IN_fuzz_part_mutations_never_raise(
    fuzz_dir: Path, part: int, mutations: list[tuple[str, float, bytes]], method: int
) -> None:
    entries = list(PART_SEED)
    target = entries[part]
    entries[part] = hf.Entry(target.name, mutate(target.data, mutations), method=method)
    path = hf.write_zip(fuzz_dir / "part.xlsx", entries)
    findings = gate_ok(fuzz_dir, path.read_bytes())
    # a part-level mutation never breaks the zip itself
    assert all("avkortad" not in f.message for f in findings)


STORED = sorted(fuzz_corpus.STORED.glob("*.xlsx")) if fuzz_corpus.STORED.is_dir() else []


@pytest.mark.parametrize("path", STORED, ids=[p.name for p in STORED])
def test_IN_stored_corpus_gives_the_codes_in_its_name(path: Path, fuzz_dir: Path) -> None:
    # tests/corpus/atheris-<code>-<code>-<sha1 prefix>.xlsx: inputs atheris found that reach
    # checks the generated seeds do not; the name records the codes the gate gave then
    expected = set(path.stem.split("-")[1:-1])
    copy = fuzz_dir / "stored.xlsx"
    copy.write_bytes(path.read_bytes())
    codes = {c.replace("_", "") for c in inspect_workbook(copy).codes}
    assert codes == expected
