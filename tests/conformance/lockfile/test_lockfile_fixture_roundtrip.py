"""Every lockfile npm wrote in tests/fixtures round-trips read → model → write byte for byte,
also when every entry is re-serialised from its typed fields (as entries built by code are)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from msgspec.structs import replace

from snpm.lockfile import format_lockfile, parse_lockfile

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
LOCKFILES = sorted(FIXTURES.glob("*/*/package-lock.json"))


def test_fixture_lockfiles_are_present() -> None:
    assert len(LOCKFILES) >= 11


@pytest.mark.parametrize("path", LOCKFILES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_roundtrip(path: Path) -> None:
    text = path.read_text()
    doc = parse_lockfile(text)
    assert format_lockfile(doc.lockfile, indent=doc.indent, newline=doc.newline) == text
    # the same through the typed fields only (no cached source objects)
    rebuilt = replace(doc.lockfile, packages={loc: e._replace() for loc, e in doc.lockfile.packages.items()})
    assert format_lockfile(rebuilt, indent=doc.indent, newline=doc.newline) == text


def test_all_fixture_rows() -> None:
    failures = []
    for path in LOCKFILES:
        text = path.read_text()
        doc = parse_lockfile(text)
        if format_lockfile(doc.lockfile, indent=doc.indent, newline=doc.newline) != text:
            failures.append(str(path.relative_to(FIXTURES)))
    print(f"lockfile fixtures round-tripped: {len(LOCKFILES) - len(failures)}/{len(LOCKFILES)}")
    assert not failures


def test_large_lockfile_is_fast() -> None:
    text = (FIXTURES / "refprojects/large/package-lock.json").read_text()
    best_read = best_write = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        doc = parse_lockfile(text)
        middle = time.perf_counter()
        format_lockfile(doc.lockfile)
        best_read = min(best_read, middle - start)
        best_write = min(best_write, time.perf_counter() - middle)
    assert len(doc.lockfile.packages) > 1000
    print(f"large lockfile: read {best_read * 1000:.1f} ms, write {best_write * 1000:.1f} ms")
    # generous bounds for a loaded CI machine; measured about 10 ms each here
    assert best_read < 0.25 and best_write < 0.25
