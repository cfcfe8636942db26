"""approve-scripts / deny-scripts / install-scripts over a project on disk (snpm.ops.allow_scripts_cmd),
and the install-time pieces: the policy from config, the strict preflight, the workspace warning.

Projects are written by hand: installed packages plus the hidden lockfile arborist trusts for
their `resolved` URLs. No network, no subprocess; the real npm comparison is tests/e2e.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from snpm.config import Config, load_config
from snpm.errors import SnpmError, UsageError
from snpm.ops.allow_scripts_check import check_allow_scripts
from snpm.ops.allow_scripts_cmd import AllowScriptsReport, AllowScriptsRequest, Mode, run_allow_scripts
from snpm.ops.allow_scripts_preflight import strict_allow_scripts_preflight
from snpm.ops.allow_scripts_resolve import resolve_policy
from snpm.ops.allow_scripts_workspace import warn_workspace_allow_scripts
from snpm.tree.load_actual import load_actual

REGISTRY = "https://r.example"
MARK = {"postinstall": "node mark.js"}

Logged = list[tuple[str, str, str]]


def write_project(
    root: Path, package: dict[str, Any], installed: dict[str, dict[str, Any]], *, indent: int = 2
) -> Path:
    """`installed` maps a top-level folder name under node_modules to the installed package.json."""
    project = root / "project"
    project.mkdir(parents=True, exist_ok=True)
    (project / "package.json").write_text(json.dumps(package, indent=indent) + "\n")
    entries: dict[str, Any] = {}
    for location, manifest in installed.items():
        folder = project / "node_modules" / location
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_text(json.dumps(manifest))
        name, version = manifest["name"], manifest["version"]
        entry: dict[str, Any] = {
            "version": version,
            "resolved": f"{REGISTRY}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz",
        }
        if manifest.get("scripts"):
            entry["hasInstallScript"] = True
        entries[f"node_modules/{location}"] = entry
    hidden = {
        "name": package["name"],
        "version": package["version"],
        "lockfileVersion": 3,
        "requires": True,
        "packages": entries,
    }
    (project / "node_modules" / ".package-lock.json").write_text(json.dumps(hidden, indent=2))
    return project


def config_for(root: Path, *argv: str, npmrc: str = "") -> Config:
    for folder in ("home", "prefix/etc", "project"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "home/.npmrc").write_text(npmrc)
    env = {"HOME": str(root / "home"), "PREFIX": str(root / "prefix")}
    return load_config(list(argv), env=env, cwd=root / "project", stdout_tty=False, stderr_tty=False)


def run(
    root: Path, command: str, mode: Mode, *args: str, flags: tuple[str, ...] = (), npmrc: str = ""
) -> tuple[AllowScriptsReport, Logged]:
    config = config_for(root, command, *args, *flags, npmrc=npmrc)
    logged: Logged = []
    request = AllowScriptsRequest(
        command=command, mode=mode, args=args, honours_pending=command != "install-scripts"
    )
    report = asyncio.run(run_allow_scripts(config, request, lambda *entry: logged.append(entry)))
    return report, [entry for entry in logged if entry[0] != "silly"]


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return write_project(
        tmp_path,
        {
            "name": "proj",
            "version": "1.0.0",
            "dependencies": {"alpha": "1.0.0", "beta": "1.0.0", "plain": "1.0.0"},
        },
        {
            "alpha": {"name": "alpha", "version": "1.0.0", "scripts": MARK},
            "beta": {"name": "beta", "version": "1.0.0", "scripts": {"preinstall": "node mark.js"}},
            "plain": {"name": "plain", "version": "1.0.0"},
        },
    )


def test_listing_the_unreviewed(project: Path) -> None:
    report, logged = run(project.parent, "install-scripts", "list")
    assert report.lines == (
        "2 packages have install scripts not yet covered by allowScripts:",
        "  alpha@1.0.0 (postinstall: node mark.js)",
        "  beta@1.0.0 (preinstall: node mark.js)",
        "",
        "Run `npm install-scripts approve <pkg>` to allow, or `npm install-scripts deny <pkg>` to deny.",
    )
    assert logged == []
    report, _ = run(project.parent, "approve-scripts", "approve", flags=("--allow-scripts-pending", "--json"))
    assert report.json == {
        "allowScripts": [
            {"name": "alpha", "changes": [{"key": "alpha@1.0.0", "change": "pending"}]},
            {"name": "beta", "changes": [{"key": "beta@1.0.0", "change": "pending"}]},
        ]
    }


def test_approve_then_deny_write_package_json_as_npm_does(project: Path) -> None:
    report, _ = run(project.parent, "approve-scripts", "approve", "alpha")
    assert report.lines == ("Approved alpha:", "  added alpha@1.0.0")
    report, _ = run(project.parent, "deny-scripts", "deny", "beta")
    assert report.lines == ("Denied beta:", "  added beta")
    text = (project / "package.json").read_text()
    assert text.endswith('  "allowScripts": {\n    "alpha@1.0.0": true,\n    "beta": false\n  }\n}\n')
    report, logged = run(project.parent, "approve-scripts", "approve", "beta")
    assert report.lines == ("Nothing to approve; allowScripts unchanged.",)
    assert logged == [
        ("warn", "approve-scripts", "beta is denied; remove the entry from allowScripts to approve beta.")
    ]
    assert (project / "package.json").read_text() == text
    report, _ = run(project.parent, "approve-scripts", "approve", flags=("--all",))
    assert report.lines == ("No packages with unreviewed install scripts.",)


def test_positional_arguments_must_match_an_installed_package(project: Path) -> None:
    with pytest.raises(SnpmError, match=r"^No installed packages match: nosuch, alpha@2$") as raised:
        run(project.parent, "approve-scripts", "approve", "nosuch", "alpha@2", "alpha@1")
    assert raised.value.code == "ENOMATCH"


@pytest.mark.parametrize(
    ("command", "mode", "args", "flags", "message"),
    [
        ("approve-scripts", "approve", (), (), ""),
        (
            "install-scripts",
            "list",
            ("x",),
            (),
            "`npm install-scripts ls` cannot be combined with positional arguments or `--all`.",
        ),
        (
            "approve-scripts",
            "approve",
            (),
            ("--allow-scripts-pending", "--all"),
            "`--allow-scripts-pending` cannot be combined with positional arguments or `--all`.",
        ),
        (
            "deny-scripts",
            "deny",
            (),
            ("--allow-scripts-pending",),
            "`npm deny-scripts --allow-scripts-pending` is not supported; run `npm install-scripts ls` to list unreviewed packages.",
        ),
        (
            "install-scripts",
            "prune",
            (),
            ("--all",),
            "`npm install-scripts prune` cannot be combined with positional arguments or `--all`.",
        ),
    ],
)
def test_usage_errors(
    project: Path, command: str, mode: Mode, args: tuple[str, ...], flags: tuple[str, ...], message: str
) -> None:
    with pytest.raises(UsageError) as raised:
        run(project.parent, command, mode, *args, flags=flags)
    assert raised.value.message == message


def test_global_mode_is_refused(project: Path) -> None:
    with pytest.raises(
        SnpmError, match=r"^`npm install-scripts` does not work for global installs$"
    ) as raised:
        run(project.parent, "install-scripts", "list", flags=("-g",))
    assert raised.value.code == "EGLOBAL"


def test_prune_removes_unused_entries_and_then_the_field(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "name": "proj",
            "version": "1.0.0",
            "dependencies": {"alpha": "1.0.0", "plain": "1.0.0"},
            "allowScripts": {"alpha@1.0.0": True, "ghost": False, "plain": True},
        },
        {
            "alpha": {"name": "alpha", "version": "1.0.0", "scripts": MARK},
            "plain": {"name": "plain", "version": "1.0.0"},
        },
        indent=4,
    )
    report, _ = run(tmp_path, "install-scripts", "prune", flags=("--dry-run", "--json"))
    assert report.json == {
        "allowScripts": {
            "removed": [
                {"key": "ghost", "value": False, "reason": "not-installed"},
                {"key": "plain", "value": True, "reason": "no-scripts"},
            ],
            "dryRun": True,
        }
    }
    report, _ = run(tmp_path, "install-scripts", "prune")
    assert report.lines == (
        "Removed 2 unused allowScripts entries:",
        "  ghost (package not installed)",
        "  plain (no install scripts)",
    )
    assert (
        '\n    "allowScripts": {\n        "alpha@1.0.0": true\n    }\n'
        in (project / "package.json").read_text()
    )
    # alpha's next version has no install scripts any more
    write_project(
        tmp_path,
        json.loads((project / "package.json").read_text()),
        {"alpha": {"name": "alpha", "version": "1.0.0"}, "plain": {"name": "plain", "version": "1.0.0"}},
        indent=4,
    )
    report, _ = run(tmp_path, "install-scripts", "prune")
    assert report.lines == ("Removed 1 unused allowScripts entry:", "  alpha@1.0.0 (no install scripts)")
    assert "allowScripts" not in json.loads((project / "package.json").read_text())
    assert run(tmp_path, "install-scripts", "prune")[0].lines == ("No unused allowScripts entries.",)


def test_the_policy_layers(project: Path) -> None:
    root = project.parent
    logged: Logged = []

    def log(*entry: str) -> None:
        logged.append(entry)  # type: ignore[arg-type]

    rc = "allow-scripts=alpha,beta@^1\n"
    assert resolve_policy(config_for(root, "install", npmrc=rc), log).policy == {"alpha": True}
    assert logged == [
        (
            "warn",
            "install-scripts",
            '.npmrc: ignoring "beta@^1" — semver ranges (^, ~, >=, <) are not allowed; use exact versions joined by "||" instead',
        )
    ]
    with pytest.raises(SnpmError) as raised:
        resolve_policy(config_for(root, "install", "--allow-scripts=alpha"), log)
    assert raised.value.code == "EALLOWSCRIPTS"
    # a global command takes the flag, and never reads the project's package.json
    resolved = resolve_policy(config_for(root, "install", "-g", "--allow-scripts=beta"), log)
    assert (resolved.policy, resolved.source) == ({"beta": True}, "cli")


def test_the_strict_preflight(project: Path) -> None:
    root = project.parent
    tree = asyncio.run(load_actual(str(project)))
    strict_allow_scripts_preflight(config_for(root, "install"), tree.inventory.values(), None)
    with pytest.raises(SnpmError) as raised:
        strict_allow_scripts_preflight(
            config_for(root, "install", "--strict-allow-scripts"), tree.inventory.values(), {"alpha": True}
        )
    assert raised.value.code == "ESTRICTALLOWSCRIPTS"
    assert raised.value.message == (
        "--strict-allow-scripts: 1 package(s) have install scripts not covered by allowScripts:\n"
        "  beta@1.0.0 (preinstall: node mark.js)\n"
        "Approve them with `npm install-scripts approve`, deny them with `npm install-scripts deny`, "
        "or bypass this check with `--dangerously-allow-all-scripts`."
    )
    for bypass in ("--ignore-scripts", "--dangerously-allow-all-scripts"):
        config = config_for(root, "install", "--strict-allow-scripts", bypass)
        strict_allow_scripts_preflight(config, tree.inventory.values(), None)
    # listing under --ignore-scripts still sees them (approve/deny move a project off ignore-scripts)
    config = config_for(root, "install", "--ignore-scripts")
    assert check_allow_scripts(tree.inventory.values(), None, config) == []
    assert len(check_allow_scripts(tree.inventory.values(), None, config, include_when_ignored=True)) == 2


def test_a_workspace_allow_scripts_is_reported(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "packages" / "w").mkdir(parents=True)
    (project / "package.json").write_text(json.dumps({"name": "root", "workspaces": ["packages/*"]}))
    (project / "packages" / "w" / "package.json").write_text(
        json.dumps({"name": "w", "version": "1.0.0", "allowScripts": {}})
    )
    (project / "node_modules").mkdir()
    (project / "node_modules" / "w").symlink_to("../packages/w")
    tree = asyncio.run(load_actual(str(project)))
    logged: Logged = []
    warn_workspace_allow_scripts(tree.inventory.values(), lambda *entry: logged.append(entry))
    assert sorted(logged) == [
        (
            "warn",
            "install-scripts",
            f"allowScripts in workspace w ({path}) is ignored. Move the field to the project root package.json.",
        )
        for path in (project / "node_modules" / "w", project / "packages" / "w")
    ]
