"""snpm.semver.version and the version functions: behaviour the conformance tables do not pin.

Expected values were checked against node-semver 7.8.5 (npm 11's bundled copy) where they are
node-semver behaviour; the rest (immutability, caching, Python dunders) is snpm's own contract.
"""

from __future__ import annotations

import pytest

import snpm.semver as semver
from snpm.semver import SemVer, Version
from snpm.semver.version import parse_cached


def test_semver_is_the_version_class() -> None:
    assert SemVer is Version
    v = SemVer("1.2.3-alpha.1+build.5")
    assert (v.major, v.minor, v.patch) == (1, 2, 3)
    assert v.prerelease == ("alpha", 1)
    assert v.build == ("build", "5")
    assert v.version == str(v) == "1.2.3-alpha.1"
    assert v.raw == "1.2.3-alpha.1+build.5"


def test_parsing_is_cached_per_text_and_flags() -> None:
    assert SemVer("4.5.6") is SemVer("4.5.6")
    assert SemVer("4.5.6") is not SemVer("4.5.6", loose=True)
    assert semver.parse("4.5.6") is parse_cached("4.5.6", False, False)


def test_same_flags_reuse_the_object_other_flags_reparse_and_drop_build() -> None:
    v = SemVer("1.2.3+b.1", include_prerelease=True)
    assert SemVer(v, include_prerelease=True) is v
    reparsed = SemVer(v)
    assert reparsed.build == ()
    # node-semver: compareBuild re-parses a SemVer made with other options, losing its build
    assert semver.compare_build(v, "1.2.3+b.2") == -1
    assert v.compare_build("1.2.3+b.2") == -1  # the method keeps SemVer objects as they are


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (5, 'Invalid version. Must be a string. Got type "number".'),
        (None, 'Invalid version. Must be a string. Got type "object".'),
        (True, 'Invalid version. Must be a string. Got type "boolean".'),
        ("1.2", "Invalid Version: 1.2"),
        ("9007199254740992.0.0", "Invalid major version"),
        ("0.0.9007199254740992", "Invalid patch version"),
        ("1." * 130 + "0", "version is longer than 256 characters"),
    ],
)
def test_invalid_versions_raise_node_semver_messages(value: object, message: str) -> None:
    with pytest.raises(TypeError) as caught:
        SemVer(value)  # type: ignore[arg-type]
    assert str(caught.value) == message
    assert semver.parse(value) is None


def test_loose_parsing() -> None:
    assert semver.valid(" =v1.2.3 ") is None
    assert semver.valid("=v 1.2.3", loose=True) == "1.2.3"
    assert semver.clean(" =v1.2.3 ") == "1.2.3"
    assert semver.valid("1.2.3beta", loose=True) == "1.2.3-beta"
    assert semver.valid("01.02.03", loose=True) == "1.2.3"


def test_unicode_whitespace_follows_javascript() -> None:
    # String#trim removes U+FEFF and NBSP but not U+001C, unlike str.strip()
    assert semver.valid("\ufeff\xa01.2.3\u3000") == "1.2.3"
    assert semver.valid("\x1c1.2.3") is None
    # \d is ASCII only
    assert semver.valid("\u0661.2.3") is None


def test_prerelease_numbers_stop_below_max_safe_integer() -> None:
    assert SemVer("1.0.0-9007199254740990").prerelease == (9007199254740990,)
    assert SemVer("1.0.0-9007199254740991").prerelease == ("9007199254740991",)


def test_huge_numeric_prerelease_identifiers_compare_as_doubles() -> None:
    # both round to 2**53, so node-semver calls them equal and stops comparing there
    assert semver.compare("1.0.0-9007199254740993.b", "1.0.0-9007199254740992.a") == 0
    assert semver.compare("1.0.0-9007199254740993.b", "1.0.0-9007199254740993.a") == 1


def test_version_equality_hash_and_ordering() -> None:
    a, b = SemVer("1.2.3+x"), SemVer("1.2.3+x", loose=True)
    assert a == b
    assert hash(a) == hash(b)
    assert SemVer("1.2.3") != SemVer("1.2.3+x")
    assert sorted([SemVer("2.0.0"), SemVer("1.2.3+b"), SemVer("1.2.3"), SemVer("1.2.3-rc.1")]) == [
        SemVer("1.2.3-rc.1"),
        SemVer("1.2.3"),
        SemVer("1.2.3+b"),
        SemVer("2.0.0"),
    ]
    assert SemVer("1.0.0") < SemVer("1.0.1") <= SemVer("1.0.1") < SemVer("2.0.0")


def test_inc_returns_a_new_version_and_leaves_the_original() -> None:
    v = SemVer("1.2.3-beta.1+build")
    bumped = v.inc("prerelease")
    assert bumped.version == "1.2.3-beta.2"
    assert bumped.raw == "1.2.3-beta.2+build"
    assert v.version == "1.2.3-beta.1"
    assert bumped.prerelease == ("beta", 2)
    assert semver.inc("1.2.3", "prerelease", "beta", "1") == "1.2.4-beta.1"
    assert semver.inc("1.2.3", "prerelease", "beta", False) == "1.2.4-beta"
    assert semver.inc("1.2.3", "premajor", "alpha.beta").split("-")[1] == "alpha.beta.0"  # type: ignore[union-attr]


def test_inc_errors() -> None:
    with pytest.raises(ValueError, match="invalid increment argument: fake"):
        SemVer("1.2.3").inc("fake")
    with pytest.raises(ValueError, match="is not a prerelease"):
        SemVer("1.2.3").inc("release")
    with pytest.raises(ValueError, match="invalid identifier: a\\+b"):
        SemVer("1.2.3").inc("prerelease", "a+b")
    assert semver.inc("1.2.3", "fake") is None
    assert semver.inc("not a version", "major") is None


def test_coerce() -> None:
    assert str(semver.coerce("v2")) == "2.0.0"
    assert str(semver.coerce(42)) == "42.0.0"
    assert str(semver.coerce(1.5)) == "1.5.0"
    assert semver.coerce(True) is None
    assert str(semver.coerce("1.2.3.4", rtl=True)) == "2.3.4"
    coerced = semver.coerce("x1.2.3-rc.1+b.2 y", include_prerelease=True)
    assert coerced is not None
    assert (coerced.version, coerced.build) == ("1.2.3-rc.1", ("b", "2"))
    v = SemVer("1.2.3")
    assert semver.coerce(v) is v


def test_compare_functions() -> None:
    assert semver.compare("1.2.3", "v1.2.3") == 0
    assert semver.rcompare("1.2.3", "1.2.4") == 1
    assert semver.compare_loose("1.2.3beta", "1.2.3") == -1
    with pytest.raises(TypeError, match="Invalid Version: 1.2.3beta"):
        semver.compare("1.2.3beta", "1.2.3")
    assert semver.cmp("1.2.3", "===", SemVer("1.2.3"))
    assert semver.cmp("v1.2.3", "!==", "1.2.3")
    with pytest.raises(TypeError, match="Invalid operator: ~"):
        semver.cmp("1.2.3", "~", "1.2.3")


def test_sort_returns_a_new_list() -> None:
    versions = ["1.2.3+1", "1.2.3", "0.1.2", "1.2.3+0"]
    assert semver.sort(versions) == ["0.1.2", "1.2.3", "1.2.3+0", "1.2.3+1"]
    assert semver.rsort(versions) == ["1.2.3+1", "1.2.3+0", "1.2.3", "0.1.2"]
    assert versions == ["1.2.3+1", "1.2.3", "0.1.2", "1.2.3+0"]


def test_small_functions() -> None:
    assert semver.major("2.3.4") == 2
    assert semver.minor("2.3.4") == 3
    assert semver.patch("2.3.4") == 4
    assert semver.prerelease("1.2.3-alpha.1") == ("alpha", 1)
    assert semver.prerelease("1.2.3") is None
    assert semver.diff("1.0.0-1", "1.0.0") == "major"
    assert semver.diff("1.2.3", "1.2.3+b") is None
    assert semver.truncate("4.5.6-rc2+dadb0d", "minor") == "4.5.0"
    assert semver.truncate("4.5.6-rc2+dadb0d", "prerelease") == "4.5.6-rc2"
