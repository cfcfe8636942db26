"""Which cache keys `npm cache ls <spec>` shows.

A port of `searchCachePackage` in npm's lib/commands/cache.js: tarball keys are recognised by npm's
own regex (name pasted in as regex source, quirks included: a scoped tarball is only found through
its packument, and `http://localhost/foo/-/foo-1.0.0.tgz` is not a tarball of `foo`), packument keys
by their escaped name, and a cached packument adds the tarball keys of its matching versions.

The spec is npm-package-arg's result (`snpm.spec.parse_spec`); the order npm prints keys in is
`localeCompare('en')`, which is `snpm.ecmascript.collation.locale_compare_key`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

import msgspec

from snpm.cache import content, index
from snpm.errors import SnpmError
from snpm.spec import PackageSpec

__all__ = ["MFH_PREFIX", "search_cache_package"]

MFH_PREFIX = "make-fetch-happen:request-cache:"
_LINE_TERMINATORS = "\n\r\u2028\u2029"
_JS_DOT = f"[^{_LINE_TERMINATORS}]"
_NAME_RUN = frozenset("@abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


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
    spec: PackageSpec,
    cache_keys: Iterable[str],
    satisfies: Callable[[str, str], bool],
) -> list[str]:
    """npm's searchCachePackage: the keys of `cache_keys` that hold tarballs or packuments of `spec`."""
    # `${parsed.name}` in npm's regexes: a spec without a name (a path, a URL) pastes "null"
    name = spec.name if spec.name is not None else "null"
    escaped = spec.escaped_name if spec.escaped_name is not None else "null"
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
            if satisfies(version, spec.raw_spec):
                results[key] = None
            continue
        if packument_re is None or not packument_re.match(key):
            continue
        results[key] = None
        for tarball_key in _packument_tarball_keys(cache_dir, key, spec.raw_spec, satisfies):
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
