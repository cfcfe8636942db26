"""Node-style path helpers and map-workspaces."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from snpm.errors import SnpmError
from snpm.tree.paths import dirname, name_from_folder, relpath, resolve
from snpm.tree.workspaces_map import map_workspaces, map_workspaces_virtual


def test_paths() -> None:
    assert relpath("/p", "/p") == ""
    assert relpath("/p", "/p/node_modules/a") == "node_modules/a"
    assert relpath("/p/a", "/p/b") == "../b"
    assert resolve("/p", "node_modules", "@s/x") == "/p/node_modules/@s/x"
    assert resolve("/p", "/abs") == "/abs"
    assert dirname("/p/a") == "/p" and dirname("/") == "/"
    assert name_from_folder("/p/node_modules/@s/x") == "@s/x"
    assert name_from_folder("/p/node_modules/x") == "x"


def _package(folder: Path, name: str | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(json.dumps({"name": name} if name else {}))


def test_map_workspaces(tmp_path: Path) -> None:
    _package(tmp_path / "packages" / "b", "bee")
    _package(tmp_path / "packages" / "a", None)
    _package(tmp_path / "packages" / "skip", "skip")
    _package(tmp_path / "tools" / "t", "t")
    (tmp_path / "packages" / "empty").mkdir()
    found = map_workspaces(str(tmp_path), {"workspaces": ["tools/*", "packages/*", "!packages/skip"]})
    assert found == {
        "t": str(tmp_path / "tools" / "t"),
        "a": str(tmp_path / "packages" / "a"),
        "bee": str(tmp_path / "packages" / "b"),
    }
    assert map_workspaces(str(tmp_path), {"workspaces": {"packages": ["tools/*"]}}) == {
        "t": str(tmp_path / "tools" / "t")
    }


def test_duplicate_workspace_names(tmp_path: Path) -> None:
    _package(tmp_path / "a", "same")
    _package(tmp_path / "b", "same")
    with pytest.raises(SnpmError) as err:
        map_workspaces(str(tmp_path), {"workspaces": ["*"]})
    assert err.value.code == "EDUPLICATEWORKSPACE"


def test_map_workspaces_virtual() -> None:
    packages = {
        "": {"workspaces": ["packages/*"]},
        "packages/a": {"name": "a"},
        "packages/b": {},
        "node_modules/a": {"link": True, "resolved": "packages/a"},
    }
    assert map_workspaces_virtual("/p", packages) == {"a": "/p/packages/a", "b": "/p/packages/b"}
