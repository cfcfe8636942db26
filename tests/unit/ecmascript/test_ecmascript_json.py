"""snpm.ecmascript.json: JSON.parse as json-parse-even-better-errors does it (format detection),
JSON.stringify, json-stringify-nice and the property order of JS objects (expected values from node
20; `tests/conformance/lockfile/test_lockfile_js_semantics_e2e.py` compares with node itself)."""

from __future__ import annotations

import pytest

from snpm.ecmascript.json import (
    JSONParseError,
    json_number,
    key_order,
    parse_json,
    stringify,
    stringify_nice,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (0.001, "0.001"),
        (1.5e-7, "1.5e-7"),
        (1e-6, "0.000001"),
        (123.456, "123.456"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (2**60, "1152921504606847000"),
        (2**53, "9007199254740992"),
        (-0.0, "0"),
        (5e-324, "5e-324"),
        (123456789012345678901234567890, "1.2345678901234568e+29"),
        (float("inf"), "null"),
        (float("nan"), "null"),
        (10**400, "null"),
    ],
)
def test_json_number(value: float, text: str) -> None:
    assert json_number(value) == text


def test_key_order_puts_array_indexes_first() -> None:
    assert key_order(["b", "10", "a", "2", "01", "4294967295", "4294967294"]) == [
        "2",
        "10",
        "4294967294",
        "b",
        "a",
        "01",
        "4294967295",
    ]


@pytest.mark.parametrize(
    ("text", "indent", "newline"),
    [
        ('{\n  "a": 1\n}\n', "  ", "\n"),
        ('{\n\t"a": 1\n}', "\t", "\n"),
        ('{\r\n    "a": 1\r\n}\r\n', "    ", "\r\n"),
        ('{"a":1}', "", ""),
        ("{}", "  ", "\n"),
        ("{}\r\n", "  ", "\r\n"),
        ('\ufeff{\n  "a": 1\n}\n', "  ", "\n"),
        ('{\n\n  "a": 1}', "  ", "\n\n"),
        ('{\n  \n    "a": 1}', "  \n    ", "\n"),
        ("[\n 1\n]", " ", "\n"),
    ],
)
def test_parse_json_detects_format_like_npm(text: str, indent: str, newline: str) -> None:
    parsed = parse_json(text)
    assert (parsed.indent, parsed.newline) == (indent, newline)


def test_parse_json_scalar_has_no_format() -> None:
    parsed = parse_json("3")
    assert (parsed.value, parsed.indent, parsed.newline) == (3, None, None)


def test_parse_json_keeps_last_duplicate_in_first_position() -> None:
    assert list(parse_json('{"a": 1, "b": 2, "a": 3}').value.items()) == [("a", 3), ("b", 2)]  # type: ignore[union-attr]


def test_parse_json_lone_surrogate_escape() -> None:
    assert parse_json('{"a": "\\ud800"}').value == {"a": "\ud800"}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("", "Unexpected end of JSON input while parsing empty string"),
        ("{", "Expected property name or '}' in JSON at position 1 while parsing \"{\""),
        (
            '{"a": NaN}',
            'Unexpected token "N" (0x4E), "{"a": NaN}" is not valid JSON while parsing \'{"a": NaN}\'',
        ),
        ("{} x", 'Unexpected non-whitespace character after JSON at position 3 while parsing "{} x"'),
    ],
)
def test_parse_json_invalid(bad: str, message: str) -> None:
    # json-parse-even-better-errors' words (tests/conformance/json_parse has the full tables)
    with pytest.raises(JSONParseError) as info:
        parse_json(bad)
    assert info.value.code == "EJSONPARSE"
    assert info.value.message == message


def test_stringify_matches_json_stringify() -> None:
    value = {"b": [], "a": {}, "10": 1.0, "c": [1, {"x": '\x01\u2028é"\\\n'}], "d": None, "e": 1.5e-7}
    assert stringify(value, 2) == (
        '{\n  "10": 1,\n  "b": [],\n  "a": {},\n  "c": [\n    1,\n    {\n      "x": "\\u0001\u2028é\\"\\\\\\n"\n'
        '    }\n  ],\n  "d": null,\n  "e": 1.5e-7\n}'
    )
    assert (
        stringify(value, 0)
        == '{"10":1,"b":[],"a":{},"c":[1,{"x":"\\u0001\u2028é\\"\\\\\\n"}],"d":null,"e":1.5e-7}'
    )
    assert stringify({"a": [1]}, "\t") == '{\n\t"a": [\n\t\t1\n\t]\n}'
    assert stringify({"a": 1}, "abcdefghijkl") == '{\nabcdefghij"a": 1\n}'
    assert stringify({"a": 1}, 12) == '{\n          "a": 1\n}'


def test_stringify_lone_surrogate_falls_back_to_python_writer() -> None:
    assert stringify({"a": "\ud800x", "b": 2.5}, 1) == '{\n "a": "\\ud800x",\n "b": 2.5\n}'


def test_stringify_nice_sorts_every_object() -> None:
    value = {"z": {"b": 1, "a": [{"y": 1, "x": 2}]}, "name": "n", "b": [3, 1], "version": "1", "a": "s"}
    assert stringify_nice(value, ("name", "version")) == (
        '{\n  "name": "n",\n  "version": "1",\n  "a": "s",\n  "b": [\n    3,\n    1\n  ],\n'
        '  "z": {\n    "a": [\n      {\n        "x": 2,\n        "y": 1\n      }\n    ],\n    "b": 1\n  }\n}\n'
    )
    assert stringify_nice({"b": 1, "a": 2}, (), 0) == '{"a":2,"b":1}'
