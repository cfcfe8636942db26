"""The ideal-tree builder on an in-memory registry: hoisting, nesting, peers, optional failures,
user requests, and the lockfile entries that come out."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from snpm.errors import SnpmError
from snpm.tree import (
    EresolveError,
    IdealTree,
    IdealTreeOptions,
    apply_saved_specs,
    build_ideal_tree,
    lockfile_from_tree,
)
from support.memory_source import MemorySource, tarball_url

PACKAGES: dict[str, dict[str, dict[str, Any]]] = {
    "a": {"1.0.0": {"dependencies": {"c": "^1.0.0"}}},
    "b": {"1.0.0": {"dependencies": {"c": "^2.0.0"}}},
    "c": {"1.0.0": {}, "2.0.0": {}},
    "p": {"1.0.0": {"peerDependencies": {"c": "^2.0.0"}}},
    "q": {"1.0.0": {"peerDependencies": {"c": "^1.0.0"}}},
    "native": {"1.0.0": {"os": ["nonexistent-os"]}},
    "dev-only": {"1.0.0": {"dependencies": {"c": "^1.0.0"}}},
    "dep": {"1.0.0": {}, "1.5.0": {}, "2.0.0": {}},
}


def build(tmp_path: Path, package: dict[str, Any], **options: Any) -> IdealTree:
    (tmp_path / "package.json").write_text(json.dumps({"name": "proj", "version": "1.0.0", **package}))
    source = MemorySource(PACKAGES)
    return asyncio.run(build_ideal_tree(tmp_path, source, IdealTreeOptions(**options)))


def layout(ideal: IdealTree) -> dict[str, str]:
    return {n.location: n.version for n in ideal.root.inventory.values() if n.location}


def test_hoists_until_a_conflict(tmp_path: Path) -> None:
    ideal = build(tmp_path, {"dependencies": {"a": "^1.0.0", "b": "^1.0.0"}})
    assert layout(ideal) == {
        "node_modules/a": "1.0.0",
        "node_modules/b": "1.0.0",
        "node_modules/c": "1.0.0",
        "node_modules/b/node_modules/c": "2.0.0",
    }


def test_nested_strategy(tmp_path: Path) -> None:
    ideal = build(tmp_path, {"dependencies": {"a": "^1.0.0", "b": "^1.0.0"}}, install_strategy="nested")
    assert layout(ideal) == {
        "node_modules/a": "1.0.0",
        "node_modules/a/node_modules/c": "1.0.0",
        "node_modules/b": "1.0.0",
        "node_modules/b/node_modules/c": "2.0.0",
    }


def test_peer_is_installed_beside_its_dependent(tmp_path: Path) -> None:
    ideal = build(tmp_path, {"dependencies": {"p": "^1.0.0"}})
    assert layout(ideal) == {"node_modules/p": "1.0.0", "node_modules/c": "2.0.0"}
    c = ideal.root.children.get("c")
    assert c is not None and c.peer


def test_peer_conflict_with_the_root_is_eresolve(tmp_path: Path) -> None:
    with pytest.raises(EresolveError) as err:
        build(tmp_path, {"dependencies": {"p": "^1.0.0", "c": "^1.0.0"}})
    assert err.value.code == "ERESOLVE"
    assert err.value.message == "unable to resolve dependency tree"
    explanation = err.value.explanation
    assert explanation["edge"]["name"] == "c"  # type: ignore[index]


def test_force_and_legacy_peer_deps(tmp_path: Path) -> None:
    forced = build(tmp_path, {"dependencies": {"p": "^1.0.0", "c": "^1.0.0"}}, force=True)
    assert layout(forced)["node_modules/c"] == "1.0.0"
    assert any(w.title == "ERESOLVE" for w in forced.warnings)
    legacy = build(tmp_path, {"dependencies": {"p": "^1.0.0", "q": "^1.0.0"}}, legacy_peer_deps=True)
    assert layout(legacy) == {"node_modules/p": "1.0.0", "node_modules/q": "1.0.0"}


def test_failed_optional_is_inert(tmp_path: Path) -> None:
    ideal = build(tmp_path, {"optionalDependencies": {"native": "^1.0.0", "missing-pkg": "^1.0.0"}})
    native = ideal.root.children.get("native")
    missing = ideal.root.children.get("missing-pkg")
    assert native is not None and native.inert and native.optional
    assert missing is not None and missing.inert and missing.errors
    packages = lockfile_from_tree(ideal.root).packages
    assert "node_modules/native" in packages and "node_modules/missing-pkg" not in packages


def test_failed_required_dependency_raises(tmp_path: Path) -> None:
    with pytest.raises(SnpmError) as err:
        build(tmp_path, {"dependencies": {"missing-pkg": "^1.0.0"}})
    assert err.value.code == "E404"
    with pytest.raises(SnpmError) as target:
        build(tmp_path, {"dependencies": {"c": "^9.0.0"}})
    assert target.value.code == "ETARGET"


def test_dev_flags_and_lockfile_entries(tmp_path: Path) -> None:
    ideal = build(tmp_path, {"dependencies": {"a": "^1.0.0"}, "devDependencies": {"dev-only": "^1.0.0"}})
    packages = lockfile_from_tree(ideal.root).packages
    assert packages["node_modules/dev-only"].dev
    assert not packages["node_modules/c"].dev
    assert packages["node_modules/c"].resolved == tarball_url("c", "1.0.0")
    assert packages[""].dev_dependencies == {"dev-only": "^1.0.0"}


def test_install_adds_and_saves_a_range(tmp_path: Path) -> None:
    ideal = build(tmp_path, {}, add=("dep",), save_prefix="~")
    trees = apply_saved_specs(ideal)
    assert trees == [ideal.root]
    assert ideal.root.package["dependencies"] == {"dep": "~2.0.0"}
    subset = build(tmp_path, {}, add=("dep@>=1.0.0 <1.6.0",))
    apply_saved_specs(subset)
    assert subset.root.package["dependencies"] == {"dep": ">=1.0.0 <1.6.0"}
    exact = build(tmp_path, {}, add=("dep@1.x",), save_exact=True)
    apply_saved_specs(exact)
    assert exact.root.package["dependencies"] == {"dep": "1.5.0"}


def test_save_types(tmp_path: Path) -> None:
    ideal = build(tmp_path, {"dependencies": {"dep": "^1.0.0"}}, add=("dep@^2",), save_type="dev")
    apply_saved_specs(ideal)
    assert "dependencies" not in ideal.root.package
    assert ideal.root.package["devDependencies"] == {"dep": "^2.0.0"}
    assert [w.message for w in ideal.warnings] == [
        "Removing dependencies.dep in favor of devDependencies.dep"
    ]


def test_uninstall(tmp_path: Path) -> None:
    ideal = build(tmp_path, {"dependencies": {"a": "^1.0.0", "dep": "^1.0.0"}}, rm=("dep",))
    assert "node_modules/dep" not in layout(ideal)
    assert ideal.root.package["dependencies"] == {"a": "^1.0.0"}


def test_update_names_must_be_bare(tmp_path: Path) -> None:
    with pytest.raises(SnpmError) as err:
        build(tmp_path, {}, update_names=("dep@1",))
    assert err.value.code == "EUPDATEARGS"


def test_manifests_are_fetched_once(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        json.dumps({"dependencies": {"a": "^1.0.0", "dev-only": "^1.0.0"}})
    )
    source = MemorySource(PACKAGES)
    asyncio.run(build_ideal_tree(tmp_path, source, IdealTreeOptions()))
    assert sorted(source.requests) == ["a@^1.0.0", "c@^1.0.0", "dev-only@^1.0.0"]


def test_a_complete_lockfile_needs_no_requests(tmp_path: Path) -> None:
    from snpm.tree import lockfile_text

    ideal = build(tmp_path, {"dependencies": {"a": "^1.0.0", "b": "^1.0.0", "p": "^1.0.0"}})
    text = lockfile_text(ideal.root, ideal.meta, package_indent=ideal.package_indent)
    (tmp_path / "package-lock.json").write_text(text)
    source = MemorySource(PACKAGES)
    again = asyncio.run(build_ideal_tree(tmp_path, source, IdealTreeOptions()))
    assert source.requests == []
    assert lockfile_text(again.root, again.meta, package_indent=again.package_indent) == text
    # a changed range that the locked version still satisfies keeps it, still without requests
    (tmp_path / "package.json").write_text(
        json.dumps(
            {"name": "proj", "version": "1.0.0", "dependencies": {"a": "1.0.0", "b": "^1.0.0", "p": "*"}}
        )
    )
    kept = asyncio.run(build_ideal_tree(tmp_path, source, IdealTreeOptions()))
    assert source.requests == [] and layout(kept) == layout(ideal)


def test_fetching_is_concurrent_and_does_not_change_the_tree(tmp_path: Path) -> None:
    from snpm.fetch.base import ResolvedManifest
    from snpm.spec import PackageSpec

    class SlowSource(MemorySource):
        in_flight = 0
        most = 0

        async def manifest(self, spec: PackageSpec, *, where: Path) -> ResolvedManifest:
            SlowSource.in_flight += 1
            SlowSource.most = max(SlowSource.most, SlowSource.in_flight)
            try:
                await asyncio.sleep(0.01)
                return await super().manifest(spec, where=where)
            finally:
                SlowSource.in_flight -= 1

    packages = {f"p{i}": {"1.0.0": {"dependencies": {f"q{i}": "^1", f"r{i}": "^1"}}} for i in range(20)}
    packages.update({f"q{i}": {"1.0.0": {}} for i in range(20)})
    packages.update({f"r{i}": {"1.0.0": {}} for i in range(20)})
    (tmp_path / "package.json").write_text(json.dumps({"dependencies": {f"p{i}": "^1" for i in range(20)}}))
    slow = SlowSource(packages)
    concurrent = asyncio.run(build_ideal_tree(tmp_path, slow, IdealTreeOptions()))
    serial = asyncio.run(
        build_ideal_tree(tmp_path, MemorySource(packages), IdealTreeOptions(), concurrency=1)
    )
    assert SlowSource.most > 4
    assert layout(concurrent) == layout(serial) and len(layout(serial)) == 60


def test_audit_fix_re_resolves_dependents_of_vulnerable_nodes(tmp_path: Path) -> None:
    from snpm.tree import Node, lockfile_text

    ideal = build(tmp_path, {"dependencies": {"dep": "^1.0.0", "a": "^1.0.0"}})
    (tmp_path / "package-lock.json").write_text(lockfile_text(ideal.root, ideal.meta, package_indent=None))

    class Report:
        def __init__(self) -> None:
            self.nodes: list[Node] = []

        def is_vulnerable(self, node: Node) -> bool:
            return node.name == "dep" and node.version == "1.5.0"

        def vulnerable_nodes(self) -> list[Node]:
            return self.nodes

    report = Report()
    source = MemorySource(PACKAGES)

    async def run() -> IdealTree:
        from snpm.tree.ideal.build import IdealTreeBuilder

        builder = IdealTreeBuilder(str(tmp_path), source, IdealTreeOptions(), audit_report=report)
        await builder.init_tree()
        report.nodes = [n for n in builder.tree.inventory.values() if n.name == "dep"]
        await builder.apply_user_requests()
        await builder.build_deps()
        return IdealTree(builder.tree, builder.tree.meta, builder.options)  # type: ignore[arg-type]

    asyncio.run(run())
    assert source.requests == ["dep@^1.0.0"]


def test_allow_policies(tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    folder.mkdir()
    (folder / "package.json").write_text(json.dumps({"name": "lib", "version": "1.0.0"}))
    allowed = build(tmp_path, {"dependencies": {"lib": "file:lib"}}, allow_directory="root")
    assert layout(allowed)["node_modules/lib"] == "1.0.0"
    with pytest.raises(SnpmError) as err:
        build(tmp_path, {"dependencies": {"lib": "file:lib"}}, allow_directory="none")
    assert err.value.code == "EALLOWDIRECTORY"
    optional = build(tmp_path, {"optionalDependencies": {"lib": "file:lib"}}, allow_directory="none")
    node = optional.root.children.get("lib")
    assert node is not None and node.inert
