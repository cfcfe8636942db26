"""The allowScripts edits against npm's own code, through node, on tables of inputs.

`snpm.ops.allow_scripts_writer` (approve / deny, the policy keys of a node) against npm's
lib/utils/allow-scripts-writer.js, and `snpm.ops.allow_scripts_prune` against
lib/utils/allow-scripts-prune.js: every (existing policy × installed nodes × pin) row is run by
both and must give the same map (key order included), the same changes and the same warning.
Nodes are arborist-shaped objects (resolved, package, edgesIn, linksIn, path); the rows cover
registry, scoped, forged, alias and edge-only (no `resolved`) nodes, hosted and plain git, local
folders and remote tarballs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from snpm.lifecycle import BuildNode
from snpm.ops.allow_scripts_prune import Candidate, classify_unused_entries
from snpm.ops.allow_scripts_writer import (
    apply_approval_for_package,
    apply_deny_for_package,
    key_targets_node,
    name_key_for,
    versioned_key_for,
)
from support.node import NODE, node_json

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(NODE is None, reason="node is not installed")]

SHA = "0123456789abcdef0123456789abcdef01234567"
WHERE = "/tmp/allow-scripts-writer"

Fields = dict[str, Any]


def registry(name: str, version: str, *, host: str = "https://r.example") -> Fields:
    base = name.rsplit("/", 1)[-1]
    return {
        "resolved": f"{host}/{name}/-/{base}-{version}.tgz",
        "version": version,
        "package": {"name": name},
        "path": f"{WHERE}/node_modules/{name}",
    }


NODES: dict[str, Fields] = {
    "canvas2": registry("canvas", "2.11.2"),
    "canvas1": {**registry("canvas", "1.0.0"), "path": f"{WHERE}/node_modules/x/node_modules/canvas"},
    "scoped": registry("@s/x", "1.0.0"),
    "numeric": registry("123", "1.0.0"),
    "forged": {**registry("naughty", "1.0.0"), "package": {"name": "canvas"}},
    "mirror": {
        "resolved": "https://mirror.example/download/canvas.tgz?v=2",
        "version": "2.11.2",
        "package": {"name": "canvas"},
        "path": f"{WHERE}/node_modules/canvas",
        "edgesIn": [["canvas", "^2.0.0"]],
    },
    "edges-only": {
        "version": "2.11.2",
        "package": {"name": "canvas"},
        "path": f"{WHERE}/node_modules/canvas",
        "edgesIn": [["canvas", "^2.0.0"]],
    },
    "alias": {
        "version": "1.0.0",
        "package": {"name": "real"},
        "path": f"{WHERE}/node_modules/alias",
        "edgesIn": [["alias", "npm:real@^1.0.0"]],
    },
    "git": {
        "resolved": f"git+ssh://git@github.com/user/x.git#{SHA}",
        "package": {"name": "x"},
        "path": f"{WHERE}/node_modules/x",
    },
    "git-plain": {
        "resolved": f"git+https://git.example/x.git#{SHA}",
        "package": {"name": "x"},
        "path": f"{WHERE}/node_modules/x",
    },
    "file": {
        "path": f"{WHERE}/dep",
        "realpath": f"{WHERE}/dep",
        "package": {"name": "dep"},
        "linksIn": ["file:../dep"],
    },
    "file-link": {"resolved": "file:../dep", "package": {"name": "dep"}, "path": f"{WHERE}/node_modules/dep"},
    "remote": {
        "resolved": "https://host.example/r.tgz",
        "package": {"name": "r"},
        "path": f"{WHERE}/node_modules/r",
    },
}

GROUPS: list[list[str]] = [
    ["canvas2"],
    ["canvas2", "canvas1"],
    ["canvas1"],
    ["scoped"],
    ["numeric"],
    ["forged"],
    ["mirror"],
    ["edges-only"],
    ["canvas2", "edges-only"],
    ["alias"],
    ["git"],
    ["git-plain"],
    ["file"],
    ["file-link", "file"],
    ["remote"],
]

POLICIES: list[dict[str, Any]] = [
    {},
    {"canvas": True},
    {"canvas@*": True},
    {"canvas@2.11.1": True},
    {"canvas@2.11.2": True},
    {"canvas@2.11.1": True, "other": True, "canvas": True},
    {"canvas@2.11.1 || 2.11.2": True},
    {"canvas": False},
    {"canvas@2.11.2": False},
    {"canvas@1.0.0": False, "canvas@2.11.2": True},
    {"canvas@latest": True},
    {"canvas@2.11.2": "yes", "canvas": 1},
    {"@s/x@0.9.0": True, "@s/x": True, "123@0.1.0": True},
    {"real": True, "real@1.0.0": True, "alias": True},
    {"naughty@1.0.0": True},
    {"github:user/x": True, f"github:user/x#{SHA[:7]}": True},
    {"github:user/x": False},
    {"git+https://git.example/x.git": True},
    {"file:../dep": True, "file:dep": True, "file:/elsewhere": True},
    {"file:dep": False},
    {"https://host.example/r.tgz": True, "@@bad": True},
    {"9": True, "10": False, "canvas@2.11.0": True},
]

ROWS: list[tuple[dict[str, Any], list[str], bool]] = [
    (policy, group, pin) for policy in POLICIES for group in GROUPS for pin in (True, False)
]

PRUNE_ROWS: list[tuple[dict[str, Any], list[tuple[str, bool]]]] = [
    (policy, [(name, (index + len(policy)) % 3 != 0) for index, name in enumerate(names)])
    for policy in POLICIES
    for names in (list(NODES), ["canvas2", "git", "file"], [])
]

_JS_NODES = """
const toNode = (fields) => {
  const n = { ...fields };
  n.edgesIn = new Set((n.edgesIn || []).map(([name, spec]) => ({ name, spec })));
  n.linksIn = new Set((n.linksIn || []).map(resolved => ({ resolved })));
  return n;
};
"""

WRITER_SCRIPT = (
    _JS_NODES
    + """
const w = require(NPM + '/lib/utils/allow-scripts-writer.js');
process.chdir(input.where);
const shape = (r) => ({
  allowScripts: Object.entries(r.allowScripts),
  changes: r.changes.map(({ key, change }) => [key, change]),
  warning: r.warning ?? null,
});
console.log(JSON.stringify({
  keys: Object.entries(input.nodes).map(([id, fields]) => {
    const n = toNode(fields);
    return [id, w.nameKeyFor(n), w.versionedKeyFor(n), input.keys.map(k => w.keyTargetsNode(k, n))];
  }),
  rows: input.rows.map(([policy, group, pin]) => {
    const nodes = group.map(id => toNode(input.nodes[id]));
    return [shape(w.applyApprovalForPackage(policy, nodes, { pin })), shape(w.applyDenyForPackage(policy, nodes))];
  }),
}));
"""
)

PRUNE_SCRIPT = (
    _JS_NODES
    + """
const { classifyUnusedEntries } = require(NPM + '/lib/utils/allow-scripts-prune.js');
process.chdir(input.where);
console.log(JSON.stringify(input.rows.map(([policy, nodes]) => {
  const r = classifyUnusedEntries(policy, nodes.map(([id, hasScripts]) => ({ node: toNode(input.nodes[id]), hasScripts })));
  return [Object.entries(r.remaining), r.removed.map(({ key, value, reason }) => [key, value, reason])];
})));
"""
)


def build(fields: Fields) -> BuildNode:
    package = dict(fields.get("package") or {})
    if "version" in fields:
        package["version"] = fields["version"]
    return BuildNode(
        path=str(fields.get("path", "")),
        realpath=str(fields.get("realpath", "")),
        package=package,
        resolved=fields.get("resolved"),
        edges_in=tuple((str(n), str(s)) for n, s in fields.get("edgesIn") or []),
        links_in=tuple(str(r) for r in fields.get("linksIn") or []),
    )


def _shape(edit: Any) -> dict[str, Any]:
    return {
        "allowScripts": [[k, v] for k, v in _js_entries(edit.allow_scripts)],
        "changes": [[c.key, c.change] for c in edit.changes],
        "warning": edit.warning,
    }


def _js_entries(mapping: dict[str, Any]) -> list[tuple[str, Any]]:
    from snpm.ecmascript.json import key_order

    return [(key, mapping[key]) for key in key_order(list(mapping))]


@pytest.fixture()
def where(monkeypatch: pytest.MonkeyPatch) -> str:
    Path(WHERE).mkdir(parents=True, exist_ok=True)
    # npa resolves `file:` keys against the current directory, in npm and here alike
    monkeypatch.chdir(WHERE)
    return WHERE


def test_writer_matches_npm(where: str) -> None:
    keys = sorted({key for policy in POLICIES for key in policy})
    expected = node_json(WRITER_SCRIPT, {"where": where, "nodes": NODES, "keys": keys, "rows": ROWS})
    assert isinstance(expected, dict)
    failures: list[str] = []
    for node_id, name_key, versioned_key, targets in expected["keys"]:
        node = build(NODES[node_id])
        got = [name_key_for(node), versioned_key_for(node), [key_targets_node(k, node) for k in keys]]
        if got != [name_key, versioned_key, targets]:
            failures.append(f"keys of {node_id}: npm {[name_key, versioned_key, targets]} snpm {got}")
    for (policy, group, pin), (approve, deny) in zip(ROWS, expected["rows"], strict=True):
        nodes = [build(NODES[node_id]) for node_id in group]
        got_approve = _shape(apply_approval_for_package(policy, nodes, pin=pin))
        got_deny = _shape(apply_deny_for_package(policy, nodes))
        if got_approve != approve:
            failures.append(f"approve {policy} {group} pin={pin}:\n  npm  {approve}\n  snpm {got_approve}")
        if got_deny != deny:
            failures.append(f"deny {policy} {group}:\n  npm  {deny}\n  snpm {got_deny}")
    total = len(NODES) + 2 * len(ROWS)
    print(f"allowScripts writer: {total - len(failures)}/{total} rows match allow-scripts-writer.js")
    assert not failures, "\n".join(failures)


def test_prune_classifier_matches_npm(where: str) -> None:
    expected = node_json(PRUNE_SCRIPT, {"where": where, "nodes": NODES, "rows": PRUNE_ROWS})
    assert isinstance(expected, list)
    failures: list[str] = []
    for (policy, nodes), want in zip(PRUNE_ROWS, expected, strict=True):
        result = classify_unused_entries(
            policy, [Candidate(build(NODES[node_id]), has_scripts) for node_id, has_scripts in nodes]
        )
        got = [
            [[k, v] for k, v in _js_entries(result.remaining)],
            [[r.key, r.value, r.reason] for r in result.removed],
        ]
        if got != want:
            failures.append(f"prune {policy} {nodes}:\n  npm  {want}\n  snpm {got}")
    print(
        f"allowScripts prune: {len(PRUNE_ROWS) - len(failures)}/{len(PRUNE_ROWS)} rows match allow-scripts-prune.js"
    )
    assert not failures, "\n".join(failures)
