"""The vulnerabilities of a tree: arborist's audit-report.js.

    load       POST {name: [versions]} (gzipped) to `/-/npm/v1/security/advisories/bulk` on the
               audit registry; any failure is kept as `error` (npm's audit command reports it, an
               install ignores it), and nothing is asked offline or for a tree with only its root
    init       calculate every advisory against its packument; mark the nodes it hits; walk up
               their dependents: a dependent that can only depend on vulnerable versions is a
               metavuln (and is walked in turn); a top node (root, workspace, link target) whose
               spec allows no safe version makes the vuln a "top vuln", fixable only by `--force`
               (to `FixAvailable(name, version, is_semver_major)`) or not at all
    to_json    npm's report: `auditReportVersion: 2`, vulnerabilities by name (ICU order),
               metadata counts (vulnerabilities by severity, dependencies by type)

The report is a map of name → Vuln in npm's insertion order (it decides the order of the forced
fixes `audit fix --force` applies). It also answers the ideal-tree builder (`is_vulnerable`,
`vulnerable_nodes`) for `npm audit fix`; `rebase` moves it onto the builder's copy of the tree,
which arborist never needs because it builds the ideal tree on the very tree it audited.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

import msgspec

from snpm.audit_report.advisory import Advisory, Calculator, PackumentFetch
from snpm.audit_report.vuln import Fix, FixAvailable, FixBlocked, Vuln, registry_range
from snpm.ecmascript.collation import locale_compare_key
from snpm.errors import SnpmError
from snpm.fetch.pick_manifest import PickOptions, pick_manifest
from snpm.json_types import JsonObject, JsonValue

if TYPE_CHECKING:
    from snpm.registry_client import RegistryClient
    from snpm.tree.node import Node

__all__ = [
    "BULK_PATH",
    "AuditOptions",
    "AuditReport",
    "BulkFetch",
    "bulk_from_client",
]

BULK_PATH: Final = "/-/npm/v1/security/advisories/bulk"
SEVERITIES: Final = ("info", "low", "moderate", "high", "critical")
_DEP_TYPES: Final = ("dev", "optional", "peer", "peerOptional")

BulkFetch = Callable[[JsonObject], Awaitable[JsonValue]]


def bulk_from_client(client: RegistryClient, registry: str) -> BulkFetch:
    """The bulk advisory request npm sends: the JSON body gzipped, to the audit registry."""

    async def fetch(body: JsonObject) -> JsonValue:
        response = await client.post(BULK_PATH, json=body, gzip=True, registry=registry)
        return response.json()

    return fetch


def _never_excluded(name: str) -> bool:
    return False


class AuditOptions(msgspec.Struct, frozen=True):
    """The flat options audit-report.js reads."""

    audit: bool = True
    offline: bool = False
    omit: frozenset[str] = frozenset()
    # pickManifest's options when looking for a forced fix
    default_tag: str = "latest"
    node_version: str | None = None
    npm_version: str | None = None
    # `before` / `min-release-age` (epoch ms) and `min-release-age-exclude`
    before_ms: float | None = None
    release_age_excluded: Callable[[str], bool] = _never_excluded
    # only these nodes are audited (workspaces); None or empty: all
    filter_set: Collection[Node] | None = None


def _iso(ms: float) -> str:
    when = datetime.fromtimestamp(ms / 1000, UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class AuditReport:
    """audit-report.js (a Map of package name → Vuln)."""

    def __init__(self, tree: Node, options: AuditOptions, packument: PackumentFetch) -> None:
        self.tree = tree
        self.options = options
        self.calculator = Calculator(packument)
        self.error: SnpmError | None = None
        self.report: JsonObject | None = None
        self.top_vulns: dict[str, Vuln] = {}
        self._vulns: dict[str, Vuln] = {}
        self._rebased = False

    @classmethod
    async def load(
        cls, tree: Node, options: AuditOptions, *, bulk: BulkFetch, packument: PackumentFetch
    ) -> AuditReport:
        report = cls(tree, options, packument)
        report.report = await report._get_report(bulk)
        if report.report is not None:
            await report._init()
        return report

    # ── the map ──

    def __len__(self) -> int:
        return len(self._vulns)

    def __iter__(self) -> Iterator[str]:
        return iter(self._vulns)

    def __contains__(self, name: object) -> bool:
        return name in self._vulns

    def get(self, name: str | None) -> Vuln | None:
        return self._vulns.get(name) if name is not None else None

    def values(self) -> list[Vuln]:
        return list(self._vulns.values())

    def items(self) -> list[tuple[str, Vuln]]:
        return list(self._vulns.items())

    # ── what the ideal-tree builder asks (snpm.tree.ideal AuditLike) ──

    def is_vulnerable(self, node: Node) -> bool:
        vuln = self._vulns.get(node.package_name or "")
        return vuln is not None and vuln.is_vulnerable(node)

    def vulnerable_nodes(self) -> Iterator[Node]:
        """Every node of every vuln, in npm's order (their dependents are re-resolved)."""
        for vuln in list(self._vulns.values()):
            yield from list(vuln.nodes)

    def avoid_range(self, name: str | None) -> str | None:
        """The range the builder steers away from for `name` (arborist #avoidRange)."""
        vuln = self.get(name)
        return vuln.range if vuln is not None else None

    def rebase(self, tree: Node) -> None:
        """Point the vulns at the nodes of another copy of the same tree (same locations), once."""
        if self._rebased or tree is self.tree:
            return
        self._rebased = True
        inventory = tree.inventory

        def moved(nodes: dict[Node, None]) -> dict[Node, None]:
            return {(inventory.get(node.location) or node): None for node in nodes}

        for vuln in self._vulns.values():
            vuln.nodes = moved(vuln.nodes)
            vuln.top_nodes = moved(vuln.top_nodes)
        self.tree = tree

    # ── loading ──

    def should_audit(self, node: Node) -> bool:
        if (
            not node.version
            or node.is_root
            or node.is_link
            or node.links_in
            or (self.options.filter_set and node not in self.options.filter_set)
        ):
            return False
        omit = self.options.omit
        return not omit or not node.should_omit(omit)

    def prepare_bulk_data(self) -> JsonObject:
        payload: JsonObject = {}
        inventory = self.tree.inventory
        for name in inventory.query_keys("packageName"):
            versions: dict[str, None] = {}
            for node in inventory.query("packageName", name):
                if self.should_audit(node):
                    versions[node.version] = None
            if versions and isinstance(name, str):
                payload[name] = list(versions)
        return payload

    async def _get_report(self, bulk: BulkFetch) -> JsonObject | None:
        options = self.options
        if not options.audit or options.offline or len(self.tree.inventory) == 1:
            return None
        body = self.prepare_bulk_data()
        if not body:
            # nothing to ask about: the answer would be empty
            return None
        try:
            answer = await bulk(body)
        except SnpmError as err:
            self.error = err
            return None
        return answer if isinstance(answer, dict) else {}

    async def _init(self) -> None:
        import asyncio

        report = self.report
        assert report is not None
        calculator = self.calculator
        pending: list[Awaitable[Advisory]] = []
        for name, advisories in report.items():
            for source in advisories if isinstance(advisories, list) else []:
                if isinstance(source, dict):
                    pending.append(calculator.calculate(name, source))
        # a JS Set iterated while it grows: new metavulns are visited too, each object once
        queue: list[Advisory] = []
        queued: set[Advisory] = set()
        for advisory in await asyncio.gather(*pending):
            if advisory not in queued:
                queued.add(advisory)
                queue.append(advisory)
        seen: set[str] = set()
        index = 0
        while index < len(queue):
            advisory = queue[index]
            index += 1
            name = advisory.name
            key = f"{name}@{advisory.range}"
            vuln = self._vulns.get(name)
            if vuln is None:
                vuln = Vuln(name, advisory)
                self._vulns[name] = vuln
            else:
                vuln.add_advisory(advisory)
            if key not in seen:
                metas = await self._mark_nodes(vuln, advisory)
                for meta in metas:
                    if meta not in queued:
                        queued.add(meta)
                        queue.append(meta)
                seen.add(key)
            if not vuln.nodes:
                # e.g. omitted by --omit: nothing here is hit after all
                self._vulns.pop(name, None)
                continue
            # drop the advisories that hit none of the nodes
            for candidate in list(vuln.advisories):
                if not any(candidate.test_version(n.version) for n in vuln.nodes):
                    vuln.delete_advisory(candidate)
        # every vuln exists now: link metavulns to the vulns they come from
        for vuln in list(self._vulns.values()):
            for candidate in list(vuln.advisories):
                if candidate.type == "metavuln":
                    via = self._vulns.get(candidate.dependency)
                    if via is not None:
                        vuln.add_via(via)

    async def _mark_nodes(self, vuln: Vuln, advisory: Advisory) -> list[Advisory]:
        """The nodes `advisory` hits join `vuln`; returns the metavulns found among their dependents."""
        checks: list[tuple[Node, str, Awaitable[Advisory]]] = []
        for node in self.tree.inventory.query("packageName", advisory.name):
            if not self.should_audit(node) or not advisory.test_version(node.version):
                continue
            if node in vuln.nodes:
                continue
            vuln.nodes[node] = None
            for edge in list(node.edges_in):
                dep = edge.from_
                if dep is None:
                    continue
                spec = edge.spec
                if dep.is_top and dep not in vuln.top_nodes:
                    vuln.fix_available = self._fix_available(vuln, spec)
                    if vuln.fix_available is not True:
                        # the top node holds it in place: only --force (or nothing) fixes it
                        self.top_vulns[vuln.name] = vuln
                        vuln.top_nodes[dep] = None
                    else:
                        vuln.fix_blocked = self._fix_blocked(vuln, spec)
                elif not dep.is_top and dep.package_name:
                    checks.append((dep, spec, self.calculator.calculate(dep.package_name, advisory)))
        found: list[Advisory] = []
        if checks:
            import asyncio

            metas = await asyncio.gather(*(calc for _dep, _spec, calc in checks))
            for (dep, spec, _calc), meta in zip(checks, metas, strict=True):
                if meta.test_version(dep.version, spec):
                    found.append(meta)
        return found

    # ── fixes ──

    def _pick_options(self, *, avoid: str | None, before: bool) -> PickOptions:
        options = self.options
        return PickOptions(
            default_tag=options.default_tag,
            before_ms=options.before_ms if before else None,
            node_version=options.node_version,
            npm_version=options.npm_version,
            avoid=avoid,
        )

    def _fix_available(self, vuln: Vuln, spec: str) -> Fix:
        """True when the spec allows a safe version; else the forced fix, or False."""
        if not vuln.test_spec(spec):
            return True
        wanted = registry_range(spec)
        if wanted is None or vuln.packument is None:
            return False
        loose = self._pick_options(avoid=vuln.range, before=False)
        try:
            picked = pick_manifest(vuln.packument, wanted, loose)
            is_major: bool | None = None
            if picked.should_avoid:
                # npm-pick-manifest's avoidStrict: a safe caret range of it, else any safe version
                caret = pick_manifest(vuln.packument, f"^{picked.manifest.get('version')}", loose)
                if not caret.should_avoid:
                    picked, is_major = caret, False
                else:
                    star = pick_manifest(vuln.packument, "*", loose)
                    if star.should_avoid:
                        return False
                    picked, is_major = star, True
        except SnpmError:
            return False
        name = picked.manifest.get("name")
        version = picked.manifest.get("version")
        return FixAvailable(
            name if isinstance(name, str) else vuln.name,
            version if isinstance(version, str) else "",
            is_major,
        )

    def _fix_blocked(self, vuln: Vuln, spec: str) -> FixBlocked | None:
        """A fix within range that the release-age window hides (so `audit fix` cannot apply it)."""
        options = self.options
        if options.before_ms is None or options.release_age_excluded(vuln.name):
            return None
        wanted = registry_range(spec) or spec
        if vuln.packument is None:
            return None
        before = _iso(options.before_ms)
        try:
            unlimited = pick_manifest(
                vuln.packument, wanted, self._pick_options(avoid=vuln.range, before=False)
            )
        except SnpmError:
            return None
        version = str(unlimited.manifest.get("version") or "")
        try:
            windowed = pick_manifest(
                vuln.packument, wanted, self._pick_options(avoid=vuln.range, before=True)
            )
        except SnpmError:
            return FixBlocked(version, before)
        return FixBlocked(version, before) if windowed.should_avoid else None

    # ── the report ──

    def to_json(self) -> JsonObject:
        counts: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
        deps = {"prod": 0, "dev": 0, "optional": 0, "peer": 0, "peerOptional": 0}
        inventory = self.tree.inventory
        for node in inventory.values():
            prod = True
            for dep_type in _DEP_TYPES:
                # arborist nodes have no `peerOptional` flag: that count stays 0
                if dep_type != "peerOptional" and getattr(node, dep_type):
                    deps[dep_type] += 1
                    prod = False
            if prod:
                deps["prod"] += 1
        vulnerabilities: list[tuple[str, JsonValue]] = []
        for name, vuln in self._vulns.items():
            vulnerabilities.append((name, vuln.to_json()))
            if vuln.severity in counts:
                counts[vuln.severity] += 1
        vulnerabilities.sort(key=lambda item: locale_compare_key(item[0]))
        severity_counts: JsonObject = {k: v for k, v in counts.items()}
        severity_counts["total"] = len(self._vulns)
        dependency_counts: JsonObject = {k: v for k, v in deps.items()}
        dependency_counts["total"] = len(inventory) - 1
        return {
            "auditReportVersion": 2,
            "vulnerabilities": dict(vulnerabilities),
            "metadata": {"vulnerabilities": severity_counts, "dependencies": dependency_counts},
        }
