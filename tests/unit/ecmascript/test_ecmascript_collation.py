"""snpm.ecmascript.collation: `localeCompare(other, 'en')` as a sort key (orders measured with node
20's ICU; `test_ecmascript_node_e2e.py` compares with node itself on random strings)."""

from __future__ import annotations

import pytest

from snpm.ecmascript.collation import CollationKey, locale_compare_key


# orders measured with node 20: `[...].sort((a, b) => a.localeCompare(b, 'en'))`
@pytest.mark.parametrize(
    "ordered",
    [
        ["a", "A", "a_b", "a-b", "a.b", "a/node_modules/b", "a1", "a10", "a2", "ab", "aB", "Ab", "AB"],
        [
            "",
            "local-lib",
            "node_modules/_x",
            "node_modules/@scope/x",
            "node_modules/~x",
            "node_modules/0x",
            "node_modules/a",
        ],
        ["react", "react-dom", "react-dom@1", "react@1"],
        [
            "\t",
            "\n",
            " ",
            "_",
            "-",
            ",",
            ";",
            ":",
            "!",
            "?",
            ".",
            "'",
            '"',
            "(",
            ")",
            "[",
            "]",
            "{",
            "}",
            "@",
            "*",
            "/",
        ],
        ["\\", "&", "#", "%", "`", "^", "+", "<", "=", ">", "|", "~", "$", "0", "9", "a", "z"],
        ["a", "a b", "a-b", "ab"],
    ],
)
def test_orders_like_icu(ordered: list[str]) -> None:
    assert sorted(reversed(ordered), key=locale_compare_key) == ordered


def test_control_characters_are_ignorable() -> None:
    assert locale_compare_key("a\x01b") == locale_compare_key("ab")
    assert locale_compare_key("a\x7fb\u200b") == locale_compare_key("ab")


def test_non_ascii_after_ascii_and_accent_after_base() -> None:
    assert locale_compare_key("e") < locale_compare_key("é") < locale_compare_key("f")
    assert locale_compare_key("z") < locale_compare_key("ж")


ASCII_ORDER = (
    " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpPqQrRsStTuUvVwWxXyYzZ"
)
WORD_ORDER = [
    "a",
    "A",
    "á",
    "Á",
    "ä",
    "a b",
    "a_b",
    "a-b",
    "a.b",
    "a1",
    "a10",
    "a2",
    "ab",
    "aB",
    "Ab",
    "AB",
    "ae",
    "æ",
    "af",
    "b",
    "B",
    "e",
    "é",
    "f",
    "ff",
    "ﬀ",
    "fg",
    "l",
    "ł",
    "m",
    "o",
    "ø",
    "p",
    "ss",
    "ß",
    "u",
    "ü",
    "v",
    "ファ",
    "中",
]
NUMERIC_CASE_ORDER = ["1", "2", "3", "٣", "9", "10", "²", "²a"]


def test_collation_ascii() -> None:
    assert "".join(sorted(ASCII_ORDER, key=locale_compare_key)) == ASCII_ORDER


def test_collation_words() -> None:
    assert sorted(reversed(WORD_ORDER), key=locale_compare_key) == WORD_ORDER


def test_collation_numeric_case_sensitivity() -> None:
    # node sorted this input to NUMERIC_CASE_ORDER; "3" and "٣" tie, so input order decides
    given = ["²", "9", "2", "3", "٣", "²a", "10", "1"]
    assert (
        sorted(given, key=lambda s: locale_compare_key(s, numeric=True, accents=False)) == NUMERIC_CASE_ORDER
    )
    # sensitivity 'case' ignores accents: a stable sort keeps the input order for a and á
    assert sorted(["á", "a"], key=lambda s: locale_compare_key(s, accents=False)) == ["á", "a"]


def test_ascii_fast_path_agrees_with_the_general_rules() -> None:
    # "é" takes the general path; its neighbours must compare with the ASCII keys consistently
    assert sorted(["f", "é", "e\x01", "E", "e"], key=locale_compare_key) == ["e\x01", "e", "E", "é", "f"]
    # numeric digit runs take the general path too, letters alone the fast one
    assert sorted(["a10", "a9", "b", "a"], key=lambda s: locale_compare_key(s, numeric=True)) == [
        "a",
        "a9",
        "a10",
        "b",
    ]


def test_numeric_digit_runs_like_icu() -> None:
    def key(text: str) -> CollationKey:
        return locale_compare_key(text, numeric=True)

    assert key("x" + "9" * 253) < key("x1" + "0" * 253) < key("x²")
    # ICU compares at most 254 digits as one number, and ignores leading zeros
    assert key("9" * 254) > key("1" + "0" * 254)
    assert key("1" * 254 + "2") < key("1" * 254 + "10")
    assert key("a01") == key("a1") and key("x" + "0" * 300 + "5") == key("x5")


def test_empty_text_sorts_first() -> None:
    assert locale_compare_key("") < locale_compare_key("\t") < locale_compare_key(" ")
