"""Version (node-semver's `SemVer` class): strict and loose parsing, ordering, increments.

Versions are shared, so never mutate one: parsing goes through an LRU cache keyed by
(text, loose, include_prerelease), and the same string parses once per process. Each Version carries
a precomputed ordering key, a tuple whose Python ordering equals node-semver's `compare()`, which
keeps range tests down to tuple comparisons. The key cannot express one node-semver quirk: two
different all-digit prerelease identifiers of 2**53 or more that round to the same double compare
equal and stop the comparison there. Versions holding such an identifier are flagged `exotic` and
compared by the faithful identifier walk instead.

Differences from the JS class, on purpose: `inc()` returns a new Version instead of mutating, and
`prerelease`/`build` are tuples. JS's `Error` from `inc()` is `ValueError`; its TypeErrors are TypeError.

Size: one class and the parsing that builds it, including the fast paths for plain versions (most of
what a registry holds) beside the exact one they must agree with.
"""

from __future__ import annotations

import re
from functools import lru_cache

from snpm.ecmascript.numbers import is_nan, to_number
from snpm.ecmascript.strings import WHITESPACE, trim, utf16_length
from snpm.ecmascript.values import typeof
from snpm.semver import tokens
from snpm.semver.tokens import MAX_LENGTH, MAX_SAFE_INTEGER

Identifier = int | str
VersionKey = tuple[int, int, int, int, tuple[tuple[int, Identifier], ...]]


def compare_identifiers(a: Identifier, b: Identifier) -> int:
    """node-semver's `compareIdentifiers`: all-digit identifiers sort numerically, before the rest."""
    if isinstance(a, int) and isinstance(b, int):
        return 0 if a == b else -1 if a < b else 1
    a_numeric = isinstance(a, int) or tokens.NUMERIC.fullmatch(a) is not None
    b_numeric = isinstance(b, int) or tokens.NUMERIC.fullmatch(b) is not None
    if a_numeric and b_numeric:
        # `+a` in JS: digit strings become doubles (and may round to equal).
        x = a if isinstance(a, int) else float(a)
        y = b if isinstance(b, int) else float(b)
        return 0 if x == y else -1 if x < y else 1
    if a == b:
        return 0
    if a_numeric:
        return -1
    if b_numeric:
        return 1
    return -1 if str(a) < str(b) else 1


def rcompare_identifiers(a: Identifier, b: Identifier) -> int:
    return compare_identifiers(b, a)


def _compare_lists(a: tuple[Identifier, ...], b: tuple[Identifier, ...]) -> int:
    """The do/while identifier walk of `comparePre`/`compareBuild` (after their empty-list checks)."""
    i = 0
    while True:
        if i >= len(a) and i >= len(b):
            return 0
        if i >= len(b):
            return 1
        if i >= len(a):
            return -1
        x, y = a[i], b[i]
        if x == y:
            i += 1
            continue
        return compare_identifiers(x, y)


def _numberify(identifier: str) -> Identifier:
    """Prerelease identifiers that are all digits and below 2**53-1 become numbers, as in JS."""
    if identifier.isdigit() and identifier.isascii():
        number = int(identifier)
        if number < MAX_SAFE_INTEGER:
            return number
    return identifier


class Version:
    """A parsed semantic version; see the module docstring. `SemVer` is the same class."""

    __slots__ = (
        "raw",
        "version",
        "major",
        "minor",
        "patch",
        "prerelease",
        "build",
        "loose",
        "include_prerelease",
        "key",
        "exotic",
    )

    raw: str
    version: str
    major: int
    minor: int
    patch: int
    prerelease: tuple[Identifier, ...]
    build: tuple[str, ...]
    loose: bool
    include_prerelease: bool
    key: VersionKey
    exotic: bool

    def __new__(
        cls, version: str | Version, *, loose: bool = False, include_prerelease: bool = False
    ) -> Version:
        """`new SemVer(version, options)`: TypeError (with node-semver's message) when invalid."""
        return to_version(version, loose, include_prerelease)

    def __str__(self) -> str:
        return self.version

    def __repr__(self) -> str:
        return f"SemVer({self.raw!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.version == other.version and self.build == other.build

    def __hash__(self) -> int:
        return hash((self.version, self.build))

    # Ordering follows compare_build (build metadata breaks ties), like semver.sort.
    def __lt__(self, other: Version) -> bool:
        return _compare_with_build(self, other) < 0

    def __le__(self, other: Version) -> bool:
        return _compare_with_build(self, other) <= 0

    def __gt__(self, other: Version) -> bool:
        return _compare_with_build(self, other) > 0

    def __ge__(self, other: Version) -> bool:
        return _compare_with_build(self, other) >= 0

    def format(self) -> str:
        return self.version

    def _coerce(self, other: str | Version) -> Version:
        # JS parses strings with this version's options but uses SemVer instances as they are
        if isinstance(other, Version):
            return other
        return to_version(other, self.loose, self.include_prerelease)

    def compare(self, other: str | Version) -> int:
        """-1, 0 or 1, ignoring build metadata (`SemVer#compare`)."""
        if isinstance(other, str) and other == self.version:
            return 0
        return compare_versions(self, self._coerce(other))

    def compare_main(self, other: str | Version) -> int:
        """Orders by major.minor.patch only (`SemVer#compareMain`)."""
        return _compare_main(self, self._coerce(other))

    def compare_pre(self, other: str | Version) -> int:
        """Orders by prerelease only; no prerelease sorts last (`SemVer#comparePre`)."""
        return _compare_pre(self, self._coerce(other))

    def compare_build(self, other: str | Version) -> int:
        """Orders by build metadata only (`SemVer#compareBuild`)."""
        return _compare_lists(self.build, self._coerce(other).build)

    def inc(
        self,
        release: str,
        identifier: str | None = None,
        identifier_base: str | int | bool | None = None,
    ) -> Version:
        """A new Version bumped by `release` (`SemVer#inc`); ValueError where JS throws Error."""
        draft = _Draft(self)
        draft.inc(release, identifier, identifier_base)
        return make_version(
            draft.major,
            draft.minor,
            draft.patch,
            _flatten(draft.prerelease),
            draft.build,
            raw=draft.raw,
            version=draft.format(),
            loose=self.loose,
            include_prerelease=self.include_prerelease,
        )


SemVer = Version


def compare_versions(a: Version, b: Version) -> int:
    """`a.compare(b)` for two parsed versions: the hot path, a tuple comparison."""
    if a.exotic or b.exotic:
        if a.version == b.version:
            return 0
        return _compare_main(a, b) or _compare_pre(a, b)
    ka = a.key
    kb = b.key
    return 0 if ka == kb else -1 if ka < kb else 1


def _compare_main(a: Version, b: Version) -> int:
    x = (a.major, a.minor, a.patch)
    y = (b.major, b.minor, b.patch)
    return 0 if x == y else -1 if x < y else 1


def _compare_pre(a: Version, b: Version) -> int:
    if a.prerelease and not b.prerelease:
        return -1
    if not a.prerelease and b.prerelease:
        return 1
    if not a.prerelease:
        return 0
    return _compare_lists(a.prerelease, b.prerelease)


def _compare_with_build(a: Version, b: Version) -> int:
    """node-semver's `compareBuild(a, b)` on parsed versions."""
    return compare_versions(a, b) or _compare_lists(a.build, b.build)


def _flatten(prerelease: list[Identifier]) -> tuple[Identifier, ...]:
    """`inc` may store a dotted identifier as one item; the parsed form splits and numberifies it."""
    out: list[Identifier] = []
    for item in prerelease:
        if isinstance(item, int):
            out.append(item)
        else:
            out.extend(_numberify(part) for part in item.split("."))
    return tuple(out)


def _is_prerelease_identifier(prerelease: list[Identifier], identifier: str) -> bool:
    identifiers = identifier.split(".")
    if len(identifiers) > len(prerelease):
        return False
    return all(compare_identifiers(prerelease[i], ident) == 0 for i, ident in enumerate(identifiers))


class _Draft:
    """The mutable working copy `SemVer#inc` operates on (a line-by-line port of that method)."""

    __slots__ = ("major", "minor", "patch", "prerelease", "build", "raw", "loose")

    def __init__(self, version: Version) -> None:
        self.major = version.major
        self.minor = version.minor
        self.patch = version.patch
        self.prerelease: list[Identifier] = list(version.prerelease)
        self.build = list(version.build)
        self.raw = version.raw
        self.loose = version.loose

    def format(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(str(p) for p in self.prerelease)
        return text

    def inc(self, release: str, identifier: str | None, identifier_base: str | int | bool | None) -> None:
        if release.startswith("pre"):
            if not identifier and identifier_base is False:
                raise ValueError("invalid increment argument: identifier is empty")
            if identifier:
                pattern = tokens.PRERELEASELOOSE if self.loose else tokens.PRERELEASE
                match = pattern.search(f"-{identifier}")
                if not match or match.group(1) != identifier:
                    raise ValueError(f"invalid identifier: {identifier}")
        if release == "premajor":
            self.prerelease.clear()
            self.patch = 0
            self.minor = 0
            self.major += 1
            self.inc("pre", identifier, identifier_base)
        elif release == "preminor":
            self.prerelease.clear()
            self.patch = 0
            self.minor += 1
            self.inc("pre", identifier, identifier_base)
        elif release == "prepatch":
            self.prerelease.clear()
            self.inc("patch", identifier, identifier_base)
            self.inc("pre", identifier, identifier_base)
        elif release == "prerelease":
            if not self.prerelease:
                self.inc("patch", identifier, identifier_base)
            self.inc("pre", identifier, identifier_base)
        elif release == "release":
            if not self.prerelease:
                raise ValueError(f"version {self.raw} is not a prerelease")
            self.prerelease.clear()
        elif release == "major":
            # 1.0.0-5 bumps to 1.0.0; 1.1.0 bumps to 2.0.0
            if self.minor != 0 or self.patch != 0 or not self.prerelease:
                self.major += 1
            self.minor = 0
            self.patch = 0
            self.prerelease = []
        elif release == "minor":
            if self.patch != 0 or not self.prerelease:
                self.minor += 1
            self.patch = 0
            self.prerelease = []
        elif release == "patch":
            if not self.prerelease:
                self.patch += 1
            self.prerelease = []
        elif release == "pre":
            self._inc_pre(identifier, identifier_base)
        else:
            raise ValueError(f"invalid increment argument: {release}")
        self.raw = self.format()
        if self.build:
            self.raw += "+" + ".".join(self.build)

    def _inc_pre(self, identifier: str | None, identifier_base: str | int | bool | None) -> None:
        number = to_number(identifier_base)
        base = 1 if number == number and number != 0 else 0  # `Number(identifierBase) ? 1 : 0`
        if not self.prerelease:
            self.prerelease = [base]
        else:
            for i in range(len(self.prerelease) - 1, -1, -1):
                item = self.prerelease[i]
                if isinstance(item, int):
                    self.prerelease[i] = item + 1
                    break
            else:
                joined = ".".join(str(p) for p in self.prerelease)
                if identifier == joined and identifier_base is False:
                    raise ValueError("invalid increment argument: identifier already exists")
                self.prerelease.append(base)
        if identifier:
            # 1.2.0-beta.1 bumps to 1.2.0-beta.2; 1.2.0-beta.fooblz or 1.2.0-beta to 1.2.0-beta.0
            replacement: list[Identifier] = [identifier] if identifier_base is False else [identifier, base]
            if _is_prerelease_identifier(self.prerelease, identifier):
                index = len(identifier.split("."))
                following = self.prerelease[index] if index < len(self.prerelease) else None
                if following is None or is_nan(following):
                    self.prerelease = replacement
            else:
                self.prerelease = replacement


def make_version(
    major: int,
    minor: int,
    patch: int,
    prerelease: tuple[Identifier, ...] | list[Identifier],
    build: tuple[str, ...] | list[str],
    *,
    raw: str | None = None,
    version: str | None = None,
    loose: bool = False,
    include_prerelease: bool = False,
) -> Version:
    """Builds a Version from parts (no validation). `version` overrides the formatted text."""
    pre = tuple(prerelease)
    if version is None:
        version = f"{major}.{minor}.{patch}"
        if pre:
            version += "-" + ".".join(str(p) for p in pre)
    return _assemble(
        version if raw is None else raw,
        version,
        major,
        minor,
        patch,
        pre,
        tuple(build),
        loose,
        include_prerelease,
    )


def _is_digits(text: str) -> bool:
    return text.isdigit() and text.isascii()


def _assemble(
    raw: str,
    version: str,
    major: int,
    minor: int,
    patch: int,
    prerelease: tuple[Identifier, ...],
    build: tuple[str, ...],
    loose: bool,
    include_prerelease: bool,
) -> Version:
    self = object.__new__(Version)
    self.raw = raw
    self.version = version
    self.major = major
    self.minor = minor
    self.patch = patch
    self.prerelease = prerelease
    self.build = build
    self.loose = loose
    self.include_prerelease = include_prerelease
    if not prerelease:
        self.exotic = False
        self.key = (major, minor, patch, 1, ())
        return self
    exotic = False
    pre_key: list[tuple[int, Identifier]] = []
    for ident in prerelease:
        if isinstance(ident, int):
            pre_key.append((0, ident))
        elif _is_digits(ident):
            exotic = True  # all digits but kept as text: 2**53-1 or more
            pre_key.append((0, int(ident)))
        else:
            pre_key.append((1, ident))
    self.exotic = exotic
    self.key = (major, minor, patch, 0, tuple(pre_key))
    return self


_LOOSE_LEAD = "v=" + WHITESPACE
_DIGITS = frozenset("0123456789")


def _parse_problem(version: str, loose: bool) -> str | tuple[int, int, int, str | None, str | None]:
    """The error message for `version`, or its matched parts."""
    if utf16_length(version) > MAX_LENGTH:
        return f"version is longer than {MAX_LENGTH} characters"
    text = trim(version)
    # FULL needs a digit first (after one `v`), LOOSE one after any `v`, `=` and whitespace: a text
    # without one fails without the regex, which then compiles only for texts that might match
    # and both need a major, a minor and a patch: two dots (`1`, `>=1.2`, ranges mostly, fail here)
    start = text.lstrip(_LOOSE_LEAD) if loose else text[1:] if text[:1] == "v" else text
    candidate = start[:1] in _DIGITS and start.count(".") >= 2
    m = (tokens.LOOSE if loose else tokens.FULL).match(text) if candidate else None
    if not m:
        return f"Invalid Version: {version}"
    major, minor, patch = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if major > MAX_SAFE_INTEGER:
        return "Invalid major version"
    if minor > MAX_SAFE_INTEGER:
        return "Invalid minor version"
    if patch > MAX_SAFE_INTEGER:
        return "Invalid patch version"
    return (major, minor, patch, m.group(4), m.group(5))


# Most registry versions are a plain x.y.z, which strict and loose parsing accept alike and whose
# text is already canonical; at most 15 digits per part keeps them below 2**53.
_MAIN = r"(0|[1-9][0-9]{0,14})\.(0|[1-9][0-9]{0,14})\.(0|[1-9][0-9]{0,14})"
_PLAIN = re.compile(_MAIN + r"\Z")
# x.y.z-pre with strict identifiers: also canonical as written (short enough to skip length checks)
_PRE_ID = "(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][a-zA-Z0-9-]*)"
_PLAIN_PRERELEASE = re.compile(rf"{_MAIN}-({_PRE_ID}(?:\.{_PRE_ID})*)\Z")


@lru_cache(maxsize=16384)
def parse_cached(version: str, loose: bool, include_prerelease: bool) -> Version | None:
    """The shared Version for this text and these flags, or None when it does not parse."""
    plain = _PLAIN.match(version)
    if plain is not None:
        major, minor, patch = int(plain[1]), int(plain[2]), int(plain[3])
        return _assemble(version, version, major, minor, patch, (), (), loose, include_prerelease)
    if version[:1] == "v":
        # `v1.2.3` (node's own version, among others): FULL and LOOSE both take one `v` first
        plain = _PLAIN.match(version, 1)
        if plain is not None:
            major, minor, patch = int(plain[1]), int(plain[2]), int(plain[3])
            return _assemble(version, version[1:], major, minor, patch, (), (), loose, include_prerelease)
    plain = _PLAIN_PRERELEASE.match(version)
    if plain is not None and len(version) <= MAX_LENGTH:
        major, minor, patch = int(plain[1]), int(plain[2]), int(plain[3])
        prerelease = tuple(_numberify(p) for p in plain[4].split("."))
        return _assemble(version, version, major, minor, patch, prerelease, (), loose, include_prerelease)
    parts = _parse_problem(version, loose)
    if isinstance(parts, str):
        return None
    major, minor, patch, pre, build = parts
    prerelease = tuple(_numberify(p) for p in pre.split(".")) if pre else ()
    return make_version(
        major,
        minor,
        patch,
        prerelease,
        tuple(build.split(".")) if build else (),
        raw=version,
        loose=loose,
        include_prerelease=include_prerelease,
    )


def to_version(value: object, loose: bool = False, include_prerelease: bool = False) -> Version:
    """`new SemVer(value, options)`: reuses a Version with the same flags, else parses its text."""
    if isinstance(value, Version):
        if value.loose == loose and value.include_prerelease == include_prerelease:
            return value
        # JS re-parses `version.version` here, which drops build metadata.
        value = value.version
    elif not isinstance(value, str):
        raise TypeError(f'Invalid version. Must be a string. Got type "{typeof(value)}".')
    assert isinstance(value, str)
    parsed = parse_cached(value, bool(loose), bool(include_prerelease))
    if parsed is None:
        problem = _parse_problem(value, loose)
        raise TypeError(problem if isinstance(problem, str) else f"Invalid Version: {value}")
    return parsed
