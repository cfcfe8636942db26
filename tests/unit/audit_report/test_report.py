"""snpm.audit_report.AuditReport on trees read from lockfiles (no network: the bulk answer and the
packuments are canned). The expected values are what arborist's audit-report.js gives for the same
trees (checked against npm 11.19.1 in tests/e2e/test_audit_differential.py)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from snpm.audit_report import AuditOptions, AuditReport, FixAvailable
from snpm.errors import HttpError
from snpm.json_types import JsonObject, JsonValue
from snpm.tree.lockfile_bridge import load_tree
from snpm.tree.node import Node


def _project(tmp_path: Path, package: dict[str, Any], packages: dict[str, dict[str, Any]]) -> Node:
    (tmp_path / "package.json").write_text(json.dumps(package, indent=2))
    root_entry = {
        k: v for k, v in package.items() if k in ("name", "version", "dependencies", "devDependencies")
    }
    lock = {
        "name": package.get("name"),
        "version": package.get("version"),
        "lockfileVersion": 3,
        "requires": True,
        "packages": {"": root_entry, **packages},
    }
    (tmp_path / "package-lock.json").write_text(json.dumps(lock, indent=2))
    return load_tree(str(tmp_path))


def _packument(name: str, versions: dict[str, dict[str, Any]]) -> JsonObject:
    latest = max(versions, key=lambda v: tuple(int(p) for p in v.split(".")))
    return {
        "name": name,
        "dist-tags": {"latest": latest},
        "versions": {v: {"name": name, "version": v, **m} for v, m in versions.items()},
    }


PACKUMENTS: dict[str, JsonObject] = {
    "leaky": _packument("leaky", {"1.0.0": {}, "1.0.1": {}}),
    "old": _packument("old", {"1.0.0": {}, "2.0.0": {}}),
    "old-user": _packument(
        "old-user",
        {"1.0.0": {"dependencies": {"old": "^1.0.0"}}, "2.0.0": {"dependencies": {"old": "^2.0.0"}}},
    ),
    "lowpkg": _packument("lowpkg", {"1.0.0": {}, "1.0.1": {}}),
    "crit": _packument("crit", {"1.0.0": {}}),
}

ADVISORIES: dict[str, list[JsonValue]] = {
    "leaky": [
        {
            "id": 1,
            "title": "Leak",
            "url": "https://e.test/1",
            "severity": "moderate",
            "vulnerable_versions": "<1.0.1",
        }
    ],
    "old": [
        {
            "id": 2,
            "title": "Old",
            "url": "https://e.test/2",
            "severity": "high",
            "vulnerable_versions": "<2.0.0",
        }
    ],
    "lowpkg": [
        {
            "id": 3,
            "title": "Low",
            "url": "https://e.test/3",
            "severity": "low",
            "vulnerable_versions": "<1.0.1",
        }
    ],
    "crit": [
        {
            "id": 4,
            "title": "Crit",
            "url": "https://e.test/4",
            "severity": "critical",
            "vulnerable_versions": "*",
        }
    ],
}


def _load(
    tree: Node, options: AuditOptions | None = None, asked: list[JsonObject] | None = None
) -> AuditReport:
    async def bulk(body: JsonObject) -> JsonValue:
        if asked is not None:
            asked.append(body)
        return {name: ADVISORIES[name] for name in body if name in ADVISORIES}

    async def packument(name: str) -> JsonObject:
        if name not in PACKUMENTS:
            raise HttpError("404 Not Found", status=404)
        return PACKUMENTS[name]

    return asyncio.run(AuditReport.load(tree, options or AuditOptions(), bulk=bulk, packument=packument))


@pytest.fixture
def mixed(tmp_path: Path) -> Node:
    return _project(
        tmp_path,
        {
            "name": "app",
            "version": "1.0.0",
            "dependencies": {"leaky": "^1.0.0", "old": "^1.0.0", "lowpkg": "1.0.0"},
            "devDependencies": {"old-user": "^1.0.0"},
        },
        {
            "node_modules/leaky": {"version": "1.0.0"},
            "node_modules/old": {"version": "1.0.0"},
            "node_modules/lowpkg": {"version": "1.0.0"},
            "node_modules/old-user": {"version": "1.0.0", "dev": True, "dependencies": {"old": "^1.0.0"}},
        },
    )


def test_bulk_request_lists_every_audited_version(mixed: Node) -> None:
    asked: list[JsonObject] = []
    _load(mixed, asked=asked)
    assert asked == [{"leaky": ["1.0.0"], "old": ["1.0.0"], "lowpkg": ["1.0.0"], "old-user": ["1.0.0"]}]


def test_omit_dev_leaves_dev_dependencies_out(mixed: Node) -> None:
    asked: list[JsonObject] = []
    report = _load(mixed, AuditOptions(omit=frozenset({"dev"})), asked)
    assert "old-user" not in asked[0]
    assert sorted(report) == ["leaky", "lowpkg", "old"]


def test_fixes_in_range_forced_and_metavulns(mixed: Node) -> None:
    report = _load(mixed)
    assert sorted(report) == ["leaky", "lowpkg", "old", "old-user"]
    leaky, lowpkg, old, old_user = (report.get(n) for n in ("leaky", "lowpkg", "old", "old-user"))
    assert leaky is not None and leaky.fix_available is True
    assert lowpkg is not None and isinstance(lowpkg.fix_available, FixAvailable)
    assert lowpkg.fix_available.to_json() == {"name": "lowpkg", "version": "1.0.1", "isSemVerMajor": False}
    assert old is not None and isinstance(old.fix_available, FixAvailable)
    assert old.fix_available.to_json() == {"name": "old", "version": "2.0.0", "isSemVerMajor": True}
    assert old_user is not None and [v.name for v in old_user.via] == ["old"]
    assert [v.name for v in old.effects] == ["old-user"]
    assert list(report.top_vulns) == ["old", "lowpkg", "old-user"]
    assert report.to_json()["vulnerabilities"]["old-user"] == {  # type: ignore[index]
        "name": "old-user",
        "severity": "high",
        "isDirect": True,
        "via": ["old"],
        "effects": [],
        "range": "1.0.0",
        "nodes": ["node_modules/old-user"],
        "fixAvailable": {"name": "old-user", "version": "2.0.0", "isSemVerMajor": True},
    }


def test_report_json_counts(mixed: Node) -> None:
    metadata = _load(mixed).to_json()["metadata"]
    assert metadata == {
        "vulnerabilities": {"info": 0, "low": 1, "moderate": 1, "high": 2, "critical": 0, "total": 4},
        "dependencies": {"prod": 4, "dev": 1, "optional": 0, "peer": 0, "peerOptional": 0, "total": 4},
    }


def test_no_fix_for_a_package_vulnerable_everywhere(tmp_path: Path) -> None:
    tree = _project(
        tmp_path,
        {"name": "app", "version": "1.0.0", "dependencies": {"crit": "^1.0.0"}},
        {"node_modules/crit": {"version": "1.0.0"}},
    )
    vuln = _load(tree).get("crit")
    assert vuln is not None and vuln.fix_available is False and vuln.simple_range == "*"


def test_is_vulnerable_and_avoid_range(mixed: Node) -> None:
    report = _load(mixed)
    leaky = mixed.children.get("leaky")
    assert leaky is not None and report.is_vulnerable(leaky)
    assert report.avoid_range("leaky") == "<1.0.1"
    assert report.avoid_range("nothing") is None
    assert {n.location for n in report.vulnerable_nodes()} == {
        "node_modules/leaky",
        "node_modules/old",
        "node_modules/lowpkg",
        "node_modules/old-user",
    }


def test_rebase_moves_the_nodes_to_another_copy(mixed: Node, tmp_path: Path) -> None:
    report = _load(mixed)
    copy = load_tree(str(tmp_path))
    report.rebase(copy)
    assert report.tree is copy
    assert all(n.root is copy for n in report.vulnerable_nodes())


def test_endpoint_failure_is_kept(mixed: Node) -> None:
    async def bulk(body: JsonObject) -> JsonValue:
        raise HttpError("404 Not Found - POST x", status=404, method="POST")

    async def packument(name: str) -> JsonObject:
        raise AssertionError("not asked")

    report = asyncio.run(AuditReport.load(mixed, AuditOptions(), bulk=bulk, packument=packument))
    assert report.error is not None and report.error.code == "E404"
    assert len(report) == 0


def test_nothing_asked_offline_or_without_dependencies(mixed: Node, tmp_path: Path) -> None:
    asked: list[JsonObject] = []
    _load(mixed, AuditOptions(offline=True), asked)
    _load(mixed, AuditOptions(audit=False), asked)
    lonely = _project(tmp_path / "lonely", {"name": "x", "version": "1.0.0"}, {})
    report = _load(lonely, asked=asked)
    assert asked == []
    assert report.to_json()["metadata"]["vulnerabilities"]["total"] == 0  # type: ignore[index]


def test_filter_set_limits_the_audit(mixed: Node) -> None:
    leaky = mixed.children.get("leaky")
    assert leaky is not None
    asked: list[JsonObject] = []
    report = _load(mixed, AuditOptions(filter_set={leaky: None}), asked)
    assert asked == [{"leaky": ["1.0.0"]}]
    assert list(report) == ["leaky"]


@pytest.fixture(autouse=True)
def _tmp_project(tmp_path: Path) -> None:
    (tmp_path / "lonely").mkdir()
