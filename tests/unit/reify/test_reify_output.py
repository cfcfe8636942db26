"""The summary lines of reify-output.js: every combination of added/removed/changed/audited and
npm's `ms` durations, from a table generated with npm's own code (reify_output_cases.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from snpm.ops.reify_output import (
    ReifySummary,
    changed_message,
    format_ms,
    funding_count,
    funding_lines,
    summarize,
)
from snpm.reify.plan import diff_trees
from snpm.tree.node import Node

CASES = json.loads((Path(__file__).parent / "reify_output_cases.json").read_text())


def test_every_changed_message_row() -> None:
    failures = []
    for added, removed, changed, audited, expected in CASES["changed_message"]:
        summary = ReifySummary(added=added, removed=removed, changed=changed, audited=audited)
        got = changed_message(summary, 1500)
        if got != expected:
            failures.append((added, removed, changed, audited, expected, got))
    print(
        f"reify-output conformance: {len(CASES['changed_message']) - len(failures)}/{len(CASES['changed_message'])} rows"
    )
    assert not failures


@pytest.mark.parametrize(("ms", "expected"), [tuple(row) for row in CASES["ms"]])
def test_ms_short_format(ms: int, expected: str) -> None:
    assert format_ms(ms) == expected


def test_funding_lines() -> None:
    assert funding_lines(ReifySummary(funding=0)) == []
    assert funding_lines(ReifySummary(funding=1)) == [
        "",
        "1 package is looking for funding",
        "  run `npm fund` for details",
    ]
    assert funding_lines(ReifySummary(funding=2))[1] == "2 packages are looking for funding"


def _tree(deps: dict[str, dict[str, object]]) -> Node:
    root = Node(
        path="/p",
        realpath="/p",
        pkg={"name": "p", "version": "1.0.0", "dependencies": {k: "*" for k in deps}},
    )
    for name, extra in deps.items():
        Node(pkg={"name": name, "version": "1.0.0", **extra}, parent=root)
    return root


def test_funding_count_is_libnpmfunds() -> None:
    tree = _tree(
        {
            "a": {"funding": "https://example.test/a"},
            "b": {"funding": {"url": "http://example.test/b"}},
            "c": {"funding": [{"url": "https://x.test"}, "https://y.test"]},
            "d": {"funding": "ftp://nope.test"},
            "e": {"funding": {"type": "patreon"}},
            "f": {},
        }
    )
    assert funding_count(tree) == 3


def test_summarize_counts_only_what_was_installed() -> None:
    actual = _tree({"gone": {}})
    ideal = _tree({"new": {}, "failed": {}})
    plan = diff_trees(actual, ideal, exists=lambda _p: True)
    ideal.children.get("failed").parent = None  # type: ignore[union-attr]
    summary = summarize(plan, ideal, fund=False)
    assert (summary.added, summary.removed, summary.changed) == (1, 1, 0)
    assert summary.add == [{"name": "new", "version": "1.0.0", "path": "/p/node_modules/new"}]
