"""Global mode's pure parts: where the global space is, the arguments install/uninstall take in it,
and which part of the global space a reify may load and change (arborist's explicit requests)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from snpm.config import Config, load_config
from snpm.errors import SnpmError, UsageError
from snpm.json_types import JsonObject
from snpm.ops.global_mode import (
    global_actual_filter,
    global_dir,
    global_filter_nodes,
    global_top,
    install_args,
    npm_dir,
    npm_prefix,
    require_global_top,
    uninstall_names,
)
from snpm.tree.ideal.options import IdealTreeOptions
from snpm.tree.ideal.results import DeleteRequest, IdealTree
from snpm.tree.meta import TreeMeta
from snpm.tree.node import Node


def _config(tmp_path: Path, *argv: str, cwd: str = "project") -> Config:
    for folder in ("home", "prefix/etc", "project"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    (tmp_path / "home/.npmrc").write_text("")
    env = {"HOME": str(tmp_path / "home"), "PREFIX": str(tmp_path / "prefix")}
    return load_config(list(argv), env=env, cwd=tmp_path / cwd, stdout_tty=False, stderr_tty=False)


def test_the_global_layout_is_under_prefix_lib(tmp_path: Path) -> None:
    config = _config(tmp_path, "-g")
    prefix = str(tmp_path / "prefix")
    assert global_top(config) == os.path.join(prefix, "lib")
    assert global_dir(config) == os.path.join(prefix, "lib", "node_modules")
    assert npm_prefix(config) == prefix
    assert npm_dir(config) == os.path.join(prefix, "lib", "node_modules")


def test_without_global_prefix_and_root_are_the_project(tmp_path: Path) -> None:
    config = _config(tmp_path)
    assert npm_prefix(config) == str(tmp_path / "project")
    assert npm_dir(config) == str(tmp_path / "project" / "node_modules")


def test_install_args_in_global_mode(tmp_path: Path) -> None:
    config = _config(tmp_path, "-g")
    assert install_args(config, []) == (".",)
    assert install_args(config, ["tool", str(tmp_path / "prefix")]) == ("tool",)
    with pytest.raises(UsageError):
        install_args(config, ["tool", ""])
    local = _config(tmp_path)
    assert install_args(local, []) == ()
    assert install_args(local, [str(tmp_path / "project"), "a"]) == ("a",)


def test_uninstall_names(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir(parents=True, exist_ok=True)
    (tmp_path / "project/package.json").write_text(json.dumps({"name": "mine", "version": "1.0.0"}))
    assert uninstall_names(_config(tmp_path, "-g"), []) == ("mine",)
    assert uninstall_names(_config(tmp_path, "-g"), ["a", "b"]) == ("a", "b")
    with pytest.raises(SnpmError, match="Must provide a package name to remove"):
        uninstall_names(_config(tmp_path), [])
    (tmp_path / "project/package.json").unlink()
    with pytest.raises(UsageError):
        uninstall_names(_config(tmp_path, "-g"), [])


def test_require_global_top_is_lstats_enoent(tmp_path: Path) -> None:
    missing = str(tmp_path / "prefix" / "lib")
    with pytest.raises(SnpmError) as caught:
        require_global_top(missing)
    assert caught.value.code == "ENOENT"
    assert caught.value.message == f"ENOENT: no such file or directory, lstat '{missing}'"
    os.makedirs(missing)
    assert require_global_top(missing) == os.path.realpath(missing)


def _global_trees(tmp_path: Path, *, deps: JsonObject) -> tuple[Node, Node]:
    top = str(tmp_path / "lib")
    ideal = Node(path=top, realpath=top, pkg={"dependencies": deps}, global_=True)
    actual = Node(path=top, realpath=top, pkg={}, global_=True)
    for name in ("tool", "other", "@s/sc"):
        Node(path=f"{top}/node_modules/{name}", pkg={"name": name, "version": "1.0.0"}, parent=actual)
    for name in deps:
        Node(path=f"{top}/node_modules/{name}", pkg={"name": name, "version": "2.0.0"}, parent=ideal)
    return ideal, actual


def test_only_the_explicit_requests_are_loaded_and_changed(tmp_path: Path) -> None:
    ideal, actual = _global_trees(tmp_path, deps={"tool": "*"})
    meta = TreeMeta(str(tmp_path / "lib"))
    built = IdealTree(ideal, meta, IdealTreeOptions(global_=True, add=("tool",)))
    edge = ideal.edges_out.get("tool")
    assert edge is not None
    built.explicit_requests.append(edge)
    keep = global_actual_filter(built)
    assert keep(actual, "tool")
    assert not keep(actual, "other")
    # below the global root, everything is loaded
    tool = actual.children.get("tool")
    assert tool is not None and keep(tool, "anything")
    nodes = global_filter_nodes(built, actual)
    assert nodes == [ideal.children.get("tool"), actual.children.get("tool")]


def test_a_removal_and_named_updates_are_explicit_too(tmp_path: Path) -> None:
    ideal, actual = _global_trees(tmp_path, deps={"other": "*"})
    meta = TreeMeta(str(tmp_path / "lib"))
    built = IdealTree(ideal, meta, IdealTreeOptions(global_=True, update_names=("other", "absent")))
    built.explicit_requests.append(DeleteRequest(ideal, "tool"))
    nodes = global_filter_nodes(built, actual)
    # tool is removed (actual only); other is an installed name that was updated; absent is not there
    assert nodes == [actual.children.get("tool"), ideal.children.get("other"), actual.children.get("other")]


def test_without_explicit_requests_nothing_is_filtered(tmp_path: Path) -> None:
    ideal, actual = _global_trees(tmp_path, deps={})
    built = IdealTree(ideal, TreeMeta(str(tmp_path / "lib")), IdealTreeOptions(global_=True, update_all=True))
    keep = global_actual_filter(built)
    assert keep(actual, "other")
    assert global_filter_nodes(built, actual) == []
