"""snpm.spec.ecmascript: JavaScript's string built-ins (expected values from node 20)."""

from __future__ import annotations

import pytest

from snpm.errors import SpecError
from snpm.spec.ecmascript import (
    decode_uri_component,
    encode_uri_component,
    is_uri_component_safe,
    js_length,
    js_trim,
)


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
    with pytest.raises(SpecError, match="URI malformed"):
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


@pytest.mark.parametrize("text", ["%e9", "%", "%zz", "%C0%80", "%ED%A0%80", "%E2%82"])
def test_decode_uri_component_throws_uri_error(text: str) -> None:
    with pytest.raises(SpecError) as raised:
        decode_uri_component(text)
    assert raised.value.code is None
    assert raised.value.message == "URI malformed"


def test_trim_uses_javascript_whitespace() -> None:
    # JS trims NBSP, BOM, LINE SEPARATOR and IDEOGRAPHIC SPACE but not U+001C, which Python strips
    assert js_trim(" \u00a0\ufeff\u2028x\u001c \u3000") == "x\u001c"


def test_length_counts_utf16_code_units() -> None:
    assert js_length("\U0001f600a") == 3
    assert js_length("abc") == 3
