"""node-semver's token regexes (`internal/re.js`) and constants, compiled once for Python's `re`.

The sources are assembled exactly as in re.js, including its `safeRe` rewrite that bounds `\\s*`,
`\\d+` and `[a-zA-Z0-9-]+` (`\\s*` becomes `\\s{0,1}`: ranges are whitespace-collapsed before these
run, and the bounds are observable, so they are kept). Translation to Python changes only what the
engines disagree on: `\\s` becomes the explicit ECMAScript whitespace set, `\\d` is ASCII, and the `$`
anchor becomes `\\Z` (Python's `$` also matches before a final newline).
"""

from __future__ import annotations

import re

from snpm.ecmascript.strings import WHITESPACE_CLASS

SEMVER_SPEC_VERSION = "2.0.0"
MAX_LENGTH = 256
MAX_SAFE_INTEGER = 9007199254740991
MAX_SAFE_COMPONENT_LENGTH = 16
MAX_SAFE_BUILD_LENGTH = MAX_LENGTH - 6
RELEASE_TYPES = ("major", "premajor", "minor", "preminor", "patch", "prepatch", "prerelease")

_LETTERDASHNUMBER = "[a-zA-Z0-9-]"
_SAFE_REPLACEMENTS = ((r"\s", 1), (r"\d", MAX_LENGTH), (_LETTERDASHNUMBER, MAX_SAFE_BUILD_LENGTH))


def _make_safe(value: str) -> str:
    for token, limit in _SAFE_REPLACEMENTS:
        value = value.replace(f"{token}*", f"{token}{{0,{limit}}}")
        value = value.replace(f"{token}+", f"{token}{{1,{limit}}}")
    return value


def _to_python(source: str) -> str:
    """Rewrite a JS regex source for Python's `re` (see the module docstring)."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(source):
        char = source[i]
        if char == "\\":
            pair = source[i : i + 2]
            if pair == r"\s":
                out.append(WHITESPACE_CLASS if in_class else f"[{WHITESPACE_CLASS}]")
            else:
                out.append(pair)
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            char = r"\Z"
        out.append(char)
        i += 1
    return "".join(out)


def _compile(source: str) -> re.Pattern[str]:
    return re.compile(_to_python(source), re.ASCII)


class _Sources:
    """Builds the JS sources in re.js order; `src` is the unbounded source, `safe` the bounded one."""

    def __init__(self) -> None:
        self.src: dict[str, str] = {}

    def token(self, name: str, value: str) -> str:
        self.src[name] = value
        return value

    def safe(self, name: str) -> re.Pattern[str]:
        return _compile(_make_safe(self.src[name]))


def _build() -> _Sources:
    s = _Sources()
    src = s.src
    s.token("NUMERICIDENTIFIER", r"0|[1-9]\d*")
    s.token("NUMERICIDENTIFIERLOOSE", r"\d+")
    s.token("NONNUMERICIDENTIFIER", rf"\d*[a-zA-Z-]{_LETTERDASHNUMBER}*")
    s.token(
        "MAINVERSION",
        rf"({src['NUMERICIDENTIFIER']})\.({src['NUMERICIDENTIFIER']})\.({src['NUMERICIDENTIFIER']})",
    )
    s.token(
        "MAINVERSIONLOOSE",
        rf"({src['NUMERICIDENTIFIERLOOSE']})\.({src['NUMERICIDENTIFIERLOOSE']})"
        rf"\.({src['NUMERICIDENTIFIERLOOSE']})",
    )
    s.token("PRERELEASEIDENTIFIER", f"(?:{src['NONNUMERICIDENTIFIER']}|{src['NUMERICIDENTIFIER']})")
    s.token("PRERELEASEIDENTIFIERLOOSE", f"(?:{src['NONNUMERICIDENTIFIER']}|{src['NUMERICIDENTIFIERLOOSE']})")
    s.token("PRERELEASE", rf"(?:-({src['PRERELEASEIDENTIFIER']}(?:\.{src['PRERELEASEIDENTIFIER']})*))")
    s.token(
        "PRERELEASELOOSE",
        rf"(?:-?({src['PRERELEASEIDENTIFIERLOOSE']}(?:\.{src['PRERELEASEIDENTIFIERLOOSE']})*))",
    )
    s.token("BUILDIDENTIFIER", f"{_LETTERDASHNUMBER}+")
    s.token("BUILD", rf"(?:\+({src['BUILDIDENTIFIER']}(?:\.{src['BUILDIDENTIFIER']})*))")
    s.token("FULLPLAIN", f"v?{src['MAINVERSION']}{src['PRERELEASE']}?{src['BUILD']}?")
    s.token("FULL", f"^{src['FULLPLAIN']}$")
    s.token("LOOSEPLAIN", rf"[v=\s]*{src['MAINVERSIONLOOSE']}{src['PRERELEASELOOSE']}?{src['BUILD']}?")
    s.token("LOOSE", f"^{src['LOOSEPLAIN']}$")
    s.token("GTLT", "((?:<|>)?=?)")
    s.token("XRANGEIDENTIFIERLOOSE", rf"{src['NUMERICIDENTIFIERLOOSE']}|x|X|\*")
    s.token("XRANGEIDENTIFIER", rf"{src['NUMERICIDENTIFIER']}|x|X|\*")
    s.token(
        "XRANGEPLAIN",
        rf"[v=\s]*({src['XRANGEIDENTIFIER']})"
        rf"(?:\.({src['XRANGEIDENTIFIER']})"
        rf"(?:\.({src['XRANGEIDENTIFIER']})"
        rf"(?:{src['PRERELEASE']})?{src['BUILD']}?"
        ")?)?",
    )
    s.token(
        "XRANGEPLAINLOOSE",
        rf"[v=\s]*({src['XRANGEIDENTIFIERLOOSE']})"
        rf"(?:\.({src['XRANGEIDENTIFIERLOOSE']})"
        rf"(?:\.({src['XRANGEIDENTIFIERLOOSE']})"
        rf"(?:{src['PRERELEASELOOSE']})?{src['BUILD']}?"
        ")?)?",
    )
    s.token("XRANGE", rf"^{src['GTLT']}\s*{src['XRANGEPLAIN']}$")
    s.token("XRANGELOOSE", rf"^{src['GTLT']}\s*{src['XRANGEPLAINLOOSE']}$")
    component = MAX_SAFE_COMPONENT_LENGTH
    s.token(
        "COERCEPLAIN",
        rf"(^|[^\d])(\d{{1,{component}}})(?:\.(\d{{1,{component}}}))?(?:\.(\d{{1,{component}}}))?",
    )
    s.token("COERCE", rf"{src['COERCEPLAIN']}(?:$|[^\d])")
    s.token(
        "COERCEFULL",
        rf"{src['COERCEPLAIN']}(?:{src['PRERELEASE']})?(?:{src['BUILD']})?(?:$|[^\d])",
    )
    s.token("LONETILDE", "(?:~>?)")
    s.token("TILDETRIM", rf"(\s*){src['LONETILDE']}\s+")
    s.token("TILDE", f"^{src['LONETILDE']}{src['XRANGEPLAIN']}$")
    s.token("TILDELOOSE", f"^{src['LONETILDE']}{src['XRANGEPLAINLOOSE']}$")
    s.token("LONECARET", r"(?:\^)")
    s.token("CARETTRIM", rf"(\s*){src['LONECARET']}\s+")
    s.token("CARET", f"^{src['LONECARET']}{src['XRANGEPLAIN']}$")
    s.token("CARETLOOSE", f"^{src['LONECARET']}{src['XRANGEPLAINLOOSE']}$")
    s.token("COMPARATORLOOSE", rf"^{src['GTLT']}\s*({src['LOOSEPLAIN']})$|^$")
    s.token("COMPARATOR", rf"^{src['GTLT']}\s*({src['FULLPLAIN']})$|^$")
    s.token("COMPARATORTRIM", rf"(\s*){src['GTLT']}\s*({src['LOOSEPLAIN']}|{src['XRANGEPLAIN']})")
    s.token("HYPHENRANGE", rf"^\s*({src['XRANGEPLAIN']})\s+-\s+({src['XRANGEPLAIN']})\s*$")
    s.token("HYPHENRANGELOOSE", rf"^\s*({src['XRANGEPLAINLOOSE']})\s+-\s+({src['XRANGEPLAINLOOSE']})\s*$")
    s.token("STAR", r"(<|>)?=?\s*\*")
    s.token("GTE0", r"^\s*>=\s*0\.0\.0\s*$")
    s.token("GTE0PRE", r"^\s*>=\s*0\.0\.0-0\s*$")
    return s


_S = _build()

# The patterns compile on first use (module `__getattr__`, PEP 562), then live in the module's
# globals: compiling all of them costs ~13 ms at start-up, and a run usually needs a handful.
_SAFE_NAMES = frozenset(
    (
        "FULL",
        "LOOSE",
        "PRERELEASE",
        "PRERELEASELOOSE",
        "BUILD",
        "XRANGE",
        "XRANGELOOSE",
        "COERCE",
        "COERCEFULL",
        "TILDETRIM",
        "TILDE",
        "TILDELOOSE",
        "CARETTRIM",
        "CARET",
        "CARETLOOSE",
        "COMPARATOR",
        "COMPARATORLOOSE",
        "COMPARATORTRIM",
        "HYPHENRANGE",
        "HYPHENRANGELOOSE",
        "STAR",
        "GTE0",
        "GTE0PRE",
    )
)

FULL: re.Pattern[str]
LOOSE: re.Pattern[str]
PRERELEASE: re.Pattern[str]
PRERELEASELOOSE: re.Pattern[str]
BUILD: re.Pattern[str]
XRANGE: re.Pattern[str]
XRANGELOOSE: re.Pattern[str]
COERCE: re.Pattern[str]
COERCEFULL: re.Pattern[str]
TILDETRIM: re.Pattern[str]
TILDE: re.Pattern[str]
TILDELOOSE: re.Pattern[str]
CARETTRIM: re.Pattern[str]
CARET: re.Pattern[str]
CARETLOOSE: re.Pattern[str]
COMPARATOR: re.Pattern[str]
COMPARATORLOOSE: re.Pattern[str]
COMPARATORTRIM: re.Pattern[str]
HYPHENRANGE: re.Pattern[str]
HYPHENRANGELOOSE: re.Pattern[str]
STAR: re.Pattern[str]
GTE0: re.Pattern[str]
GTE0PRE: re.Pattern[str]
# range.js strips build metadata with the *unbounded* source (`new RegExp(src[t.BUILD], 'g')`).
BUILDSTRIP: re.Pattern[str]


def __getattr__(name: str) -> re.Pattern[str]:
    if name in _SAFE_NAMES:
        pattern = _S.safe(name)
    elif name == "BUILDSTRIP":
        pattern = _compile(_S.src["BUILD"])
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = pattern
    return pattern


# Replacement templates of re.js (`'$1$2$3'`, `'$1~'`, `'$1^'`) in Python's syntax.
COMPARATOR_TRIM_REPLACE = r"\1\2\3"
TILDE_TRIM_REPLACE = r"\1~"
CARET_TRIM_REPLACE = r"\1^"

NUMERIC = re.compile("[0-9]+", re.ASCII)

# A strict subset of what COMPARATOR and COMPARATORLOOSE accept, without the JS whitespace class, so
# it compiles in a fraction of their time: an optional operator and a plain `x.y.z[-pre]` (no `v`,
# no build, short identifiers), which is what desugared ranges are made of. For these texts both big
# patterns give the same groups (1: operator, 2: version), and XRANGE leaves them unchanged.
_SIMPLE_ID = "(?:0|[1-9][0-9]{0,15})"
_SIMPLE_PRE_ID = "(?:0|[1-9][0-9]{0,15}|[0-9]{0,15}[a-zA-Z-][a-zA-Z0-9-]{0,15})"
SIMPLE_COMPARATOR = re.compile(
    rf"([<>]?=?)({_SIMPLE_ID}\.{_SIMPLE_ID}\.{_SIMPLE_ID}(?:-{_SIMPLE_PRE_ID}(?:\.{_SIMPLE_PRE_ID})*)?)\Z",
    re.ASCII,
)
