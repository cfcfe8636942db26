"""The script environment: npm_package_*, PATH with every node_modules/.bin, npm's process env."""

from __future__ import annotations

import os

from snpm.lifecycle.environment import (
    NODE_GYP_BIN,
    bin_dirs,
    npm_environment,
    package_envs,
    script_environment,
    set_path,
)


def test_package_envs_flattens_the_rfc_fields_only() -> None:
    pkg = {
        "name": "runt",
        "version": "0.1.0",
        "description": "not exported",
        "config": {"port": 8080, "ratio": 1.5, "nested": {"a": [1, True, None, False, {"deep": "x"}]}},
        "engines": {"node": ">=18"},
        "bin": {"runt": "cli.js"},
    }
    assert package_envs(pkg) == {
        "npm_package_name": "runt",
        "npm_package_version": "0.1.0",
        "npm_package_config_port": "8080",
        "npm_package_config_ratio": "1.5",
        "npm_package_config_nested_a_0": "1",
        "npm_package_config_nested_a_1": "true",
        "npm_package_config_nested_a_2": "",
        "npm_package_config_nested_a_3": "",
        "npm_package_config_nested_a_4_deep": "x",
        "npm_package_engines_node": ">=18",
        "npm_package_bin_runt": "cli.js",
    }


def test_package_envs_absent_fields_are_skipped_but_null_is_empty() -> None:
    assert package_envs({"name": None}) == {"npm_package_name": ""}
    assert package_envs({}) == {}


def test_bin_dirs_walk_up_to_the_root() -> None:
    assert bin_dirs("/a/b") == ["/a/b/node_modules/.bin", "/a/node_modules/.bin", "/node_modules/.bin"]
    # odd folders get their own entry too, as npm does
    assert bin_dirs("/p/node_modules")[:2] == ["/p/node_modules/node_modules/.bin", "/p/node_modules/.bin"]


def test_set_path_prepends_bins_and_node_gyp_and_merges_path_keys() -> None:
    env = {"PATH": "/usr/bin:/bin:/usr/bin", "Path": "/bin:/opt/x", "HOME": "/h"}
    result = set_path("/p", env)
    # what a later key repeats is dropped; a repeat within one value is kept, as in npm
    expected = os.pathsep.join(
        ["/p/node_modules/.bin", "/node_modules/.bin", NODE_GYP_BIN, "/usr/bin:/bin:/usr/bin:/opt/x"]
    )
    assert result["PATH"] == expected
    assert result["Path"] == expected
    assert result["HOME"] == "/h"
    assert env["PATH"] == "/usr/bin:/bin:/usr/bin"  # the input is not changed


def test_set_path_without_any_path_key_adds_none() -> None:
    assert "PATH" not in set_path("/p", {"HOME": "/h"})


def test_set_path_extra_bin_paths_come_first_and_warn_about_delimiters() -> None:
    warnings: list[tuple[str, str]] = []
    result = set_path(
        "/p", {"PATH": "/bin"}, ["/x:y"], event="build", warn=lambda t, m: warnings.append((t, m))
    )
    assert result["PATH"].startswith("/x:y:/p/node_modules/.bin")
    assert warnings == [
        ("run-script", 'Path contains delimiter (":"), "build" script may not behave as expected.')
    ]


def test_npm_environment_adds_color_command_and_editor() -> None:
    env = npm_environment(
        {"PATH": "/bin", "X": "1"}, {"X": "2", "HOME": "/h"}, command="run", color=False, editor="vi"
    )
    assert env == {"PATH": "/bin", "X": "2", "HOME": "/h", "EDITOR": "vi", "COLOR": "0", "npm_command": "run"}
    # an exported EDITOR wins over the fallback
    assert npm_environment({}, {"EDITOR": "nano"}, command="", color=True, editor="vi") == {
        "EDITOR": "nano",
        "COLOR": "1",
    }


def test_script_environment_layers_in_npms_order() -> None:
    process = {
        "PATH": "/bin",
        "npm_config_node_gyp": "/gyp.js",
        "npm_package_resolved": "stale",
        "npm_package_name": "outer",
    }
    env = script_environment(
        process,
        path="/p/node_modules/a",
        event="install",
        cmd="echo hi",
        pkg={"name": "a", "version": "1.0.0"},
        extra={"npm_package_resolved": None, "npm_package_dev": "1"},
    )
    assert "npm_package_resolved" not in env  # undefined in node's spawn env removes the variable
    assert env["npm_package_dev"] == "1"
    assert env["npm_package_name"] == "a"
    assert env["npm_package_json"] == "/p/node_modules/a/package.json"
    assert env["npm_lifecycle_event"] == "install"
    assert env["npm_lifecycle_script"] == "echo hi"
    assert env["npm_config_node_gyp"] == "/gyp.js"
    assert env["PATH"].split(os.pathsep)[:3] == [
        "/p/node_modules/a/node_modules/.bin",
        "/p/node_modules/node_modules/.bin",
        "/p/node_modules/.bin",
    ]


def test_script_environment_node_gyp_option_wins() -> None:
    env = script_environment(
        {"npm_config_node_gyp": "/a"}, path="/p", event="x", cmd="y", pkg={}, node_gyp="/b"
    )
    assert env["npm_config_node_gyp"] == "/b"


def test_node_gyp_bin_runs_npm_config_node_gyp() -> None:
    script = os.path.join(NODE_GYP_BIN, "node-gyp")
    assert os.access(script, os.X_OK)
    with open(script, encoding="utf-8") as handle:
        assert handle.read() == '#!/usr/bin/env sh\nnode "$npm_config_node_gyp" "$@"\n'
