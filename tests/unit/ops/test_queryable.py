"""npm view's field paths (lib/utils/queryable.js getter)."""

from __future__ import annotations

import pytest

from snpm.errors import SnpmError
from snpm.json_types import JsonObject
from snpm.ops.queryable import UNDEFINED, parse_keys, query

DOC: JsonObject = {
    "name": "demo",
    "dependencies": {"foo": "^1.0.0"},
    "contributors": [{"name": "Bob", "email": "bob@x.y"}, {"name": "Carol"}],
    "time": {"1.0.0": "2020-01-01T00:00:00.000Z"},
    "keywords": [],
    "one": ["only"],
    "a": {"b": [{"c": 1}, {"c": 2}]},
}


def test_parse_keys() -> None:
    assert parse_keys("a.b.c") == ["a", "b", "c"]
    assert parse_keys("time[1.0.0]") == ["time", "1.0.0"]
    assert parse_keys("contributors[0].email") == ["contributors", "0", "email"]


def test_plain_and_nested_paths() -> None:
    assert query(DOC, "name") == {"name": "demo"}
    assert query(DOC, "dependencies.foo") == {"dependencies.foo": "^1.0.0"}
    assert query(DOC, "time[1.0.0]") == {"time[1.0.0]": "2020-01-01T00:00:00.000Z"}
    assert query(DOC, "contributors[0].email") == {"contributors[0].email": "bob@x.y"}
    assert query(DOC, "nothing.here") is None
    assert query(DOC, "name.length") == {"name.length": 4}


def test_mapping_over_arrays_keeps_queryables_labels() -> None:
    assert query(DOC, "contributors.email") == {
        "contributors[0].email": "bob@x.y",
        "contributors[1].email": UNDEFINED,
    }
    # the label glues the earlier keys without dots (queryable.js's `label += k`)
    assert query(DOC, "a.b.c") == {"ab[0].c": 1, "ab[1].c": 2}


def test_single_item_arrays_unwrap_unless_json() -> None:
    assert query(DOC, "one") == {"one": "only"}
    assert query(DOC, "one", unwrap_single_item_arrays=False) == {"one": ["only"]}
    assert query(DOC, "keywords") == {"keywords": UNDEFINED}


def test_empty_brackets_are_refused() -> None:
    with pytest.raises(SnpmError, match="Empty brackets") as err:
        query(DOC, "keywords[]")
    assert err.value.code == "EINVALIDSYNTAX"
