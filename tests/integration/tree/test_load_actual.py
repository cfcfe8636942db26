"""Reading node_modules into a tree (arborist load-actual.js) from folders made on disk."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from snpm.tree.load_actual import load_actual


def _pkg(folder: Path, **content: Any) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(json.dumps(content))


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    _pkg(
        project,
        name="proj",
        version="1.0.0",
        dependencies={"a": "^1.0.0", "@s/b": "^1.0.0", "lib": "file:lib"},
        devDependencies={"d": "*"},
        workspaces=["packages/*"],
    )
    nm = project / "node_modules"
    _pkg(nm / "a", name="a", version="1.0.0", dependencies={"c": "^2.0.0"})
    _pkg(nm / "a" / "node_modules" / "c", name="c", version="2.0.0")
    _pkg(nm / "c", name="c", version="1.0.0")
    _pkg(nm / "@s" / "b", name="@s/b", version="1.2.0", dependencies={"c": "^1.0.0"})
    _pkg(nm / "d", name="d", version="3.0.0")
    _pkg(nm / "stray", name="stray", version="0.0.1")
    (nm / ".bin").mkdir()
    _pkg(project / "lib", name="lib", version="0.1.0")
    os.symlink("../lib", nm / "lib")
    _pkg(project / "packages" / "w", name="w", version="2.0.0", dependencies={"c": "^1.0.0"})
    os.symlink("../packages/w", nm / "w")
    return project


def test_reads_node_modules(tmp_path: Path) -> None:
    project = _project(tmp_path)
    tree = asyncio.run(load_actual(str(project), force_actual=True))
    locations = {node.location: node for node in tree.inventory.values()}
    assert sorted(locations) == sorted(
        [
            "",
            "lib",
            "node_modules/@s/b",
            "node_modules/a",
            "node_modules/a/node_modules/c",
            "node_modules/c",
            "node_modules/d",
            "node_modules/lib",
            "node_modules/stray",
            "node_modules/w",
            "packages/w",
        ]
    )
    assert locations["node_modules/lib"].is_link and locations["node_modules/lib"].target is locations["lib"]
    assert locations["node_modules/w"].target.is_workspace
    assert locations["node_modules/d"].dev and not locations["node_modules/c"].dev
    assert locations["node_modules/stray"].extraneous
    assert not locations["node_modules/a/node_modules/c"].extraneous
    edge = locations["node_modules/a"].edges_out.get("c")
    assert edge is not None and edge.to is locations["node_modules/a/node_modules/c"] and edge.valid


def test_missing_package_json_is_an_error_node(tmp_path: Path) -> None:
    project = tmp_path / "project"
    _pkg(project, name="proj", dependencies={"broken": "*"})
    (project / "node_modules" / "broken").mkdir(parents=True)
    tree = asyncio.run(load_actual(str(project)))
    broken = tree.children.get("broken")
    assert broken is not None and broken.errors and broken.version == ""
