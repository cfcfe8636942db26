"""The typed Manifest view, its dependency edges, and add/remove of dependency specs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from snpm.manifest import Manifest, add_dependencies, infer_save_type, read_manifest, remove_dependencies


def test_from_content_types_fields() -> None:
    manifest = Manifest.from_content(
        {
            "name": "a",
            "version": "1.0.0",
            "dependencies": {"x": "^1", "bad": 3},
            "engines": ["node >= 0.4"],
            "os": "linux",
            "cpu": ["x64", 1],
            "workspaces": {"packages": ["w/*"], "nohoist": []},
            "license": {"type": "MIT", "url": "u"},
            "publishConfig": {"registry": "r"},
            "private": "yes",
            "scripts": {"install": "x"},
            "overrides": {"x": "1"},
        }
    )
    assert manifest.dependencies == {"x": "^1"} and manifest.engines == {}
    assert manifest.os == ("linux",) and manifest.cpu == ("x64",)
    assert manifest.workspaces == ("w/*",) and manifest.license == "MIT"
    assert manifest.publish_config == {"registry": "r"} and manifest.private
    assert manifest.has_install_script and manifest.overrides == {"x": "1"}
    assert not manifest.has_shrinkwrap


def test_dependency_specs_follow_node_load_order() -> None:
    manifest = Manifest.from_content(
        {
            "dependencies": {"a": "1", "b": "1", "w": "1"},
            "optionalDependencies": {"b": "2"},
            "devDependencies": {"a": "3", "d": "1"},
            "peerDependencies": {"p": "1", "q": "1", "a": "0"},
            "peerDependenciesMeta": {"q": {"optional": True}, "zz": {"optional": True}},
            "acceptDependencies": {"b": ">=0"},
        }
    )
    edges = manifest.dependency_specs(include_dev=True, workspaces={"w": "/ws/w"})
    assert [(e.name, e.spec, e.type) for e in edges.values()] == [
        ("w", "file:/ws/w", "workspace"),
        ("p", "1", "peer"),
        ("a", "3", "dev"),
        ("q", "1", "peerOptional"),
        ("b", "2", "optional"),
        ("d", "1", "dev"),
    ]
    assert edges["b"].accept == ">=0"
    no_dev = manifest.dependency_specs(include_dev=False, legacy_peer_deps=True)
    assert {n: e.type for n, e in no_dev.items()} == {"a": "prod", "b": "optional", "w": "prod"}
    assert manifest.optional_peer_names() == frozenset({"q"})


def test_read_manifest_normalises(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        json.dumps({"name": "a", "version": "1.0.0", "bin": "cli.js", "_x": 1})
    )
    manifest = read_manifest(tmp_path)
    assert manifest.bin == {"a": "cli.js"} and "_x" not in manifest.content
    assert manifest.content["_id"] == "a@1.0.0"


@pytest.mark.parametrize(
    ("pkg", "expected"),
    [
        ({"devDependencies": {"x": "1"}, "dependencies": {"x": "1"}}, "dev"),
        ({"optionalDependencies": {"x": "1"}}, "optional"),
        ({"peerDependencies": {"x": "1"}}, "peer"),
        ({"peerDependencies": {"x": "1"}, "peerDependenciesMeta": {"x": {"optional": True}}}, "peerOptional"),
        ({}, "prod"),
    ],
)
def test_infer_save_type(pkg: dict[str, object], expected: str) -> None:
    assert infer_save_type(pkg, "x") == expected  # type: ignore[arg-type]


def test_add_moves_between_groups_and_warns() -> None:
    original = {
        "devDependencies": {"x": "1", "y": "1"},
        "peerDependencies": {"x": "1"},
        "peerDependenciesMeta": {"x": {}},
    }
    pkg, warnings = add_dependencies(original, [("x", "^2.0.0")], save_type="prod")
    assert pkg["dependencies"] == {"x": "^2.0.0"} and pkg["devDependencies"] == {"y": "1"}
    assert "peerDependencies" not in pkg and "peerDependenciesMeta" not in pkg
    assert warnings == [
        "Removing devDependencies.x in favor of dependencies.x",
        "Removing peerDependencies.x in favor of dependencies.x",
    ]
    assert original["devDependencies"] == {"x": "1", "y": "1"}  # not changed


def test_add_optional_peer_and_bundle() -> None:
    pkg, _ = add_dependencies({"dependencies": {"b": "1"}}, [("o", "1")], save_type="optional")
    assert pkg["optionalDependencies"] == {"o": "1"} and pkg["dependencies"] == {"b": "1", "o": "1"}
    pkg, _ = add_dependencies({"devDependencies": {"p": "1"}}, [("p", "^2")], save_type="peerOptional")
    assert pkg["peerDependencies"] == {"p": "^2"} and pkg["devDependencies"] == {"p": "^2"}
    assert pkg["peerDependenciesMeta"] == {"p": {"optional": True}}
    pkg, _ = add_dependencies(pkg, [("p", "^3")], save_type="peer")
    assert pkg["peerDependenciesMeta"] == {"p": {"optional": False}}
    pkg, _ = add_dependencies({"bundleDependencies": ["z", "b"]}, [("a", "*")], save_bundle=True)
    assert pkg["bundleDependencies"] == ["a", "b", "z"] and pkg["dependencies"] == {"a": "*"}
    pkg, _ = add_dependencies({"dependencies": {"a": "^1"}}, [("a", "*")])
    assert pkg["dependencies"] == {"a": "^1"}  # `*` does not replace an existing spec
    with pytest.raises(ValueError, match="Invalid saveType"):
        add_dependencies({}, [], save_type="bogus")


def test_remove() -> None:
    pkg = remove_dependencies(
        {
            "dependencies": {"a": "1", "b": "1"},
            "devDependencies": {"a": "1"},
            "peerDependencies": {"a": "1"},
            "peerDependenciesMeta": {"a": {"optional": True}},
            "bundleDependencies": ["a"],
        },
        ["a"],
    )
    assert pkg == {"dependencies": {"b": "1"}}
