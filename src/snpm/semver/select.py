"""Range queries (node-semver's ranges/*.js): pick versions from a list, minimum version, outside,
intersects, simplify, toComparators, validRange. `subset` lives in `snpm.semver.subset`.

`max_satisfying` / `min_satisfying` are what resolving a dependency against a packument costs, so
they parse the range once (cached) and each candidate once (cached) and compare ordering keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache, cmp_to_key
from typing import TypeVar

from snpm.ecmascript.strings import utf16_length
from snpm.semver.functions import compare
from snpm.semver.range import ANY, Comparator, Range, satisfies
from snpm.semver.version import Version, compare_versions, make_version, parse_cached, to_version

T = TypeVar("T", bound=str | Version)
RangeInput = str | Range | Comparator


def _pick(
    versions: Iterable[T], range: RangeInput, loose: bool, include_prerelease: bool, want: int
) -> T | None:
    try:
        parsed_range = Range(range, loose=loose, include_prerelease=include_prerelease)
    except TypeError:
        return None
    best: T | None = None
    best_version: Version | None = None
    flag_loose = parsed_range.loose
    flag_pre = parsed_range.include_prerelease
    test_version = parsed_range.test_version
    for candidate in versions:
        if isinstance(candidate, str):
            if not candidate:
                continue
            parsed = parse_cached(candidate, flag_loose, flag_pre)
            if parsed is None or not test_version(parsed):
                continue
        else:
            # a Version (possibly parsed with other options) or a value JS would reject
            if not parsed_range.test(candidate):
                continue
            parsed = candidate
        if best_version is None or compare_versions(parsed, best_version) == want:
            best = candidate
            best_version = parsed
    return best


def max_satisfying(
    versions: Iterable[T], range: RangeInput, *, loose: bool = False, include_prerelease: bool = False
) -> T | None:
    """The highest entry of `versions` in `range` (as given in the list), or None."""
    return _pick(versions, range, loose, include_prerelease, 1)


def min_satisfying(
    versions: Iterable[T], range: RangeInput, *, loose: bool = False, include_prerelease: bool = False
) -> T | None:
    """The lowest entry of `versions` in `range` (as given in the list), or None."""
    return _pick(versions, range, loose, include_prerelease, -1)


def _copy_of(comparator: Comparator) -> Version:
    """`new SemVer(comparator.semver.version)`: a strict re-parse without options."""
    bound = comparator.semver
    if bound is ANY:
        raise TypeError('Invalid version. Must be a string. Got type "undefined".')
    assert isinstance(bound, Version)
    return to_version(bound.version)


def min_version(
    range: RangeInput, *, loose: bool = False, include_prerelease: bool = False
) -> Version | None:
    """The lowest version that can satisfy `range`, or None; TypeError for an invalid range."""
    parsed_range = Range(range, loose=loose, include_prerelease=include_prerelease)
    for floor in ("0.0.0", "0.0.0-0"):
        candidate = to_version(floor)
        if parsed_range.test(candidate):
            return candidate
    lowest: Version | None = None
    for comparators in parsed_range.set:
        set_min: Version | None = None
        for comparator in comparators:
            op = comparator.operator
            if op in ("<", "<="):
                continue  # maximum versions do not matter
            copy = _copy_of(comparator)
            if op == ">":
                if copy.prerelease:
                    copy = make_version(copy.major, copy.minor, copy.patch, (*copy.prerelease, 0), copy.build)
                else:
                    copy = make_version(copy.major, copy.minor, copy.patch + 1, (), copy.build)
            if set_min is None or compare_versions(copy, set_min) > 0:
                set_min = copy
        if set_min is not None and (lowest is None or compare_versions(lowest, set_min) > 0):
            lowest = set_min
    if lowest is not None and parsed_range.test(lowest):
        return lowest
    return None


def valid_range(range: object, *, loose: bool = False, include_prerelease: bool = False) -> str | None:
    """The canonical range text (`*` for match-anything), or None when the range is invalid."""
    if not isinstance(range, str | Range | Comparator):
        return None
    try:
        return Range(range, loose=loose, include_prerelease=include_prerelease).range or "*"
    except TypeError:
        return None


@cache
def _gte_zero() -> Comparator:
    """`new Comparator('>=0.0.0')`, made on first use (parsing it compiles the comparator regex)."""
    return Comparator(">=0.0.0")


def outside(
    version: str | Version,
    range: RangeInput,
    hilo: str,
    *,
    loose: bool = False,
    include_prerelease: bool = False,
) -> bool:
    """Whether `version` is above (`hilo='>'`) or below (`'<'`) every version in `range`."""
    parsed = to_version(version, loose, include_prerelease)
    parsed_range = Range(range, loose=loose, include_prerelease=include_prerelease)
    beyond: Callable[[int], bool]
    if hilo == ">":
        beyond, comp, ecomp, sign = (lambda c: c > 0), ">", ">=", 1
    elif hilo == "<":
        beyond, comp, ecomp, sign = (lambda c: c < 0), "<", "<=", -1
    else:
        raise TypeError('Must provide a hilo val of "<" or ">"')
    if parsed_range.test_version(parsed):
        return False
    # From here on the names read as in "gtr" mode; everything is flipped for "ltr".
    for comparators in parsed_range.set:
        high: Comparator | None = None
        low: Comparator | None = None
        for comparator in comparators:
            if comparator.semver is ANY:
                comparator = _gte_zero()
            high = high or comparator
            low = low or comparator
            if beyond(_order(comparator, high)):
                high = comparator
            elif _order(comparator, low) * sign < 0:
                low = comparator
        assert high is not None
        assert low is not None
        if high.operator in (comp, ecomp):
            return False
        # JS compares these without options, re-parsing both texts (which may throw)
        if (not low.operator or low.operator == comp) and _plain_order(parsed, low) * sign <= 0:
            return False
        if low.operator == ecomp and _plain_order(parsed, low) * sign < 0:
            return False
    return True


def _bound(comparator: Comparator) -> Version:
    assert isinstance(comparator.semver, Version)
    return comparator.semver


def _plain_order(version: Version, comparator: Comparator) -> int:
    return compare_versions(to_version(version), to_version(_bound(comparator)))


def _order(a: Comparator, b: Comparator) -> int:
    return compare_versions(_bound(a), _bound(b))


def gtr(
    version: str | Version, range: RangeInput, *, loose: bool = False, include_prerelease: bool = False
) -> bool:
    """Whether `version` is greater than every version `range` allows."""
    return outside(version, range, ">", loose=loose, include_prerelease=include_prerelease)


def ltr(
    version: str | Version, range: RangeInput, *, loose: bool = False, include_prerelease: bool = False
) -> bool:
    """Whether `version` is less than every version `range` allows."""
    return outside(version, range, "<", loose=loose, include_prerelease=include_prerelease)


def intersects(
    range1: RangeInput, range2: RangeInput, *, loose: bool = False, include_prerelease: bool = False
) -> bool:
    """Whether some version satisfies both ranges; TypeError for an invalid range."""
    first = Range(range1, loose=loose, include_prerelease=include_prerelease)
    second = Range(range2, loose=loose, include_prerelease=include_prerelease)
    return first.intersects(second, loose=loose, include_prerelease=include_prerelease)


def to_comparators(
    range: RangeInput, *, loose: bool = False, include_prerelease: bool = False
) -> list[list[str]]:
    """The comparator strings of each `||` set (`''` means any version)."""
    parsed_range = Range(range, loose=loose, include_prerelease=include_prerelease)
    return [" ".join(c.value for c in comps).strip(" ").split(" ") for comps in parsed_range.set]


def _same(a: object, b: object) -> bool:
    """JS `===` for list entries: equal strings, or the very same object."""
    return a is b or (isinstance(a, str) and isinstance(b, str) and a == b)


def simplify_range(
    versions: Iterable[T], range: str | Range, *, loose: bool = False, include_prerelease: bool = False
) -> str | Range:
    """A shorter range matching the same entries of `versions`, or `range` itself if not shorter.

    JS sorts the caller's array in place; this sorts a copy.
    """

    def order(a: str | Version, b: str | Version) -> int:
        return compare(a, b, loose=loose, include_prerelease=include_prerelease)

    ordered = sorted(versions, key=cmp_to_key(order))
    spans: list[tuple[T, T | None]] = []
    first: T | None = None
    prev: T | None = None
    for version in ordered:
        if satisfies(version, range, loose=loose, include_prerelease=include_prerelease):
            prev = version
            if not first:
                first = version
        else:
            if prev and first:
                spans.append((first, prev))
            prev = None
            first = None
    if first:
        spans.append((first, None))
    parts: list[str] = []
    for low, high in spans:
        if _same(low, high):
            parts.append(str(low))
        elif not high and _same(low, ordered[0]):
            parts.append("*")
        elif not high:
            parts.append(f">={low}")
        elif _same(low, ordered[0]):
            parts.append(f"<={high}")
        else:
            parts.append(f"{low} - {high}")
    simplified = " || ".join(parts)
    original = range.raw if isinstance(range, Range) else str(range)
    return simplified if utf16_length(simplified) < utf16_length(original) else range
