"""`parse_json_body`: minipass-fetch's `res.json()` for a body the fast decoder refused.

Expected messages are node 20's (tests/e2e/test_json_errors_differential.py compares them with
minipass-fetch itself).
"""

from __future__ import annotations

import math

import pytest

from snpm.errors import NetworkError
from snpm.registry_client.responses import parse_json_body

URL = "http://127.0.0.1:9/pkg"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "Unexpected end of JSON input"),
        (b'{"name": "x", "versions": {', "Expected property name or '}' in JSON at position 27"),
        (b"<html>oops</html>", "Unexpected token '<', \"<html>oops</html>\" is not valid JSON"),
        # plain JSON.parse: a BOM is an unexpected token, not stripped
        ('\ufeff{"a": 1}'.encode(), 'Unexpected token \'\ufeff\', "\ufeff{"a": 1}" is not valid JSON'),
    ],
)
def test_invalid_body_is_a_fetch_error(body: bytes, reason: str) -> None:
    with pytest.raises(NetworkError) as info:
        parse_json_body(URL, body)
    err = info.value
    assert err.message == f"invalid json response body at {URL} reason: {reason}"
    assert err.code == "FETCH_ERROR"
    assert err.extra == {"type": "invalid-json", "errno": "FETCH_ERROR"}


def test_credentials_in_the_url_are_redacted() -> None:
    with pytest.raises(NetworkError) as info:
        parse_json_body("http://user:secret@127.0.0.1:9/pkg", b"{")
    assert "secret" not in info.value.message


def test_what_json_parse_accepts_is_returned() -> None:
    # msgspec refuses these; JSON.parse does not
    assert parse_json_body(URL, b'{"a": "\\ud800"}') == {"a": "\ud800"}
    assert parse_json_body(URL, b'{"a": "\xff"}') == {"a": "\ufffd"}
    value = parse_json_body(URL, b"1e400")
    assert isinstance(value, float) and math.isinf(value)
