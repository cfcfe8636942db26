"""One advisory against one package, with the versions it makes vulnerable: a port of
@npmcli/metavuln-calculator (advisory.js, get-dep-spec.js, hash.js and the Calculator of index.js).

An `Advisory` is either what the registry reported (`type == "advisory"`: its range is the
advisory's `vulnerable_versions`, `*` when missing) or a *metavuln*: a package whose versions
depend only on vulnerable versions of the advisory's package (`Depends on vulnerable versions of
x`). Loading it with the package's packument tests every published version, and a metavuln's range
is worked out from the versions found vulnerable (contiguous runs, then semver's simplifyRange).

The version walk is npm's, bisection and prerelease shortcuts included, because the ranges it
produces are printed (`dep-c  1.0.0 - 1.2.0`): a different walk could print a different range.
npm also caches calculated advisories in its cacache (`security-advisory:<name>:<id>`); the cache
only saves work between runs and never changes a result, so snpm calculates afresh each run.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from typing import Final

from snpm import semver
from snpm.json_types import JsonObject, JsonValue

__all__ = ["MISSING", "Advisory", "Calculator", "PackumentFetch", "dependency_spec"]

PackumentFetch = Callable[[str], Awaitable[JsonObject]]

_OPTS: Final = {"include_prerelease": True, "loose": True}
_PRERELEASE: Final = re.compile(r"-")


class _Missing:
    """JavaScript's `undefined` for advisory fields (dropped from JSON, unlike null)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


def _js_string(value: object) -> str:
    from snpm.ecmascript.values import to_string

    return "undefined" if value is MISSING else to_string(value)


def _js_json(value: object) -> str:
    """JSON.stringify for the id hash (ids are numbers or strings)."""
    if value is MISSING:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _hash(name: str, source: object) -> str:
    """hash.js: base64 sha512 of `JSON.stringify([name, source])`."""
    text = f"[{_js_json(name)},{_js_json(source)}]"
    return base64.b64encode(hashlib.sha512(text.encode()).digest()).decode()


def _field(source: JsonObject, key: str) -> JsonValue | _Missing:
    return source.get(key, MISSING)


def dependency_spec(manifest: JsonObject, name: str) -> str | None:
    """get-dep-spec.js: the spec `manifest` has for `name` (dependencies, then optional, then peer
    dependencies; devDependencies only matter at the root)."""
    for key in ("dependencies", "optionalDependencies", "peerDependencies"):
        deps = manifest.get(key)
        if isinstance(deps, dict):
            spec = deps.get(name)
            if isinstance(spec, str):
                return spec
    return None


def _is_prerelease(version: str) -> bool:
    return _PRERELEASE.search(version) is not None


def _sort(versions: list[str]) -> list[str]:
    return semver.sort(versions, loose=True, include_prerelease=True)


class Advisory:
    """advisory.js. `source` is the registry's advisory (a JSON object) or, for a metavuln, the
    Advisory of the dependency."""

    id: str
    name: str
    severity: JsonValue

    def __init__(self, name: str, source: JsonObject | Advisory) -> None:
        self._source = source
        if isinstance(source, Advisory):
            self.source: JsonValue | _Missing = source.id
            dependency = source.name
            severity: JsonValue = source.severity or "high"
        else:
            self.source = source.get("id", MISSING)
            if not source.get("name"):
                source["name"] = name
            raw_name = source.get("name")
            dependency = raw_name if isinstance(raw_name, str) else name
            severity = source.get("severity") or "high"
        self.name = name
        self.dependency = dependency
        self.title: JsonValue | _Missing
        self.url: JsonValue | _Missing
        if self.type == "advisory":
            assert isinstance(source, dict)
            self.title = _field(source, "title")
            self.url = _field(source, "url")
        else:
            self.title = f"Depends on vulnerable versions of {dependency}"
            self.url = None
        self.severity = severity
        self.versions: list[str] = []
        self.vulnerable_versions: list[str] = []
        if isinstance(source, Advisory):
            self.cwe: JsonValue | _Missing = source.cwe
            self.cvss: JsonValue | _Missing = source.cvss
        else:
            self.cwe = _field(source, "cwe")
            self.cvss = _field(source, "cvss")
        self.range: str | None
        if self.type == "advisory":
            assert isinstance(source, dict)
            raw_range = source.get("vulnerable_versions")
            self.range = raw_range if isinstance(raw_range, str) and raw_range else "*"
        else:
            self.range = None
        self.id = _hash(name, self.source)
        self._packument: JsonObject | None = None
        self._version_memo: dict[str, bool] = {}
        self._spec_memo: dict[str, bool] = {}
        self.updated = False

    @property
    def type(self) -> str:
        return "advisory" if self.dependency == self.name else "metavuln"

    @property
    def packument(self) -> JsonObject | None:
        return self._packument

    def to_json(self) -> JsonObject:
        """The advisory as npm's report lists it under `via` (versions and id left out)."""
        out: JsonObject = {} if isinstance(self.source, _Missing) else {"source": self.source}
        out["name"] = self.name
        out["dependency"] = self.dependency
        for key, value in (
            ("title", self.title),
            ("url", self.url),
            ("severity", self.severity),
            ("cwe", self.cwe),
            ("cvss", self.cvss),
            ("range", self.range),
        ):
            if not isinstance(value, _Missing):
                out[key] = value
        return out

    # ── loading ──

    def load(self, packument: JsonObject) -> Advisory:
        """Test every version of the package (`load(cached = {}, packument)`: nothing cached)."""
        if self._packument is not None:
            raise RuntimeError("advisory object already loaded")
        self._packument = packument
        versions = packument.get("versions")
        self.versions = _sort(
            [v for v in (versions if isinstance(versions, dict) else {}) if semver.valid(v, loose=True)]
        )
        # nothing cached: an advisory's range and a metavuln's source always count as changed
        self.vulnerable_versions = []
        self.updated = True
        self._test_versions(self.versions)
        self.vulnerable_versions = _sort(self.vulnerable_versions)
        if self.type == "metavuln":
            self._calculate_range()
        return self

    def _calculate_range(self) -> None:
        """The range of vulnerable versions: contiguous runs (`a - b`, `>=a` to the end), then
        simplifyRange, `<0.0.0-0` when nothing is vulnerable."""
        versions = self.versions = _sort(self.versions)
        vulnerable = self.vulnerable_versions = _sort(self.vulnerable_versions)
        ranges: list[str] = []
        v = 0
        vuln_ver = 0
        count = len(versions)
        while v < count:
            vr = [versions[v]]
            while v < count:
                if vuln_ver >= len(vulnerable) or versions[v] != vulnerable[vuln_ver]:
                    # prerelease versions are not tested: step over them
                    if _is_prerelease(versions[v]):
                        v += 1
                        continue
                    break
                if len(vr) > 1:
                    vr[1] = versions[v]
                else:
                    vr.append(versions[v])
                v += 1
                vuln_ver += 1
            if len(vr) > 1:
                tail = versions[-1]
                ranges.append(f">={vr[0]}" if vr[1] == tail else vr[0] if vr[0] == vr[1] else " - ".join(vr))
            v += 1
        metavuln = " || ".join(ranges).strip()
        if not metavuln:
            self.range = "<0.0.0-0"
        else:
            simple = semver.simplify_range(versions, metavuln, **_OPTS)
            self.range = simple if isinstance(simple, str) else simple.raw

    # ── testing ──

    def test_version(self, version: str, spec: str | None = None) -> bool:
        """Whether `version` is vulnerable (memoised by version; `spec` is the dependency's spec
        for a metavuln version missing from the packument)."""
        memo = self._version_memo.get(version)
        if memo is not None:
            return memo
        result = self._test_version(version, spec)
        if result:
            self._mark_vulnerable(version)
        self._version_memo[version] = result
        return result

    def _mark_vulnerable(self, version: str) -> None:
        if version not in self.vulnerable_versions:
            self.vulnerable_versions.append(version)

    def _test_version(self, version: str, spec: str | None) -> bool:
        if version in self.vulnerable_versions:
            return True
        if self.type == "advisory":
            return semver.satisfies(version, self.range or "*", **_OPTS)
        source = self._source
        assert isinstance(source, Advisory)
        versions = (self._packument or {}).get("versions")
        found = versions.get(version) if isinstance(versions, dict) else None
        manifest: JsonObject
        if isinstance(found, dict):
            manifest = found
        elif found is None or found is False or found == 0 or found == "":
            manifest = {"dependencies": {self.dependency: spec}}
        else:
            manifest = {}
        if not spec:
            spec = dependency_spec(manifest, self.dependency)
        if spec is None:
            return False
        if semver.valid_range(spec, **_OPTS) is None:
            # not a semver range: nothing can be said about it
            return True
        bundled_names = manifest.get("bundleDependencies")
        if isinstance(bundled_names, list):
            bundled = source.name in bundled_names
        elif isinstance(bundled_names, str):
            bundled = source.name in bundled_names  # String#includes
        else:
            bundled = False
        if bundled:
            try:
                return semver.intersects(spec, source.range or "*", **_OPTS)
            except TypeError:
                return False
        return source.test_spec(spec)

    def test_spec(self, spec: str) -> bool:
        """Whether every version `spec` can resolve to is vulnerable (or none exists)."""
        memo = self._spec_memo.get(spec)
        if memo is not None:
            return memo
        result = True
        for version in self.versions:
            if semver.satisfies(version, spec, **_OPTS) and not self.test_version(version):
                result = False
                break
        self._spec_memo[spec] = result
        return result

    def _test_versions(self, versions: list[str]) -> None:
        """Test a sorted list of versions by bisection: per major.minor group, when the first and
        the last are vulnerable everything between is; prereleases take their neighbours' answer."""
        if not versions:
            return
        parsed = semver.sort([p for p in (semver.parse(v, **_OPTS) for v in versions) if p is not None])
        sets: list[list[str]] = []
        last: tuple[int, int] | None = None
        current: list[str] = []
        for item in parsed:
            key = (item.major, item.minor)
            if key != last:
                last = key
                current = []
                sets.append(current)
            current.append(item.version)
        index = 0
        while index < len(sets):
            self._test_set(sets[index], sets)
            index += 1

    def _test_set(self, group: list[str], sets: list[list[str]]) -> None:
        size = len(group)
        h = 0
        orig_head = self.test_version(group[h])
        while h < size and _is_prerelease(group[h]):
            h += 1
        if h == size:
            h = 0
        elif orig_head:
            for hh in range(h):
                self._mark_vulnerable(group[hh])
        t = size - 1
        orig_tail = self.test_version(group[t])
        while t > h and _is_prerelease(group[t]):
            t -= 1
        if t == h:
            t = size - 1
        elif orig_tail:
            for tt in range(size - 1, t, -1):
                self._mark_vulnerable(group[tt])
        head_vuln = orig_head if h == 0 else self.test_version(group[h])
        tail_vuln = orig_tail if t == size - 1 else self.test_version(group[t])
        if head_vuln and tail_vuln:
            for v in range(h, t):
                self._mark_vulnerable(group[v])
            return
        if t < h + 2:
            return
        mid = size // 2
        pre = group[:mid]
        post = group[mid:]
        if not _is_prerelease(pre[0]):
            mid_vuln = self.test_version(pre[-1])
            while pre and _is_prerelease(pre[-1]):
                popped = pre.pop()
                if mid_vuln:
                    self._mark_vulnerable(popped)
        if not _is_prerelease(post[-1]):
            mid_vuln = self.test_version(post[0])
            while post and _is_prerelease(post[0]):
                shifted = post.pop(0)
                if mid_vuln:
                    self._mark_vulnerable(shifted)
        sets.append(pre)
        sets.append(post)


class Calculator:
    """index.js: advisories calculated once per (package, source) for the run, each package's
    packument fetched once (a failed fetch is an empty packument: every version is unknown)."""

    def __init__(self, packument: PackumentFetch) -> None:
        self._fetch = packument
        self._packuments: dict[str, asyncio.Future[JsonObject]] = {}
        self._advisories: dict[str, asyncio.Future[Advisory]] = {}

    async def calculate(self, name: str, source: JsonObject | Advisory) -> Advisory:
        source_id = source.id if isinstance(source, Advisory) else source.get("id", MISSING)
        key = f"security-advisory:{name}:{_js_string(source_id)}"
        pending = self._advisories.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._calculate(name, source))
            self._advisories[key] = pending
        return await asyncio.shield(pending)

    async def _calculate(self, name: str, source: JsonObject | Advisory) -> Advisory:
        advisory = Advisory(name, source)
        packument = await self._packument(name)
        return advisory.load(packument)

    async def _packument(self, name: str) -> JsonObject:
        pending = self._packuments.get(name)
        if pending is None:
            pending = asyncio.ensure_future(self._load_packument(name))
            self._packuments[name] = pending
        return await asyncio.shield(pending)

    async def _load_packument(self, name: str) -> JsonObject:
        try:
            packument = await self._fetch(name)
        except Exception:  # npm: "presumably not something from the registry"
            return {"name": name, "versions": {}}
        if packument.get("name") != name:
            # advisory.js refuses a packument of another name; the calculation then fails as a whole
            return {"name": name, "versions": {}}
        return packument
