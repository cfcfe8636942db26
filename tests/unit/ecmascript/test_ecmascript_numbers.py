"""snpm.ecmascript.numbers: Number(), isNaN and Number#toString (expected values from node 20;
`test_ecmascript_node_e2e.py` compares with node itself)."""

from __future__ import annotations

import math

import pytest

from snpm.ecmascript.numbers import is_nan, number_to_string, to_number


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (1.5, "1.5"),
        (0.001, "0.001"),
        (123.456, "123.456"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e23, "1e+23"),
        (123456789012345680000.0, "123456789012345680000"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (0.000001, "0.000001"),
        (-2.5, "-2.5"),
        (5e-324, "5e-324"),
        (2**53, "9007199254740992"),
        (2**60, "1152921504606847000"),
        (123456789012345678901234567890, "1.2345678901234568e+29"),
        (10**400, "Infinity"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
        (math.nan, "NaN"),
        (7, "7"),
    ],
)
def test_number_to_string(value: float, text: str) -> None:
    assert number_to_string(value) == text


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("", 0),
        (" 12 ", 12),
        ("\ufeff\u2028 3\u3000", 3),
        ("0x10", 16),
        ("0o7", 7),
        ("0b1", 1),
        ("1e3", 1000),
        ("Infinity", math.inf),
        ("-Infinity", -math.inf),
        ("+5", 5),
        (".5", 0.5),
        ("5.", 5),
        ("1e400", math.inf),
        ("0x" + "f" * 300, math.inf),
        ("0x20000000000001", 9007199254740992),
        (None, 0),
        (True, 1),
        (False, 0),
        (2.5, 2.5),
    ],
)
def test_to_number(value: object, number: float) -> None:
    assert to_number(value) == number


@pytest.mark.parametrize(
    "value", ["1_000", "inf", "infinity", "-0x10", "1e", ".", "0x", "0b2", "١", "1 2", "\x1c1", object()]
)
def test_to_number_nan(value: object) -> None:
    assert math.isnan(to_number(value))
    assert is_nan(value)


def test_to_number_keeps_negative_zero() -> None:
    assert math.copysign(1, to_number("-0")) == -1


def test_is_nan() -> None:
    assert is_nan(None) is False
    assert is_nan("alpha") is True
    assert is_nan(3) is False
    assert is_nan(" ") is False
