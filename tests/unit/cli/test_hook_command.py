"""`snpm hook`'s pieces without a registry: libnpmhook's reading of the watched name, and npm 10's
rendering of a hook (JS's string conversions, and the TypeErrors of a null hook)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from snpm.cli.commands.hook import _hook_name, _parseable, _triggered
from snpm.errors import SnpmError
from snpm.json_types import JsonObject
from snpm.ops.hooks import hook_target

HOOK: JsonObject = {
    "id": "16f7xoal",
    "username": "zkat",
    "name": "zkat",
    "endpoint": "https://example.test/in",
    "secret": "supersekrit",
    "type": "owner",
    "deleted": False,
    "last_delivery": None,
    "response_code": 0,
}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("lodash", ("package", "lodash")),
        ("@npm", ("scope", "@npm")),
        ("@npm/tool", ("package", "@npm/tool")),
        ("~zkat", ("owner", "zkat")),
        ("~", ("owner", "")),
        ("@", ("package", "@")),
    ],
)
def test_the_type_is_read_off_the_name(typed: str, expected: tuple[str, str]) -> None:
    assert hook_target(typed) == expected


def test_a_hook_renders_as_npm_10_renders_it() -> None:
    assert _hook_name(HOOK) == "~zkat"
    assert _hook_name({**HOOK, "type": "scope", "name": "@npm"}) == "@npm"
    assert _hook_name({"type": "package"}) == "undefined"
    assert _parseable(HOOK) == [
        "id\tusername\tname\tendpoint\tsecret\ttype\tdeleted\tlast_delivery\tresponse_code",
        "16f7xoal\tzkat\tzkat\thttps://example.test/in\tsupersekrit\towner\tfalse\t\t0",
    ]
    assert _parseable({"a": [1, None, "x"], "b": {"c": 1}, "d": 1.5}) == [
        "a\tb\td",
        "1,,x\t[object Object]\t1.5",
    ]


def test_a_null_hook_fails_as_javascript_does() -> None:
    with pytest.raises(SnpmError, match=r"^Cannot read properties of null \(reading 'type'\)$"):
        _hook_name(None)
    with pytest.raises(SnpmError, match=r"^Cannot convert undefined or null to object$"):
        _parseable(None)


def test_the_last_delivery_in_words() -> None:
    assert _triggered(HOOK) == "Never triggered\n"
    recent = (datetime.now(UTC) - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert _triggered({**HOOK, "last_delivery": recent, "response_code": 200}) == (
        'Triggered just now, response code was "200"\n'
    )
    hours = (datetime.now(UTC) - timedelta(hours=3, minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert _triggered({**HOOK, "last_delivery": hours, "response_code": 500}) == (
        'Triggered 3 hours ago, response code was "500"\n'
    )
