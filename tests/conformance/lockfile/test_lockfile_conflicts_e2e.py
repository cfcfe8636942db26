"""Merge-conflicted lockfiles resolve like npm's parse-conflict-json (just-diff + just-diff-apply):
random edits on both sides of a conflict, resolved by node and by snpm."""

from __future__ import annotations

import copy
import json
import random

import pytest

from snpm.ecmascript.json import stringify
from snpm.json_types import JsonValue
from snpm.lockfile.conflicts import resolve_conflicts
from support.node import node_json

pytestmark = pytest.mark.e2e

BASE: JsonValue = {
    "name": "p",
    "lockfileVersion": 3,
    "requires": True,
    "packages": {
        "": {"name": "p", "dependencies": {"a": "^1.0.0", "b": "^2.0.0"}},
        "node_modules/a": {"version": "1.0.0", "os": ["linux", "darwin"], "dependencies": {"c": "1"}},
        "node_modules/b": {"version": "2.0.0", "funding": [{"url": "u"}, "v"], "cpu": []},
        "node_modules/c": {"version": "1.0.0", "bin": {"c": "c.js"}},
    },
}

_WORDS = ["a", "b", "c", "d", "x", "version", "0", "1", "10", "linux", "x64", "constructor", "toString"]


def _random_leaf(rng: random.Random) -> JsonValue:
    return rng.choice(
        [
            None,
            True,
            False,
            0,
            1,
            2.5,
            "1.0.0",
            "s",
            "",
            [],
            {},
            ["linux"],
            {"k": "v"},
            [1, 2, 3],
            [{"url": "w"}],
        ]
    )


def _mutate(value: JsonValue, rng: random.Random, edits: int) -> JsonValue:
    root = copy.deepcopy(value)
    for _ in range(edits):
        # walk to a random container
        node: JsonValue = root
        for _ in range(rng.randint(0, 4)):
            if isinstance(node, dict) and node:
                child = node[rng.choice(list(node))]
            elif isinstance(node, list) and node:
                child = rng.choice(node)
            else:
                break
            if not isinstance(child, dict | list):
                break
            node = child
        action = rng.random()
        if isinstance(node, dict):
            if node and action < 0.3:
                del node[rng.choice(list(node))]
            elif node and action < 0.6:
                node[rng.choice(list(node))] = _random_leaf(rng)
            else:
                node[rng.choice(_WORDS)] = _random_leaf(rng)
        elif isinstance(node, list):
            if node and action < 0.3:
                del node[rng.randrange(len(node))]
            elif node and action < 0.5:
                node.insert(0, _random_leaf(rng))
            elif node and action < 0.7:
                node[rng.randrange(len(node))] = _random_leaf(rng)
            else:
                node.append(_random_leaf(rng))
    return root


def _conflict(ours: JsonValue, base: JsonValue, theirs: JsonValue, with_base: bool) -> str:
    parts = ["<<<<<<< HEAD", json.dumps(ours, indent=2)]
    if with_base:
        parts += ["||||||| merged common ancestors", json.dumps(base, indent=2)]
    parts += ["=======", json.dumps(theirs, indent=2), ">>>>>>> branch", ""]
    return "\n".join(parts)


SCRIPT = """
const parse = require(NPM + '/node_modules/parse-conflict-json')
console.log(JSON.stringify(input.map(t => { try { return JSON.stringify(parse(t)) } catch (e) { return 'ERROR' } })))
"""


def test_conflict_resolution_matches_npm() -> None:
    rng = random.Random(42)
    texts = []
    for i in range(1500):
        ours = _mutate(BASE, rng, rng.randint(1, 5))
        theirs = _mutate(BASE, rng, rng.randint(1, 5))
        texts.append(_conflict(ours, BASE, theirs, with_base=i % 4 != 0))
    # a partial conflict inside the document, as git writes it
    texts.append(
        '{\n  "name": "p",\n<<<<<<< HEAD\n  "version": "1.0.0",\n=======\n  "version": "2.0.0",\n'
        '>>>>>>> other\n  "lockfileVersion": 3\n}\n'
    )
    expected = node_json(SCRIPT, texts)
    assert isinstance(expected, list)
    failures = []
    for text, want in zip(texts, expected, strict=True):
        try:
            # JSON.stringify order: integer-like keys first, as in any JS object
            got = stringify(resolve_conflicts(text).value, 0)
        except Exception:  # noqa: BLE001 - any failure counts as npm's thrown error
            got = "ERROR"
        if got != want:
            failures.append((text, got, want))
    print(f"conflict resolution: {len(texts) - len(failures)}/{len(texts)} equal")
    assert not failures, failures[:2]
