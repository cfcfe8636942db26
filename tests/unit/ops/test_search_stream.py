"""libnpmsearch streams `objects.*` out of the search answer: a body that ends early yields the
results that were whole before its end (snpm.ops.registry_view._complete_objects)."""

from __future__ import annotations

import pytest

from snpm.json_types import JsonValue
from snpm.ops.registry_view import _complete_objects


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"objects": [', []),
        ("", []),
        ('{"objects"', []),
        (
            '{"total": 3, "objects": [{"package": {"name": "a"}}, {"package": {"na',
            [{"package": {"name": "a"}}],
        ),
        ('{"objects": [{"a": 1}, {"b": 2}], "total"', [{"a": 1}, {"b": 2}]),
        ('{"time": "x", "objects": [1, 2, [3', [1, 2]),
        ('  {\n "objects" : [ {"a": [1, {"b": null}]} ,', [{"a": [1, {"b": None}]}]),
    ],
)
def test_complete_objects_before_the_end(body: str, expected: list[JsonValue]) -> None:
    assert _complete_objects(body) == expected
