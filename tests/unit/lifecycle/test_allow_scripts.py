"""npm 11's allowScripts policy: identity matching, policy resolution, the unreviewed list."""

from __future__ import annotations

from pathlib import Path

import pytest

from snpm.errors import SnpmError
from snpm.json_types import JsonValue
from snpm.lifecycle.allow_scripts import (
    Unreviewed,
    collect_unreviewed_scripts,
    install_scripts_of,
    is_exact_version_disjunction,
    is_script_allowed,
    parse_allow_scripts_list,
    resolve_allow_scripts,
    strict_allow_scripts_error,
    unreviewed_scripts_message,
    validate_policy,
    version_from_tgz,
    workspace_allow_scripts_warnings,
)
from snpm.lifecycle.build_node import BuildNode

REG = "https://registry.example/"


def registry_node(name: str, version: str, **kw: object) -> BuildNode:
    base = name.rsplit("/", 1)[-1]
    defaults: dict[str, object] = {
        "path": f"/p/node_modules/{name}",
        "name": name,
        "package": {"name": name, "version": version, "scripts": {"install": "node build.js"}},
        "resolved": f"{REG}{name}/-/{base}-{version}.tgz",
    }
    defaults.update(kw)
    return BuildNode(**defaults)  # type: ignore[arg-type]


def test_version_from_tgz() -> None:
    assert version_from_tgz("", f"{REG}canvas/-/canvas-2.11.2.tgz") == ("canvas", "2.11.2")
    assert version_from_tgz("", f"{REG}@s/x/-/x-1.0.0-beta.1.tgz") == ("@s/x", "1.0.0-beta.1")
    assert version_from_tgz("", f"{REG}@s%2fx/-/x-1.0.0.tgz") == ("@s/x", "1.0.0")
    assert version_from_tgz("", f"{REG}mirror/a/-/b/canvas/-/canvas-2.0.0.tgz") == ("canvas", "2.0.0")
    assert version_from_tgz("", f"{REG}canvas/-/canvas-latest.tgz") is None
    assert version_from_tgz("", "https://x/canvas.zip") is None
    assert version_from_tgz("foo", "/tmp/foo-1.2.3.tgz") == ("foo", "1.2.3")


@pytest.mark.parametrize(
    ("policy", "verdict"),
    [
        ({"canvas": True}, True),
        ({"canvas@*": True}, True),
        ({"canvas@2.11.2": True}, True),
        ({"canvas@2.11.1 || 2.11.2": True}, True),
        ({"canvas@2.11.1": True}, None),
        ({"canvas@^2.0.0": True}, None),  # ranges never match
        ({"canvas@latest": True}, None),  # nor do dist-tags
        ({"other": True}, None),
        ({"canvas": True, "canvas@2.11.2": False}, False),  # deny wins
        ({"canvas": False}, False),
        ({"npm:canvas@2.11.2": True}, None),  # aliases never match
        ({"canvas": "yes"}, None),  # only real booleans count
        ({}, None),
    ],
)
def test_registry_identity(policy: dict[str, JsonValue], verdict: bool | None) -> None:
    assert is_script_allowed(registry_node("canvas", "2.11.2"), policy) is verdict


def test_identity_comes_from_the_url_not_the_package() -> None:
    # the tarball claims to be "trusted", the registry URL says "naughty"
    node = registry_node("naughty", "1.0.0", package={"name": "trusted", "version": "1.0.0"})
    assert is_script_allowed(node, {"trusted": True}) is None
    assert is_script_allowed(node, {"naughty": True}) is True


def test_without_resolved_the_name_comes_from_edges_and_versions_fail_closed() -> None:
    node = BuildNode(
        path="/p/node_modules/alias",
        package={"name": "x", "version": "1.0.0"},
        edges_in=(("alias", "npm:real@^1.0.0"),),
    )
    assert is_script_allowed(node, {"real": True}) is True
    assert is_script_allowed(node, {"alias": True}) is None
    assert is_script_allowed(node, {"real@1.0.0": True}) is None  # an allow cannot be verified
    assert is_script_allowed(node, {"real@1.0.0": False}) is False  # a deny still blocks


def test_bundled_nodes_never_match() -> None:
    assert is_script_allowed(registry_node("canvas", "2.11.2", in_bundle=True), {"canvas": True}) is None


def test_registry_keys_do_not_match_other_sources() -> None:
    node = registry_node("canvas", "1.0.0", resolved="https://evil.example/-/canvas-1.0.0.tgz")
    assert is_script_allowed(node, {"canvas": True}) is None


def test_git_identity() -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    node = BuildNode(
        path="/p/node_modules/x",
        package={"name": "x"},
        resolved=f"git+ssh://git@github.com/user/x.git#{sha}",
    )
    assert is_script_allowed(node, {"github:user/x": True}) is True
    assert is_script_allowed(node, {"github:user/x#0123456": True}) is True
    assert is_script_allowed(node, {"github:user/x#abcdef0": True}) is None
    assert is_script_allowed(node, {"github:user/other": True}) is None


def test_file_and_remote_identity(tmp_path: Path) -> None:
    target = tmp_path / "dep"
    node = BuildNode(
        path=str(target),
        realpath=str(target),
        package={"name": "dep"},
        links_in=("file:dep",),
    )
    assert is_script_allowed(node, {"file:dep": True}, where=str(tmp_path)) is True
    assert is_script_allowed(node, {f"file:{target}": True}, where="/elsewhere") is True
    remote = BuildNode(path="/p/node_modules/r", package={}, resolved="https://host.example/r.tgz")
    assert is_script_allowed(remote, {"https://host.example/r.tgz": True}) is True


def test_exact_version_disjunction() -> None:
    assert is_exact_version_disjunction("1.0.0 || 2.0.0")
    assert not is_exact_version_disjunction("^1.0.0")
    assert not is_exact_version_disjunction("1.0.0 || ")
    assert not is_exact_version_disjunction("  ")


def test_parse_allow_scripts_list() -> None:
    assert parse_allow_scripts_list(" a, b ,,c") == ["a", "b", "c"]
    assert parse_allow_scripts_list(["a,b", "c", 3]) == ["a", "b", "c"]
    assert parse_allow_scripts_list("") == []
    assert parse_allow_scripts_list(None) == []


def test_validate_policy_drops_ranges_and_tags() -> None:
    warnings: list[str] = []
    cleaned = validate_policy(
        {"a": True, "b@^1": True, "c@latest": True, "d@1.0.0 || 1.0.1": False, "@@bad": True},
        "package.json",
        lambda t, m: warnings.append(f"{t}: {m}"),
    )
    assert cleaned == {"a": True, "d@1.0.0 || 1.0.1": False}
    assert warnings == [
        'install-scripts: package.json: ignoring "b@^1" — semver ranges (^, ~, >=, <) are not allowed; '
        'use exact versions joined by "||" instead',
        'install-scripts: package.json: ignoring "c@latest" — dist-tag specs (@latest, @next, ...) are not '
        'allowed; use exact versions joined by "||", or the bare package name, instead',
        'install-scripts: package.json: ignoring unparseable entry "@@bad"',
    ]
    assert validate_policy({"x@^1": True}, "CLI flag", lambda t, m: None) is None


def _layers(values: dict[str, JsonValue]) -> object:
    return values.get


def test_resolve_precedence() -> None:
    warnings: list[str] = []

    def warn(title: str, message: str) -> None:
        warnings.append(message)

    rc = {"user": "a,b"}
    pkg = {"allowScripts": {"c": True, "d": False}}
    resolved = resolve_allow_scripts(rc.get, pkg, global_=False, warn=warn)
    assert (resolved.policy, resolved.source) == ({"c": True, "d": False}, "package.json")
    assert warnings == [
        ".npmrc allow-scripts setting is being ignored because package.json declares its own allowScripts field"
    ]
    resolved = resolve_allow_scripts(rc.get, {}, global_=False, warn=warn)
    assert (resolved.policy, resolved.source) == ({"a": True, "b": True}, ".npmrc")
    assert resolve_allow_scripts({}.get, None, global_=False, warn=warn).source is None


def test_cli_flag_only_outside_projects() -> None:
    cli = {"cli": "a", "global": "b"}
    with pytest.raises(SnpmError) as info:
        resolve_allow_scripts(cli.get, {}, global_=False, warn=lambda t, m: None)
    assert info.value.code == "EALLOWSCRIPTS"
    warnings: list[str] = []
    resolved = resolve_allow_scripts(
        cli.get, {"allowScripts": {"x": True}}, global_=True, warn=lambda t, m: warnings.append(m)
    )
    assert (resolved.policy, resolved.source) == ({"a": True}, "cli")
    assert warnings == [
        ".npmrc allow-scripts setting is being ignored because --allow-scripts was passed on the command line"
    ]
    # npx skips the project: the flag is fine and package.json is not read
    resolved = resolve_allow_scripts(
        cli.get,
        {"allowScripts": {"x": True}},
        global_=False,
        warn=lambda t, m: None,
        skip_project_config=True,
    )
    assert resolved.source == "cli"


def _no_disk(path: str) -> dict[str, JsonValue]:
    return {}


def test_install_scripts_of(tmp_path: Path) -> None:
    node = registry_node("a", "1.0.0", package={"scripts": {"postinstall": "x", "prepare": "p", "test": "t"}})
    assert install_scripts_of(node, _no_disk) == {"postinstall": "x"}  # registry deps never prepare
    git = BuildNode(
        path=str(tmp_path), package={"scripts": {"prepare": "p"}}, resolved="git+https://h.example/r.git#abc"
    )
    assert install_scripts_of(git, _no_disk) == {"prepare": "p"}
    (tmp_path / "binding.gyp").write_text("{}")
    gyp = BuildNode(path=str(tmp_path), package={"name": "g"})
    assert install_scripts_of(gyp, _no_disk) == {"install": "node-gyp rebuild"}
    flagged = BuildNode(path="/nowhere", package={"hasInstallScript": True})
    assert install_scripts_of(flagged, _no_disk) == {"install": "(install scripts present)"}
    assert install_scripts_of(flagged, lambda p: {"scripts": {"preinstall": "from disk"}}) == {
        "preinstall": "from disk"
    }


def test_collect_and_messages() -> None:
    nodes = [
        registry_node("a", "1.0.0"),
        registry_node("b", "2.0.0"),
        registry_node("denied", "1.0.0"),
        registry_node("bundled", "1.0.0", in_bundle=True),
        registry_node("ws", "1.0.0", is_workspace=True),
        registry_node("noscripts", "1.0.0", package={"name": "noscripts"}),
    ]
    policy = {"b": True, "denied": False}
    found = collect_unreviewed_scripts(nodes, policy, _no_disk)
    assert [u.node.name for u in found] == ["a"]
    assert collect_unreviewed_scripts(nodes, policy, _no_disk, ignore_scripts=True) == []
    assert collect_unreviewed_scripts(nodes, policy, _no_disk, dangerously_allow_all_scripts=True) == []
    assert unreviewed_scripts_message([], global_=False) is None
    two = [
        Unreviewed(nodes[0], {"install": "node build.js"}),
        Unreviewed(nodes[1], {"preinstall": "a", "install": "b"}),
    ]
    assert unreviewed_scripts_message(two, global_=False) == (
        "2 packages have install scripts not yet covered by allowScripts:\n"
        "  a@1.0.0 (install: node build.js)\n"
        "  b@2.0.0 (preinstall: a; install: b)\n"
        "\n"
        "Run `npm install-scripts ls` to review, or `npm install-scripts approve <pkg>` to allow."
    )
    assert unreviewed_scripts_message(two[:1], global_=True) == (
        "1 package has install scripts not yet covered by allowScripts:\n"
        "  a@1.0.0 (install: node build.js)\n"
        "\n"
        "Run `npm install -g --allow-scripts=a` to allow these scripts once, or "
        "`npm config set allow-scripts=a --location=user` to allow them for all global installs."
    )
    err = strict_allow_scripts_error(two, global_=False)
    assert err.code == "ESTRICTALLOWSCRIPTS"
    assert err.message == (
        "--strict-allow-scripts: 2 package(s) have install scripts not covered by allowScripts:\n"
        "  a@1.0.0 (install: node build.js)\n"
        "  b@2.0.0 (preinstall: a; install: b)\n"
        "Approve them with `npm install-scripts approve`, deny them with `npm install-scripts deny`, "
        "or bypass this check with `--dangerously-allow-all-scripts`."
    )


def test_workspace_policy_warning() -> None:
    ws = BuildNode(path="/p/packages/a", package={"name": "a", "allowScripts": {}}, is_workspace=True)
    root = BuildNode(
        path="/p", package={"name": "r", "allowScripts": {}}, is_workspace=True, is_project_root=True
    )
    assert workspace_allow_scripts_warnings([root, ws]) == [
        "allowScripts in workspace a (/p/packages/a) is ignored. Move the field to the project root package.json."
    ]
