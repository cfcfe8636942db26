"""npm's read-time normalisation steps (expected values from @npmcli/package-json behaviour)."""

from __future__ import annotations

from pathlib import Path

import pytest

from snpm.manifest import (
    NORMALIZE_STEPS,
    PREPARE_STEPS,
    REGISTRY_STEPS,
    has_install_script,
    normalize,
    normalize_bin_for_links,
    secure_and_unixify_path,
)
from snpm.manifest.normalize import js_basename, js_dirname, js_join, js_normalize


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("", ""),
        ("/", ""),
        ("a/", "a/"),
        ("./cli.js", "cli.js"),
        ("bin/../../x", "x"),
        ("a//b", "a/b"),
        ("c:foo", "c/foo"),
    ],
)
def test_secure_and_unixify_path(ref: str, expected: str) -> None:
    assert secure_and_unixify_path(ref) == expected


def test_node_path_helpers() -> None:
    assert js_normalize("") == "." and js_normalize("/a/b/..") == "/a" and js_normalize("a/") == "a/"
    assert js_normalize("../x") == "../x" and js_normalize(".//") == "./"
    assert js_join("/", "") == "/" and js_join(".", "/a/b") == "a/b"
    assert js_basename("a/b/") == "b" and js_basename("/") == ""
    assert js_dirname("index.js") == "." and js_dirname("/x.js") == "/" and js_dirname("lib/a/") == "lib"


def test_input_is_not_changed() -> None:
    content = {"name": "a", "_x": 1, "bin": "c.js", "scripts": {"a": 1}}
    normalize(content)
    assert content == {"name": "a", "_x": 1, "bin": "c.js", "scripts": {"a": 1}}


def test_normalize_steps() -> None:
    changes: list[str] = []
    got = normalize(
        {
            "name": "a",
            "version": "1.0.0",
            "_resolved": "x",
            "bin": "./cli.js",
            "bundledDependencies": ["x"],
            "dependencies": {"x": "1", "o": "1"},
            "optionalDependencies": {"o": "2"},
            "scripts": {"a": "node_modules/.bin/tsc", "b": 1},
            "funding": "https://f.example",
        },
        changes=changes,
    )
    assert got == {
        "name": "a",
        "version": "1.0.0",
        "bin": {"a": "cli.js"},
        "dependencies": {"x": "1"},
        "optionalDependencies": {"o": "2"},
        "scripts": {"a": "node_modules/.bin/tsc"},  # scriptpath is a prepare/fix step only
        "funding": {"url": "https://f.example"},
        "_id": "a@1.0.0",
        "bundleDependencies": ["x"],
    }
    assert 'Invalid scripts."b" was removed' in changes


def test_registry_steps_keep_underscore_fields() -> None:
    assert "_attributes" not in REGISTRY_STEPS
    assert normalize({"name": "a", "_resolved": "r"}, steps=REGISTRY_STEPS)["_resolved"] == "r"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, ["x", "y"]), (False, []), ({"x": "1"}, ["x"]), ("x", None), (None, None), (["z"], ["z"])],
)
def test_bundle_dependencies_forms(value: object, expected: list[str] | None) -> None:
    got = normalize({"bundleDependencies": value, "dependencies": {"x": "1", "y": "2"}})  # type: ignore[dict-item]
    assert got.get("bundleDependencies") == expected


def test_prepare_deletes_false_bundle_dependencies() -> None:
    assert "bundleDependencies" not in normalize({"bundleDependencies": False}, steps=PREPARE_STEPS)


def test_optional_dedupe_removes_emptied_dependencies() -> None:
    assert "dependencies" not in normalize({"dependencies": {"x": "1"}, "optionalDependencies": {"x": "1"}})
    assert "dependencies" not in normalize({"dependencies": {}, "optionalDependencies": {}})


def test_bin_directory_and_gyp(tmp_path: Path) -> None:
    (tmp_path / "tools/sub").mkdir(parents=True)
    for name in ("tools/t1", "tools/sub/t2", "tools/.hidden", "binding.gyp", "server.js"):
        (tmp_path / name).write_text("")
    got = normalize({"name": "a", "directories": {"bin": "./tools"}}, path=tmp_path)
    assert got["bin"] == {"sub": "tools/sub", "t1": "tools/t1", "t2": "tools/sub/t2"}
    assert "scripts" not in got  # gypfile is a prepare step
    prepared = normalize({"name": "a", "scripts": {"test": "t"}}, steps=PREPARE_STEPS, path=tmp_path)
    assert prepared["scripts"] == {"test": "t", "install": "node-gyp rebuild", "start": "node server.js"}
    assert prepared["gypfile"] is True
    assert "install" not in normalize({"gypfile": False}, steps=PREPARE_STEPS, path=tmp_path).get(
        "scripts", {}
    )  # type: ignore[operator]
    kept = normalize({"scripts": {"preinstall": "p"}}, steps=PREPARE_STEPS, path=tmp_path)
    assert kept["scripts"] == {"preinstall": "p", "start": "node server.js"}


def test_unsupported_steps() -> None:
    with pytest.raises(ValueError, match="normalizeData"):
        normalize({}, steps=("normalizeData",))


def test_has_install_script() -> None:
    assert has_install_script({"scripts": {"postinstall": "x"}})
    assert has_install_script({"hasInstallScript": True})
    assert not has_install_script({"scripts": {"prepare": "x", "install": ""}})
    assert not has_install_script({"scripts": "install"})


def test_bin_for_links() -> None:
    assert normalize_bin_for_links("./cli.js", "@s/a") == {
        "a": "cli.js"
    }  # a scoped name links as its basename
    assert normalize_bin_for_links("./cli.js", None) == {}
    assert normalize_bin_for_links({"../x": "../../p", "c:d": "e\\f:g", "bad": 1}, "a") == {
        "x": "p",
        "d": "e/f:g",
    }


def test_normalize_steps_constant_matches_npm() -> None:
    assert NORMALIZE_STEPS == (
        "_id",
        "_attributes",
        "bundledDependencies",
        "bundleDependencies",
        "optionalDedupe",
        "scripts",
        "funding",
        "bin",
        "binDir",
    )
