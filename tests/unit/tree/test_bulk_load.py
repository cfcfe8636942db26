"""Loading a lockfile all at once (`snpm.tree.bulk_load`) gives the very tree that adding its
packages one at a time gives: same nodes, places, edges, edge order on both ends, inventory and
indexes. Random lockfiles (nested and scoped packages, workspaces and links, names differing in
case, self-dependencies, every dependency type, sorted and shuffled) are loaded both ways."""

from __future__ import annotations

import random
import sys
from typing import Any

import pytest

from snpm.json_types import JsonObject
from snpm.tree import Link, Node
from snpm.tree.load_virtual import load_virtual
from snpm.tree.meta import TreeMeta

load_virtual_module = sys.modules["snpm.tree.load_virtual"]

ROOT = "/project"
NAMES = ["a", "a-b", "a.b", "b", "c", "@s/e", "@s/e-x", "@s/f", "G", "g", "h-i"]


def _node_id(node: Node | None) -> object:
    return None if node is None else (type(node).__name__, node.location, node.path)


def fingerprint(root: Node) -> list[object]:
    """Everything about a tree that an order of events could change."""
    inventory = root.inventory
    out: list[object] = [
        [(location, _node_id(node)) for location, node in inventory.items()],
        [_node_id(node) for node in root.tops],
        {
            key: [(repr(v), [_node_id(n) for n in nodes]) for v, nodes in index.items()]
            for key, index in inventory._indexes.items()
        },
        sorted(
            (name, sorted(map(str, map(_node_id, nodes)))) for name, nodes in inventory._edge_names.items()
        ),
    ]
    for node in inventory.values():
        out.append(
            [
                _node_id(node),
                node.name,
                node.realpath,
                node.resolved,
                node.integrity,
                (node.dev, node.optional, node.dev_optional, node.peer, node.extraneous, node.inert),
                _node_id(node.parent),
                _node_id(node.fs_parent),
                _node_id(node.root),
                [(k, _node_id(c)) for k, c in node.children.items()],
                [_node_id(c) for c in node.fs_children],
                [_node_id(link) for link in node.links_in],
                _node_id(node.target) if node.is_link else None,
                [(k, e.type, e.spec, _node_id(e.to), e.error) for k, e in node.edges_out.items()],
                [(_node_id(e.from_), e.name) for e in node.edges_in],
                sorted(node.package.items(), key=lambda kv: kv[0]).__repr__(),
            ]
        )
    return out


def random_lockfile(rng: random.Random) -> tuple[JsonObject, dict[str, JsonObject]]:
    root_pkg: JsonObject = {"name": "project", "version": "1.0.0"}
    packages: dict[str, JsonObject] = {}
    workspaces = [f"packages/w{i}" for i in range(rng.randint(0, 2))]
    if workspaces:
        root_pkg["workspaces"] = ["packages/*"]

    def deps() -> dict[str, str]:
        return {
            name: rng.choice(["^1.0.0", "*", "1.0.0", "^2.0.0", ">=1"])
            for name in rng.sample(NAMES, rng.randint(0, 6))
        }

    def entry(version: str) -> JsonObject:
        out: JsonObject = {"version": version}
        for key in ("dependencies", "optionalDependencies", "peerDependencies", "devDependencies"):
            if rng.random() < (0.7 if key == "dependencies" else 0.25):
                out[key] = deps()  # type: ignore[assignment]
        peers = out.get("peerDependencies")
        if isinstance(peers, dict) and peers and rng.random() < 0.5:
            out["peerDependenciesMeta"] = {next(iter(peers)): {"optional": True}}
        for flag in ("dev", "optional", "peer", "devOptional", "extraneous"):
            if rng.random() < 0.15:
                out[flag] = True
        if rng.random() < 0.5:
            out["resolved"] = f"https://registry.test/x/-/x-{version}.tgz"
            out["integrity"] = "sha512-" + "A" * 86 + "=="
        return out

    def add_children(prefix: str, depth: int) -> None:
        for name in rng.sample(NAMES, rng.randint(0, 8 if depth == 0 else 4)):
            location = f"{prefix}node_modules/{name}"
            packages[location] = entry(rng.choice(["1.0.0", "1.2.0", "2.0.0"]))
            if depth < 3 and rng.random() < 0.5:
                add_children(location + "/", depth + 1)

    root_pkg["dependencies"] = deps()  # type: ignore[assignment]
    root_pkg["devDependencies"] = deps()  # type: ignore[assignment]
    add_children("", 0)
    for folder in workspaces:
        name = folder.rpartition("/")[2]
        packages[folder] = {**entry("1.0.0"), "name": name}
        packages[f"node_modules/{name}"] = {"resolved": folder, "link": True}
        if rng.random() < 0.5:
            add_children(folder + "/", 1)
    return root_pkg, {location: packages[location] for location in _order(rng, list(packages))}


def _order(rng: random.Random, locations: list[str]) -> list[str]:
    """Sorted (as npm writes lockfiles), workspaces first, any order with parents before their
    children, or shuffled outright (which the bulk load must decline)."""
    mode = rng.randrange(5)
    if mode == 0:
        return sorted(locations)
    if mode == 1:
        return sorted(locations, key=lambda loc: (not loc.startswith("packages/"), loc))
    if mode == 2:
        return rng.sample(locations, len(locations))
    if mode == 3 and len(locations) > 2:
        swapped = sorted(locations)
        i = rng.randrange(len(swapped) - 1)
        swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
        return swapped
    # a random order in which every package comes after the folder holding it
    pending = sorted(locations, key=lambda loc: loc.count("/node_modules/"))
    out: list[str] = []
    while pending:
        ready = [loc for loc in pending if not any(loc.startswith(p + "/") for p in pending if p != loc)]
        pick = rng.choice(ready)
        pending.remove(pick)
        out.append(pick)
    return out


def load(root_pkg: JsonObject, packages: dict[str, JsonObject], *, bulk: bool, monkeypatch: Any) -> Node:
    if not bulk:
        monkeypatch.setattr(load_virtual_module, "plan_placements", lambda root, entries: None)
    try:
        meta = TreeMeta(ROOT)
        meta.loaded_from_disk = True
        meta.original_lockfile_version = meta.lockfile_version = 3
        meta.packages = {"": dict(root_pkg), **{loc: dict(e) for loc, e in packages.items()}}
        root = Node(path=ROOT, realpath=ROOT, pkg=dict(root_pkg), load_overrides=True)
        workspaces = {
            loc.rpartition("/")[2]: f"{ROOT}/{loc}"
            for loc in packages
            if loc.startswith("packages/") and "/node_modules/" not in loc
        }
        if workspaces:
            root.workspaces = workspaces
        load_virtual(meta, root, root_option_provided=False)
        return root
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize("seed", range(600))
def test_bulk_load_matches_one_by_one(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    root_pkg, packages = random_lockfile(rng)
    one_by_one = fingerprint(load(root_pkg, packages, bulk=False, monkeypatch=monkeypatch))
    at_once = fingerprint(load(root_pkg, packages, bulk=True, monkeypatch=monkeypatch))
    assert at_once == one_by_one


def test_bulk_load_is_taken_for_a_plain_lockfile(monkeypatch: pytest.MonkeyPatch) -> None:
    taken: list[bool] = []
    original = load_virtual_module.plan_placements

    def spy(root: Node, entries: Any) -> Any:
        plan = original(root, entries)
        taken.append(plan is not None)
        return plan

    monkeypatch.setattr(load_virtual_module, "plan_placements", spy)
    packages: dict[str, JsonObject] = {
        "node_modules/a": {"version": "1.0.0", "dependencies": {"b": "^1.0.0"}},
        "node_modules/a/node_modules/b": {"version": "1.0.0"},
        "node_modules/b": {"version": "2.0.0", "dependencies": {"a": "*"}},
    }
    meta = TreeMeta(ROOT)
    meta.packages = {"": {}, **packages}
    root = Node(path=ROOT, realpath=ROOT, pkg={"dependencies": {"a": "*", "b": "*"}})
    load_virtual(meta, root, root_option_provided=False)
    assert taken == [True]
    a = root.children.get("a")
    assert a is not None and not isinstance(a, Link)
    nested = a.children.get("b")
    assert nested is not None
    edge = a.edges_out.get("b")
    assert edge is not None and edge.to is nested
    top_b = root.children.get("b")
    assert top_b is not None and [e.from_ for e in top_b.edges_in] == [root]


@pytest.mark.parametrize(
    "locations",
    [
        ["node_modules/a/node_modules/b", "node_modules/a"],  # child before its parent
        ["node_modules/A", "node_modules/a"],  # names differing only in case
        ["packages/x/node_modules/y"],  # a node_modules package without its parent
        ["node_modules/./a"],  # not a plain location
        ["packages/w0", "pack"],  # arborist adopts packages/w0 into "pack" (a string prefix)
        ["packages/w0/lib", "packages/w0"],  # a folder added after what it holds
    ],
)
def test_odd_lockfiles_are_loaded_one_by_one(locations: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    packages: dict[str, JsonObject] = {loc: {"version": "1.0.0"} for loc in locations}
    from snpm.tree.bulk_load import plan_placements

    root = Node(path=ROOT, realpath=ROOT, pkg={})
    assert plan_placements(root, list(packages.items())) is None
    one_by_one = fingerprint(load({}, packages, bulk=False, monkeypatch=monkeypatch))
    assert one_by_one == fingerprint(load({}, packages, bulk=True, monkeypatch=monkeypatch))
