"""The two pseudos that ask the registry: `:outdated(kind)` and `:vuln([severity=…], [cwe=…])`.

`:outdated` fetches each name's (abbreviated) packument once, lists its versions (filtered by
`before` unless the name is exempt), records them as the node's `queryContext.versions`, and keeps
nodes with a newer version: any, of a `major`/`minor`/`patch` difference, `in-range` or
`out-of-range` of some dependent's spec (recorded per dependent as `queryContext.outdated`). A
packument that cannot be fetched counts as no versions, with npm's warning.

`:vuln` posts the candidates' names and versions to the bulk advisory endpoint once and keeps
nodes with an advisory whose vulnerable range intersects their version (and matches the wanted
severities / CWEs); the node's `queryContext` becomes `{advisories}`.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import datetime

from snpm import semver
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.ops.query_engine.select import QueryContext
from snpm.tree import Node

__all__ = ["outdated_filter", "vuln_filter"]


def _time_ms(text: JsonValue) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000
    except ValueError:
        return None


async def _package_versions(name: str, context: QueryContext) -> list[str]:
    if context.packument is None:
        raise SnpmError("`:outdated` needs the registry, which this query was not given", code="ENOTSUP")
    try:
        packument = await context.packument(name)
    except SnpmError as err:
        context.warn("query", f"could not retrieve packument for {name}: {err.message}")
        return []
    versions = packument.get("versions")
    candidates = sorted(
        versions if isinstance(versions, dict) else {}, key=functools.cmp_to_key(semver.compare)
    )
    times = packument.get("time")
    if isinstance(times, dict) and context.before_ms is not None and not context.release_age_excluded(name):
        before = context.before_ms
        kept = []
        for version in candidates:
            when = _time_ms(times.get(version))
            if when is not None and when <= before:
                kept.append(version)
        candidates = kept
    return candidates


def _gt(a: str, b: str) -> bool:
    try:
        return semver.gt(a, b)
    except TypeError as err:
        raise SnpmError(str(err)) from None


async def outdated_filter(items: list[Node], kind: str, context: QueryContext) -> list[Node]:
    cache: dict[str, asyncio.Task[list[str]]] = {}

    async def check(node: Node) -> bool:
        if node.is_project_root or _truthy(node.package.get("private")):
            return False
        task = cache.get(node.name)
        if task is None:
            task = cache[node.name] = asyncio.ensure_future(_package_versions(node.name, context))
        available = await asyncio.shield(task)
        query_context = context.query_context(node)
        query_context["versions"] = list(available)
        greater = [v for v in available if _gt(v, node.version)]
        if not greater:
            return False
        if kind == "any":
            return True
        if kind in ("major", "minor", "patch"):
            return any(semver.diff(node.version, v) == kind for v in greater)
        if kind in ("in-range", "out-of-range"):
            wanted_in = kind == "in-range"
            found: list[JsonValue] = []
            for edge in node.edges_in:
                versions: list[JsonValue] = [
                    v for v in greater if semver.satisfies(v, edge.spec) == wanted_in
                ]
                if versions:
                    source = edge.from_
                    found.append(
                        {"from": source.location if source is not None else None, "versions": versions}
                    )
            if not found:
                return False
            previous = query_context.get("outdated")
            outdated: JsonObject = dict(previous) if isinstance(previous, dict) else {}
            outdated["inRange" if wanted_in else "outOfRange"] = found
            query_context["outdated"] = outdated
            return True
        return False

    matched = await asyncio.gather(*(check(node) for node in items))
    return [node for node, ok in zip(items, matched, strict=True) if ok]


async def vuln_filter(
    items: list[Node], vulns: list[dict[str, list[str]]] | None, context: QueryContext
) -> list[Node]:
    if not items:
        return items
    if context.vuln_cache is None:
        if context.advisories is None:
            raise SnpmError("`:vuln` needs the registry, which this query was not given", code="ENOTSUP")
        packages: JsonObject = {}
        for node in items:
            if node.is_project_root or _truthy(node.package.get("private")):
                continue
            listed = packages.setdefault(node.name, [])
            assert isinstance(listed, list)
            if node.version not in listed:
                listed.append(node.version)
        context.vuln_cache = await context.advisories(packages)
    advisories = context.vuln_cache
    found: list[Node] = []
    for item in items:
        entries = advisories.get(item.name)
        if not isinstance(entries, list):
            continue
        vulnerable = [a for a in entries if isinstance(a, dict) and _advisory_matches(a, item.version, vulns)]
        if vulnerable:
            context.contexts[item] = {"advisories": list(vulnerable)}
            found.append(item)
    return found


def _advisory_matches(advisory: JsonObject, version: str, vulns: list[dict[str, list[str]]] | None) -> bool:
    vulnerable_versions = advisory.get("vulnerable_versions")
    if not isinstance(vulnerable_versions, str) or not semver.intersects(vulnerable_versions, version):
        return False
    if not vulns:
        return True
    cwes = advisory.get("cwe")
    cwe_list = cwes if isinstance(cwes, list) else []
    for vuln in vulns:
        severity = vuln.get("severity")
        if severity and "*" not in severity and advisory.get("severity") not in severity:
            continue
        cwe = vuln.get("cwe")
        if cwe:
            if "*" in cwe:
                if not cwe_list:
                    continue
            elif not all(f"CWE-{c}" in cwe_list for c in cwe):
                continue
        return True
    return False


def _truthy(value: JsonValue) -> bool:
    return value not in (None, False, "", 0)
