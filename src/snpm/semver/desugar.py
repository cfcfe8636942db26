"""Range sugar to plain comparators: hyphen ranges, `^`, `~`, x-ranges, `*` (node-semver's parseRange).

A line-by-line port of the string rewriting in `classes/range.js`, quirks included: numbers that
get incremented go through JS double arithmetic (`+M + 1`), a group that did not take part is
`undefined` (None here), and the non-global JS regexes replace only their first match.

Each rewrite first checks for a character its regex cannot match without (`^` for a caret range,
`+` for build metadata, …) and skips the regex when it is absent: the result is the same, and the
big token regexes then only compile (lazily, `snpm.semver.tokens`) for ranges that use them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from snpm.ecmascript.numbers import number_to_string
from snpm.ecmascript.strings import WHITESPACE, WHITESPACE_CLASS, WHITESPACE_RE, split_whitespace, trim
from snpm.semver import tokens


# COMPARATORTRIM (`(\s*)GTLT\s*(LOOSEPLAIN|XRANGEPLAIN)` → `$1$2$3`) only changes a text by dropping
# the whitespace after an operator, and that is always followed by what starts a version: `[v=\s]*`,
# then a digit, `x`, `X` or `*`. Without such a sequence the substitution is the identity.
@cache
def _trimmable() -> re.Pattern[str]:
    return re.compile(f"[{WHITESPACE_CLASS}][v={WHITESPACE_CLASS}]*[0-9xX*]")


# A text of plain comparators (`>= 0.8`, `>= 2.1.2 < 3.0.0`: engines ranges, mostly), one space
# between them: COMPARATORTRIM's only change to it is dropping each space between an operator and
# its number. Checked against the pattern in `test_semver_range`.
_PLAIN_COMPARATORS = re.compile(
    r"(?:[<>]=?|=)? ?[0-9]+(?:\.[0-9]+){0,2}(?: (?:[<>]=?|=)? ?[0-9]+(?:\.[0-9]+){0,2})*\Z"
)
_OPERATOR_SPACE = re.compile(r"([<>]=?|=) (?=[0-9])")


def _trim_comparators(text: str) -> str:
    """COMPARATORTRIM's substitution (`>= 1.2.3` → `>=1.2.3`), its pattern compiled only for texts
    that are not plain comparators."""
    if _PLAIN_COMPARATORS.match(text):
        return _OPERATOR_SPACE.sub(r"\1", text)
    return _trim_comparators_by_pattern(text)


def _trim_comparators_by_pattern(text: str) -> str:
    return tokens.COMPARATORTRIM.sub(tokens.COMPARATOR_TRIM_REPLACE, text)


def _spaced(text: str, mark: str) -> bool:
    """Whether `mark` is directly followed by whitespace somewhere in `text`: TILDETRIM and CARETTRIM
    (`(\\s*)~>?\\s+`, `(\\s*)\\^\\s+`, bounded to one whitespace) match nowhere else."""
    at = text.find(mark)
    while at >= 0:
        after = text[at + len(mark) : at + len(mark) + 1]
        if after and after in WHITESPACE:
            return True
        at = text.find(mark, at + 1)
    return False


def increment(digits: str) -> str:
    """`String(+digits + 1)`: exact below 2**53, double arithmetic (and its rounding) above; the
    rounding is observable (`^9007199254740991.0.0` fails as "Invalid major version", its upper
    bound being past MAX_SAFE_INTEGER)."""
    if len(digits) <= 15:
        return str(int(digits) + 1)
    return number_to_string(float(digits) + 1)


def _is_x(identifier: str | None) -> bool:
    return not identifier or identifier.lower() == "x" or identifier == "*"


def _invalid_x_range_order(major: str | None, minor: str | None, patch: str | None) -> bool:
    return (_is_x(major) and not _is_x(minor)) or (_is_x(minor) and bool(patch) and not _is_x(patch))


def hyphen_replace(text: str, loose: bool, include_prerelease: bool) -> str:
    """`1.2.3 - 2.3.4` => `>=1.2.3 <=2.3.4` (first match only, like the JS non-global regex)."""
    if "-" not in text:
        return text
    pattern = tokens.HYPHENRANGELOOSE if loose else tokens.HYPHENRANGE
    dash0 = "-0" if include_prerelease else ""

    def replace(m: re.Match[str]) -> str:
        start, f_major, f_minor, f_patch, f_pre = m.group(1, 2, 3, 4, 5)
        end, t_major, t_minor, t_patch, t_pre = m.group(7, 8, 9, 10, 11)
        if _is_x(f_major):
            start = ""
        elif _is_x(f_minor):
            start = f">={f_major}.0.0{dash0}"
        elif _is_x(f_patch):
            start = f">={f_major}.{f_minor}.0{dash0}"
        elif f_pre:
            start = f">={start}"
        else:
            start = f">={start}{dash0}"
        if _is_x(t_major):
            end = ""
        elif _is_x(t_minor):
            end = f"<{increment(t_major)}.0.0-0"
        elif _is_x(t_patch):
            end = f"<{t_major}.{increment(t_minor)}.0-0"
        elif t_pre:
            end = f"<={t_major}.{t_minor}.{t_patch}-{t_pre}"
        elif include_prerelease:
            end = f"<{t_major}.{t_minor}.{increment(t_patch)}-0"
        else:
            end = f"<={end}"
        return trim(f"{start} {end}")

    return pattern.sub(replace, text, count=1)


# `M`, `M.m` or `M.m.p` in plain numbers (no `x`, no prerelease, no `v`): the usual operand of
# `^`, `~` and comparison operators. For such a text CARET, TILDE and XRANGE (strict and loose) match
# the whole of it with these numbers as their major, minor and patch groups, so the rewrites below
# can take them from this small pattern instead: the big ones then compile (~0.5-1 ms each) only
# for ranges that need them. `test_semver_range` checks each short way against its pattern.
_NUMBERS = r"(0|[1-9][0-9]{0,14})(?:\.(0|[1-9][0-9]{0,14})(?:\.(0|[1-9][0-9]{0,14}))?)?\Z"
_PLAIN_PARTIAL = re.compile(_NUMBERS)
_PLAIN_X_RANGE = re.compile(r"((?:<|>)?=?)" + _NUMBERS)


def _caret(
    major: str | None, minor: str | None, patch: str | None, pre: str | None, include_prerelease: bool
) -> str:
    z = "-0" if include_prerelease else ""
    if _is_x(major):
        return ""
    assert major is not None
    if _is_x(minor):
        return f">={major}.0.0{z} <{increment(major)}.0.0-0"
    assert minor is not None
    if _is_x(patch):
        if major == "0":
            return f">={major}.{minor}.0{z} <{major}.{increment(minor)}.0-0"
        return f">={major}.{minor}.0{z} <{increment(major)}.0.0-0"
    assert patch is not None
    low = f">={major}.{minor}.{patch}-{pre}" if pre else f">={major}.{minor}.{patch}"
    if major == "0":
        if minor == "0":
            return f"{low} <{major}.{minor}.{increment(patch)}-0"
        return f"{low} <{major}.{increment(minor)}.0-0"
    return f"{low} <{increment(major)}.0.0-0"


def _replace_caret(comp: str, loose: bool, include_prerelease: bool) -> str:
    if not comp.startswith("^"):
        return comp
    plain = _PLAIN_PARTIAL.match(comp, 1)
    if plain is not None:
        major, minor, patch = plain.group(1, 2, 3)
        return _caret(major, minor, patch, None, include_prerelease)
    return _replace_caret_by_pattern(comp, loose, include_prerelease)


def _replace_caret_by_pattern(comp: str, loose: bool, include_prerelease: bool) -> str:
    def replace(m: re.Match[str]) -> str:
        major, minor, patch, pre = m.group(1, 2, 3, 4)
        return _caret(major, minor, patch, pre, include_prerelease)

    return (tokens.CARETLOOSE if loose else tokens.CARET).sub(replace, comp, count=1)


def _tilde(
    major: str | None, minor: str | None, patch: str | None, pre: str | None, include_prerelease: bool
) -> str:
    z = "-0" if include_prerelease else ""
    if _is_x(major):
        return ""
    assert major is not None
    if _is_x(minor):
        return f">={major}.0.0{z} <{increment(major)}.0.0-0"
    assert minor is not None
    if _is_x(patch):
        return f">={major}.{minor}.0{z} <{major}.{increment(minor)}.0-0"
    if pre:
        return f">={major}.{minor}.{patch}-{pre} <{major}.{increment(minor)}.0-0"
    return f">={major}.{minor}.{patch} <{major}.{increment(minor)}.0-0"


def _replace_tilde(comp: str, loose: bool, include_prerelease: bool) -> str:
    if not comp.startswith("~"):
        return comp
    plain = _PLAIN_PARTIAL.match(comp, 1)
    if plain is not None:
        major, minor, patch = plain.group(1, 2, 3)
        return _tilde(major, minor, patch, None, include_prerelease)
    return _replace_tilde_by_pattern(comp, loose, include_prerelease)


def _replace_tilde_by_pattern(comp: str, loose: bool, include_prerelease: bool) -> str:
    def replace(m: re.Match[str]) -> str:
        major, minor, patch, pre = m.group(1, 2, 3, 4)
        return _tilde(major, minor, patch, pre, include_prerelease)

    return (tokens.TILDELOOSE if loose else tokens.TILDE).sub(replace, comp, count=1)


def _x_range(
    whole: str,
    gtlt: str,
    major: str | None,
    minor: str | None,
    patch: str | None,
    include_prerelease: bool,
) -> str:
    """`whole` is the word the x-range is (what comes back when it is a plain version)."""
    if _invalid_x_range_order(major, minor, patch):
        return whole
    x_major = _is_x(major)
    x_minor = x_major or _is_x(minor)
    x_patch = x_minor or _is_x(patch)
    if gtlt == "=" and x_patch:
        gtlt = ""
    pre = "-0" if include_prerelease else ""
    if x_major:
        # `>*` and `<*` allow nothing; anything else with a major x allows everything
        return "<0.0.0-0" if gtlt in (">", "<") else "*"
    assert major is not None
    if gtlt and x_patch:
        if x_minor:
            minor = "0"
        patch = "0"
        if gtlt == ">":
            # >1 => >=2.0.0, >1.2 => >=1.3.0
            gtlt = ">="
            if x_minor:
                major = increment(major)
                minor = "0"
            else:
                assert minor is not None
                minor = increment(minor)
            patch = "0"
        elif gtlt == "<=":
            # <=0.7.x is <0.8.0-0: every 0.7.x passes
            gtlt = "<"
            if x_minor:
                major = increment(major)
            else:
                assert minor is not None
                minor = increment(minor)
        if gtlt == "<":
            pre = "-0"
        return f"{gtlt}{major}.{minor}.{patch}{pre}"
    if x_minor:
        return f">={major}.0.0{pre} <{increment(major)}.0.0-0"
    if x_patch:
        assert minor is not None
        return f">={major}.{minor}.0{pre} <{major}.{increment(minor)}.0-0"
    return whole


def _replace_x_range(comp: str, loose: bool, include_prerelease: bool) -> str:
    comp = trim(comp)
    if tokens.SIMPLE_COMPARATOR.match(comp):
        return comp  # all three parts are numbers: the x-range rewrite gives the text back
    if comp == "*":
        return "*"  # XRANGE's major is `*`: everything (as `_x_range` says)
    plain = _PLAIN_X_RANGE.match(comp)
    if plain is not None:
        gtlt, major, minor, patch = plain.group(1, 2, 3, 4)
        return _x_range(comp, gtlt, major, minor, patch, include_prerelease)
    return _replace_x_range_by_pattern(comp, loose, include_prerelease)


def _replace_x_range_by_pattern(comp: str, loose: bool, include_prerelease: bool) -> str:
    def replace(m: re.Match[str]) -> str:
        major, minor, patch = m.group(2, 3, 4)
        return _x_range(m.group(0), m.group(1) or "", major, minor, patch, include_prerelease)

    return (tokens.XRANGELOOSE if loose else tokens.XRANGE).sub(replace, comp, count=1)


def _each_word(
    comp: str, replace: Callable[[str, bool, bool], str], loose: bool, include_prerelease: bool
) -> str:
    words = split_whitespace(trim(comp))
    return " ".join(replace(word, loose, include_prerelease) for word in words)


def parse_comparator(comp: str, loose: bool, include_prerelease: bool) -> str:
    """One space-separated word of a range to comparator text (`parseComparator`)."""
    if "+" in comp:
        comp = tokens.BUILD.sub("", comp, count=1)
    comp = _each_word(comp, _replace_caret, loose, include_prerelease)
    comp = _each_word(comp, _replace_tilde, loose, include_prerelease)
    comp = " ".join(_replace_x_range(word, loose, include_prerelease) for word in split_whitespace(comp))
    # `*` is ANDed with everything else, and '' already means any version: drop it.
    comp = trim(comp)
    if comp == "*":
        return ""  # what STAR's substitution leaves of it
    return tokens.STAR.sub("", comp, count=1) if "*" in comp else comp


def replace_gte0(comp: str, include_prerelease: bool) -> str:
    """`>=0.0.0` (or `>=0.0.0-0` with includePrerelease) is the same as `*`."""
    comp = trim(comp)
    if "0.0.0" not in comp:
        return comp
    pattern = tokens.GTE0PRE if include_prerelease else tokens.GTE0
    return pattern.sub("", comp, count=1)


def desugar(text: str, loose: bool, include_prerelease: bool) -> list[str]:
    """One `||` part of a range to comparator strings, before validation (the start of parseRange)."""
    if "+" in text:
        text = tokens.BUILDSTRIP.sub("", text)
    text = hyphen_replace(text, loose, include_prerelease)
    if WHITESPACE_RE.search(text) and _trimmable().search(text):
        text = _trim_comparators(text)
    if _spaced(text, "~") or _spaced(text, "~>"):
        text = tokens.TILDETRIM.sub(tokens.TILDE_TRIM_REPLACE, text)
    if _spaced(text, "^"):
        text = tokens.CARETTRIM.sub(tokens.CARET_TRIM_REPLACE, text)
    joined = " ".join(parse_comparator(word, loose, include_prerelease) for word in text.split(" "))
    return [replace_gte0(word, include_prerelease) for word in split_whitespace(joined)]
