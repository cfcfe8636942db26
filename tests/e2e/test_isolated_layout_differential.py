"""snpm.tree.isolated against npm 11's linked installs (`install-strategy=linked`): the same store
folders (their keys hash the dependency graph below each package) and the same symlinks, read off
the node_modules npm made. snpm computes the layout from npm's own lockfile of the project."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_ideal_tree_differential import (
    assorted,
    bundles,
    host_and_plugins,
    numbers,
    optionals,
    pkg,
    react,
    shrinkwrapped,
)

from snpm.ecmascript.json import stringify_nice
from snpm.errors import SnpmError
from snpm.lockfile.codec import KEY_ORDER
from snpm.tree.flags import optional_set
from snpm.tree.ideal.checks import check_platform, current_platform
from snpm.tree.isolated import hidden_lockfile, isolated_layout
from snpm.tree.lockfile_bridge import load_tree
from snpm.tree.node import Node
from support.fake_registry import FakeRegistry
from support.scenario_registry import ScenarioRegistry
from support.tree_differential import NPM, run_npm

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(NPM is None, reason="npm is not installed")]

_WS = {
    "packages/a/package.json": {"name": "a", "version": "1.0.0", "dependencies": {"is-odd": "3.0.1"}},
    "packages/b/package.json": {
        "name": "b",
        "version": "1.0.0",
        "dependencies": {"a": "1.0.0", "is-number": "^7.0.0", "uuid": "3.4.0"},
    },
}

CASES: list[tuple[str, Callable[[ScenarioRegistry], None], dict[str, Any], tuple[str, ...]]] = [
    ("shrinkwrapped", shrinkwrapped, pkg(dependencies={"sw": "^1.0.0", "is-number": "^7.0.0"}), ()),
    (
        "nested-copies-and-bins",
        numbers,
        pkg(
            dependencies={"is-number": "^7.0.0", "is-odd": "3.0.1", "uuid": "3.4.0"},
            devDependencies={"is-even": "1.0.0"},
        ),
        (),
    ),
    (
        "omit-dev",
        numbers,
        pkg(dependencies={"is-odd": "3.0.1"}, devDependencies={"is-even": "1.0.0"}),
        ("--omit=dev",),
    ),
    ("peers", react, pkg(dependencies={"react": "^18.0.0", "react-dom": "^18.0.0", "router": "1.0.0"}), ()),
    ("optional-peers", host_and_plugins, pkg(dependencies={"host": "*", "host-ui": "^1.0.0"}), ()),
    (
        "aliases-cycles-scopes",
        assorted,
        pkg(
            dependencies={"@scope/lib": "^1.0.0", "cyc-a": "1.0.0", "dep2": "npm:dep@^2.0.0", "mid": "1.0.0"}
        ),
        (),
    ),
    ("bundled-below", bundles, pkg(dependencies={"ph": "1.0.0"}), ()),
    (
        "optional-for-other-platforms",
        optionals,
        pkg(dependencies={"uses-opt": "1.0.0", "linux-only": "1.0.0"}),
        (),
    ),
    # a lockfile without `resolved` (as committed ones often are): arborist hashes `null` for it
    (
        "lockfile-without-resolved",
        numbers,
        pkg(dependencies={"is-odd": "3.0.1", "uuid": "3.4.0"}, devDependencies={"is-even": "1.0.0"}),
        ("--omit-lockfile-registry-resolved",),
    ),
    # a declared by the root, b only a workspace: its links stay in packages/b/node_modules
    (
        "workspaces",
        numbers,
        pkg(workspaces=["packages/*"], dependencies={"a": "^1.0.0", "is-number": "^6.0.0"}, files=_WS),
        (),
    ),
    # a folder dependency stays in place, linked under its package's name
    (
        "file-folder",
        numbers,
        pkg(
            dependencies={"mylib": "file:./lib", "is-odd": "3.0.1"},
            files={
                "lib/package.json": {
                    "name": "lib-real",
                    "version": "2.0.0",
                    "dependencies": {"is-number": "^7.0.0"},
                }
            },
        ),
        (),
    ),
]


def _on_disk(project: Path) -> tuple[set[str], dict[str, str], set[tuple[str, str]]]:
    """The store folders, every package symlink in a node_modules (location → target, both relative
    to the project) and every bin link (its .bin folder, its name)."""
    nm = project / "node_modules"
    store = nm / ".store"
    keys: set[str] = set()
    for entry in store.iterdir() if store.is_dir() else ():
        # a scoped package's key holds its `/`: `.store/@scope/name@1.0.0-<hash>`
        inner = entry.iterdir() if entry.name.startswith("@") else ()
        keys.update(f"{entry.name}/{sub.name}" for sub in inner)
        if not entry.name.startswith("@"):
            keys.add(entry.name)
    links: dict[str, str] = {}
    bins: set[tuple[str, str]] = set()
    for folder, dirs, files in os.walk(project):  # workspaces hold links of their own
        for name in [*dirs, *files]:
            path = Path(folder) / name
            if not path.is_symlink() or "node_modules" not in path.relative_to(project).parts:
                continue
            location = path.relative_to(project).as_posix()
            if Path(folder).name == ".bin":
                bins.add((Path(folder).relative_to(project).as_posix(), name))
                continue
            target = Path(os.path.normpath(Path(folder) / os.readlink(path)))
            links[location] = target.relative_to(project).as_posix()
    return keys, links, bins


def _bin_path(package: Path, name: str) -> str:
    bins = json.loads((package / "package.json").read_text()).get("bin")
    return str(bins.get(name, "")) if isinstance(bins, dict) else str(bins or "")


def _mark_inert(tree: Node) -> None:
    """What buildIdealTree's #checkEngineAndPlatform does to optional packages for another platform
    (the install builds the tree; here it is read from npm's lockfile)."""
    for node in list(tree.inventory.values()):
        if node.optional and not node.inert:
            try:
                check_platform(node.package, False, current_platform())
            except SnpmError:
                for member in optional_set(node):
                    member.inert = True


@pytest.mark.parametrize(("case_id", "publish", "package", "args"), CASES, ids=[c[0] for c in CASES])
def test_layout_matches_npm(
    case_id: str,
    publish: Callable[[ScenarioRegistry], None],
    package: dict[str, Any],
    args: tuple[str, ...],
    tmp_path: Path,
) -> None:
    fake = FakeRegistry()
    fake.start_in_thread()
    try:
        registry = ScenarioRegistry(fake)
        publish(registry)
        project = tmp_path / "project"
        project.mkdir()
        files = package.pop("files", {})
        (project / "package.json").write_text(json.dumps(package, indent=2) + "\n")
        for rel, content in files.items():
            (project / rel).parent.mkdir(parents=True, exist_ok=True)
            (project / rel).write_text(json.dumps(content, indent=2) + "\n")
        # the lockfile first: the linked install then reads its nodes from it, as snpm's does here
        # (the hidden lockfile carries `integrity` only for packages fetched from the registry)
        done = run_npm(tmp_path, project, registry.url, ["install", *args])
        assert done.returncode == 0, done.stderr
        done = run_npm(
            tmp_path,
            project,
            registry.url,
            ["install", "--install-strategy=linked", "--no-package-lock-only", *args],
        )
        assert done.returncode == 0, done.stderr
    finally:
        fake.stop_thread()
    keys, links, bins = _on_disk(project)
    omit = [a.split("=", 1)[1] for a in args if a.startswith("--omit=")]
    tree = load_tree(str(project))
    _mark_inert(tree)
    layout = isolated_layout(tree, omit=omit)
    assert {p.key for p in layout.store} == keys
    assert {link.location: link.target for link in layout.links} == links
    # bin-links skips a bin whose file the package does not have
    expected_bins = {
        (folder, name)
        for folder, name, target in layout.bins
        if (project / target / str(_bin_path(project / target, name))).exists()
    }
    assert expected_bins == bins
    # and node_modules/.package-lock.json, byte for byte
    text = stringify_nice(hidden_lockfile(tree, layout), KEY_ORDER, 2)
    assert text == (project / "node_modules" / ".package-lock.json").read_text()
