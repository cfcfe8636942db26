"""JS value semantics, nopt types and field parsing (snpm.config.values, .types, .fields)."""

from __future__ import annotations

import math

import pytest

from snpm.config.fields import FieldContext, env_replace, parse_field
from snpm.config.types import (
    T,
    TypeSpec,
    clean,
    invalid_warnings,
    js_path_resolve,
    parse_umask,
    semver_valid,
    url_parse_href,
    util_format,
)
from snpm.config.values import (
    UNDEFINED,
    ConfigValue,
    JsDate,
    js_number,
    js_number_string,
    js_string,
    json_stringify,
    parse_js_date,
    to_json,
)


@pytest.mark.parametrize(
    ("text", "number"),
    [("", 0), (" 12 ", 12), ("0x10", 16), ("0o7", 7), ("0b1", 1), ("1e3", 1000), ("1_000", None), ("inf", None),
     ("Infinity", math.inf), ("-Infinity", -math.inf), ("+5", 5), ("-0x10", None), (".5", 0.5), ("5.", 5), ("1e", None)],
)  # fmt: skip
def test_js_number(text: str, number: float | None) -> None:
    assert js_number(text) == number


@pytest.mark.parametrize(
    ("number", "text"),
    [(1e21, "1e+21"), (1e20, "100000000000000000000"), (0.1, "0.1"), (1e-7, "1e-7"), (1.5e-7, "1.5e-7"),
     (0.000001, "0.000001"), (math.inf, "Infinity"), (5e-324, "5e-324"), (2.5, "2.5"), (7, "7")],
)  # fmt: skip
def test_js_number_string(number: float, text: str) -> None:
    assert js_number_string(number) == text


def test_js_string_and_json() -> None:
    assert js_string(None) == "null"
    assert js_string(UNDEFINED) == "undefined"
    assert js_string([1, None, "a", True]) == "1,,a,true"
    assert js_string({"a": 1}) == "[object Object]"
    assert json_stringify(["a", 1, None]) == '["a",1,null]'
    assert json_stringify({"x": "1", "y": UNDEFINED}) == '{"x":"1"}'
    assert json_stringify(UNDEFINED) == "undefined"
    assert to_json(math.inf) is None
    assert to_json(JsDate(0)) == "1970-01-01T00:00:00.000Z"


def test_dates() -> None:
    assert parse_js_date("2020-01-01").iso() == "2020-01-01T00:00:00.000Z"
    assert parse_js_date("2020-01-01T10:00:00+01:00").iso() == "2020-01-01T09:00:00.000Z"
    assert parse_js_date("2020-13-01").valid is False
    assert parse_js_date("garbage").valid is False
    assert parse_js_date("Jan 1 2020 GMT").iso() == "2020-01-01T00:00:00.000Z"
    assert JsDate(None).to_string() == "Invalid Date"


def test_umask_semver_url_paths() -> None:
    assert parse_umask("022") == 18
    assert parse_umask("0o22") == 18
    assert parse_umask("18") == 18
    with pytest.raises(ValueError):
        parse_umask("0")  # npm's regexes accept neither a lone 0 …
    with pytest.raises(ValueError):
        parse_umask(512)  # … nor numbers past 0o777
    assert semver_valid("v1.2.3-beta.1+build") == "1.2.3-beta.1"
    assert semver_valid("1.2") is None
    assert url_parse_href("HTTP://R.Example.COM") == "http://r.example.com/"
    assert url_parse_href("localhost:4873") is None
    assert js_path_resolve("/a/b", "../c/./d/") == "/a/c/d"
    assert js_path_resolve("/a", "//x") == "/x"


def test_clean_coerces_and_reports() -> None:
    data: dict[str, ConfigValue] = {
        "depth": "abc",
        "json": "true",
        "omit": ["dev", "bogus"],
        "tag": False,
        "otp": False,
    }
    types: dict[str, TypeSpec] = {
        "depth": (None, T.NUMBER),
        "json": T.BOOLEAN,
        "omit": (T.ARRAY, "dev", "optional", "peer"),
        "tag": T.STRING,
        "otp": (None, T.STRING),
    }
    invalid: list[tuple[str, ConfigValue]] = []
    clean(data, types.get, lambda k, v, spec: invalid.append((k, v)), home="/h", cwd="/c")
    assert data == {"json": True, "omit": ["dev"], "tag": "false", "otp": None}
    assert invalid == [("depth", "abc"), ("omit", "bogus")]


def test_invalid_warning_text() -> None:
    assert invalid_warnings("depth", "abc", (None, T.NUMBER), "/x/.npmrc") == [
        ("invalid config", 'depth="abc" set in /x/.npmrc'),
        ("invalid config", "Must be one of: null, numeric value"),
    ]
    assert invalid_warnings("registry", True, T.URL, "command line options")[1] == (
        "invalid config",
        'Must be full url with "http://"',
    )
    assert invalid_warnings("omit", "x", (T.ARRAY, "dev", "optional", "peer"), "s")[1][1] == (
        "Must be one or more of: dev, optional, peer"
    )
    assert util_format('k="%s"', "set in x") == 'k="set in x"'


def test_env_replace() -> None:
    env = {"A": "va"}
    assert env_replace("${A}", env) == "va"
    assert env_replace("${B}", env) == "${B}"
    assert env_replace("${B?}", env) == ""
    assert env_replace("\\${A}", env) == "${A}"
    assert env_replace("\\\\${A}", env) == "\\va"


def test_parse_field() -> None:
    ctx = FieldContext(home="/home/u", cwd="/work", env={"T": "tv"})
    assert parse_field("true", T.BOOLEAN, ctx) is True
    assert parse_field("", T.BOOLEAN, ctx) is True
    assert parse_field("true", T.STRING, ctx) == "true"
    assert parse_field("undefined", T.BOOLEAN, ctx) is UNDEFINED
    assert parse_field("~/x", T.PATH, ctx) == "/home/u/x"
    assert parse_field("rel", T.PATH, ctx) == "/work/rel"
    assert parse_field("a\n\nb", (None, T.STRING, T.ARRAY), ctx) == ["a", "b"]
    assert parse_field("0x10", T.NUMBER, ctx) == 16
    assert parse_field("${T}", T.STRING, ctx) == "tv"
    assert parse_field("022", T.UMASK, ctx) == 18
    date = parse_field("2020-01-01", (None, T.DATE), ctx)
    assert isinstance(date, JsDate) and date.iso() == "2020-01-01T00:00:00.000Z"
