"""The reify pipeline in-process (ops.install over a local registry): what lands on disk, what is
written, what is left alone, and what a second install no longer needs from the network."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from snpm.config import load_config
from snpm.errors import SnpmError
from snpm.ops import install as install_ops
from snpm.ops.reify_session import ReifyIO
from support.fake_registry import FakeRegistry
from support.scenario_registry import ScenarioRegistry, make_tarball


@pytest.fixture
def registry() -> Iterator[ScenarioRegistry]:
    fake = FakeRegistry()
    fake.start_in_thread()
    r = ScenarioRegistry(fake)
    r.publish(
        "a",
        "1.0.0",
        dependencies={"b": "^1.0.0"},
        bin={"a-cli": "cli.js"},
        files={"cli.js": "#!/usr/bin/env node\n"},
    )
    r.publish(
        "a",
        "1.1.0",
        dependencies={"b": "^1.0.0"},
        bin={"a-cli": "cli.js"},
        files={"cli.js": "#!/usr/bin/env node\n"},
    )
    r.publish("b", "1.0.0", deprecated="b 1.0.0 is old")
    r.publish("c", "1.0.0")
    r.publish("bad", "1.0.0")
    fake.tarballs["/bad/-/bad-1.0.0.tgz"] = make_tarball({"name": "bad", "version": "1.0.0", "evil": True})
    try:
        yield r
    finally:
        fake.stop_thread()


class Recorder:
    def __init__(self) -> None:
        self.logs: list[tuple[str, str, str]] = []
        self.phases: list[tuple[str, int, int]] = []
        self.stopped = False

    def log(self, level: str, title: str, message: str) -> None:
        self.logs.append((level, title, message))

    def phase(self, name: str, done: int, total: int) -> None:
        self.phases.append((name, done, total))

    def stop(self) -> None:
        self.stopped = True


def context(
    tmp_path: Path, registry: ScenarioRegistry, *args: str, recorder: Recorder | None = None
) -> install_ops.InstallContext:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / ".npmrc").write_text(f"registry={registry.url}\naudit=false\n")
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "npm_config_userconfig": str(home / ".npmrc"),
        "npm_config_globalconfig": str(tmp_path / "globalnpmrc"),
        "npm_config_cache": str(home / ".npm"),
        "npm_config_prefix": str(tmp_path / "prefix"),
    }
    project = tmp_path / "project"
    config = load_config(["install", *args], env=env, cwd=project)
    rec = recorder or Recorder()
    return install_ops.InstallContext(
        config=config, env=env, io=ReifyIO(log=rec.log, progress=rec), command="install"
    )


def project(tmp_path: Path, deps: dict[str, str]) -> Path:
    folder = tmp_path / "project"
    folder.mkdir(exist_ok=True)
    (folder / "package.json").write_text(
        json.dumps({"name": "p", "version": "1.0.0", "dependencies": deps}, indent=2) + "\n"
    )
    return folder


def files(root: Path) -> dict[str, bytes | str]:
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            out[rel] = (
                f"-> {os.readlink(path)}"
                if path.is_symlink()
                else "dir"
                if path.is_dir()
                else path.read_bytes()
            )
    return out


def test_install_writes_the_tree_the_lockfiles_and_reports_progress(
    tmp_path: Path, registry: ScenarioRegistry
) -> None:
    folder = project(tmp_path, {"a": "^1.0.0"})
    rec = Recorder()
    outcome = asyncio.run(install_ops.install(context(tmp_path, registry, recorder=rec), []))
    assert outcome.plan is not None and len(outcome.plan.adds) == 2
    assert json.loads((folder / "node_modules/a/package.json").read_text())["version"] == "1.1.0"
    assert os.readlink(folder / "node_modules/.bin/a-cli") == "../a/cli.js"
    assert (folder / "package-lock.json").exists() and (folder / "node_modules/.package-lock.json").exists()
    assert not (folder / "node_modules/.snpm-reify.json").exists()
    assert rec.phases[-1] == ("reify", 2, 2)
    assert ("warn", "deprecated", "b@1.0.0: b 1.0.0 is old") in rec.logs


def test_dry_run_and_lockfile_only_leave_node_modules_alone(
    tmp_path: Path, registry: ScenarioRegistry
) -> None:
    folder = project(tmp_path, {"a": "1.0.0"})
    outcome = asyncio.run(install_ops.install(context(tmp_path, registry, "--dry-run"), []))
    assert outcome.dry_run and outcome.plan is not None and len(outcome.plan.adds) == 2
    assert sorted(os.listdir(folder)) == ["package.json"]
    outcome = asyncio.run(install_ops.install(context(tmp_path, registry, "--package-lock-only"), []))
    assert outcome.plan is None
    assert sorted(os.listdir(folder)) == ["package-lock.json", "package.json"]


def test_integrity_failure_restores_everything(tmp_path: Path, registry: ScenarioRegistry) -> None:
    folder = project(tmp_path, {"a": "1.0.0"})
    asyncio.run(install_ops.install(context(tmp_path, registry), []))
    before = files(folder)
    with pytest.raises(SnpmError) as caught:
        asyncio.run(install_ops.install(context(tmp_path, registry), ["bad@1.0.0", "a@1.1.0", "c"]))
    assert caught.value.code == "EINTEGRITY"
    assert files(folder) == before


def test_a_second_install_from_the_lockfile_needs_no_network(
    tmp_path: Path, registry: ScenarioRegistry
) -> None:
    folder = project(tmp_path, {"a": "1.0.0", "c": "1.0.0"})
    asyncio.run(install_ops.install(context(tmp_path, registry), []))
    first = files(folder / "node_modules")
    shutil.rmtree(folder / "node_modules")
    seen = len(registry.fake.requests)
    outcome = asyncio.run(install_ops.install(context(tmp_path, registry), []))
    assert outcome.plan is not None and len(outcome.plan.adds) == 3
    assert registry.fake.requests[seen:] == []
    assert files(folder / "node_modules") == first


def test_uninstall_needs_a_name_and_ci_a_lockfile(tmp_path: Path, registry: ScenarioRegistry) -> None:
    project(tmp_path, {"a": "1.0.0"})
    with pytest.raises(SnpmError, match="Must provide a package name to remove"):
        asyncio.run(install_ops.uninstall(context(tmp_path, registry), []))
    with pytest.raises(SnpmError) as caught:
        asyncio.run(install_ops.ci(context(tmp_path, registry)))
    assert caught.value.code == "EUSAGE"
    assert "can only install with an existing package-lock.json" in caught.value.message
