"""snpm.ecmascript.strings: JavaScript's whitespace, trim, split, length and URI component functions
(expected values from node 20; `test_ecmascript_node_e2e.py` compares with node itself)."""

from __future__ import annotations

import re

import pytest

from snpm.ecmascript.strings import (
    NOT_LINE_TERMINATOR,
    WHITESPACE,
    WHITESPACE_RE,
    URIError,
    decode_uri_component,
    encode_uri_component,
    is_uri_component_safe,
    split_whitespace,
    trim,
    utf16_length,
)


def test_trim_uses_javascript_whitespace() -> None:
    # JS trims NBSP, BOM, LINE SEPARATOR and IDEOGRAPHIC SPACE but not U+001C or NEL, which Python strips
    assert trim(" \u00a0\ufeff\u2028x\u001c \u3000") == "x\u001c"
    assert trim("\x85x\x85") == "\x85x\x85"
    assert trim("\ufeff\u00a0 x \u2028\n") == "x"


def test_whitespace_set_and_regex_agree() -> None:
    assert all(WHITESPACE_RE.fullmatch(ch) for ch in WHITESPACE)
    assert not any(WHITESPACE_RE.match(ch) for ch in "\x1c\x1d\x1e\x1f\x85\u200b\u180e")


def test_split_whitespace_keeps_javascripts_empty_edges() -> None:
    assert split_whitespace("a \t\xa0b") == ["a", "b"]
    assert split_whitespace(" a") == ["", "a"]
    assert split_whitespace("a\x1cb") == ["a\x1cb"]


def test_not_line_terminator_is_javascripts_dot() -> None:
    dot = re.compile(NOT_LINE_TERMINATOR)
    assert [bool(dot.match(ch)) for ch in "a\r\n\u2028\u2029\x85"] == [True, False, False, False, False, True]


def test_length_counts_utf16_code_units() -> None:
    assert utf16_length("\U0001f600a") == 3
    assert utf16_length("abc") == 3
    assert utf16_length("\xe9") == 1
    assert utf16_length("\ud800") == 1  # a lone surrogate is one unit (and no error)


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        ("a b", "a%20b"),
        ("@scope/x", "%40scope%2Fx"),
        ("é", "%C3%A9"),
        ("~!*()'", "~!*()'"),
        ("\U0001f600", "%F0%9F%98%80"),
        ("%", "%25"),
    ],
)
def test_encode_uri_component(text: str, encoded: str) -> None:
    assert encode_uri_component(text) == encoded
    assert is_uri_component_safe(text) == (text == encoded)


def test_encode_uri_component_refuses_lone_surrogates() -> None:
    with pytest.raises(URIError, match="URI malformed"):
        encode_uri_component("\ud800")


@pytest.mark.parametrize(
    ("text", "decoded"),
    [
        ("%E2%82%AC", "€"),
        ("%C3%A9", "é"),
        ("%F0%9F%98%80", "\U0001f600"),
        ("a%20b%2F", "a b/"),
        ("plain", "plain"),
    ],
)
def test_decode_uri_component(text: str, decoded: str) -> None:
    assert decode_uri_component(text) == decoded


@pytest.mark.parametrize("text", ["%e9", "%", "%zz", "%C0%80", "%ED%A0%80", "%E2%82", "a%4"])
def test_decode_uri_component_throws_uri_error(text: str) -> None:
    with pytest.raises(URIError) as raised:
        decode_uri_component(text)
    assert str(raised.value) == "URI malformed"
    assert isinstance(raised.value, ValueError)
