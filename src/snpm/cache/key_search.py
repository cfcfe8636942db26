"""Which cache keys `npm cache ls <spec>` shows, and the order npm prints keys in.

A port of `searchCachePackage` in npm's lib/commands/cache.js: tarball keys are recognised by npm's
own regex (name pasted in as regex source, quirks included: a scoped tarball is only found through
its packument, and `http://localhost/foo/-/foo-1.0.0.tgz` is not a tarball of `foo`), packument keys
by their escaped name, and a cached packument adds the tarball keys of its matching versions.

The order is `localeCompare('en')` (ICU collation), approximated exactly enough for URL-like keys.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import msgspec

from snpm.cache import content, index
from snpm.errors import SnpmError
from snpm.spec.parse import parse_spec

__all__ = ["MFH_PREFIX", "SpecQuery", "locale_sort_key", "parse_spec_query", "search_cache_package"]

MFH_PREFIX = "make-fetch-happen:request-cache:"
# ASCII in the order ICU's root collation (Intl.Collator('en'), which npm's
# @isaacs/string-locale-compare uses) gives it at the primary level; letters pair up by case. Other
# control characters are ignorable.
_ICU_ASCII_ORDER = (
    "\t\n\v\f\r\x85 _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789"
    "aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpPqQrRsStTuUvVwWxXyYzZ"
)
_PRIMARY: dict[str, int] = {}
for _ch in _ICU_ASCII_ORDER:
    _PRIMARY.setdefault(_ch, len(_PRIMARY) if _ch.lower() not in _PRIMARY else _PRIMARY[_ch.lower()])
_PRIMARY["\xa0"] = _PRIMARY[" "]
del _ch
_LINE_TERMINATORS = "\n\r\u2028\u2029"
_JS_DOT = f"[^{_LINE_TERMINATORS}]"
_NAME_RUN = frozenset("@abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def locale_sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], str]:
    """Sort key approximating `Intl.Collator('en').compare` (exact for ASCII).

    Levels as in ICU: primary (ICU's order of spaces, punctuation, symbols, digits, then letters
    without case or accents), secondary (accents), tertiary (lowercase before uppercase). Control
    characters are ignorable; characters outside Latin sort after the letters by code point.
    """
    primary: list[int] = []
    secondary: list[int] = []
    tertiary: list[int] = []
    for ch in text:
        weight = _PRIMARY.get(ch)
        accent = 0
        if weight is None:
            code = ord(ch)
            if code < 0x20 or code == 0x7F:
                continue
            decomposed = unicodedata.normalize("NFD", ch)
            weight = _PRIMARY.get(decomposed[0])
            if weight is None or len(decomposed) == 1:
                weight = 1000 + code
            else:
                accent = sum(ord(mark) for mark in decomposed[1:])
        primary.append(weight)
        secondary.append(accent)
        tertiary.append(1 if ch.isupper() or ch == "\xa0" else 0)
    return tuple(primary), tuple(secondary), tuple(tertiary), text


@dataclass(frozen=True, slots=True)
class SpecQuery:
    """What `npm cache ls` reads off npm-package-arg's result for one spec."""

    type: str
    name: str | None
    escaped_name: str | None
    raw_spec: str


def parse_spec_query(spec: str) -> SpecQuery:
    """npa(spec) reduced to what `cache ls` reads; npa's errors (SpecError) pass through."""
    parsed = parse_spec(spec)
    return SpecQuery(
        type=parsed.type, name=parsed.name, escaped_name=parsed.escaped_name, raw_spec=parsed.raw_spec
    )


def _js_string(value: object) -> str:
    """What a JavaScript template literal makes of a JSON value (`${dist.tarball}`)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if value == int(value) else repr(value)
    if isinstance(value, list):
        return ",".join("" if v is None else _js_string(v) for v in value)
    return "[object Object]"


def _tarball_filename(key: str, name: str) -> str | None:
    """npm's searchMFH capture, or None when the key is not a tarball key for `name`.

    `^make-fetch-happen:request-cache:.*(?<!/[@a-zA-Z]+)/NAME/-/(NAME[^/]+.tgz)$` with the name
    pasted in as regex source, like npm. Python has no variable-width lookbehind, so the greedy
    `.*` is walked by hand from the right and the lookbehind is checked at each candidate.
    """
    if not key.startswith(MFH_PREFIX):
        return None
    try:
        tail = re.compile(f"/{name}/-/({name}[^/]+{_JS_DOT}tgz)\\Z")
    except re.error:
        return None
    start = len(MFH_PREFIX)
    if any(ch in _LINE_TERMINATORS for ch in key[start:]):
        return None
    for at in range(len(key) - 1, start - 1, -1):
        if key[at] != "/":
            continue
        match = tail.match(key, at)
        if match is None:
            continue
        run_start = at
        while run_start > 0 and key[run_start - 1] in _NAME_RUN:
            run_start -= 1
        if run_start < at and run_start > 0 and key[run_start - 1] == "/":
            continue  # (?<!/[@a-zA-Z]+): the path segment before is a scope or a host-like word
        return match.group(1)
    return None


def search_cache_package(
    cache_dir: Path,
    query: SpecQuery,
    cache_keys: Iterable[str],
    satisfies: Callable[[str, str], bool],
) -> list[str]:
    """npm's searchCachePackage: the keys of `cache_keys` that hold tarballs or packuments of `query`."""
    name = query.name if query.name is not None else "null"
    escaped = query.escaped_name if query.escaped_name is not None else "null"
    keys = dict.fromkeys(cache_keys)
    try:
        packument_re: re.Pattern[str] | None = re.compile(f"^{re.escape(MFH_PREFIX)}{_JS_DOT}*/{escaped}\\Z")
    except re.error:
        packument_re = None
    results: dict[str, None] = {}
    for key in keys:
        filename = _tarball_filename(key, name)
        if filename is not None:
            version = filename[:-4][len(name.split("/")[-1]) + 1 :]
            if satisfies(version, query.raw_spec):
                results[key] = None
            continue
        if packument_re is None or not packument_re.match(key):
            continue
        results[key] = None
        for tarball_key in _packument_tarball_keys(cache_dir, key, query.raw_spec, satisfies):
            if tarball_key in keys:
                results[tarball_key] = None
    return list(results)


def _packument_tarball_keys(
    cache_dir: Path, key: str, raw_spec: str, satisfies: Callable[[str, str], bool]
) -> list[str]:
    entry = index.find(cache_dir, key)
    if entry is None:
        return []
    try:
        packument = msgspec.json.decode(content.read(cache_dir, entry.integrity))
    except (SnpmError, msgspec.DecodeError):
        return []
    versions = packument.get("versions") if isinstance(packument, dict) else None
    if not isinstance(versions, dict):
        return []
    found: list[str] = []
    for version, manifest in versions.items():
        if not satisfies(version, raw_spec):
            continue
        dist = manifest.get("dist") if isinstance(manifest, dict) else None
        if isinstance(dist, dict) and "tarball" in dist:
            found.append(f"{MFH_PREFIX}{_js_string(dist['tarball'])}")
    return found
