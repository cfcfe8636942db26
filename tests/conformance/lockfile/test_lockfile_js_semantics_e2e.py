"""The JavaScript semantics lockfile and package.json writing rely on, checked against node itself:
`localeCompare(…, 'en')` ordering, `JSON.stringify` with indents, json-stringify-nice, and
json-parse-even-better-errors' indent/newline detection."""

from __future__ import annotations

import random
import string

import pytest

from snpm.ecmascript.collation import locale_compare_key
from snpm.ecmascript.json import parse_json, stringify, stringify_nice
from snpm.json_types import JsonValue
from support.node import node_json

pytestmark = pytest.mark.e2e

_ALPHABET = string.printable[:94] + " \t"
_NAME_ALPHABET = string.ascii_lowercase + string.digits + "-._~@/"


def _random_strings(rng: random.Random) -> list[str]:
    strings = {"".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 6))) for _ in range(1500)}
    strings |= {
        "node_modules/" + "".join(rng.choice(_NAME_ALPHABET) for _ in range(rng.randint(1, 12)))
        for _ in range(1500)
    }
    # case-only differences: lowercase first, compared position by position
    strings |= {"".join(rng.choice("aAbB") for _ in range(rng.randint(1, 4))) for _ in range(200)}
    return sorted(strings)


def test_locale_order_matches_node_for_ascii() -> None:
    strings = _random_strings(random.Random(20261121))
    expected = node_json(
        "console.log(JSON.stringify(input.sort((a, b) => a.localeCompare(b, 'en'))))", strings
    )
    got = sorted(strings, key=locale_compare_key)
    assert isinstance(expected, list)
    mismatches = sum(1 for a, b in zip(got, expected, strict=True) if a != b)
    print(f"localeCompare order: {len(strings) - mismatches}/{len(strings)} positions equal")
    assert got == expected


def _random_value(rng: random.Random, depth: int = 0) -> JsonValue:
    kind = rng.randint(0, 9 if depth < 3 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 7, 2**53 + 1, 1.5, 1e21, 1e-7, 0.1, 123456.789, -0.0, 100.0])
    if kind <= 5:
        return "".join(
            rng.choice(_ALPHABET + '\x00\x01\x1f\x7f\u2028é😀"\\') for _ in range(rng.randint(0, 8))
        )
    if kind <= 7:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = [
        rng.choice(["10", "2", "01", "a", "B", "name", "version", "dependencies", "_x", "-y", "zz"])
        for _ in range(5)
    ]
    return {k: _random_value(rng, depth + 1) for k in keys}


STRINGIFY_SCRIPT = """
const nice = require(NPM + '/node_modules/json-stringify-nice')
const order = ['name', 'version', 'lockfileVersion', 'resolved', 'integrity', 'requires', 'packages', 'dependencies']
console.log(JSON.stringify(input.map(v => [
  JSON.stringify(v, null, 2), JSON.stringify(v, null, '\\t'), JSON.stringify(v), nice(v, order, 2), nice(v, order, 0),
])))
"""


def test_stringify_matches_node() -> None:
    rng = random.Random(7)
    values = [_random_value(rng) for _ in range(300)]
    expected = node_json(STRINGIFY_SCRIPT, values)
    assert isinstance(expected, list)
    prefer = (
        "name",
        "version",
        "lockfileVersion",
        "resolved",
        "integrity",
        "requires",
        "packages",
        "dependencies",
    )
    failures = []
    for value, want in zip(values, expected, strict=True):
        got = [
            stringify(value, 2),
            stringify(value, "\t"),
            stringify(value, 0),
            stringify_nice(value, prefer, 2),
            stringify_nice(value, prefer, 0),
        ]
        if got != want:
            failures.append((value, got, want))
    print(f"JSON.stringify / stringify-nice: {len(values) - len(failures)}/{len(values)} values equal")
    assert not failures


PARSE_SCRIPT = """
const parse = require(NPM + '/node_modules/json-parse-even-better-errors')
console.log(JSON.stringify(input.map(t => {
  const v = parse(t)
  return v && typeof v === 'object' ? [v[Symbol.for('indent')], v[Symbol.for('newline')]] : null
})))
"""

PARSE_CASES = [
    '{\n  "a": 1\n}\n',
    '{\n\t"a": 1\n}',
    '{\r\n    "a": 1\r\n}\r\n',
    '{"a":1}',
    "{}",
    "{}\r\n",
    "[]\n\n",
    '\ufeff{\n  "a": 1\n}\n',
    '  {\n\n  "a": 1}',
    '{\n  \n    "a": 1}',
    "[\n 1\n]",
    '{\r\n\r\n\t"a": 1}',
    '{ "a": 1 }',
    "1",
    '"s"',
]


def test_parse_format_detection_matches_node() -> None:
    expected = node_json(PARSE_SCRIPT, PARSE_CASES)
    got = []
    for text in PARSE_CASES:
        parsed = parse_json(text)
        got.append(None if parsed.indent is None else [parsed.indent, parsed.newline])
    assert got == expected
