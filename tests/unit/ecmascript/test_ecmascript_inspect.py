"""snpm.ecmascript.inspect: node's util.inspect for JSON values (what `npm view` prints for fields).

Fixed cases here; `test_inspect_matches_node` compares generated values with node's own output.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess

import pytest

from snpm.ecmascript.inspect import inspect
from snpm.json_types import JsonValue

CASES: list[tuple[JsonValue, str]] = [
    ("1.0.0", "'1.0.0'"),
    ("it's", '"it\'s"'),
    ('it\'s "quoted"', '`it\'s "quoted"`'),
    ("a\nb", "'a\\nb'"),
    ("\x01\x7f", "'\\x01\\x7F'"),
    (None, "null"),
    (True, "true"),
    (1.0, "1"),
    (-0.0, "-0"),
    (1e21, "1e+21"),
    ([], "[]"),
    ({}, "{}"),
    (["1.0.0", "1.2.0"], "[ '1.0.0', '1.2.0' ]"),
    ({"foo": "^1.0.0", "bar-baz": "~2"}, "{ foo: '^1.0.0', 'bar-baz': '~2' }"),
    (
        {"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}},
        "{\n  a: {\n    b: {\n      c: { d: { e: { f: [Object] } } }\n    }\n  }\n}",
    ),
    (
        list(range(1, 28)),
        "[\n   1,  2,  3,  4,  5,  6,  7,  8,\n   9, 10, 11, 12, 13, 14, 15, 16,\n"
        "  17, 18, 19, 20, 21, 22, 23, 24,\n  25, 26, 27\n]",
    ),
    ({"long": "x" * 90 + "\nend"}, "{\n  long: '" + "x" * 90 + "\\n' +\n    'end'\n}"),
]


@pytest.mark.parametrize(("value", "expected"), CASES, ids=[repr(c[0])[:30] for c in CASES])
def test_fixed_cases(value: JsonValue, expected: str) -> None:
    assert inspect(value) == expected


def test_colors() -> None:
    assert inspect({"a": 1, "b": "x", "c": None, "d": True}, colors=True) == (
        "{ a: \x1b[33m1\x1b[39m, b: \x1b[32m'x'\x1b[39m, c: \x1b[1mnull\x1b[22m, d: \x1b[33mtrue\x1b[39m }"
    )


def test_astral_characters_count_twice() -> None:
    # 39 emoji are 78 UTF-16 units: too long for one line inside an object
    assert inspect({"k": "😀" * 39}).startswith("{\n")
    assert inspect({"k": "é" * 39}) == "{ k: '" + "é" * 39 + "' }"


_WORDS = [
    "a",
    "foo",
    "bar-baz",
    "it's",
    'say "hi"',
    "x" * 30,
    "line1\nline2\n",
    "é",
    "😀",
    "\x01",
    "_k",
    "0abc",
]


def _random_value(rng: random.Random, depth: int = 0) -> JsonValue:
    roll = rng.random()
    if depth > 4 or roll < 0.35:
        pick = rng.random()
        if pick < 0.5:
            return rng.choice(_WORDS) * rng.choice([1, 1, 2, 5])
        if pick < 0.7:
            return rng.choice([0, 1, -1, 42, 1.5, 100000, 1e21, 3.14159])
        if pick < 0.85:
            return rng.choice([True, False])
        return None
    if roll < 0.65:
        return [_random_value(rng, depth + 1) for _ in range(rng.choice([0, 1, 2, 3, 7, 8, 12, 30]))]
    return {rng.choice(_WORDS): _random_value(rng, depth + 1) for _ in range(rng.choice([0, 1, 2, 3, 5, 8]))}


@pytest.mark.e2e
@pytest.mark.parametrize("colors", [False, True])
def test_inspect_matches_node(colors: bool) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    rng = random.Random(20240501)
    values = [_random_value(rng) for _ in range(600)]
    script = (
        "const u=require('util');const v=JSON.parse(require('fs').readFileSync(0,'utf8'));"
        f"console.log(JSON.stringify(v.map(x=>u.inspect(x,{{depth:5,maxArrayLength:null,colors:{json.dumps(colors)}}}))))"
    )
    done = subprocess.run(
        [node, "-e", script], input=json.dumps(values), capture_output=True, text=True, check=True
    )
    expected = json.loads(done.stdout)
    failures = [(v, e) for v, e in zip(values, expected, strict=True) if inspect(v, colors=colors) != e]
    print(
        f"util.inspect (colors={colors}): {len(values) - len(failures)}/{len(values)} values as node prints them"
    )
    assert not failures, failures[:3]
