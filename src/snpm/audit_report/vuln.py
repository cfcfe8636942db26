"""One vulnerable package of a tree: arborist's vuln.js.

A `Vuln` gathers the advisories (and metavulns) against one package name, the nodes they hit, the
vulns it is caused by (`via`) and the ones it causes (`effects`), and whether a fix is available:

    True                 `npm audit fix` fixes it (a version within the dependency's range)
    False                no fix
    FixAvailable(...)    `npm audit fix --force` installs name@version (semver-major or not)

Setting `fix_available` passes the "strictest" value down to every `via` (npm's setter), so the
report shows a metavuln's forced fix on the packages it depends on. The severity is the highest of
the advisories'; the range is theirs joined with ` || `, simplified on first display.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import msgspec

from snpm import semver
from snpm.ecmascript.collation import locale_compare_key
from snpm.ecmascript.values import to_string
from snpm.json_types import JsonObject, JsonValue
from snpm.spec import AliasSpec, parse_spec

if TYPE_CHECKING:
    from snpm.audit_report.advisory import Advisory
    from snpm.tree.node import Node

__all__ = ["SEVERITY_RANK", "FixAvailable", "FixBlocked", "Vuln", "registry_range"]

_OPTS: Final = {"include_prerelease": True, "loose": True}
SEVERITY_RANK: Final[dict[str | None, int]] = {
    "info": 0,
    "low": 1,
    "moderate": 2,
    "high": 3,
    "critical": 4,
    None: -1,
}


class FixAvailable(msgspec.Struct, frozen=True, eq=False):
    """A fix that needs `--force`: installing `name@version` (compared by identity, as npm does).
    `is_semver_major` is None when npm leaves it undefined (dropped from the JSON)."""

    name: str
    version: str
    is_semver_major: bool | None

    def to_json(self) -> JsonObject:
        out: JsonObject = {"name": self.name, "version": self.version}
        if self.is_semver_major is not None:
            out["isSemVerMajor"] = self.is_semver_major
        return out


class FixBlocked(msgspec.Struct, frozen=True):
    """A fix within range that `before`/`min-release-age` keeps out of reach."""

    version: str
    before: str

    def to_json(self) -> JsonObject:
        return {"version": self.version, "before": self.before}


Fix = bool | FixAvailable


def registry_range(spec: str) -> str | None:
    """npa(spec): the range to test for a registry spec (an alias's target range), None when the
    spec is not a registry one (git, file, url: whatever is there cannot be picked differently)."""
    try:
        parsed = parse_spec(spec)
    except (ValueError, Exception):  # npa throws on unsupported specs
        return None
    if not parsed.registry:
        return None
    if isinstance(parsed, AliasSpec):
        return parsed.sub_spec.raw_spec
    return spec


def _js_string(value: JsonValue) -> str:
    return to_string(value)


class Vuln:
    """vuln.js."""

    def __init__(self, name: str, advisory: Advisory) -> None:
        self.name = name
        self.via: dict[Vuln, None] = {}
        self.advisories: dict[Advisory, None] = {}
        self.severity: str | None = None
        self.effects: dict[Vuln, None] = {}
        self.top_nodes: dict[Node, None] = {}
        self.nodes: dict[Node, None] = {}
        self.fix_blocked: FixBlocked | None = None
        self._range: str | None = None
        self._simple_range: str | None = None
        # assume a fix is available unless a top node locks the package in place
        self._fix: Fix = True
        self.add_advisory(advisory)
        self.packument = advisory.packument
        self.versions = advisory.versions

    # ── fixes ──

    @property
    def fix_available(self) -> Fix:
        return self._fix

    @fix_available.setter
    def fix_available(self, fix: Fix) -> None:
        self._fix = fix
        # the vulns this one is caused by take the strictest fix: false, then a semver-major forced
        # fix, then any forced fix, then true
        for via in self.via:
            current = via.fix_available
            if current is fix:
                continue  # npm compares with ===: this also stops loops
            if (
                fix is False
                or current is True
                or (
                    isinstance(fix, FixAvailable)
                    and (not isinstance(current, FixAvailable) or not current.is_semver_major)
                )
            ):
                via.fix_available = fix

    @property
    def is_direct(self) -> bool:
        for node in self.nodes:
            for edge in node.edges_in:
                source = edge.from_
                if source is not None and (source.is_project_root or source.is_workspace):
                    return True
        return False

    def test_spec(self, spec: str) -> bool:
        """Whether every version `spec` allows is vulnerable (True for non-registry specs)."""
        wanted = registry_range(spec)
        if wanted is None:
            return True
        vulnerable = self.range
        for version in self.versions:
            if semver.satisfies(version, wanted) and not semver.satisfies(version, vulnerable, **_OPTS):
                return False
        return True

    # ── via / effects ──

    def add_via(self, vuln: Vuln) -> None:
        self.via[vuln] = None
        vuln.effects[self] = None
        # run the setter again: vias may arrive after the fix was set
        self.fix_available = self.fix_available

    def delete_via(self, vuln: Vuln) -> None:
        self.via.pop(vuln, None)
        vuln.effects.pop(self, None)

    # ── advisories ──

    def add_advisory(self, advisory: Advisory) -> None:
        self.advisories[advisory] = None
        self._range = None
        self._simple_range = None
        rank = SEVERITY_RANK.get(advisory.severity) if isinstance(advisory.severity, str) else None
        if rank is not None and rank > SEVERITY_RANK[self.severity]:
            self.severity = str(advisory.severity)

    def delete_advisory(self, advisory: Advisory) -> None:
        self.advisories.pop(advisory, None)
        self.severity = None
        self._range = None
        self._simple_range = None
        for remaining in list(self.advisories):
            self.add_advisory(remaining)
        dependencies = {a.dependency for a in self.advisories}
        for via in list(self.via):
            if via.name not in dependencies:
                self.delete_via(via)

    @property
    def range(self) -> str:
        if not self._range:
            self._range = " || ".join(a.range if a.range is not None else "" for a in self.advisories)
        return self._range

    @property
    def simple_range(self) -> str:
        if self._simple_range and self._simple_range == self._range:
            return self._simple_range
        first = next(iter(self.advisories))
        simple = semver.simplify_range(first.versions, self.range, **_OPTS)
        self._simple_range = simple if isinstance(simple, str) else simple.raw
        self._range = self._simple_range
        return self._simple_range

    def is_vulnerable(self, node: Node) -> bool:
        """Whether `node` is hit (it then joins the nodes)."""
        if node in self.nodes:
            return True
        version = node.package.get("version")
        if not version or not isinstance(version, str):
            return False
        for advisory in self.advisories:
            if advisory.test_version(version):
                self.nodes[node] = None
                return True
        return False

    # ── report ──

    def to_json(self) -> JsonObject:
        via: list[JsonValue] = [
            a.dependency if a.type == "metavuln" else a.to_json() for a in self.advisories
        ]
        via.sort(key=lambda v: locale_compare_key(_via_key(v)))
        effects: list[str] = sorted((v.name for v in self.effects), key=locale_compare_key)
        nodes: list[str] = sorted((n.location for n in self.nodes), key=locale_compare_key)
        out: JsonObject = {
            "name": self.name,
            "severity": self.severity,
            "isDirect": self.is_direct,
            "via": via,
            "effects": list[JsonValue](effects),
            "range": self.simple_range,
            "nodes": list[JsonValue](nodes),
            "fixAvailable": self._fix.to_json() if isinstance(self._fix, FixAvailable) else self._fix,
        }
        if self.fix_blocked is not None:
            out["fixBlockedByReleaseAge"] = self.fix_blocked.to_json()
        return out


def _via_key(value: JsonValue) -> str:
    """`String(a.source || a)`: an advisory's source id, or the metavuln's dependency name."""
    if isinstance(value, dict):
        source = value.get("source")
        if source is not None and source is not False and source != 0 and source != "":
            return _js_string(source)
        return "[object Object]"
    return _js_string(value)
