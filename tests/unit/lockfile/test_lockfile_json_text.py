"""JavaScript JSON semantics: parsing with format detection, JSON.stringify, stringify-nice, ICU order."""

from __future__ import annotations

from pathlib import Path

import pytest

from snpm.errors import SnpmError
from snpm.lockfile.json_text import (
    js_key_order,
    js_number,
    js_trim,
    locale_key,
    parse_json,
    stringify,
    stringify_nice,
)

SRC = Path(__file__).resolve().parents[3] / "src" / "snpm"


def test_copies_in_lockfile_and_manifest_are_identical() -> None:
    # layer-1 packages may not import each other, so both carry the module; they must not drift
    assert (SRC / "lockfile/json_text.py").read_bytes() == (SRC / "manifest/json_text.py").read_bytes()


# orders measured with node 20: `[...].sort((a, b) => a.localeCompare(b, 'en'))`
@pytest.mark.parametrize(
    "ordered",
    [
        ["a", "A", "a_b", "a-b", "a.b", "a/node_modules/b", "a1", "a10", "a2", "ab", "aB", "Ab", "AB"],
        [
            "",
            "local-lib",
            "node_modules/_x",
            "node_modules/@scope/x",
            "node_modules/~x",
            "node_modules/0x",
            "node_modules/a",
        ],
        ["react", "react-dom", "react-dom@1", "react@1"],
        [
            "\t",
            "\n",
            " ",
            "_",
            "-",
            ",",
            ";",
            ":",
            "!",
            "?",
            ".",
            "'",
            '"',
            "(",
            ")",
            "[",
            "]",
            "{",
            "}",
            "@",
            "*",
            "/",
        ],
        ["\\", "&", "#", "%", "`", "^", "+", "<", "=", ">", "|", "~", "$", "0", "9", "a", "z"],
        ["a", "a b", "a-b", "ab"],
    ],
)
def test_locale_key_orders_like_icu(ordered: list[str]) -> None:
    assert sorted(reversed(ordered), key=locale_key) == ordered


def test_locale_key_control_characters_are_ignorable() -> None:
    assert locale_key("a\x01b") == locale_key("ab")


def test_locale_key_non_ascii_after_ascii_and_accent_after_base() -> None:
    assert locale_key("e") < locale_key("é") < locale_key("f")
    assert locale_key("z") < locale_key("ж")


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
    ],
)
def test_js_number(value: float, text: str) -> None:
    assert js_number(value) == text


def test_js_trim_strips_bom_and_unicode_spaces() -> None:
    assert js_trim("\ufeff\u00a0 x \u2028\n") == "x"
    assert js_trim("\x1cx") == "\x1cx"  # not JS whitespace, though Python's strip() removes it


def test_js_key_order_puts_array_indexes_first() -> None:
    assert js_key_order(["b", "10", "a", "2", "01", "4294967295", "4294967294"]) == [
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


@pytest.mark.parametrize("bad", ["", "{", '{"a": NaN}', "{} x"])
def test_parse_json_invalid(bad: str) -> None:
    with pytest.raises(SnpmError) as info:
        parse_json(bad)
    assert info.value.code == "EJSONPARSE"


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
