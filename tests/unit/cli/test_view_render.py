"""`npm view` rendering: format-bytes, tiny-relative-date, cleanup, field lines, --json unwrapping,
and the pretty block (no registry: the data is built by hand)."""

from __future__ import annotations

import time

import pytest

from snpm.cli.chalk import Chalk
from snpm.cli.view_render import (
    cleanup,
    format_bytes,
    json_value,
    pretty_view,
    relative_date,
    text_output,
    to_json,
)
from snpm.json_types import JsonObject
from snpm.ops.queryable import UNDEFINED, Value
from snpm.ops.registry_view import ViewData


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1000, "1.0 kB"),
        (12250, "12.3 kB"),
        (999949, "999.9 kB"),
        (999950, "1.0 MB"),
        (1234567, "1.2 MB"),
        (999950000, "1.0 GB"),
    ],
)
def test_format_bytes(size: int, text: str) -> None:
    assert format_bytes(size) == text


NOW = 1_700_000_000_000.0


@pytest.mark.parametrize(
    ("seconds_ago", "text"),
    [
        (5, "just now"),
        (45, "45 seconds ago"),
        (90, "a minute ago"),
        (600, "10 minutes ago"),
        (3600 + 60, "an hour ago"),
        (5 * 3600, "5 hours ago"),
        (14 * 24 * 3600, "2 weeks ago"),
        (7 * 24 * 3600 + 10, "a week ago"),
        (45 * 24 * 3600, "a month ago"),
        (100 * 24 * 3600, "3 months ago"),
        (400 * 24 * 3600, "a year ago"),
        (800 * 24 * 3600, "over a year ago"),
        (-600, "10 minutes from now"),
    ],
)
def test_relative_date(seconds_ago: int, text: str) -> None:
    assert relative_date(NOW - seconds_ago * 1000, NOW) == text


def test_relative_date_counts_days_from_local_midnight() -> None:
    now = time.mktime((2024, 5, 10, 9, 0, 0, 0, 0, -1)) * 1000
    three_days = time.mktime((2024, 5, 7, 23, 0, 0, 0, 0, -1)) * 1000
    assert relative_date(three_days, now) == "3 days ago"


def test_cleanup_turns_small_person_objects_into_text() -> None:
    assert cleanup({"name": "Bob", "email": "b@x.y"}) == "Bob <b@x.y>"
    assert cleanup({"name": "Bob", "email": "b@x.y", "url": "https://b"}) == "Bob <b@x.y> (https://b)"
    assert cleanup([{"name": "Ann"}, "x"]) == ["Ann", "x"]
    kept: JsonObject = {"name": "x", "version": "1.0.0"}
    assert cleanup(kept) == kept


def _data(selected: dict[str, dict[str, Value]], whole: bool = False) -> ViewData:
    return ViewData(packument={"_id": "demo"}, selected=selected, whole=whole)


def test_field_lines() -> None:
    one = _data({"1.0.0": {"version": "1.0.0"}})
    assert text_output(one, colors=False) == "1.0.0"
    two_fields = _data({"1.0.0": {"dependencies": {"a": "^1"}, "name": "demo"}})
    assert text_output(two_fields, colors=False) == "dependencies = { a: '^1' }\nname = 'demo'"
    two_versions = _data({"1.0.0": {"version": "1.0.0"}, "1.1.0": {"version": "1.1.0"}})
    assert text_output(two_versions, colors=False) == "demo@1.0.0 '1.0.0'\ndemo@1.1.0 '1.1.0'"
    missing = _data({"1.0.0": {"keywords": UNDEFINED}})
    assert text_output(missing, colors=False) == "undefined"


def test_json_unwrapping() -> None:
    assert json_value(_data({"1.0.0": {"version": "1.0.0"}})) == "1.0.0"
    assert json_value(_data({"1.0.0": {"version": "1.0.0"}, "2.0.0": {"version": "2.0.0"}})) == [
        "1.0.0",
        "2.0.0",
    ]
    both = json_value(_data({"1.0.0": {"name": "demo", "version": "1.0.0"}}))
    assert both == {"name": "demo", "version": "1.0.0"}
    assert json_value(_data({})) is UNDEFINED
    assert to_json({"a": UNDEFINED, "b": [UNDEFINED, 1]}) == {"b": [None, 1]}


def test_pretty_view_block() -> None:
    packument: JsonObject = {
        "_id": "demo",
        "versions": ["1.0.0", "1.2.0"],
        "dist-tags": {"beta": "2.0.0-beta.1", "latest": "1.2.0", "old": "1.0.0"},
        "time": {
            "1.0.0": "2020-01-01T00:00:00.000Z",
            "2.0.0-beta.1": "2021-01-01T00:00:00.000Z",
            "1.2.0": "2020-06-01T00:00:00.000Z",
        },
        "maintainers": [{"name": "alice", "email": "alice@example.com"}, {"name": "bob"}],
        "keywords": ["mock"],
    }
    manifest: JsonObject = {
        **packument,
        "name": "demo",
        "version": "1.2.0",
        "description": "A mock package",
        "homepage": "https://example.com",
        "license": "MIT",
        "bin": {"mock": "cli.js"},
        "deprecated": "use 2",
        "dependencies": {"foo": "^1.0.0", "bar": "~2.1.0"},
        "dist": {
            "tarball": "https://r.example/demo.tgz",
            "shasum": "def",
            "integrity": "sha512-B",
            "unpackedSize": 12300,
        },
        "_npmUser": {"name": "alice", "email": "alice@example.com"},
    }
    text = pretty_view(packument, manifest, chalk=Chalk(False), unicode=True)
    assert text == "\n".join(
        [
            "",
            "demo@1.2.0 | MIT | deps: 2 | versions: 2",
            "A mock package",
            "https://example.com",
            "",
            "DEPRECATED ⚠️  - use 2",
            "",
            "keywords: mock",
            "",
            "bin: mock",
            "",
            "dist",
            ".tarball: https://r.example/demo.tgz",
            ".shasum: def",
            ".integrity: sha512-B",
            ".unpackedSize: 12.3 kB",
            "",
            "dependencies:",
            "foo: ^1.0.0, bar: ~2.1.0",
            "",
            "maintainers:",
            "- alice <alice@example.com>",
            "- bob <undefined>",
            "",
            "dist-tags:",
            "latest: 1.2.0",
            "beta: 2.0.0-beta.1",
            "old: 1.0.0",
            "",
            "published over a year ago by alice <alice@example.com>",
        ]
    )
    colored = pretty_view(packument, manifest, chalk=Chalk(True), unicode=False)
    assert "\x1b[4m\x1b[36mdemo@1.2.0\x1b[39m\x1b[24m | \x1b[32mMIT\x1b[39m" in colored
    assert "\x1b[91mDEPRECATED\x1b[39m!! - use 2" in colored
