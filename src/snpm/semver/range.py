"""Range and Comparator (node-semver's classes/range.js and classes/comparator.js); satisfies().

A Range is a tuple of comparator sets (the `||` parts); each set is a tuple of Comparators that
must all pass. Ranges are immutable and cached per (text, loose, include_prerelease), as are the
parsed `||` parts (node-semver's own parseRange memo). For the hot path each Range precompiles its
sets into (operator function, version key) pairs, so `test()` on a parsed Version is a few tuple
comparisons with no parsing and no allocation.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Callable
from functools import lru_cache
from typing import cast

from snpm.ecmascript.strings import split_whitespace, trim
from snpm.ecmascript.values import typeof
from snpm.semver import tokens
from snpm.semver.desugar import desugar
from snpm.semver.version import Version, VersionKey, compare_versions, parse_cached, to_version


class AnyVersion(enum.Enum):
    """node-semver's `Comparator.ANY` symbol: the semver of the empty (match-anything) comparator."""

    ANY = "SemVer ANY"


ANY = AnyVersion.ANY

_Check = Callable[[object, object], bool]
# operator functions: applied to two ordering keys on the hot path, to (compare result, 0) otherwise
_OPERATORS: dict[str, _Check] = {
    "": cast(_Check, operator.eq),
    ">": cast(_Check, operator.gt),
    ">=": cast(_Check, operator.ge),
    "<": cast(_Check, operator.lt),
    "<=": cast(_Check, operator.le),
}
NULL_SET = "<0.0.0-0"


def _invalid_version(value: object) -> TypeError:
    return TypeError(f'Invalid version. Must be a string. Got type "{typeof(value)}".')


def _holds(version: Version, op: str, bound: Version) -> bool:
    """`cmp(version, op, bound)` for parsed versions."""
    if version.exotic or bound.exotic:
        return _OPERATORS[op](compare_versions(version, bound), 0)
    return _OPERATORS[op](version.key, bound.key)


class Comparator:
    """One `<op><version>` test, or the empty comparator that any version passes."""

    __slots__ = ("operator", "semver", "value", "loose", "include_prerelease")

    ANY = ANY
    operator: str
    semver: Version | AnyVersion
    value: str
    loose: bool
    include_prerelease: bool

    def __new__(
        cls, comp: str | Comparator, *, loose: bool = False, include_prerelease: bool = False
    ) -> Comparator:
        """`new Comparator(comp, options)`; TypeError `Invalid comparator: …` when it does not parse."""
        if isinstance(comp, Comparator):
            if comp.loose == loose:
                return comp
            comp = comp.value
        if not isinstance(comp, str):
            raise TypeError("comp.trim is not a function")
        comp = " ".join(split_whitespace(trim(comp)))
        if comp:
            m = tokens.SIMPLE_COMPARATOR.match(comp) or (
                tokens.COMPARATORLOOSE if loose else tokens.COMPARATOR
            ).search(comp)
            if not m:
                raise TypeError(f"Invalid comparator: {comp}")
            op, version = m.group(1) or "", m.group(2)
        else:
            op, version = "", None  # what both patterns' `^$` alternative gives: any version passes
        self = object.__new__(cls)
        self.operator = "" if op == "=" else op
        self.loose = bool(loose)
        self.include_prerelease = bool(include_prerelease)
        # the comparator's SemVer gets `options.loose` only (no includePrerelease), as in JS
        self.semver = to_version(version, self.loose, False) if version else ANY
        self.value = "" if self.semver is ANY else self.operator + self.semver.version
        return self

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"Comparator({self.value!r})"

    def test(self, version: str | Version | AnyVersion) -> bool:
        if self.semver is ANY or version is ANY:
            return True
        if isinstance(version, str):
            parsed = parse_cached(version, self.loose, self.include_prerelease)
            if parsed is None:
                return False
            version = parsed
        if not isinstance(version, Version):
            raise _invalid_version(version)
        if version.loose != self.loose or version.include_prerelease != self.include_prerelease:
            # JS's cmp() re-parses a SemVer made with other options, and that can throw
            version = to_version(version, self.loose, self.include_prerelease)
        return _holds(version, self.operator, self.semver)

    def intersects(self, comp: Comparator, *, loose: bool = False, include_prerelease: bool = False) -> bool:
        """Whether some version passes both comparators."""
        if not isinstance(comp, Comparator):
            raise TypeError("a Comparator is required")
        if self.operator == "":
            if self.value == "":
                return True
            return Range(comp.value, loose=loose, include_prerelease=include_prerelease).test(self.value)
        if comp.operator == "":
            if comp.value == "":
                return True
            assert isinstance(comp.semver, Version)
            return Range(self.value, loose=loose, include_prerelease=include_prerelease).test(comp.semver)
        # special cases where nothing can possibly be lower
        if include_prerelease and NULL_SET in (self.value, comp.value):
            return False
        if not include_prerelease and (self.value.startswith("<0.0.0") or comp.value.startswith("<0.0.0")):
            return False
        mine, theirs = self.operator, comp.operator
        if mine[0] == theirs[0]:
            # same direction: both > / >= or both < / <=
            return True
        a, b = self.semver, comp.semver
        assert isinstance(a, Version)
        assert isinstance(b, Version)
        if a.version == b.version and "=" in mine and "=" in theirs:
            return True
        if _holds(a, "<", b) and mine[0] == ">" and theirs[0] == "<":
            return True
        return _holds(a, ">", b) and mine[0] == "<" and theirs[0] == ">"


ComparatorSet = tuple[Comparator, ...]
_CompiledSet = tuple[tuple[tuple[_Check, VersionKey], ...], frozenset[tuple[int, int, int]]]


def _is_null_set(comp: Comparator) -> bool:
    return comp.value == NULL_SET


def _is_any(comp: Comparator) -> bool:
    return comp.value == ""


@lru_cache(maxsize=1000)
def _parse_range_part(part: str, loose: bool, include_prerelease: bool) -> ComparatorSet:
    """One `||` part to its comparators (node-semver's memoised `parseRange`)."""
    words = desugar(part, loose, include_prerelease)
    if loose:
        # in loose mode, throw out any that are not valid comparators
        words = [
            w for w in words if not w or tokens.SIMPLE_COMPARATOR.match(w) or tokens.COMPARATORLOOSE.search(w)
        ]
    comparators = [Comparator(w, loose=loose, include_prerelease=include_prerelease) for w in words]
    by_value: dict[str, Comparator] = {}
    for comp in comparators:
        if _is_null_set(comp):
            return (comp,)
        by_value[comp.value] = comp
    if len(by_value) > 1 and "" in by_value:
        del by_value[""]
    return tuple(by_value.values())


class Range:
    """A parsed range; `set` holds the `||` alternatives, each a tuple of Comparators."""

    __slots__ = ("raw", "set", "loose", "include_prerelease", "_formatted", "_compiled", "_exotic")

    raw: str
    set: tuple[ComparatorSet, ...]
    loose: bool
    include_prerelease: bool
    _formatted: str | None
    _compiled: tuple[_CompiledSet, ...]
    _exotic: bool

    def __new__(
        cls, range: str | Range | Comparator, *, loose: bool = False, include_prerelease: bool = False
    ) -> Range:
        """`new Range(range, options)`, cached; TypeError with node-semver's message when invalid."""
        if isinstance(range, Range):
            if range.loose == loose and range.include_prerelease == include_prerelease:
                return range
            range = range.raw
        elif isinstance(range, Comparator):
            return _assemble(range.value, ((range,),), False, False)
        elif not isinstance(range, str):
            raise TypeError("range.trim is not a function")
        built = _range_cached(range, bool(loose), bool(include_prerelease))
        if isinstance(built, str):
            raise TypeError(built)
        return built

    @property
    def range(self) -> str:
        """The canonical text: comparators joined by spaces, sets by `||`."""
        if self._formatted is None:
            self._formatted = "||".join(" ".join(trim(str(c)) for c in comps) for comps in self.set)
        return self._formatted

    def format(self) -> str:
        return self.range

    def __str__(self) -> str:
        return self.range

    def __repr__(self) -> str:
        return f"Range({self.raw!r})"

    def test(self, version: str | Version | None) -> bool:
        """Whether `version` satisfies the range (any set whose comparators all pass)."""
        if not version:
            return False
        if isinstance(version, str):
            parsed = parse_cached(version, self.loose, self.include_prerelease)
            if parsed is None:
                return False
            return self.test_version(parsed)
        if not isinstance(version, Version):
            raise _invalid_version(version)
        if version.loose != self.loose or version.include_prerelease != self.include_prerelease:
            return self._test_foreign(version)
        return self.test_version(version)

    def _test_foreign(self, version: Version) -> bool:
        """A Version parsed with other options: JS re-parses its text in the first comparator test
        that is not ANY, which throws when the text is invalid under this range's options."""
        for comps in self.set:
            if len(comps) == 1 and comps[0].semver is ANY:
                if not version.prerelease or self.include_prerelease:
                    return True
                continue
            return self.test_version(to_version(version, self.loose, self.include_prerelease))
        return False

    def test_version(self, version: Version) -> bool:
        """`test()` for a Version parsed with this range's options: the hot path."""
        if version.exotic or self._exotic:
            return any(_test_set(comps, version, self.include_prerelease) for comps in self.set)
        key = version.key
        for checks, allowed in self._compiled:
            for check, bound in checks:
                if not check(key, bound):
                    break
            else:
                # A prerelease only passes a set that names a prerelease of the same x.y.z
                # (^1.2.3-pr.1 allows 1.2.3-pr.2, not 1.2.4-alpha), unless includePrerelease.
                if (
                    not version.prerelease
                    or self.include_prerelease
                    or (version.major, version.minor, version.patch) in allowed
                ):
                    return True
        return False

    def intersects(self, other: Range, *, loose: bool = False, include_prerelease: bool = False) -> bool:
        """Whether some version satisfies both ranges."""
        if not isinstance(other, Range):
            raise TypeError("a Range is required")
        return any(
            _is_satisfiable(mine, loose, include_prerelease)
            and any(
                _is_satisfiable(theirs, loose, include_prerelease)
                and all(
                    a.intersects(b, loose=loose, include_prerelease=include_prerelease)
                    for a in mine
                    for b in theirs
                )
                for theirs in other.set
            )
            for mine in self.set
        )


def _test_set(comps: ComparatorSet, version: Version, include_prerelease: bool) -> bool:
    if not all(c.test(version) for c in comps):
        return False
    if version.prerelease and not include_prerelease:
        for c in comps:
            allowed = c.semver
            if (
                isinstance(allowed, Version)
                and allowed.prerelease
                and (allowed.major, allowed.minor, allowed.patch)
                == (version.major, version.minor, version.patch)
            ):
                return True
        return False
    return True


def _is_satisfiable(comparators: ComparatorSet, loose: bool, include_prerelease: bool) -> bool:
    """Whether a version exists that passes every comparator of one set."""
    remaining = list(comparators)
    probe = remaining.pop()
    result = True
    while result and remaining:
        result = all(
            probe.intersects(other, loose=loose, include_prerelease=include_prerelease) for other in remaining
        )
        probe = remaining.pop()
    return result


def _assemble(raw: str, sets: tuple[ComparatorSet, ...], loose: bool, include_prerelease: bool) -> Range:
    self = object.__new__(Range)
    self.raw = raw
    self.set = sets
    self.loose = loose
    self.include_prerelease = include_prerelease
    self._formatted = None
    compiled: list[_CompiledSet] = []
    exotic = False
    for comps in sets:
        checks: list[tuple[_Check, VersionKey]] = []
        allowed: set[tuple[int, int, int]] = set()
        for c in comps:
            bound = c.semver
            if isinstance(bound, Version):
                exotic = exotic or bound.exotic
                checks.append((_OPERATORS[c.operator], bound.key))
                if bound.prerelease:
                    allowed.add((bound.major, bound.minor, bound.patch))
        compiled.append((tuple(checks), frozenset(allowed)))
    self._compiled = tuple(compiled)
    self._exotic = exotic
    return self


@lru_cache(maxsize=1000)
def _range_cached(text: str, loose: bool, include_prerelease: bool) -> Range | str:
    """The shared Range for this text and flags, or the TypeError message when it is invalid."""
    # reduce whitespace first so no regex has to cope with runs of it (also used in messages)
    raw = " ".join(split_whitespace(trim(text)))
    try:
        parts = [_parse_range_part(trim(p), loose, include_prerelease) for p in raw.split("||")]
    except TypeError as error:
        return str(error)
    # empty sets mean an invalid part, which loose mode allows unless the WHOLE range is invalid
    sets = [p for p in parts if p]
    if not sets:
        return f"Invalid SemVer Range: {raw}"
    if len(sets) > 1:
        first = sets[0]
        sets = [c for c in sets if not _is_null_set(c[0])]
        if not sets:
            sets = [first]
        elif len(sets) > 1:
            for c in sets:
                if len(c) == 1 and _is_any(c[0]):
                    sets = [c]
                    break
    return _assemble(raw, tuple(sets), loose, include_prerelease)


def satisfies(
    version: str | Version | None,
    range: str | Range | Comparator,
    *,
    loose: bool = False,
    include_prerelease: bool = False,
) -> bool:
    """Whether `version` is in `range`; False for an invalid range or version."""
    try:
        parsed = Range(range, loose=loose, include_prerelease=include_prerelease)
    except TypeError:
        return False
    return parsed.test(version)
