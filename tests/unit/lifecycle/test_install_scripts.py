"""The build (arborist rebuild.js): which nodes run which phases, in what order, with what env.

Scripts here append to a log file through `sh` (hermetic: tmp_path packages, an environment built
from scratch).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

from snpm.errors import SnpmError
from snpm.json_types import JsonObject
from snpm.lifecycle import (
    Builder,
    BuildHooks,
    BuildNode,
    BuildOptions,
    ScriptError,
    run_dependencies_scripts,
    run_prepare,
    run_root_install_scripts,
)
from snpm.lifecycle.install_scripts import _call_limit

SH_ENV = {"PATH": os.path.dirname(shutil.which("sh") or "/bin/sh") + os.pathsep + "/usr/bin:/bin"}
EVENTS = ("preinstall", "install", "postinstall", "prepare")


def _package(root: Path, location: str, pkg: JsonObject) -> BuildNode:
    folder = root / location
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(json.dumps(pkg))
    content: JsonObject = dict(pkg)
    if pkg.get("name") and pkg.get("version"):
        content["_id"] = f"{pkg['name']}@{pkg['version']}"
    return BuildNode(
        path=str(folder),
        location=location,
        depth=location.count("node_modules"),
        package=content,
        name=str(pkg.get("name")),
    )


def _logging(name: str, log: Path, events: tuple[str, ...] = EVENTS) -> JsonObject:
    return {
        "name": name,
        "version": "1.0.0",
        "scripts": {
            e: f'echo "{e} {name} dev=$npm_package_dev opt=$npm_package_optional" >> {log}' for e in events
        },
    }


def _build(nodes: list[BuildNode], *, options: BuildOptions | None = None, **hooks: object) -> list[str]:
    linked: list[str] = []

    def link(node: BuildNode) -> None:
        linked.append(f"bin {node.name}")

    builder = Builder(options or BuildOptions(concurrency=1), BuildHooks(env=SH_ENV, link_bins=link, **hooks))  # type: ignore[arg-type]
    asyncio.run(builder.rebuild(nodes))
    return linked


def _log(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_phases_run_across_packages_sorted_by_depth_then_path(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    b = _package(tmp_path, "node_modules/b", _logging("b", log))
    nested = _package(tmp_path, "node_modules/b/node_modules/c", _logging("c", log, ("install",)))
    a = _package(tmp_path, "node_modules/a", {**_logging("a", log), "bin": {"a": "a.js"}})
    dev = _package(tmp_path, "node_modules/d", _logging("d", log, ("postinstall",)))
    dev = BuildNode(
        **{**{f: getattr(dev, f) for f in ("path", "location", "depth", "package", "name")}, "dev": True}
    )
    linked = _build([nested, b, a, dev])
    assert _log(log) == [
        "preinstall a dev= opt=",
        "preinstall b dev= opt=",
        "install a dev= opt=",
        "install b dev= opt=",
        "install c dev= opt=",
        "postinstall a dev= opt=",
        "postinstall b dev= opt=",
        "postinstall d dev=1 opt=",
    ]  # no prepare for regular dependencies
    assert linked == ["bin a"]


def test_links_get_a_second_round_with_prepare(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    target = _package(tmp_path, "packages/ws", _logging("ws", log))
    link = BuildNode(
        path=str(tmp_path / "node_modules/ws"),
        location="node_modules/ws",
        depth=1,
        package=target.package,
        is_link=True,
        target=target,
        name="ws",
    )
    dep = _package(tmp_path, "node_modules/dep", _logging("dep", log, ("install",)))
    _build([target, link, dep])
    assert _log(log) == [
        "install dep dev= opt=",
        "preinstall ws dev= opt=",
        "prepare ws dev= opt=",
        "install ws dev= opt=",
        "postinstall ws dev= opt=",
    ]


def test_binding_gyp_gets_node_gyp_rebuild(tmp_path: Path) -> None:
    gyp = _package(tmp_path, "node_modules/g", {"name": "g", "version": "1.0.0"})
    Path(gyp.path, "binding.gyp").write_text("{}")
    off = _package(tmp_path, "node_modules/off", {"name": "off", "version": "1.0.0", "gypfile": False})
    Path(off.path, "binding.gyp").write_text("{}")
    builder = Builder(BuildOptions(), BuildHooks(env=SH_ENV))
    queues = builder.build_queues([gyp, off])
    assert [n.name for n in queues.install] == ["g"]
    assert queues.install[0].package["scripts"] == {"install": "node-gyp rebuild"}


def test_scripts_unknown_to_the_lockfile_are_read_from_disk(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    node = _package(tmp_path, "node_modules/x", _logging("x", log, ("postinstall",)))
    bare = BuildNode(
        path=node.path,
        location=node.location,
        depth=1,
        package={"name": "x", "version": "1.0.0", "_id": "x@1.0.0"},
        name="x",
        lockfile_has_install_script=True,
    )
    _build([bare])
    assert _log(log) == ["postinstall x dev= opt="]
    # an old v1 lockfile does not record the flag: every node is read
    log.unlink()
    unflagged = BuildNode(path=node.path, location=node.location, depth=1, package={"name": "x"}, name="x")
    _build([unflagged], options=BuildOptions(old_meta=True))
    assert _log(log) == ["postinstall x dev= opt="]


def test_denied_packages_link_bins_but_run_nothing(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    node = _package(tmp_path, "node_modules/evil", {**_logging("evil", log), "bin": "x.js"})
    node = BuildNode(
        **{
            **{f: getattr(node, f) for f in ("path", "location", "depth", "package", "name")},
            "resolved": "https://r.example/evil/-/evil-1.0.0.tgz",
        }
    )
    linked = _build([node], options=BuildOptions(allow_scripts={"evil": False}))
    assert (linked, _log(log)) == (["bin evil"], [])
    linked = _build(
        [node], options=BuildOptions(allow_scripts={"evil": False}, dangerously_allow_all_scripts=True)
    )
    assert _log(log) == ["preinstall evil dev= opt=", "install evil dev= opt=", "postinstall evil dev= opt="]


def test_ignore_scripts_still_links_bins(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    node = _package(tmp_path, "node_modules/a", {**_logging("a", log), "bin": "x.js"})
    assert _build([node], options=BuildOptions(ignore_scripts=True)) == ["bin a"]
    assert _log(log) == []
    assert _build([node], options=BuildOptions(ignore_scripts=True, bin_links=False)) == []


def test_failure_stops_the_build(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    bad = _package(
        tmp_path,
        "node_modules/bad",
        {"name": "bad", "version": "1.0.0", "scripts": {"preinstall": "echo oops; exit 7"}},
    )
    good = _package(tmp_path, "node_modules/good", _logging("good", log, ("install",)))
    with pytest.raises(ScriptError) as info:
        _build([bad, good])
    assert (info.value.code, info.value.stdout, info.value.path) == (7, "oops", bad.path)
    assert _log(log) == []


def test_optional_failures_are_handed_back(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    bad = _package(
        tmp_path, "node_modules/bad", {"name": "bad", "version": "1.0.0", "scripts": {"preinstall": "exit 1"}}
    )
    bad = BuildNode(
        **{**{f: getattr(bad, f) for f in ("path", "location", "depth", "package", "name")}, "optional": True}
    )
    good = _package(tmp_path, "node_modules/good", _logging("good", log, ("install",)))
    failed: list[str] = []
    trash: set[str] = set()

    def on_failure(node: BuildNode, err: SnpmError) -> None:
        failed.append(node.name)
        trash.add(node.path)

    _build(
        [bad, good],
        options=BuildOptions(handle_optional_failure=True),
        on_optional_failure=on_failure,
        is_trashed=trash.__contains__,
    )
    assert failed == ["bad"]
    assert _log(log) == ["install good dev= opt="]


def test_trashed_nodes_are_skipped(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    node = _package(tmp_path, "node_modules/gone", {**_logging("gone", log), "bin": "x.js"})
    assert _build([node], is_trashed=lambda p: p == node.path) == []
    assert _log(log) == []


def test_run_logs_and_results(tmp_path: Path) -> None:
    node = _package(
        tmp_path, "node_modules/a", {"name": "a", "version": "1.0.0", "scripts": {"install": "echo hi"}}
    )
    lines: list[tuple[str, str, str]] = []
    builder = Builder(BuildOptions(), BuildHooks(env=SH_ENV, log=lambda *a: lines.append(a)))
    results = asyncio.run(builder.rebuild([node]))
    assert [(r.event, r.stdout) for r in results] == [("install", "hi")]
    assert lines == [
        ("info", "run", "a@1.0.0 install node_modules/a echo hi"),
        ("info", "run", "a@1.0.0 install { code: 0, signal: null }"),
    ]


def test_global_tops_are_checked_before_anything_runs(tmp_path: Path) -> None:
    node = _package(tmp_path, "lib/node_modules/g", {"name": "g", "version": "1.0.0", "bin": "g.js"})
    node = BuildNode(
        **{
            **{f: getattr(node, f) for f in ("path", "location", "depth", "package", "name")},
            "global_top": True,
        }
    )

    def refuse(n: BuildNode) -> None:
        raise SnpmError("EEXIST: file already exists", code="EEXIST")

    with pytest.raises(SnpmError):
        _build([node], check_bins=refuse)
    _build([node], check_bins=refuse, options=BuildOptions(force=True))


def test_call_limit_bounds_concurrency_and_raises_the_first_failure() -> None:
    active = peak = 0
    order: list[int] = []

    def task(i: int) -> object:
        async def run() -> None:
            nonlocal active, peak
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.01)
            active -= 1
            order.append(i)
            if i == 1:
                raise ValueError("one")

        return run

    with pytest.raises(ValueError, match="one"):
        asyncio.run(_call_limit([task(i) for i in range(6)], 2))  # type: ignore[misc]
    assert peak == 2
    assert len(order) < 6  # nothing new starts after a failure


def test_root_and_dependencies_scripts(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    scripts = {
        e: f"echo {e}"
        for e in (
            "prepare",
            "postinstall",
            "preinstall",
            "install",
            "prepublish",
            "preprepare",
            "postprepare",
            "dependencies",
        )
    }
    (tmp_path / "package.json").write_text(
        json.dumps({"name": "root", "version": "1.0.0", "scripts": scripts})
    )
    banners: list[str] = []
    results = asyncio.run(run_root_install_scripts(str(tmp_path), env=SH_ENV, banner=banners.append))
    assert [r.event for r in results] == [
        "preinstall",
        "install",
        "postinstall",
        "prepublish",
        "preprepare",
        "prepare",
        "postprepare",
    ]
    assert banners[0] == "\n> root@1.0.0 preinstall\n> echo preinstall\n"
    assert capfd.readouterr().out.split() == [r.event for r in results]
    deps = asyncio.run(
        run_dependencies_scripts(str(tmp_path), {"_id": "root@1.0.0", "scripts": scripts}, env=SH_ENV)
    )
    assert [(r.event, r.stdout) for r in deps] == [("dependencies", "dependencies")]


def test_prepare_of_a_directory_dependency(tmp_path: Path) -> None:
    manifest: JsonObject = {
        "name": "d",
        "scripts": {"prepare": "echo $npm_package_resolved $npm_package_json"},
    }
    result = asyncio.run(run_prepare(str(tmp_path), manifest, env=SH_ENV, resolved=str(tmp_path)))
    assert result is not None and result.stdout == f"{tmp_path} {tmp_path}/package.json"
    assert (
        asyncio.run(run_prepare(str(tmp_path), manifest, env=SH_ENV, resolved="x", ignore_scripts=True))
        is None
    )
    assert asyncio.run(run_prepare(str(tmp_path), {"name": "d"}, env=SH_ENV, resolved="x")) is None
