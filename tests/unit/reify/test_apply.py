"""Applying a plan to a real folder with fake extraction and build hooks: the steps, the rollback
after any failure or a signal, optional failures, and the journal after a simulated kill."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from snpm.errors import SnpmError
from snpm.reify.apply import ApplyOptions, Reification, ReifyHooks, ReifyTerminatedError, recover_interrupted
from snpm.reify.nodes import ReifyNode
from snpm.reify.plan import diff_trees
from snpm.reify.retire import JOURNAL_NAME
from snpm.tree.node import Node

SHA = {v: f"sha512-{v.replace('.', '')}" + "A" * 80 + "==" for v in ("1.0.0", "1.1.0", "2.0.0")}


def make_tree(root: Path, spec: dict[str, Any]) -> Node:
    """A tree from {"a": ("1.0.0", {"b": ("1.0.0", {})})}."""
    top = Node(path=str(root), realpath=str(root), pkg={"name": "root", "version": "1.0.0"})

    def add(parent: Node, kids: dict[str, Any]) -> None:
        for name, (version, sub) in kids.items():
            extra = {"bin": {f"{name}-cli": "cli.js"}} if name == "a" else {}
            node = Node(
                pkg={"name": name, "version": version, **extra},
                parent=parent,
                integrity=SHA[version],
                resolved=f"https://registry.test/{name}-{version}.tgz",
                extraneous=False,
                dev=False,
                optional=name.startswith("opt"),
                dev_optional=False,
                peer=False,
            )
            add(node, sub)

    add(top, spec)
    return top


def write_package(node: ReifyNode) -> None:
    folder = Path(node.path or "")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(json.dumps({"name": node.name, "version": node.version}))
    (folder / "cli.js").write_text("#!/usr/bin/env node\n")


def install_on_disk(tree: Node) -> None:
    for node in tree.inventory.values():
        if not node.is_root:
            write_package(node)


def snapshot(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            out[rel] = (
                f"-> {os.readlink(path)}"
                if path.is_symlink()
                else "dir"
                if path.is_dir()
                else path.read_text()
            )
    return out


class Hooks:
    def __init__(self, fail: Callable[[ReifyNode], BaseException | None] | None = None) -> None:
        self.fail = fail
        self.extracted: list[str] = []
        self.built: list[str] = []
        self.logs: list[tuple[str, str, str]] = []

    async def extract(self, node: ReifyNode) -> None:
        await asyncio.sleep(0)
        error = self.fail(node) if self.fail is not None else None
        if error is not None:
            raise error
        write_package(node)
        self.extracted.append(node.location)

    async def build(self, nodes: Sequence[ReifyNode]) -> list[ReifyNode]:
        self.built = [n.location for n in nodes]
        for node in nodes:
            for name in node.package.get("bin") or {}:  # type: ignore[union-attr]
                link = Path(node.path or "").parent / ".bin" / name
                link.parent.mkdir(exist_ok=True)
                if not link.is_symlink():
                    link.symlink_to(f"../{node.name}/cli.js")
        return []

    def hooks(self) -> ReifyHooks:
        return ReifyHooks(extract=self.extract, build=self.build, log=lambda *line: self.logs.append(line))


async def apply(root: Path, actual: Node, ideal: Node, hooks: Hooks) -> Reification:
    plan = diff_trees(actual, ideal)
    reification = Reification(plan, ApplyOptions(root=str(root)), hooks.hooks())
    await reification.apply()
    return reification


def test_apply_add_change_remove_then_commit(tmp_path: Path) -> None:
    actual = make_tree(tmp_path, {"a": ("1.0.0", {"b": ("1.0.0", {})}), "gone": ("1.0.0", {})})
    install_on_disk(actual)
    ideal = make_tree(
        tmp_path, {"a": ("2.0.0", {"b": ("1.0.0", {}), "c": ("1.0.0", {})}), "new": ("1.0.0", {})}
    )
    hooks = Hooks()

    async def run() -> Reification:
        reification = await apply(tmp_path, actual, ideal, hooks)
        assert (tmp_path / "node_modules" / JOURNAL_NAME).exists()
        reification.commit()
        return reification

    asyncio.run(run())
    state = snapshot(tmp_path / "node_modules")
    assert json.loads(state["a/package.json"])["version"] == "2.0.0"
    # b did not change: moved back out of the retired a, never extracted again
    assert "node_modules/a/node_modules/b" not in hooks.extracted
    assert json.loads(state["a/node_modules/b/package.json"])["version"] == "1.0.0"
    assert "gone" not in state and "new/package.json" in state
    assert state[".bin/a-cli"] == "-> ../a/cli.js"
    assert not [name for name in state if name.startswith(".") and name != ".bin" and "/" not in name]
    assert sorted(hooks.built) == ["node_modules/a", "node_modules/a/node_modules/c", "node_modules/new"]


@pytest.mark.parametrize("failing", ["node_modules/new", "node_modules/a/node_modules/c"])
def test_any_failure_rolls_everything_back(tmp_path: Path, failing: str) -> None:
    actual = make_tree(tmp_path, {"a": ("1.0.0", {"b": ("1.0.0", {})}), "gone": ("1.0.0", {})})
    install_on_disk(actual)
    (tmp_path / "node_modules" / ".bin").mkdir()
    (tmp_path / "node_modules" / ".bin" / "a-cli").symlink_to("../a/cli.js")
    (tmp_path / "node_modules" / ".package-lock.json").write_text("{}")
    before = snapshot(tmp_path)
    ideal = make_tree(
        tmp_path, {"a": ("2.0.0", {"b": ("1.0.0", {}), "c": ("1.0.0", {})}), "new": ("1.0.0", {})}
    )
    hooks = Hooks(lambda n: SnpmError("boom", code="EINTEGRITY") if n.location == failing else None)
    with pytest.raises(SnpmError, match="boom"):
        asyncio.run(apply(tmp_path, actual, ideal, hooks))
    assert snapshot(tmp_path) == before


def test_failure_in_build_rolls_back_too(tmp_path: Path) -> None:
    actual = make_tree(tmp_path, {"a": ("1.0.0", {})})
    install_on_disk(actual)
    before = snapshot(tmp_path)
    ideal = make_tree(tmp_path, {"a": ("1.1.0", {}), "x": ("1.0.0", {})})
    hooks = Hooks()

    async def broken_build(nodes: Sequence[ReifyNode]) -> list[ReifyNode]:
        raise SnpmError("postinstall failed", code="ELIFECYCLE")

    reification = Reification(
        diff_trees(actual, ideal),
        ApplyOptions(root=str(tmp_path)),
        ReifyHooks(extract=hooks.extract, build=broken_build, log=lambda *line: None),
    )
    with pytest.raises(SnpmError, match="postinstall"):
        asyncio.run(reification.apply())
    assert snapshot(tmp_path) == before


def test_a_fresh_project_gets_no_node_modules_when_it_fails(tmp_path: Path) -> None:
    actual = make_tree(tmp_path, {})
    ideal = make_tree(tmp_path, {"a": ("1.0.0", {}), "b": ("1.0.0", {})})
    hooks = Hooks(lambda n: SnpmError("nope", code="E404") if n.name == "b" else None)
    with pytest.raises(SnpmError):
        asyncio.run(apply(tmp_path, actual, ideal, hooks))
    assert not (tmp_path / "node_modules").exists()


def test_optional_failures_are_dropped_quietly(tmp_path: Path) -> None:
    actual = make_tree(tmp_path, {})
    ideal = make_tree(tmp_path, {"a": ("1.0.0", {}), "opt-native": ("1.0.0", {})})
    hooks = Hooks(lambda n: SnpmError("no prebuilt binary") if n.name == "opt-native" else None)

    async def run() -> Reification:
        reification = await apply(tmp_path, actual, ideal, hooks)
        reification.commit()
        return reification

    reification = asyncio.run(run())
    assert [n.location for n in reification.failed_optional] == ["node_modules/opt-native"]
    assert ideal.children.get("opt-native").inert  # type: ignore[union-attr]
    assert sorted(os.listdir(tmp_path / "node_modules")) == [".bin", "a"]


def test_a_signal_rolls_back_after_the_step_in_progress(tmp_path: Path) -> None:
    actual = make_tree(tmp_path, {"a": ("1.0.0", {})})
    install_on_disk(actual)
    before = snapshot(tmp_path)
    ideal = make_tree(tmp_path, {"a": ("1.1.0", {}), "b": ("1.0.0", {}), "c": ("1.0.0", {})})

    def interrupt(node: ReifyNode) -> None:
        if node.name == "b":
            os.kill(os.getpid(), signal.SIGINT)
        return None

    hooks = Hooks(interrupt)
    with pytest.raises(ReifyTerminatedError) as caught:
        asyncio.run(apply(tmp_path, actual, ideal, hooks))
    assert caught.value.signal == "SIGINT"
    assert snapshot(tmp_path) == before


def test_a_killed_reify_is_undone_by_the_next_run(tmp_path: Path) -> None:
    actual = make_tree(tmp_path, {"a": ("1.0.0", {"b": ("1.0.0", {})})})
    install_on_disk(actual)
    before = snapshot(tmp_path)
    ideal = make_tree(tmp_path, {"a": ("2.0.0", {"b": ("1.0.0", {})}), "new": ("1.0.0", {})})
    plan = diff_trees(actual, ideal)
    hooks = Hooks()
    reification = Reification(plan, ApplyOptions(root=str(tmp_path)), hooks.hooks())

    async def partial() -> None:
        # the first steps, then the process "dies": no rollback, no commit
        reification._install_signal_handlers()
        await reification._retire_shallow_nodes()
        await reification._create_sparse_tree()
        write_package(ideal.children.get("new"))  # type: ignore[arg-type]
        reification._remove_signal_handlers()

    asyncio.run(partial())
    assert snapshot(tmp_path) != before
    logs: list[tuple[str, str, str]] = []
    recover_interrupted(str(tmp_path), lambda *line: logs.append(line))
    assert snapshot(tmp_path) == before
    assert logs == [("warn", "reify", "restored node_modules after an interrupted install")]
    recover_interrupted(str(tmp_path), lambda *line: logs.append(line))
    assert len(logs) == 1


def test_clean_folders_are_replaced_entirely_and_restored_on_failure(tmp_path: Path) -> None:
    actual_on_disk = make_tree(tmp_path, {"a": ("1.0.0", {}), "stale": ("1.0.0", {})})
    install_on_disk(actual_on_disk)
    (tmp_path / "node_modules" / ".package-lock.json").write_text("{}")
    before = snapshot(tmp_path)
    empty = make_tree(tmp_path, {})
    ideal = make_tree(tmp_path, {"a": ("1.0.0", {}), "b": ("1.0.0", {})})
    options = ApplyOptions(root=str(tmp_path), clean_folders=(str(tmp_path / "node_modules"),))
    failing = Hooks(lambda n: SnpmError("bad", code="EINTEGRITY") if n.name == "b" else None)
    with pytest.raises(SnpmError):
        asyncio.run(Reification(diff_trees(empty, ideal), options, failing.hooks()).apply())
    assert snapshot(tmp_path) == before

    async def run() -> None:
        reification = Reification(diff_trees(make_tree(tmp_path, {}), ideal), options, Hooks().hooks())
        await reification.apply()
        reification.commit()

    asyncio.run(run())
    assert sorted(os.listdir(tmp_path / "node_modules")) == [".bin", "a", "b"]


def test_rollback_removes_a_bin_folder_it_created(tmp_path: Path) -> None:
    actual = make_tree(tmp_path, {"x": ("1.0.0", {})})
    install_on_disk(actual)
    before = snapshot(tmp_path)
    ideal = make_tree(tmp_path, {"x": ("1.0.0", {}), "a": ("1.0.0", {})})
    hooks = Hooks()

    async def build_then_fail(nodes: Sequence[ReifyNode]) -> list[ReifyNode]:
        await hooks.build(nodes)
        assert (tmp_path / "node_modules" / ".bin" / "a-cli").is_symlink()
        raise SnpmError("install script failed", code="ELIFECYCLE")

    reification = Reification(
        diff_trees(actual, ideal),
        ApplyOptions(root=str(tmp_path)),
        ReifyHooks(extract=hooks.extract, build=build_then_fail, log=lambda *line: None),
    )
    with pytest.raises(SnpmError):
        asyncio.run(reification.apply())
    assert snapshot(tmp_path) == before


class StoreHooks(Hooks):
    """Hooks whose store holds the packages named in `stored`: `link_stored` links those in one
    go, by the hook's contract (a node enclosed by one it did not link is not linked either)."""

    def __init__(
        self, stored: set[str], fail: Callable[[ReifyNode], BaseException | None] | None = None
    ) -> None:
        super().__init__(fail)
        self.stored = stored
        self.batches: list[list[tuple[str, int]]] = []

    async def link_stored(
        self, nodes: Sequence[ReifyNode], enclosing: Sequence[int], stop: Callable[[], bool]
    ) -> list[bool]:
        self.batches.append([(n.location, e) for n, e in zip(nodes, enclosing, strict=True)])
        linked: list[bool] = []
        for node, outer in zip(nodes, enclosing, strict=True):
            ok = node.name in self.stored and (outer < 0 or linked[outer]) and not stop()
            if ok:
                write_package(node)
            linked.append(ok)
        return linked

    def hooks(self) -> ReifyHooks:
        return ReifyHooks(
            extract=self.extract,
            build=self.build,
            log=lambda *line: self.logs.append(line),
            link_stored=self.link_stored,
        )


def test_stored_packages_are_linked_in_one_batch_parents_first(tmp_path: Path) -> None:
    actual = make_tree(tmp_path, {})
    ideal = make_tree(
        tmp_path,
        {
            "a": ("1.0.0", {"b": ("1.0.0", {}), "c": ("1.0.0", {})}),
            "x": ("1.0.0", {"b": ("2.0.0", {})}),
            "new": ("1.0.0", {}),
        },
    )
    # a and its children are stored; x is not, so its child b stays out of the batch's links
    hooks = StoreHooks({"a", "b", "c"})

    async def run() -> None:
        reification = await apply(tmp_path, actual, ideal, hooks)
        reification.commit()

    asyncio.run(run())
    [batch] = hooks.batches
    assert batch == [
        ("node_modules/a", -1),
        ("node_modules/a/node_modules/b", 0),
        ("node_modules/a/node_modules/c", 0),
        ("node_modules/new", -1),
        ("node_modules/x", -1),
        ("node_modules/x/node_modules/b", 4),
    ]
    # what the batch did not link is extracted one by one, the enclosing package first
    assert sorted(hooks.extracted) == ["node_modules/new", "node_modules/x", "node_modules/x/node_modules/b"]
    assert hooks.extracted.index("node_modules/x") < hooks.extracted.index("node_modules/x/node_modules/b")
    state = snapshot(tmp_path / "node_modules")
    for folder in ("a", "a/node_modules/b", "a/node_modules/c", "x", "x/node_modules/b", "new"):
        assert f"{folder}/package.json" in state
    assert sorted(hooks.built) == sorted(
        ["node_modules/a", "node_modules/a/node_modules/b", "node_modules/a/node_modules/c"]
        + ["node_modules/new", "node_modules/x", "node_modules/x/node_modules/b"]
    )


class OverlapHooks(StoreHooks):
    """StoreHooks that also answer `stored`: the batch waits until every package the store lacks
    has started its extraction, which only happens when those start before the batch ends."""

    def __init__(
        self, stored: set[str], fail: Callable[[ReifyNode], BaseException | None] | None = None
    ) -> None:
        super().__init__(stored, fail)
        self.started: list[str] = []
        self.fetching = asyncio.Event()
        self.expected_early = 0
        self.reported: list[tuple[str, int, int]] = []

    async def extract(self, node: ReifyNode) -> None:
        self.started.append(node.location)
        if len(self.started) >= self.expected_early:
            self.fetching.set()
        await super().extract(node)

    async def link_stored(
        self, nodes: Sequence[ReifyNode], enclosing: Sequence[int], stop: Callable[[], bool]
    ) -> list[bool]:
        await asyncio.wait_for(self.fetching.wait(), 5)
        return await super().link_stored(nodes, enclosing, stop)

    def hooks(self) -> ReifyHooks:
        return ReifyHooks(
            extract=self.extract,
            build=self.build,
            log=lambda *line: self.logs.append(line),
            link_stored=self.link_stored,
            stored=lambda node: node.name in self.stored,
            progress=lambda phase, done, total: self.reported.append((phase, done, total)),
        )


def test_what_the_store_lacks_is_fetched_while_the_rest_is_linked(tmp_path: Path) -> None:
    actual = make_tree(tmp_path, {})
    ideal = make_tree(
        tmp_path,
        {
            "a": ("1.0.0", {"b": ("1.0.0", {}), "new": ("1.0.0", {})}),
            "x": ("1.0.0", {"b": ("2.0.0", {})}),
            "new": ("1.0.0", {}),
        },
    )
    # stored: a and b. x and the top-level new are fetched at once, and x's b with x (extracting
    # x empties its folder); a's new waits for a to be linked (linking a empties its folder too)
    hooks = OverlapHooks({"a", "b"})
    hooks.expected_early = 2

    async def run() -> None:
        reification = await apply(tmp_path, actual, ideal, hooks)
        reification.commit()

    asyncio.run(run())
    [batch] = hooks.batches
    assert batch == [
        ("node_modules/a", -1),
        ("node_modules/a/node_modules/b", 0),
        ("node_modules/a/node_modules/new", 0),
    ]
    assert sorted(hooks.started[:2]) == ["node_modules/new", "node_modules/x"]
    assert hooks.started.index("node_modules/x") < hooks.started.index("node_modules/x/node_modules/b")
    assert hooks.started[-1] == "node_modules/a/node_modules/new"
    # one count for both: it only grows, and ends at every package
    counts = [done for _, done, _ in hooks.reported]
    assert counts == sorted(counts) and hooks.reported[-1] == ("reify", 6, 6)
    state = snapshot(tmp_path / "node_modules")
    for folder in ("a", "a/node_modules/b", "a/node_modules/new", "x", "x/node_modules/b", "new"):
        assert f"{folder}/package.json" in state
    assert len(hooks.built) == 6


def test_a_fetch_failing_while_the_rest_is_linked_rolls_everything_back(tmp_path: Path) -> None:
    actual = make_tree(tmp_path, {"a": ("1.0.0", {})})
    install_on_disk(actual)
    before = snapshot(tmp_path)
    ideal = make_tree(tmp_path, {"a": ("2.0.0", {"b": ("1.0.0", {})}), "new": ("1.0.0", {})})
    hooks = OverlapHooks({"a", "b"}, lambda n: SnpmError("gone", code="E404") if n.name == "new" else None)
    hooks.expected_early = 1
    with pytest.raises(SnpmError, match="gone"):
        asyncio.run(apply(tmp_path, actual, ideal, hooks))
    assert hooks.started == ["node_modules/new"]
    assert snapshot(tmp_path) == before


def test_a_signal_while_fetching_and_linking_rolls_both_back(tmp_path: Path) -> None:
    actual = make_tree(tmp_path, {"a": ("1.0.0", {})})
    install_on_disk(actual)
    before = snapshot(tmp_path)
    ideal = make_tree(tmp_path, {"a": ("2.0.0", {}), "b": ("1.0.0", {}), "new": ("1.0.0", {})})
    hooks = OverlapHooks({"a", "b"})
    hooks.expected_early = 1
    inner = hooks.link_stored

    async def interrupted(
        nodes: Sequence[ReifyNode], enclosing: Sequence[int], stop: Callable[[], bool]
    ) -> list[bool]:
        await hooks.fetching.wait()  # the fetch has started
        os.kill(os.getpid(), signal.SIGINT)
        await asyncio.sleep(0.05)  # the handler runs on the loop
        assert stop()
        return await inner(nodes, enclosing, stop)

    hooks.link_stored = interrupted  # type: ignore[method-assign]
    with pytest.raises(ReifyTerminatedError):
        asyncio.run(apply(tmp_path, actual, ideal, hooks))
    assert hooks.started == ["node_modules/new"]
    assert snapshot(tmp_path) == before


def test_a_failure_after_a_batch_rolls_the_batch_back(tmp_path: Path) -> None:
    actual = make_tree(tmp_path, {"a": ("1.0.0", {})})
    install_on_disk(actual)
    before = snapshot(tmp_path)
    ideal = make_tree(tmp_path, {"a": ("2.0.0", {"b": ("1.0.0", {})}), "new": ("1.0.0", {})})
    hooks = StoreHooks({"a", "b"}, lambda n: SnpmError("gone", code="E404") if n.name == "new" else None)
    with pytest.raises(SnpmError, match="gone"):
        asyncio.run(apply(tmp_path, actual, ideal, hooks))
    assert hooks.batches and snapshot(tmp_path) == before


def test_a_signal_stops_the_batch(tmp_path: Path) -> None:
    actual = make_tree(tmp_path, {})
    ideal = make_tree(tmp_path, {"a": ("1.0.0", {}), "b": ("1.0.0", {})})
    hooks = StoreHooks({"a", "b"})
    inner = hooks.link_stored

    async def interrupted(
        nodes: Sequence[ReifyNode], enclosing: Sequence[int], stop: Callable[[], bool]
    ) -> list[bool]:
        os.kill(os.getpid(), signal.SIGINT)
        await asyncio.sleep(0.05)  # the handler runs on the loop
        assert stop()
        return await inner(nodes, enclosing, stop)

    hooks.link_stored = interrupted  # type: ignore[method-assign]
    with pytest.raises(ReifyTerminatedError):
        asyncio.run(apply(tmp_path, actual, ideal, hooks))
    assert not (tmp_path / "node_modules").exists()
