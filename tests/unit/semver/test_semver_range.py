"""snpm.semver.range and snpm.semver.select: caching, errors and quirks beyond the tables.

node-semver behaviour here was checked against npm 11's bundled semver 7.8.5.
"""

from __future__ import annotations

import pytest

import snpm.semver as semver
from snpm.semver import ANY, Comparator, Range, SemVer


def test_ranges_are_cached_and_reused() -> None:
    r = Range("^1.2.3")
    assert Range("^1.2.3") is r
    assert Range(r) is r
    assert Range("^1.2.3", include_prerelease=True) is not r
    assert Range(r, loose=True).loose


def test_range_text_and_sets() -> None:
    r = Range("  1.x   ||  ^2.1  ")
    assert r.raw == "1.x || ^2.1"
    assert r.range == str(r) == ">=1.0.0 <2.0.0-0||>=2.1.0 <3.0.0-0"
    assert [[c.value for c in comps] for comps in r.set] == [[">=1.0.0", "<2.0.0-0"], [">=2.1.0", "<3.0.0-0"]]
    assert Range("*").set[0][0].semver is ANY
    assert semver.valid_range("*") == "*"
    assert semver.to_comparators("1.x || ^2.1") == [[">=1.0.0", "<2.0.0-0"], [">=2.1.0", "<3.0.0-0"]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("blerg", "Invalid comparator: blerg"),
        ("^9007199254740991.0.0", "Invalid major version"),
        (">=09.0.0", "Invalid comparator: >=09.0.0"),
    ],
)
def test_invalid_ranges_raise_node_semver_messages(text: str, message: str) -> None:
    with pytest.raises(TypeError) as caught:
        Range(text)
    assert str(caught.value) == message
    assert semver.valid_range(text) is None
    assert semver.satisfies("1.0.0", text) is False
    assert semver.max_satisfying(["1.0.0"], text) is None


def test_loose_mode_drops_invalid_comparators_but_not_whole_ranges() -> None:
    with pytest.raises(TypeError, match="Invalid SemVer Range: x.1"):
        Range("x.1", loose=True)


def test_javascript_number_quirks_in_desugaring() -> None:
    # +M + 1 is double arithmetic: 9007199254740990 + 1 is still exact, the next bump is not
    assert semver.valid_range("^9007199254740990.0.0") == ">=9007199254740990.0.0 <9007199254740991.0.0-0"
    assert semver.valid_range("~1.9007199254740991.0") is None


def test_prerelease_rules_of_test() -> None:
    assert semver.satisfies("1.2.3-pr.2", "^1.2.3-pr.1")
    assert not semver.satisfies("1.2.4-alpha", "^1.2.3-pr.1")
    assert semver.satisfies("1.2.4-alpha", "^1.2.3-pr.1", include_prerelease=True)
    assert not semver.satisfies("1.0.0-rc.1", "*")
    assert semver.satisfies("1.0.0-rc.1", "*", include_prerelease=True)


def test_test_accepts_versions_and_rejects_junk() -> None:
    r = Range(">=1.0.0")
    assert r.test(SemVer("1.0.0"))
    assert r.test_version(SemVer("2.0.0"))
    assert not r.test("")
    assert not r.test(None)
    assert not r.test("nope")
    with pytest.raises(TypeError, match='Got type "number"'):
        r.test(5)  # type: ignore[arg-type]


def test_a_version_parsed_with_other_options_is_reparsed_like_node_semver() -> None:
    v = semver.parse("1.2.3-09007199254740993", loose=True)
    assert v is not None
    with pytest.raises(TypeError, match="Invalid Version: 1.2.3-09007199254740993"):
        semver.satisfies(v, ">1.0.0")
    assert semver.satisfies(v, "* || >1.0.0") is False
    with pytest.raises(TypeError, match="Invalid patch version"):
        semver.min_version(" x  >3.5.9007199254740991  ", loose=True)


def test_comparator() -> None:
    c = Comparator(">=  1.2.3")
    assert (c.operator, str(c.semver), c.value) == (">=", "1.2.3", ">=1.2.3")
    assert Comparator(c) is c
    assert Comparator("=1.2.3").operator == ""
    assert Comparator("").semver is Comparator.ANY
    assert c.test("1.2.4")
    assert not c.test("1.2.2")
    assert c.intersects(Comparator("<2.0.0"))
    assert not Comparator(">1.3.0").intersects(Comparator("1.3.0"))
    with pytest.raises(TypeError, match="a Comparator is required"):
        c.intersects(">1.0.0")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Invalid comparator: ~1.2.3"):
        Comparator("~1.2.3")
    assert Range(c).test("1.2.3")


def test_pick_versions() -> None:
    versions = ["1.2.3", "1.2.4", "1.3.0-beta.1", "2.0.0", "=1.2.5"]
    assert semver.max_satisfying(versions, "~1.2.3") == "1.2.4"
    assert semver.max_satisfying(versions, "~1.2.3", loose=True) == "=1.2.5"
    assert semver.min_satisfying(versions, "^1.2.4") == "1.2.4"
    assert semver.max_satisfying(versions, "^1.3.0-beta.0") == "1.3.0-beta.1"
    parsed = [SemVer("1.0.0"), SemVer("1.5.0")]
    assert semver.max_satisfying(parsed, "1.x") is parsed[1]
    assert semver.max_satisfying([], "*") is None


def test_min_version() -> None:
    assert str(semver.min_version(">1.2.3")) == "1.2.4"
    assert str(semver.min_version(">1.2.3-alpha")) == "1.2.3-alpha.0"
    assert str(semver.min_version("^1.2.3 || >=0.0.0-0")) == "0.0.0"
    assert str(semver.min_version(">=0.0.0-0 <0.0.0")) == "0.0.0-0"
    assert semver.min_version("<0.0.0") is None
    with pytest.raises(TypeError):
        semver.min_version("blerg")


def test_outside_intersects_subset_simplify() -> None:
    assert semver.gtr("2.0.1", "1.0.0 - 2.0.0")
    assert semver.ltr("0.0.1", "1.0.0 - 2.0.0")
    assert not semver.gtr("1.5.0", "1.0.0 - 2.0.0")
    with pytest.raises(TypeError, match='hilo val of "<" or ">"'):
        semver.outside("1.0.0", "1.x", "=")
    assert semver.intersects("1.x", ">=1.5.0")
    assert not semver.intersects("1.5.x", "<1.5.0 || >=1.6.0")
    assert semver.subset("^1.2.3", "1.x")
    assert not semver.subset(">=1.2.3-pre", ">=1.0.0")
    versions = ["1.0.0", "1.1.0", "2.0.0", "3.0.0"]
    assert semver.simplify_range(versions, ">=1.0.0 <3") == "<=2.0.0"
    r = Range("*")
    assert semver.simplify_range(versions, r) is r
    # lengths are compared in UTF-16 units, as in JS: the emoji counts twice
    assert semver.simplify_range(["1.0.0", "1.2.3", "2.0.0"], "\U0001f600 1.2", loose=True) == "1.2.3"


def test_plain_operands_take_the_short_way_to_the_same_result() -> None:
    """`^1`, `~1.2`, `>=0.8`, `1.2.3`, `*`, `vM.m.p`, `>= 2.1.2 < 3`: plain operands skip the big
    token patterns. For every flag and numbers at the edges (zeros, 15 digits), each short way gives
    what its pattern gives."""
    import itertools
    import random

    from snpm.semver import desugar
    from snpm.semver.version import make_version, parse_cached

    numbers = ["0", "1", "9", "10", "123456789012345", "999999999999999"]
    operands = [
        ".".join(parts)
        for size in (1, 2, 3)
        for parts in itertools.product(numbers if size == 1 else numbers[:3] + numbers[-1:], repeat=size)
    ]
    flags = list(itertools.product((False, True), repeat=2))
    for operand in operands:
        for loose, include_prerelease in flags:
            options = (loose, include_prerelease)
            for mark, short, long in (
                ("^", desugar._replace_caret, desugar._replace_caret_by_pattern),
                ("~", desugar._replace_tilde, desugar._replace_tilde_by_pattern),
            ):
                assert short(mark + operand, *options) == long(mark + operand, *options), mark + operand
            for operator in ("", "=", "<", ">", "<=", ">="):
                word = operator + operand
                assert desugar._replace_x_range(word, *options) == (
                    desugar._replace_x_range_by_pattern(word, *options)
                ), word
        if operand.count(".") == 2:
            major, minor, patch = operand.split(".")
            for loose, include_prerelease in flags:
                short_version = parse_cached.__wrapped__("v" + operand, loose, include_prerelease)
                long_version = make_version(
                    int(major),
                    int(minor),
                    int(patch),
                    (),
                    (),
                    raw="v" + operand,
                    loose=loose,
                    include_prerelease=include_prerelease,
                )
                assert short_version is not None
                for field in type(short_version).__slots__:
                    assert getattr(short_version, field) == getattr(long_version, field), (operand, field)
    for loose, include_prerelease in flags:
        assert desugar._replace_x_range("*", loose, include_prerelease) == (
            desugar._replace_x_range_by_pattern("*", loose, include_prerelease)
        )
    # comparator texts, one space apart (as ranges are by then): plain ones and near misses
    rng = random.Random(11)
    pieces = [
        "<",
        ">",
        "<=",
        ">=",
        "=",
        "=>",
        "~",
        "^",
        "",
        " ",
        "1",
        "0",
        "12",
        "1.2",
        "1.2.3",
        "01",
        "x",
        "*",
        "v",
        "-",
    ]
    for _ in range(20000):
        words = (
            "".join(rng.choice(pieces) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(1, 4))
        )
        text = " ".join(" ".join(words).split())
        assert desugar._trim_comparators(text) == desugar._trim_comparators_by_pattern(text), text
