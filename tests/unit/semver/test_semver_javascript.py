"""The JS semantics only the node-semver port needs: `+x + 1` in snpm.semver.desugar and the ECMAScript
`\\s` in snpm.semver.tokens (the general ones are snpm.ecmascript's, tested in tests/unit/ecmascript)."""

from __future__ import annotations

from snpm.semver import tokens
from snpm.semver.desugar import increment


def test_increment_uses_double_arithmetic_past_two_to_the_53() -> None:
    assert increment("41") == "42"
    assert increment("9007199254740990") == "9007199254740991"
    assert increment("9007199254740992") == "9007199254740992"
    assert increment("123456789012345678901") == "123456789012345680000"
    assert increment("99999999999999999999999") == "1e+23"


def test_whitespace_in_ranges_is_javascripts() -> None:
    # the regexes use the ECMAScript `\s`: NBSP and U+2028 separate, U+001C does not
    assert tokens.COMPARATOR.search(">=\xa01.2.3")
    assert not tokens.COMPARATOR.search(">=\x1c1.2.3")


def test_regexes_keep_the_safe_bounds_and_javascript_anchors() -> None:
    # `\s*` is bounded to one character in node-semver's safeRe
    assert tokens.COMPARATOR.search(">= 1.2.3")
    assert not tokens.COMPARATOR.search(">=  1.2.3")
    # `$` must not match before a trailing newline, unlike Python's
    assert not tokens.FULL.match("1.2.3\n")
    assert tokens.FULL.match("1.2.3")
