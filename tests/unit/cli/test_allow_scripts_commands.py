"""`snpm approve-scripts`, `deny-scripts` and `install-scripts` through the CLI, in process: dispatch,
usage errors with the command's own usage text, --json, ENOWORKSPACES (the real npm comparison is
tests/e2e/test_allow_scripts_differential.py)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from snpm.cli.main import run

PACKAGE = {"name": "proj", "version": "1.0.0", "dependencies": {"alpha": "1.0.0"}}
HIDDEN = {
    "name": "proj",
    "version": "1.0.0",
    "lockfileVersion": 3,
    "requires": True,
    "packages": {
        "node_modules/alpha": {
            "version": "1.0.0",
            "resolved": "https://r.example/alpha/-/alpha-1.0.0.tgz",
            "hasInstallScript": True,
        }
    },
}


@pytest.fixture()
def world(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "node_modules" / "alpha").mkdir(parents=True)
    (project / "package.json").write_text(json.dumps(PACKAGE, indent=2) + "\n")
    (project / "node_modules" / "alpha" / "package.json").write_text(
        json.dumps({"name": "alpha", "version": "1.0.0", "scripts": {"postinstall": "node x.js"}})
    )
    (project / "node_modules" / ".package-lock.json").write_text(json.dumps(HIDDEN))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / ".npmrc").write_text("")
    return tmp_path


def snpm(world: Path, *argv: str, cwd: str = "project") -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    env = {
        "HOME": str(world / "home"),
        "npm_config_userconfig": str(world / "home" / ".npmrc"),
        "npm_config_globalconfig": str(world / "etc" / "npmrc"),
        "npm_config_cache": str(world / "cache"),
        "npm_config_prefix": str(world / "prefix"),
        "npm_config_logs_max": "0",
    }
    code = run(list(argv), env=env, cwd=world / cwd, stdout=stdout, stderr=stderr)
    return code, stdout.getvalue(), stderr.getvalue()


def test_the_three_commands_share_one_implementation(world: Path) -> None:
    code, out, _ = snpm(world, "install-scripts", "ls")
    assert code == 0
    assert out.splitlines()[:2] == [
        "1 package has install scripts not yet covered by allowScripts:",
        "  alpha@1.0.0 (postinstall: node x.js)",
    ]
    code, out, _ = snpm(world, "approve-scripts", "alpha", "--json")
    assert code == 0
    assert json.loads(out) == {
        "allowScripts": [{"name": "alpha", "changes": [{"key": "alpha@1.0.0", "change": "added"}]}]
    }
    code, out, _ = snpm(world, "deny-scripts", "alpha")
    assert (code, out) == (0, "Denied alpha:\n  removed-pinned-allow alpha@1.0.0\n  added alpha\n")
    assert json.loads((world / "project" / "package.json").read_text())["allowScripts"] == {"alpha": False}


def test_usage_errors_carry_the_commands_usage(world: Path) -> None:
    code, _, err = snpm(world, "install-scripts", "foo")
    assert code == 1
    lines = err.splitlines()
    assert lines[:4] == [
        "snpm error code EUSAGE",
        "snpm error",
        "snpm error `foo` is not a recognized subcommand.",
        "snpm error",
    ]
    assert "snpm error npm install-scripts approve <pkg> [<pkg> ...]" in lines
    code, _, err = snpm(world, "deny-scripts")
    assert code == 1
    assert "snpm error npm deny-scripts --all" in err.splitlines()


def test_workspaces_are_refused(world: Path) -> None:
    code, _, err = snpm(world, "approve-scripts", "--all", "-w", "w")
    assert code == 1
    assert "snpm error code ENOWORKSPACES" in err.splitlines()
