"""snpm.semver against every row of the node-semver 7.8.5 tables in tests/conformance/data/semver.

One test per table file; each runs all of its rows, reports every failing row together and checks
the row count recorded in tests/conformance/data/manifest.json.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from js_semver_args import (
    DATA,
    UNDEFINED,
    Outcome,
    coerce_options,
    load_fixture,
    load_generated,
    optional,
    options,
    raised,
    result_or_error,
    truthy,
)

import snpm.semver as semver

pytestmark = pytest.mark.conformance

Pairs = Iterator[tuple[Any, Any]]
MANIFEST = json.loads((DATA.parent / "manifest.json").read_text(encoding="utf-8"))["files"]


def _arg(value: Any) -> Any:
    """An optional positional argument: JS undefined and null both arrive as None."""
    return None if value is UNDEFINED else value


# ── fixture copies (bare arrays of tuples) ──


def comparator_intersection(row: list[Any]) -> Pairs:
    c1, c2, expected = row[:3]
    flags = {"include_prerelease": truthy(optional(row, 3))}
    a, b = semver.Comparator(c1), semver.Comparator(c2)
    yield a.intersects(b, **flags), expected
    yield b.intersects(a, **flags), expected


def comparisons(row: list[Any]) -> Pairs:
    v1, v2 = row[:2]
    o = options(optional(row, 2))
    yield semver.gt(v1, v2, **o), True
    yield semver.lt(v2, v1, **o), True
    yield semver.gt(v2, v1, **o), False
    yield semver.lt(v1, v2, **o), False
    yield semver.gte(v1, v2, **o), True
    yield semver.lte(v2, v1, **o), True
    yield semver.eq(v1, v1, **o), True
    yield semver.eq(v2, v2, **o), True
    yield semver.neq(v1, v2, **o), True
    yield semver.compare(v1, v2, **o), 1
    yield semver.rcompare(v1, v2, **o), -1
    yield semver.cmp(v1, "==", v1, **o), True
    yield semver.cmp(v1, ">=", v2, **o), True
    yield semver.cmp(v2, "<=", v1, **o), True
    yield semver.cmp(v1, "!=", v2, **o), True


def equality(row: list[Any]) -> Pairs:
    v1, v2 = row[:2]
    o = options(optional(row, 2))
    yield semver.eq(v1, v2, **o), True
    yield semver.neq(v1, v2, **o), False
    yield semver.cmp(v1, "==", v2, **o), True
    yield semver.cmp(v1, "=", v2, **o), True
    yield semver.cmp(v1, "", v2, **o), True
    yield semver.cmp(v1, "!=", v2, **o), False
    yield semver.cmp(v1, "===", v1, **o), True
    yield semver.cmp(v1, "!==", v1, **o), False
    yield semver.gt(v1, v2, **o), False
    yield semver.lt(v1, v2, **o), False
    yield semver.gte(v1, v2, **o), True
    yield semver.lte(v1, v2, **o), True
    yield semver.compare(v1, v2, **o), 0


def increments(row: list[Any]) -> Pairs:
    version, release, expected = row[:3]
    opts, identifier, base = optional(row, 3), optional(row, 4), optional(row, 5)
    if isinstance(opts, str):  # inc(version, release, identifier, identifierBase)
        opts, identifier, base = UNDEFINED, opts, identifier
    o = options(opts)
    yield semver.inc(version, release, _arg(identifier), _arg(base), **o), expected
    try:
        bumped: str | None = semver.SemVer(version, **o).inc(release, _arg(identifier), _arg(base)).version
    except (TypeError, ValueError):
        bumped = None
    yield bumped, expected


def invalid_versions(row: list[Any]) -> Pairs:
    value = row[0]
    o = options(optional(row, 2))
    yield semver.parse(value, **o), None
    yield semver.valid(value, **o), None
    yield isinstance(raised(lambda: semver.SemVer(value, **o)), dict), True


def range_include(row: list[Any]) -> Pairs:
    range_, version = row[:2]
    o = options(optional(row, 2))
    yield semver.satisfies(version, range_, **o), True
    yield semver.Range(range_, **o).test(version), True


def range_exclude(row: list[Any]) -> Pairs:
    range_, version = row[:2]
    o = options(optional(row, 2))
    yield semver.satisfies(version, range_, **o), False


def range_intersection(row: list[Any]) -> Pairs:
    r1, r2, expected = row
    yield semver.intersects(r1, r2), expected
    yield semver.intersects(r2, r1), expected
    yield semver.Range(r1).intersects(semver.Range(r2)), expected


def range_parse(row: list[Any]) -> Pairs:
    range_, canonical = row[:2]
    yield semver.valid_range(range_, **options(optional(row, 2))), canonical


def truncations(row: list[Any]) -> Pairs:
    version, release, expected = row
    yield semver.truncate(version, release), expected


def valid_versions(row: list[Any]) -> Pairs:
    version, major, minor, patch, prerelease, build = row
    parsed = semver.SemVer(version)
    yield (parsed.major, parsed.minor, parsed.patch), (major, minor, patch)
    yield list(parsed.prerelease), prerelease
    yield list(parsed.build), build
    yield semver.major(version), major
    yield semver.minor(version), minor
    yield semver.patch(version), patch


def _outside_row(fn: Callable[..., bool], expected: bool) -> Callable[[list[Any]], Pairs]:
    hilo = ">" if fn is semver.gtr else "<"

    def check(row: list[Any]) -> Pairs:
        range_, version = row[:2]
        o = options(optional(row, 2))
        yield fn(version, range_, **o), expected
        yield semver.outside(version, range_, hilo, **o), expected

    return check


# ── generated tables (object rows under "cases") ──


def clean(row: dict[str, Any]) -> Pairs:
    yield semver.clean(row["input"], **options(row["options"])), row["result"]


def coerce(row: dict[str, Any]) -> Pairs:
    got = semver.coerce(row["input"], **coerce_options(row["options"]))
    if row["result"] is None:
        yield got, None
        return
    assert got is not None
    text = got.version + ("+" + ".".join(got.build) if got.build else "")
    yield text, row["result"]
    yield got.version, row["version"]


def compare(row: dict[str, Any]) -> Pairs:
    a, b = row["a"], row["b"]
    yield raised(lambda: semver.compare(a, b)), row["compare"]
    yield raised(lambda: semver.compare_loose(a, b)), row["compareLoose"]
    yield raised(lambda: semver.compare_build(a, b)), row["compareBuild"]
    yield raised(lambda: semver.rcompare(a, b)), row["rcompare"]


def diff(row: dict[str, Any]) -> Pairs:
    yield raised(lambda: semver.diff(row["version1"], row["version2"])), result_or_error(row)


def inc(row: dict[str, Any]) -> Pairs:
    o = options(row.get("options"))
    got = semver.inc(row["version"], row["release"], row.get("identifier"), row.get("identifierBase"), **o)
    yield got, row["result"]


def intersects(row: dict[str, Any]) -> Pairs:
    o = options(row["options"])
    yield raised(lambda: semver.intersects(row["range1"], row["range2"], **o)), result_or_error(row)


def max_satisfying(row: dict[str, Any]) -> Pairs:
    yield semver.max_satisfying(row["versions"], row["range"], **options(row["options"])), row["result"]


def min_satisfying(row: dict[str, Any]) -> Pairs:
    yield semver.min_satisfying(row["versions"], row["range"], **options(row["options"])), row["result"]


def min_version(row: dict[str, Any]) -> Pairs:
    def call() -> str | None:
        found = semver.min_version(row["range"], **options(row["options"]))
        return found.version if found else None

    yield raised(call), result_or_error(row)


def parse(row: dict[str, Any]) -> Pairs:
    o = options(row["options"])
    yield semver.valid(row["input"], **o), row["valid"]
    parsed = semver.parse(row["input"], **o)
    fields = None
    if parsed is not None:
        fields = {
            "version": parsed.version,
            "major": parsed.major,
            "minor": parsed.minor,
            "patch": parsed.patch,
            "prerelease": list(parsed.prerelease),
            "build": list(parsed.build),
        }
    yield fields, row["parsed"]


def sort(row: dict[str, Any]) -> Pairs:
    yield semver.sort(row["list"], **options(row["loose"])), row["result"]


def rsort(row: dict[str, Any]) -> Pairs:
    yield semver.rsort(row["list"], **options(row["loose"])), row["result"]


def satisfies(row: dict[str, Any]) -> Pairs:
    yield semver.satisfies(row["version"], row["range"], **options(row["options"])), row["result"]


def subset(row: dict[str, Any]) -> Pairs:
    o = options(row["options"])
    yield raised(lambda: semver.subset(row["sub"], row["dom"], **o)), result_or_error(row)


def to_comparators(row: dict[str, Any]) -> Pairs:
    yield raised(lambda: semver.to_comparators(row["range"])), result_or_error(row)


FIXTURES: dict[str, Callable[[list[Any]], Pairs]] = {
    "comparator-intersection.json": comparator_intersection,
    "comparisons.json": comparisons,
    "equality.json": equality,
    "increments.json": increments,
    "invalid-versions.json": invalid_versions,
    "range-include.json": range_include,
    "range-exclude.json": range_exclude,
    "range-intersection.json": range_intersection,
    "range-parse.json": range_parse,
    "truncations.json": truncations,
    "valid-versions.json": valid_versions,
    "version-gt-range.json": _outside_row(semver.gtr, True),
    "version-lt-range.json": _outside_row(semver.ltr, True),
    "version-not-gt-range.json": _outside_row(semver.gtr, False),
    "version-not-lt-range.json": _outside_row(semver.ltr, False),
}

GENERATED: dict[str, Callable[[dict[str, Any]], Pairs]] = {
    "clean.generated.json": clean,
    "coerce.generated.json": coerce,
    "compare.generated.json": compare,
    "diff.generated.json": diff,
    "inc.generated.json": inc,
    "intersects.generated.json": intersects,
    "max-satisfying.generated.json": max_satisfying,
    "min-satisfying.generated.json": min_satisfying,
    "min-version.generated.json": min_version,
    "parse.generated.json": parse,
    "rsort.generated.json": rsort,
    "satisfies.generated.json": satisfies,
    "sort.generated.json": sort,
    "subset.generated.json": subset,
    "to-comparators.generated.json": to_comparators,
}


def _report(outcome: Outcome, expected_rows: int) -> None:
    print(outcome.summary())
    assert outcome.total == expected_rows, (
        f"{outcome.table}: ran {outcome.total} rows, table has {expected_rows}"
    )
    shown = "\n".join(outcome.failures[:25])
    assert not outcome.failures, f"{outcome.summary()}; first failures:\n{shown}"


def test_every_table_is_covered() -> None:
    on_disk = {p.name for p in DATA.glob("*.json")}
    assert on_disk == set(FIXTURES) | set(GENERATED) | {"simplify.generated.json"}
    assert len(on_disk) == 31


@pytest.mark.parametrize("table", sorted(FIXTURES))
def test_fixture_table(table: str) -> None:
    outcome = Outcome(table)
    for row in load_fixture(table):
        outcome.check(row, lambda row=row: FIXTURES[table](row))
    _report(outcome, MANIFEST[f"semver/{table}"]["cases"])


@pytest.mark.parametrize("table", sorted(GENERATED))
def test_generated_table(table: str) -> None:
    document, rows = load_generated(table)
    outcome = Outcome(table)
    for row in rows:
        outcome.check(row, lambda row=row: GENERATED[table](row))
    assert document["count"] == len(rows)
    _report(outcome, MANIFEST[f"semver/{table}"]["cases"])


def test_simplify_table() -> None:
    table = "simplify.generated.json"
    document, rows = load_generated(table)
    versions = document["versions_list"]
    outcome = Outcome(table)

    def run(row: dict[str, Any]) -> Pairs:
        assert row["versions"] == "SIMPLIFY_VERSIONS"
        yield semver.simplify_range(versions, row["range"]), row["result"]

    for row in rows:
        outcome.check(row, lambda row=row: run(row))
    _report(outcome, MANIFEST[f"semver/{table}"]["cases"])
