"""`npm install-scripts prune`'s classifier (snpm.ops.allow_scripts_prune)."""

from __future__ import annotations

from snpm.lifecycle import BuildNode
from snpm.ops.allow_scripts_prune import Candidate, Removed, classify_unused_entries

ALPHA = BuildNode(
    path="/p/node_modules/alpha",
    package={"name": "alpha", "version": "1.0.0"},
    resolved="https://r.example/alpha/-/alpha-1.0.0.tgz",
)
PLAIN = BuildNode(
    path="/p/node_modules/plain",
    package={"name": "plain", "version": "1.0.0"},
    resolved="https://r.example/plain/-/plain-1.0.0.tgz",
)


def test_unused_entries_are_removed_with_their_reason() -> None:
    result = classify_unused_entries(
        {
            "alpha@1.0.0": True,
            "plain": True,
            "ghost": False,
            "Not A Key!": True,
            "alpha@2.0.0": True,
            "alpha": False,
        },
        [Candidate(ALPHA, True), Candidate(PLAIN, False)],
    )
    # prune never drops what it cannot parse; approvals and denials alike
    assert result.remaining == {"alpha@1.0.0": True, "Not A Key!": True, "alpha": False}
    assert result.removed == (
        Removed("plain", True, "no-scripts"),
        Removed("ghost", False, "not-installed"),
        Removed("alpha@2.0.0", True, "not-installed"),
    )
    assert result.removed[0].to_json() == {"key": "plain", "value": True, "reason": "no-scripts"}


def test_integer_like_keys_come_first_as_in_a_javascript_object() -> None:
    result = classify_unused_entries({"b": True, "10": True, "2": True}, [])
    assert [r.key for r in result.removed] == ["2", "10", "b"]
