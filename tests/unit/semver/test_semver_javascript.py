"""snpm.semver.javascript and snpm.semver.tokens: the JS semantics the port depends on."""

from __future__ import annotations

import math

import pytest

from snpm.semver import javascript, tokens


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (1.5, "1.5"),
        (123.456, "123.456"),
        (1e21, "1e+21"),
        (1e23, "1e+23"),
        (123456789012345680000.0, "123456789012345680000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (-2.5, "-2.5"),
        (math.inf, "Infinity"),
        (math.nan, "NaN"),
    ],
)
def test_number_to_string(value: float, text: str) -> None:
    assert javascript.number_to_string(value) == text


def test_increment_uses_double_arithmetic_past_two_to_the_53() -> None:
    assert javascript.increment("41") == "42"
    assert javascript.increment("9007199254740990") == "9007199254740991"
    assert javascript.increment("9007199254740992") == "9007199254740992"
    assert javascript.increment("123456789012345678901") == "123456789012345680000"
    assert javascript.increment("99999999999999999999999") == "1e+23"


def test_to_number_and_is_nan() -> None:
    assert javascript.to_number(" 1 ") == 1
    assert javascript.to_number("") == 0
    assert javascript.to_number("0x10") == 16
    assert math.isnan(javascript.to_number("abc"))
    assert math.isnan(javascript.to_number("1_0"))
    assert javascript.is_nan(None) is False
    assert javascript.is_nan("alpha") is True
    assert javascript.is_nan(3) is False


def test_trim_and_split_use_the_ecmascript_whitespace_set() -> None:
    assert javascript.trim("\ufeff a \u2028") == "a"
    assert javascript.trim("\x1ca") == "\x1ca"
    assert javascript.split_whitespace("a \t\xa0b") == ["a", "b"]
    assert javascript.split_whitespace(" a") == ["", "a"]


def test_length_counts_utf16_units() -> None:
    assert javascript.length("abc") == 3
    assert javascript.length("\U0001f600") == 2
    assert javascript.length("\xe9") == 1


def test_typeof() -> None:
    assert [javascript.typeof(v) for v in (None, True, 1, 1.5, "s", len, object())] == [
        "object",
        "boolean",
        "number",
        "number",
        "string",
        "function",
        "object",
    ]


def test_regexes_keep_the_safe_bounds_and_javascript_anchors() -> None:
    # `\s*` is bounded to one character in node-semver's safeRe
    assert tokens.COMPARATOR.search(">= 1.2.3")
    assert not tokens.COMPARATOR.search(">=  1.2.3")
    # `$` must not match before a trailing newline, unlike Python's
    assert not tokens.FULL.match("1.2.3\n")
    assert tokens.FULL.match("1.2.3")
