"""The no-op install (snpm.ops.noop_install) against npm: whatever happens between two installs,
the second `snpm install` gives what the second `npm install` gives, and it answers from its stamp
exactly when nothing can have changed.

Each test installs twin projects with npm and snpm, changes both the same way (a package folder
removed or touched, package.json or the lockfile edited, a setting changed, a new version
published), installs again and compares stdout, warnings and every file. Whether snpm took the
short way is read from its debug log (`silly noop` line).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_install_differential import NPM, World, compare_run, pkg

from support.fake_registry import FakeRegistry
from support.scenario_registry import ScenarioRegistry

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(NPM is None, reason="npm is not installed")]


@pytest.fixture
def registry() -> Iterator[ScenarioRegistry]:
    """A registry per test: some tests publish between the two installs."""
    fake = FakeRegistry()
    fake.start_in_thread()
    r = ScenarioRegistry(fake)
    r.publish("b", "1.0.0")
    r.publish("a", "1.0.0", dependencies={"b": "^1.0.0"}, bin={"a-cli": "cli.js"}, files={"cli.js": "x"})
    r.publish("devonly", "1.0.0")
    r.publish("funded", "1.0.0", funding="https://example.com/fund")
    r.publish("old-engine", "1.0.0", engines={"node": "<1"})
    # an optional dependency that cannot be resolved (no 2.x yet): npm's lockfile leaves it out,
    # so every install resolves it again and the registry's answer decides
    r.publish("binding", "1.0.0")
    r.publish("native", "1.0.0", optionalDependencies={"binding": "^2.0.0"})
    try:
        yield r
    finally:
        fake.stop_thread()


def _twins(
    tmp_path: Path,
    registry: ScenarioRegistry,
    package: dict[str, object],
    files: dict[str, str] | None = None,
) -> list[World]:
    worlds = []
    for tool in ("npm", "snpm"):
        world = World(tmp_path / tool, tool, registry.url).setup(package, files or {})
        done = world.run(["install"])
        assert done.returncode == 0, done.stderr
        worlds.append(world)
    return worlds


def _took_noop(world: World) -> bool:
    logs = sorted((world.root / "home" / ".npm" / "_logs").glob("*-debug-0.log"))
    return "silly noop" in logs[-1].read_text() if logs else False


def _again(
    worlds: list[World], change: Callable[[World], None], args: tuple[str, ...] = ()
) -> tuple[list[str], bool]:
    """Change both twins, install again; the differences from npm and whether snpm used its stamp."""
    npm_world, snpm_world = worlds
    for world in worlds:
        change(world)
    step = ["install", *args]
    npm_done = npm_world.run(step)
    snpm_done = snpm_world.run(step)
    return compare_run(step, npm_world, snpm_world, npm_done, snpm_done), _took_noop(snpm_world)


def _nothing(world: World) -> None:
    pass


def _install_importing(world: World) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """`snpm install` once more, and the modules it imported (`-X importtime`)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "snpm", "install"],
        cwd=world.project,
        env=world.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done, {line.rpartition("|")[2].strip() for line in done.stderr.splitlines() if "|" in line}


def test_unchanged_project_answers_from_the_stamp(registry: ScenarioRegistry, tmp_path: Path) -> None:
    worlds = _twins(tmp_path, registry, pkg(dependencies={"a": "^1.0.0", "funded": "1.0.0"}))
    problems, noop = _again(worlds, _nothing)
    assert problems == []
    assert noop
    # and again, the stamp survives its own use
    problems, noop = _again(worlds, _nothing)
    assert problems == [] and noop
    # without loading the engine (nor asyncio: nothing is fetched)
    snpm_world = worlds[1]
    done, imported = _install_importing(snpm_world)
    assert "up to date" in done.stdout
    assert "snpm.ops.noop_install" in imported
    assert not {"asyncio", "snpm.tree.ideal.build", "snpm.ops.reify_session", "msgspec"} & imported


def _remove_folder(world: World) -> None:
    import shutil

    shutil.rmtree(world.project / "node_modules" / "b")


def _touch_folder(world: World) -> None:
    # newer than the hidden lockfile (beyond npm's 10 ms of jitter), older than the next one
    time.sleep(0.05)
    os.utime(world.project / "node_modules" / "a")


def _add_folder(world: World) -> None:
    extra = world.project / "node_modules" / "stray"
    extra.mkdir()
    (extra / "package.json").write_text('{"name":"stray","version":"1.0.0"}')


def _edit_package(world: World) -> None:
    path = world.project / "package.json"
    data = json.loads(path.read_text())
    data["dependencies"]["devonly"] = "1.0.0"
    path.write_text(json.dumps(data, indent=2) + "\n")


def _drop_lockfile(world: World) -> None:
    (world.project / "package-lock.json").unlink()


def _drop_hidden_lockfile(world: World) -> None:
    (world.project / "node_modules" / ".package-lock.json").unlink()


def _omit_dev(world: World) -> None:
    with (world.root / "home" / ".npmrc").open("a") as fh:
        fh.write("omit=dev\n")


@pytest.mark.parametrize(
    "change",
    [
        _remove_folder,
        _touch_folder,
        _add_folder,
        _edit_package,
        _drop_lockfile,
        _drop_hidden_lockfile,
        _omit_dev,
    ],
    ids=lambda f: f.__name__.strip("_"),
)
def test_any_change_takes_the_full_install(
    change: Callable[[World], None], registry: ScenarioRegistry, tmp_path: Path
) -> None:
    package = pkg(dependencies={"a": "^1.0.0"}, devDependencies={"devonly": "1.0.0"})
    worlds = _twins(tmp_path, registry, package)
    problems, noop = _again(worlds, change)
    assert problems == []
    assert not noop
    # the full install leaves a new stamp: the next run is short again and still agrees
    problems, noop = _again(worlds, _nothing)
    assert problems == [] and noop


def test_other_arguments_and_settings_take_the_full_install(
    registry: ScenarioRegistry, tmp_path: Path
) -> None:
    worlds = _twins(tmp_path, registry, pkg(dependencies={"a": "^1.0.0"}))
    for args in (("--dry-run",), ("--json",), ("--ignore-scripts",), ("b@1.0.0",)):
        problems, noop = _again(worlds, _nothing, args)
        assert problems == [], args
        assert not noop, args


def test_unresolvable_optional_dependency(registry: ScenarioRegistry, tmp_path: Path) -> None:
    worlds = _twins(tmp_path, registry, pkg(dependencies={"native": "1.0.0"}))
    problems, noop = _again(worlds, _nothing)
    assert problems == []
    assert noop  # the packument of `binding` is fetched again and has not changed
    # a version that satisfies the range at last: npm's next install adds it
    registry.publish("binding", "2.0.0")
    problems, noop = _again(worlds, _nothing)
    assert problems == []
    assert not noop
    assert (worlds[1].project / "node_modules" / "binding").is_dir()


def test_warnings_of_the_whole_tree_are_shown_again(registry: ScenarioRegistry, tmp_path: Path) -> None:
    worlds = _twins(tmp_path, registry, pkg(dependencies={"old-engine": "1.0.0"}))
    # the install that added the package warned: that run's warnings are not a no-op's
    problems, noop = _again(worlds, _nothing)
    assert problems == []
    assert not noop
    # a no-op's warnings are: the stamp shows them again
    problems, noop = _again(worlds, _nothing)
    assert problems == []
    assert noop


def test_warnings_of_a_change_are_not_shown_again(registry: ScenarioRegistry, tmp_path: Path) -> None:
    worlds = _twins(tmp_path, registry, pkg(dependencies={"b": "1.0.0"}))
    for world in worlds:
        # a v1 lockfile: converting it warns once ("old lockfile" …), the next install does not
        lock = json.loads((world.project / "package-lock.json").read_text())
        v1 = {
            "name": "proj",
            "version": "1.0.0",
            "lockfileVersion": 1,
            "requires": True,
            "dependencies": {
                "b": {
                    "version": "1.0.0",
                    "resolved": lock["packages"]["node_modules/b"].get("resolved"),
                    "integrity": lock["packages"]["node_modules/b"]["integrity"],
                }
            },
        }
        (world.project / "package-lock.json").write_text(json.dumps(v1, indent=2) + "\n")
    problems, noop = _again(worlds, _nothing)
    assert problems == []
    assert not noop
    problems, noop = _again(worlds, _nothing)
    assert problems == []
    assert not noop  # the conversion run left no stamp; this plain no-op leaves one
    problems, noop = _again(worlds, _nothing)
    assert problems == [] and noop


def test_root_install_scripts_run_again(registry: ScenarioRegistry, tmp_path: Path) -> None:
    script = "node -e \"require('fs').appendFileSync('ran.txt', 'x')\""
    worlds = _twins(tmp_path, registry, pkg(dependencies={"b": "1.0.0"}, scripts={"postinstall": script}))
    problems, noop = _again(worlds, _nothing)
    assert problems == []
    assert not noop
    assert (worlds[1].project / "ran.txt").read_text() == "xx"


_WORKSPACES = {
    "packages/w1/package.json": json.dumps(
        {"name": "w1", "version": "1.0.0", "dependencies": {"b": "^1.0.0"}}
    ),
    "packages/w2/package.json": json.dumps(
        {"name": "w2", "version": "1.0.0", "dependencies": {"w1": "^1.0.0"}}
    ),
    "lib/l/package.json": json.dumps({"name": "l", "version": "0.1.0", "dependencies": {"devonly": "1.0.0"}}),
}


def _new_workspace(world: World) -> None:
    folder = world.project / "packages" / "w3"
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(
        json.dumps({"name": "w3", "version": "1.0.0", "dependencies": {"a": "1.0.0"}})
    )


def _linked_folder_changes(world: World) -> None:
    path = world.project / "lib" / "l" / "package.json"
    data = json.loads(path.read_text())
    data["dependencies"]["b"] = "1.0.0"
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    "change", [_new_workspace, _linked_folder_changes], ids=lambda f: f.__name__.strip("_")
)
def test_workspaces_and_linked_folders(
    change: Callable[[World], None], registry: ScenarioRegistry, tmp_path: Path
) -> None:
    package = pkg(workspaces=["packages/*"], dependencies={"l": "file:lib/l"})
    worlds = _twins(tmp_path, registry, package, _WORKSPACES)
    problems, noop = _again(worlds, _nothing)
    assert problems == []
    assert noop
    problems, noop = _again(worlds, change)
    assert problems == []
    assert not noop
    problems, noop = _again(worlds, _nothing)
    assert problems == [] and noop


# a linked folder's script leaves a trace: the states compared show whether each program ran it
_APPEND = "node -e \"require('fs').appendFileSync('ran.txt', 'x')\""


@pytest.mark.parametrize(
    ("where", "scripts"),
    [("packages/w1", {"prepare": _APPEND}), ("lib/l", {"postinstall": _APPEND})],
    ids=["workspace-prepare", "linked-postinstall"],
)
def test_scripts_of_linked_folders_run_on_every_install(
    where: str, scripts: dict[str, str], registry: ScenarioRegistry, tmp_path: Path
) -> None:
    package = pkg(workspaces=["packages/*"], dependencies={"l": "file:lib/l"})
    files = dict(_WORKSPACES)
    manifest = json.loads(files[f"{where}/package.json"])
    files[f"{where}/package.json"] = json.dumps({**manifest, "scripts": scripts})
    worlds = _twins(tmp_path, registry, package, files)
    for _ in range(2):
        problems, noop = _again(worlds, _nothing)
        assert problems == []
        assert not noop
    assert (worlds[1].project / where / "ran.txt").read_text() == "xxx"


def test_install_from_the_lockfile_over_a_warm_store(registry: ScenarioRegistry, tmp_path: Path) -> None:
    """node_modules removed, the lockfile kept (a fresh checkout over a warm cache): the packages
    are linked from snpm's store without making the registry client or loading the HTTP cache."""
    worlds = _twins(tmp_path, registry, pkg(dependencies={"a": "^1.0.0", "funded": "1.0.0"}))
    problems, noop = _again(worlds, _drop_node_modules)
    assert problems == []
    assert not noop
    snpm_world = worlds[1]
    _drop_node_modules(snpm_world)
    done, imported = _install_importing(snpm_world)
    assert "added 3 packages" in done.stdout
    assert (snpm_world.project / "node_modules" / ".bin" / "a-cli").exists()
    assert "snpm.ops.reify_session" in imported
    assert not {"snpm.registry_client", "snpm.cache.http_cache", "snpm.fetch.source"} & imported


def _drop_node_modules(world: World) -> None:
    shutil.rmtree(world.project / "node_modules")
