"""node-semver's version functions (functions/*.js): parse, valid, clean, coerce, inc, diff, compare…

Each takes a version string or a parsed Version and node-semver's options as keywords (`loose`,
`include_prerelease`). Those that return null in JS return None; those that throw TypeError in JS
raise TypeError with the same message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cmp_to_key
from typing import TypeVar

from snpm.ecmascript.numbers import number_to_string
from snpm.ecmascript.strings import trim
from snpm.semver import tokens
from snpm.semver.version import Identifier, Version, compare_versions, parse_cached, to_version

_LEADING_EQ_V = re.compile(r"^[=v]+")
VersionInput = str | Version
T = TypeVar("T", bound=str | Version)


def parse(version: object, *, loose: bool = False, include_prerelease: bool = False) -> Version | None:
    """The parsed Version, or None when `version` is not a valid one (a Version is returned as is)."""
    if isinstance(version, Version):
        return version
    if not isinstance(version, str):
        return None
    return parse_cached(version, bool(loose), bool(include_prerelease))


def valid(version: object, *, loose: bool = False, include_prerelease: bool = False) -> str | None:
    """The normalised version string, or None."""
    parsed = parse(version, loose=loose, include_prerelease=include_prerelease)
    return parsed.version if parsed else None


def clean(version: str, *, loose: bool = False, include_prerelease: bool = False) -> str | None:
    """`valid()` after removing surrounding whitespace and leading `=`/`v` characters."""
    if not isinstance(version, str):
        raise TypeError("version.trim is not a function")
    text = _LEADING_EQ_V.sub("", trim(version), count=1)
    parsed = parse(text, loose=loose, include_prerelease=include_prerelease)
    return parsed.version if parsed else None


def _rtl_match(version: str, pattern: re.Pattern[str]) -> re.Match[str] | None:
    """The right-most coercible match that does not share its end with a more left-ward one."""
    match: re.Match[str] | None = None
    position = 0
    while True:
        following = pattern.search(version, position)
        if following is None or (match is not None and match.end() == len(version)):
            break
        if match is None or following.end() != match.end():
            match = following
        # restart just after the major number, to pick up overlapping matches
        position = following.start() + len(following.group(1)) + len(following.group(2))
    return match


def coerce(
    version: object,
    *,
    loose: bool = False,
    include_prerelease: bool = False,
    rtl: bool = False,
) -> Version | None:
    """The first (or with `rtl`, the last) version-looking run in `version`, as a Version."""
    if isinstance(version, Version):
        return version
    if isinstance(version, bool):
        return None
    if isinstance(version, int):
        version = str(version)
    elif isinstance(version, float):
        version = number_to_string(version)
    if not isinstance(version, str):
        return None
    if rtl:
        match = _rtl_match(version, tokens.COERCEFULL if include_prerelease else tokens.COERCE)
    else:
        match = (tokens.COERCEFULL if include_prerelease else tokens.COERCE).search(version)
    if match is None:
        return None
    major = match.group(2)
    minor = match.group(3) or "0"
    patch = match.group(4) or "0"
    prerelease = f"-{match.group(5)}" if include_prerelease and match.group(5) else ""
    build = f"+{match.group(6)}" if include_prerelease and match.group(6) else ""
    return parse(
        f"{major}.{minor}.{patch}{prerelease}{build}", loose=loose, include_prerelease=include_prerelease
    )


def inc(
    version: VersionInput,
    release: str,
    identifier: str | None = None,
    identifier_base: str | int | bool | None = None,
    *,
    loose: bool = False,
    include_prerelease: bool = False,
) -> str | None:
    """The version string after a `release` bump, or None when the bump is impossible.

    `identifier_base=False` means "no numeric suffix"; "0"/"1" (or 0/1) pick the first number.
    """
    text = version.version if isinstance(version, Version) else version
    try:
        parsed = to_version(text, loose, include_prerelease)
        if not isinstance(release, str):
            return None
        return parsed.inc(release, identifier, identifier_base).version
    except (TypeError, ValueError):
        return None


def diff(version1: VersionInput, version2: VersionInput) -> str | None:
    """The release type between two versions (major, premajor, …, prerelease), None when equal."""
    v1 = parse(version1)
    v2 = parse(version2)
    if v1 is None:
        to_version(version1)  # raises node-semver's TypeError
    if v2 is None:
        to_version(version2)
    assert v1 is not None
    assert v2 is not None
    comparison = compare_versions(v1, v2)
    if comparison == 0:
        return None
    high, low = (v1, v2) if comparison > 0 else (v2, v1)
    high_has_pre = bool(high.prerelease)
    low_has_pre = bool(low.prerelease)
    if low_has_pre and not high_has_pre:
        # prerelease -> release: 1.0.0-1 -> 1.x.y is always major when the low is x.0.0
        if not low.patch and not low.minor:
            return "major"
        if low.compare_main(high) == 0:
            return "minor" if low.minor and not low.patch else "patch"
    prefix = "pre" if high_has_pre else ""
    if v1.major != v2.major:
        return prefix + "major"
    if v1.minor != v2.minor:
        return prefix + "minor"
    if v1.patch != v2.patch:
        return prefix + "patch"
    return "prerelease"


def major(version: VersionInput, *, loose: bool = False, include_prerelease: bool = False) -> int:
    return to_version(version, loose, include_prerelease).major


def minor(version: VersionInput, *, loose: bool = False, include_prerelease: bool = False) -> int:
    return to_version(version, loose, include_prerelease).minor


def patch(version: VersionInput, *, loose: bool = False, include_prerelease: bool = False) -> int:
    return to_version(version, loose, include_prerelease).patch


def prerelease(
    version: object, *, loose: bool = False, include_prerelease: bool = False
) -> tuple[Identifier, ...] | None:
    """The prerelease identifiers, or None when there are none or the version is invalid."""
    parsed = parse(version, loose=loose, include_prerelease=include_prerelease)
    return parsed.prerelease if parsed and parsed.prerelease else None


def compare(
    a: VersionInput, b: VersionInput, *, loose: bool = False, include_prerelease: bool = False
) -> int:
    """-1, 0 or 1 (build metadata ignored); TypeError for an invalid version."""
    return compare_versions(
        to_version(a, loose, include_prerelease), to_version(b, loose, include_prerelease)
    )


def rcompare(
    a: VersionInput, b: VersionInput, *, loose: bool = False, include_prerelease: bool = False
) -> int:
    return compare(b, a, loose=loose, include_prerelease=include_prerelease)


def compare_loose(a: VersionInput, b: VersionInput) -> int:
    return compare(a, b, loose=True)


def compare_build(
    a: VersionInput, b: VersionInput, *, loose: bool = False, include_prerelease: bool = False
) -> int:
    """`compare`, then build metadata to break ties."""
    va = to_version(a, loose, include_prerelease)
    vb = to_version(b, loose, include_prerelease)
    return compare_versions(va, vb) or va.compare_build(vb)


def gt(a: VersionInput, b: VersionInput, *, loose: bool = False, include_prerelease: bool = False) -> bool:
    return compare(a, b, loose=loose, include_prerelease=include_prerelease) > 0


def gte(a: VersionInput, b: VersionInput, *, loose: bool = False, include_prerelease: bool = False) -> bool:
    return compare(a, b, loose=loose, include_prerelease=include_prerelease) >= 0


def lt(a: VersionInput, b: VersionInput, *, loose: bool = False, include_prerelease: bool = False) -> bool:
    return compare(a, b, loose=loose, include_prerelease=include_prerelease) < 0


def lte(a: VersionInput, b: VersionInput, *, loose: bool = False, include_prerelease: bool = False) -> bool:
    return compare(a, b, loose=loose, include_prerelease=include_prerelease) <= 0


def eq(a: VersionInput, b: VersionInput, *, loose: bool = False, include_prerelease: bool = False) -> bool:
    return compare(a, b, loose=loose, include_prerelease=include_prerelease) == 0


def neq(a: VersionInput, b: VersionInput, *, loose: bool = False, include_prerelease: bool = False) -> bool:
    return compare(a, b, loose=loose, include_prerelease=include_prerelease) != 0


def cmp(
    a: VersionInput, op: str, b: VersionInput, *, loose: bool = False, include_prerelease: bool = False
) -> bool:
    """Compare with an operator string: `===`/`!==` (text), `=`/`==`/``, `!=`, `>`, `>=`, `<`, `<=`."""
    if op in ("===", "!=="):
        text_a = a.version if isinstance(a, Version) else a
        text_b = b.version if isinstance(b, Version) else b
        return (text_a == text_b) == (op == "===")
    if op in ("", "=", "=="):
        return eq(a, b, loose=loose, include_prerelease=include_prerelease)
    if op == "!=":
        return neq(a, b, loose=loose, include_prerelease=include_prerelease)
    if op == ">":
        return gt(a, b, loose=loose, include_prerelease=include_prerelease)
    if op == ">=":
        return gte(a, b, loose=loose, include_prerelease=include_prerelease)
    if op == "<":
        return lt(a, b, loose=loose, include_prerelease=include_prerelease)
    if op == "<=":
        return lte(a, b, loose=loose, include_prerelease=include_prerelease)
    raise TypeError(f"Invalid operator: {op}")


def sort(versions: Iterable[T], *, loose: bool = False, include_prerelease: bool = False) -> list[T]:
    """A new list in ascending order (compare_build; stable). JS sorts in place; this does not."""

    def order(a: VersionInput, b: VersionInput) -> int:
        return compare_build(a, b, loose=loose, include_prerelease=include_prerelease)

    return sorted(versions, key=cmp_to_key(order))


def rsort(versions: Iterable[T], *, loose: bool = False, include_prerelease: bool = False) -> list[T]:
    """A new list in descending order (compare_build; stable)."""

    def order(a: VersionInput, b: VersionInput) -> int:
        return compare_build(b, a, loose=loose, include_prerelease=include_prerelease)

    return sorted(versions, key=cmp_to_key(order))


def truncate(
    version: VersionInput, release: str, *, loose: bool = False, include_prerelease: bool = False
) -> str | None:
    """Drop the parts below `release` and the build metadata (semver 7.8's `truncate`)."""
    if release not in tokens.RELEASE_TYPES:
        return None
    text = version.version if isinstance(version, Version) else version
    parsed = parse(text, loose=loose, include_prerelease=include_prerelease)
    if parsed is None:
        return None
    if release.startswith("pre"):
        return parsed.version
    if release == "major":
        return f"{parsed.major}.0.0"
    if release == "minor":
        return f"{parsed.major}.{parsed.minor}.0"
    return f"{parsed.major}.{parsed.minor}.{parsed.patch}"
