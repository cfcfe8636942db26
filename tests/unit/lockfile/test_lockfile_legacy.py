"""v1 `dependencies` → `packages` (upgrade) and `packages` → v1/v2 `dependencies` (legacy)."""

from __future__ import annotations

from snpm.lockfile import LegacyEntry, LockEntry, build_legacy_dependencies, packages_from_legacy
from snpm.lockfile.upgrade import meta_field_from_pkg

ROOT = "/work/proj"


def test_meta_field_from_pkg() -> None:
    pkg = {"license": {"type": "MIT"}, "engines": {}, "os": [], "version": "", "bin": {"a": "b"}, "x": 0}
    assert meta_field_from_pkg(pkg, "license") == "MIT"
    assert meta_field_from_pkg(pkg, "engines") is None
    assert meta_field_from_pkg(pkg, "os") is None
    assert meta_field_from_pkg(pkg, "version") is None
    assert meta_field_from_pkg(pkg, "bin") == {"a": "b"}
    assert meta_field_from_pkg({"license": {"name": "x"}}, "license") == {"name": "x"}


def test_upgrade_v1_tree() -> None:
    legacy = {
        "a": LegacyEntry(
            version="1.0.0",
            resolved="https://r.example/a/-/a-1.0.0.tgz",
            integrity="sha512-a",
            requires={"b": "^2.0.0", "c": "^1.0.0"},
            dependencies={"b": LegacyEntry(version="2.0.0", integrity="sha512-b", optional=True)},
        ),
        "c": LegacyEntry(version="1.0.0", integrity="sha512-c", dev=True, requires={"d": "^1"}),
        "d": LegacyEntry(version="1.1.0", integrity="sha512-d", dev=True, bundled=True),
        "alias": LegacyEntry(
            version="npm:real@3.0.0", integrity="sha512-r", resolved="https://r.example/real-3.0.0.tgz"
        ),
        "tb": LegacyEntry(version="file:vendor/tb-0.1.0.tgz", integrity="sha512-t"),
        "other": LegacyEntry(version="file:vendor/tb-0.1.0.tgz", integrity="sha512-t"),
        "remote": LegacyEntry(version="https://cdn.example/rm/-/rm-4.0.0.tgz", integrity="sha512-m"),
        "gitdep": LegacyEntry(version="github:u/r#0123", from_="github:u/r"),
        "link": LegacyEntry(
            version="file:libs/link",
            requires={"e": "^1.0.0"},
            dependencies={"e": LegacyEntry(version="1.0.0", integrity="sha512-e")},
        ),
    }
    root = {"name": "proj", "version": "1.0.0", "dependencies": {"a": "^1.0.0"}, "license": {"type": "ISC"}}
    packages = packages_from_legacy(
        name="proj", version="0.9.0", dependencies=legacy, root_package=root, project_path=ROOT
    )
    assert packages[""] == LockEntry(
        name="proj", version="1.0.0", license="ISC", dependencies={"a": "^1.0.0"}
    )
    a = packages["node_modules/a"]
    assert (a.version, a.resolved, a.integrity) == ("1.0.0", "https://r.example/a/-/a-1.0.0.tgz", "sha512-a")
    # b is optional and a is not: that edge was an optionalDependency; c (from the root) is dev
    # and a is not: npm files it under devDependencies
    assert a.optional_dependencies == {"b": "^2.0.0"} and a.dev_dependencies == {"c": "^1.0.0"}
    assert not a.dependencies
    assert packages["node_modules/a/node_modules/b"].optional
    c = packages["node_modules/c"]
    assert c.dev and c.dependencies == {"d": "^1"}  # both dev: a plain dependency
    assert packages["node_modules/d"].in_bundle
    alias = packages["node_modules/alias"]
    assert (alias.name, alias.version, alias.resolved) == (
        "real",
        "3.0.0",
        "https://r.example/real-3.0.0.tgz",
    )
    tarball = packages["node_modules/tb"]
    assert (tarball.name, tarball.version, tarball.resolved) == (None, "0.1.0", "file:vendor/tb-0.1.0.tgz")
    # the version is read off the file name only when it starts with the dependency's name
    assert packages["node_modules/other"].version is None
    remote = packages["node_modules/remote"]
    assert (remote.name, remote.version) == ("rm", "4.0.0")
    assert remote.resolved == "https://cdn.example/rm/-/rm-4.0.0.tgz"
    assert packages["node_modules/gitdep"] == LockEntry(resolved="git+ssh://git@github.com/u/r.git#0123")
    assert packages["node_modules/link"] == LockEntry(resolved="libs/link", link=True)
    # the link target has no version (npm reads it from its package.json later); its children live there
    assert packages["libs/link"] == LockEntry(dependencies={"e": "^1.0.0"})
    assert packages["libs/link/node_modules/e"].version == "1.0.0"


def test_upgrade_without_root_package() -> None:
    packages = packages_from_legacy(
        name=None, version=None, dependencies={}, root_package={}, project_path=ROOT
    )
    assert packages == {"": LockEntry()}


def _entries(**kw: LockEntry) -> dict[str, LockEntry]:
    return {k.replace("__", "/").replace("NM", "node_modules"): v for k, v in kw.items()}


def test_legacy_from_packages() -> None:
    packages = {
        "": LockEntry(
            name="p",
            version="1.0.0",
            dependencies={
                "a": "^1.0.0",
                "tb": "file:vendor/tb-1.0.0.tgz",
                "al": "npm:real@^2.0.0",
                "w": "^1.0.0",
            },
            dev_dependencies={"g": "github:u/r"},
            workspaces=["ws/*"],
        ),
        "node_modules/a": LockEntry(
            version="1.0.0",
            resolved="https://r.example/a.tgz",
            integrity="sha512-a",
            dependencies={"b": "^2.0.0"},
            peer_dependencies={"x": "*"},
            bundle_dependencies=("b",),
        ),
        "node_modules/a/node_modules/b": LockEntry(version="2.0.0", in_bundle=True),
        "node_modules/tb": LockEntry(
            version="1.0.0", resolved="file:vendor/tb-1.0.0.tgz", integrity="sha512-t"
        ),
        "node_modules/al": LockEntry(name="real", version="2.0.0", resolved="https://r.example/real.tgz"),
        "node_modules/g": LockEntry(
            version="0.0.1", resolved="git+ssh://git@github.com/u/r.git#abc", dev=True, dev_optional=False
        ),
        "node_modules/w": LockEntry(resolved="ws/w", link=True),
        "ws/w": LockEntry(
            version="1.0.0", dependencies={"a": "^1.0.0"}, dev_dependencies={"z": "file:../../z"}
        ),
        "ws/w/node_modules/z": LockEntry(version="3.0.0", peer_dependencies={"a": "*"}, extraneous=True),
    }
    legacy = build_legacy_dependencies(packages, project_path=ROOT)
    assert legacy is not None
    assert list(legacy) == ["a", "al", "g", "tb", "w"]
    assert legacy["a"] == LegacyEntry(
        version="1.0.0",
        resolved="https://r.example/a.tgz",
        integrity="sha512-a",
        requires={"b": "^2.0.0"},
        dependencies={"b": LegacyEntry(version="2.0.0", bundled=True)},  # in a dependency's bundle
    )
    assert legacy["tb"] == LegacyEntry(version="file:vendor/tb-1.0.0.tgz", integrity="sha512-t")
    assert legacy["al"] == LegacyEntry(version="npm:real@2.0.0", resolved="https://r.example/real.tgz")
    assert legacy["g"] == LegacyEntry(
        version="git+ssh://git@github.com/u/r.git#abc", from_="g@github:u/r", dev=True
    )
    assert legacy["w"] == LegacyEntry(
        version="file:ws/w",
        requires={"a": "^1.0.0", "z": "file:../../z"},
        dependencies={"z": LegacyEntry(version="3.0.0", extraneous=True, requires={})},
    )


def test_legacy_marks_dependency_bundles_only() -> None:
    packages = {
        "": LockEntry(name="p", dependencies={"a": "1"}, bundle_dependencies=("a",)),
        "node_modules/a": LockEntry(
            version="1.0.0", in_bundle=True, dependencies={"b": "1"}, bundle_dependencies=("b",)
        ),
        "node_modules/a/node_modules/b": LockEntry(version="1.0.0", in_bundle=True),
    }
    legacy = build_legacy_dependencies(packages)
    assert legacy is not None
    assert not legacy["a"].bundled  # bundled by the root: npm installs it normally
    assert legacy["a"].dependencies is not None and not legacy["a"].dependencies["b"].bundled


def test_legacy_is_none_without_children() -> None:
    assert build_legacy_dependencies({"": LockEntry(name="p")}) is None
    assert build_legacy_dependencies({}) is None


def test_legacy_link_cycle_is_cut() -> None:
    packages = {
        "": LockEntry(name="p", dependencies={"a": "file:a"}),
        "node_modules/a": LockEntry(resolved="a", link=True),
        "a": LockEntry(version="1.0.0", dependencies={"p2": "file:.."}),
        "a/node_modules/p2": LockEntry(resolved="a", link=True),
    }
    legacy = build_legacy_dependencies(packages)
    assert legacy is not None
    # the target's own link back to itself is skipped, as npm does to avoid ELOOP
    assert legacy["a"].dependencies is None
    assert legacy["a"].requires == {"p2": "file:.."}
