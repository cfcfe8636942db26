"""snpm.ecmascript.values: Boolean(), String() and typeof (expected values from node 20)."""

from __future__ import annotations

import math

import pytest

from snpm.ecmascript.values import to_string, truthy, typeof


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, False), (False, False), (0, False), (0.0, False), (math.nan, False), ("", False),
     (True, True), (1, True), (-0.5, True), (math.inf, True), ("0", True), (" ", True), ([], True), ({}, True)],
)  # fmt: skip
def test_truthy(value: object, expected: bool) -> None:
    assert truthy(value) is expected


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "true"),
        (1.0, "1"),
        (1e21, "1e+21"),
        (math.nan, "NaN"),
        ("s", "s"),
        ([1, None, [2, "a"], True], "1,,2,a,true"),
        ({"a": 1}, "[object Object]"),
    ],
)
def test_to_string_is_javascripts_string(value: object, text: str) -> None:
    assert to_string(value) == text


def test_typeof() -> None:
    assert [typeof(v) for v in (None, True, 1, 1.5, "s", len, object(), [], {})] == [
        "object",
        "boolean",
        "number",
        "number",
        "string",
        "function",
        "object",
        "object",
        "object",
    ]
