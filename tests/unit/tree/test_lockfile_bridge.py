"""Lockfile → tree → lockfile: every example lockfile comes back byte for byte, and the entries
npm writes per node (metaFromNode)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from snpm.errors import SnpmError
from snpm.lockfile import format_lockfile
from snpm.tree import Link, LockOptions, Node, load_tree, lockfile_from_tree, meta_from_node

FIXTURES = Path(__file__).parents[2] / "fixtures"
EXAMPLES = sorted(p.name for p in (FIXTURES / "examples").iterdir() if (p / "package-lock.json").exists())
REFPROJECTS = ["small", "medium", "large"]


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    for path in target.rglob("*.json"):
        path.write_text(path.read_text().replace("{{REGISTRY}}", "https://registry.test/"))
    lock = json.loads((target / "package-lock.json").read_text())
    # link targets (workspaces, file: folders) are read from disk, as npm does: recreate them
    for location, entry in lock["packages"].items():
        if location and not location.startswith("node_modules") and "/node_modules/" not in location:
            folder = target / location
            folder.mkdir(parents=True, exist_ok=True)
            manifest = {
                "name": entry.get("name", folder.name),
                **{k: v for k, v in entry.items() if k in ("version", "dependencies", "bin")},
            }
            (folder / "package.json").write_text(json.dumps(manifest))
    return target


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_lockfiles_round_trip(name: str, tmp_path: Path) -> None:
    project = _copy(FIXTURES / "examples" / name, tmp_path / name)
    tree = load_tree(str(project))
    text = format_lockfile(lockfile_from_tree(tree), project_path=str(project))
    assert text == (project / "package-lock.json").read_text()


@pytest.mark.parametrize("name", REFPROJECTS)
def test_refproject_lockfiles_round_trip(name: str, tmp_path: Path) -> None:
    project = _copy(FIXTURES / "refprojects" / name, tmp_path / name)
    tree = load_tree(str(project))
    options = LockOptions(omit_lockfile_registry_resolved=True)
    text = format_lockfile(lockfile_from_tree(tree, options=options), project_path=str(project))
    assert text == (project / "package-lock.json").read_text()


def test_no_lockfile(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text("{}")
    with pytest.raises(SnpmError) as err:
        load_tree(str(tmp_path))
    assert err.value.code == "ENOLOCK"


def test_meta_from_node() -> None:
    root = Node(
        path="/p",
        pkg={"name": "proj", "version": "1.0.0", "devDependencies": {"x": "1"}, "scripts": {"install": "x"}},
    )
    alias = Node(
        name="my",
        parent=root,
        resolved="https://registry.test/real/-/real-1.0.0.tgz",
        integrity="sha512-abc",
        pkg={
            "name": "real",
            "version": "1.0.0",
            "license": {"type": "MIT"},
            "funding": "https://fund.test",
            "bin": "cli.js",
            "engines": {},
            "deprecated": "old",
            "os": ["linux"],
        },
    )
    assert meta_from_node(root, "/p") == {
        "name": "proj",
        "version": "1.0.0",
        "devDependencies": {"x": "1"},
        "hasInstallScript": True,
        "extraneous": True,
    }
    root.unset_dep_flags()
    alias.dev = alias.optional = alias.peer = alias.extraneous = False
    assert meta_from_node(alias, "/p") == {
        "version": "1.0.0",
        "funding": {"url": "https://fund.test"},
        "os": ["linux"],
        "integrity": "sha512-abc",
        "license": "MIT",
        "bin": {"real": "cli.js"},
        "deprecated": "old",
        "name": "real",
        "resolved": "https://registry.test/real/-/real-1.0.0.tgz",
        "devOptional": True,
    }
    link = Link(name="w", parent=root, realpath="/p/packages/w", pkg={"name": "w", "version": "1.0.0"})
    assert meta_from_node(link, "/p") == {"resolved": "packages/w", "link": True}
