"""EJSONPARSE rendering: npm's `JSON.parse` lines, and a lone surrogate shown the way node writes it."""

from __future__ import annotations

from snpm.cli.error_render import render
from snpm.errors import SnpmError

DETAIL = "Failed to parse JSON data.\nNote: package.json must be actual JSON, not just JavaScript."


def test_ejsonparse_lines() -> None:
    message = "Invalid package.json: JSONParseError: Unexpected end of JSON input while parsing empty string"
    rendered = render(SnpmError(message, code="EJSONPARSE"), command="install")
    assert rendered.error == [("code", "EJSONPARSE")]
    assert rendered.summary == [("JSON.parse", message)]
    assert rendered.detail == [("JSON.parse", DETAIL)]
    assert rendered.json_error() == {"code": "EJSONPARSE", "summary": message, "detail": DETAIL}
    assert rendered.exit_code == 1


def test_lone_surrogate_is_replaced_on_screen_and_kept_for_json() -> None:
    # V8's context window cut a surrogate pair: node prints U+FFFD, JSON.stringify escapes the half
    message = 'Unexpected token "x" (0x78), ..."\ude00😀": x}" is not valid JSON while parsing \'…\''
    rendered = render(SnpmError(message, code="EJSONPARSE"), command="install")
    assert rendered.summary == [("JSON.parse", message.replace("\ude00", "\ufffd"))]
    assert rendered.json_error()["summary"] == message
