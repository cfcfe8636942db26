"""The UTF-16 helpers of snpm.ecmascript.json_errors and a few of V8's messages by name (the full
tables live in tests/conformance/json_parse)."""

from __future__ import annotations

import pytest

from snpm.ecmascript.even_better_errors import even_better_error
from snpm.ecmascript.json_errors import (
    from_utf16_units,
    json_parse_error_message,
    to_utf16_units,
    to_well_formed,
)


def test_utf16_units_round_trip() -> None:
    text = "a😀é\ud800"
    units = to_utf16_units(text)
    assert len(units) == 5  # the emoji is two code units
    assert units[1:3] == "\ud83d\ude00"
    assert from_utf16_units(units) == text
    assert to_utf16_units("plain") == "plain"


def test_to_well_formed_replaces_lone_surrogates_only() -> None:
    assert to_well_formed("a\ud83d😀\ude00") == "a\ufffd😀\ufffd"
    assert to_well_formed("ascii") == "ascii"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{}", None),
        ("", "Unexpected end of JSON input"),
        ('{"a":1,}', "Expected double-quoted property name in JSON at position 7"),
        ('{"a":1,"b" 2}', "Unexpected number in JSON at position 11"),
        ("01", "Unexpected number in JSON at position 1"),
        ("undefined", '"undefined" is not valid JSON'),
        # positions count UTF-16 code units
        ('"😀" x', "Unexpected non-whitespace character after JSON at position 5"),
        ("abcdefghijklmnopqrstuvwxyz", "Unexpected token 'a', \"abcdefghij\"... is not valid JSON"),
    ],
)
def test_v8_messages(text: str, message: str | None) -> None:
    assert json_parse_error_message(text) == message


def test_even_better_error_context() -> None:
    # node: new JSONParseError(new SyntaxError("Unexpected end of JSON input"), text)
    wrapped = even_better_error("Unexpected end of JSON input", '{"a": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11')
    assert wrapped.position == 39  # the last code unit
    assert wrapped.message == ('Unexpected end of JSON input while parsing near "...5, 6, 7, 8, 9, 10, 11"')
    assert even_better_error("Unexpected end of JSON input", "").message == (
        "Unexpected end of JSON input while parsing empty string"
    )
