"""snpm.reify.linked on a real folder with fake extraction and build: what the plan reads off the
disk, the application, its rollback after a failure or a signal, optional failures, and the
journal a killed run leaves for the next one."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec
import pytest
from test_apply import snapshot

from snpm.errors import SnpmError
from snpm.reify.hooks import ApplyOptions
from snpm.reify.linked import (
    LinkedHooks,
    LinkedLayout,
    LinkedPlan,
    LinkedReification,
    StoreFolder,
    Symlink,
    plan_linked,
)
from snpm.reify.nodes import ReifyNode
from snpm.reify.retire import JOURNAL_NAME, recover_interrupted
from snpm.reify.signals import ReifyTerminatedError
from snpm.tree.node import Node


def _node(name: str, version: str, *, optional: bool = False, bin_: bool = False) -> Node:
    pkg: dict[str, object] = {"name": name, "version": version}
    if bin_:
        pkg["bin"] = {f"{name}-cli": "cli.js"}
    return Node(pkg=pkg, optional=optional, extraneous=False, dev=False, peer=False, dev_optional=False)


def layout(root: Path, *, optional_b: bool = False) -> LinkedLayout:
    """root → a@1.0.0 (with a bin) → b@1.0.0, as npm's isolated layout."""
    nm = f"{root}/node_modules"
    a = StoreFolder(
        path=f"{nm}/.store/a@1.0.0-KA/node_modules/a",
        key="a@1.0.0-KA",
        node=_node("a", "1.0.0", bin_=True),
        bins=(f"{nm}/.bin/a-cli",),
    )
    b = StoreFolder(
        path=f"{nm}/.store/b@1.0.0-KB/node_modules/b",
        key="b@1.0.0-KB",
        node=_node("b", "1.0.0", optional=optional_b),
    )
    links = (
        Symlink(
            path=f"{nm}/.store/a@1.0.0-KA/node_modules/b",
            target=b.path,
            package=b.node.package,
            optional=optional_b,
        ),
        Symlink(path=f"{nm}/a", target=a.path, package=a.node.package),
    )
    return LinkedLayout(root=str(root), store=(a, b), links=links, sweep={nm: frozenset({"a"})})


class Hooks:
    """Writes a package.json for each extraction, links bins in the build, records the calls."""

    def __init__(
        self,
        fail_extract: Callable[[str], BaseException | None] | None = None,
        fail_build: BaseException | None = None,
    ) -> None:
        self.fail_extract = fail_extract
        self.fail_build = fail_build
        self.extracted: list[str] = []
        self.built: list[tuple[list[str], list[str]]] = []

    async def extract(self, node: ReifyNode, folder: str) -> None:
        error = self.fail_extract(node.name) if self.fail_extract else None
        if error is not None:
            raise error
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / "package.json").write_text(json.dumps(node.package))
        (Path(folder) / "cli.js").write_text("#!/usr/bin/env node\n")
        self.extracted.append(folder)

    async def build(self, folders: Sequence[StoreFolder], links: Sequence[Symlink]) -> Sequence[str]:
        self.built.append(([f.path for f in folders], [s.path for s in links]))
        if self.fail_build is not None:
            raise self.fail_build
        for link in links:
            if link.package.get("bin"):
                bin_dir = Path(link.path).parent / ".bin"
                bin_dir.mkdir(exist_ok=True)
                os.symlink(f"../{Path(link.path).name}/cli.js", bin_dir / f"{link.package['name']}-cli")
        return []

    def hooks(self) -> LinkedHooks:
        return LinkedHooks(extract=self.extract, build=self.build, log=lambda *a: None)


def apply(plan: LinkedPlan, root: Path, hooks: Hooks, *, clean: tuple[str, ...] = ()) -> LinkedReification:
    reification = LinkedReification(plan, ApplyOptions(root=str(root), clean_folders=clean), hooks.hooks())
    asyncio.run(reification.apply())
    return reification


def installed(root: Path) -> None:
    reification = apply(plan_linked(layout(root)), root, Hooks())
    reification.commit()


# ── the plan ──


def test_a_fresh_project_extracts_and_links_everything(tmp_path: Path) -> None:
    plan = plan_linked(layout(tmp_path))
    assert [f.key for f in plan.extract] == ["a@1.0.0-KA", "b@1.0.0-KB"]
    assert len(plan.link) == 2 and not plan.unchanged and not plan.orphans and not plan.change


def test_what_is_on_disk_is_kept_and_what_is_not_ours_left_alone(tmp_path: Path) -> None:
    installed(tmp_path)
    assert plan_linked(layout(tmp_path)).is_empty
    nm = tmp_path / "node_modules"
    # a hoisted package folder nothing links to, a link into the project, a store entry nobody
    # uses: ours, and orphans; a link out of the project and a folder without package.json: not
    (nm / "old").mkdir()
    (nm / "old" / "package.json").write_text("{}")
    os.symlink(".store/a@1.0.0-KA/node_modules/a", nm / "alias")
    (nm / ".store" / "gone@1.0.0-KG" / "node_modules").mkdir(parents=True)
    (nm / "@scope" / "stale").mkdir(parents=True)
    (nm / "@scope" / "stale" / "package.json").write_text("{}")
    os.symlink("/usr", nm / "outside")
    (nm / "notes").mkdir()
    plan = plan_linked(layout(tmp_path))
    assert sorted(os.path.relpath(p, nm) for p in plan.orphans) == [
        ".store/gone@1.0.0-KG",
        "@scope/stale",
        "alias",
        "old",
    ]
    assert plan.is_empty  # orphans alone change nothing npm would count


def test_a_link_pointing_elsewhere_or_a_missing_bin_is_redone(tmp_path: Path) -> None:
    installed(tmp_path)
    nm = tmp_path / "node_modules"
    (nm / "a").unlink()
    os.symlink(".store/b@1.0.0-KB/node_modules/b", nm / "a")
    (nm / ".bin" / "a-cli").unlink()
    plan = plan_linked(layout(tmp_path))
    assert [s.path for s in plan.link] == [f"{nm}/a"]
    # arborist's diff: a store package whose bin links are not all there is extracted again
    assert [f.key for f in plan.change] == ["a@1.0.0-KA"]


# ── the application ──


def test_apply_extracts_links_builds_and_commits(tmp_path: Path) -> None:
    hooks = Hooks()
    reification = apply(plan_linked(layout(tmp_path)), tmp_path, hooks)
    nm = tmp_path / "node_modules"
    assert os.readlink(nm / "a") == ".store/a@1.0.0-KA/node_modules/a"
    assert os.readlink(nm / ".store/a@1.0.0-KA/node_modules/b") == "../../b@1.0.0-KB/node_modules/b"
    assert (nm / "a" / "node_modules").exists() is False and (nm / "a" / "package.json").exists()
    assert len(hooks.built) == 1 and len(hooks.built[0][0]) == 2 and len(hooks.built[0][1]) == 2
    assert (nm / JOURNAL_NAME).exists()
    reification.commit()
    assert not (nm / JOURNAL_NAME).exists()


def test_switching_from_a_hoisted_tree_retires_its_folders_until_the_commit(tmp_path: Path) -> None:
    nm = tmp_path / "node_modules"
    for name in ("a", "b", "c"):
        (nm / name).mkdir(parents=True)
        (nm / name / "package.json").write_text(json.dumps({"name": name, "version": "0.1.0"}))
    (nm / ".bin").mkdir()
    os.symlink("../c/cli.js", nm / ".bin" / "c-cli")
    reification = apply(plan_linked(layout(tmp_path)), tmp_path, Hooks())
    assert (nm / "a").is_symlink() and not (nm / "b").exists() and not (nm / "c").exists()
    assert not (nm / ".bin" / "c-cli").is_symlink()  # a bin nothing provides any more
    retired = [p.name for p in nm.iterdir() if p.name.startswith((".a-", ".b-", ".c-"))]
    assert len(retired) == 3
    reification.commit()
    assert sorted(p.name for p in nm.iterdir()) == [".bin", ".store", "a"]
    assert sorted(p.name for p in (nm / ".bin").iterdir()) == ["a-cli"]


@pytest.mark.parametrize("where", ["extract", "build"])
def test_a_failure_puts_everything_back(where: str, tmp_path: Path) -> None:
    # an older linked install (b missing, a stale link) and a hoisted leftover
    installed(tmp_path)
    nm = tmp_path / "node_modules"
    (nm / "old").mkdir()
    (nm / "old" / "package.json").write_text("{}")
    before = snapshot(tmp_path)
    changed = layout(tmp_path)
    new_a = StoreFolder(
        path=f"{nm}/.store/a@1.1.0-KN/node_modules/a", key="a@1.1.0-KN", node=_node("a", "1.1.0", bin_=True)
    )
    changed = LinkedLayout(
        root=changed.root,
        store=(new_a, changed.store[1]),
        links=(Symlink(path=f"{nm}/a", target=new_a.path, package=new_a.node.package),),
        sweep=changed.sweep,
    )
    error = SnpmError("boom", code="EBOOM")
    hooks = (
        Hooks(fail_extract=lambda name: error if name == "a" else None)
        if where == "extract"
        else Hooks(fail_build=error)
    )
    with pytest.raises(SnpmError, match="boom"):
        apply(plan_linked(changed), tmp_path, hooks)
    assert snapshot(tmp_path) == before


def test_an_optional_package_that_fails_is_left_out_with_its_links(tmp_path: Path) -> None:
    hooks = Hooks(fail_extract=lambda name: SnpmError("no") if name == "b" else None)
    reification = apply(plan_linked(layout(tmp_path, optional_b=True)), tmp_path, hooks)
    reification.commit()
    nm = tmp_path / "node_modules"
    assert [f.key for f in reification.failed] == ["b@1.0.0-KB"]
    assert not os.path.lexists(nm / ".store/a@1.0.0-KA/node_modules/b")
    assert not (nm / ".store/b@1.0.0-KB").exists()
    assert (nm / "a" / "package.json").exists()


def test_a_signal_during_extraction_rolls_back(tmp_path: Path) -> None:
    installed(tmp_path)
    before = snapshot(tmp_path)
    nm = tmp_path / "node_modules"
    new_b = StoreFolder(
        path=f"{nm}/.store/b@2.0.0-K2/node_modules/b", key="b@2.0.0-K2", node=_node("b", "2.0.0")
    )
    base = layout(tmp_path)
    changed = LinkedLayout(
        root=base.root,
        store=(base.store[0], new_b),
        links=(
            Symlink(path=f"{nm}/.store/a@1.0.0-KA/node_modules/b", target=new_b.path, package={}),
            base.links[1],
        ),
        sweep=base.sweep,
    )

    def interrupt(name: str) -> None:
        os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(ReifyTerminatedError):
        apply(plan_linked(changed), tmp_path, Hooks(fail_extract=lambda name: interrupt(name)))
    assert snapshot(tmp_path) == before


def test_a_killed_run_is_undone_by_the_next(tmp_path: Path) -> None:
    installed(tmp_path)
    nm = tmp_path / "node_modules"
    (nm / "old").mkdir()
    (nm / "old" / "package.json").write_text("{}")
    before = snapshot(tmp_path)
    plan = plan_linked(LinkedLayout(root=str(tmp_path), store=(), links=(), sweep={str(nm): frozenset()}))
    reification = LinkedReification(plan, ApplyOptions(root=str(tmp_path)), Hooks().hooks())
    # what SIGKILL leaves after the first step: the orphans moved aside, the journal written
    reification._prepare()
    assert not (nm / "old").exists() and (nm / JOURNAL_NAME).exists()
    recover_interrupted(str(tmp_path), lambda *a: None)
    assert snapshot(tmp_path) == before


def test_clean_install_replaces_every_entry(tmp_path: Path) -> None:
    installed(tmp_path)
    nm = tmp_path / "node_modules"
    (nm / "extra.txt").write_text("x")
    hooks = Hooks()
    reification = apply(plan_linked(layout(tmp_path), clean=True), tmp_path, hooks, clean=(str(nm),))
    reification.commit()
    assert len(hooks.extracted) == 2
    assert sorted(p.name for p in nm.iterdir()) == [".bin", ".store", "a"]


def test_a_run_killed_in_a_fresh_project_leaves_nothing_behind(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text("{}")
    before = snapshot(tmp_path)
    reification = LinkedReification(
        plan_linked(layout(tmp_path)), ApplyOptions(root=str(tmp_path)), Hooks().hooks()
    )
    reification._prepare()
    # half of a store folder, then SIGKILL: the next run must not take it for a whole one
    half = Path(layout(tmp_path).store[0].path)
    half.mkdir(parents=True)
    (half / "package.json").write_text("{}")
    assert (tmp_path / "node_modules" / JOURNAL_NAME).exists()
    recover_interrupted(str(tmp_path), lambda *a: None)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("target", "folder"),
    [
        ("/p/node_modules/.store/x@1-K/node_modules/x", "/p/node_modules"),
        ("/p/node_modules/.store/x@1-K/node_modules/x", "/p/node_modules/.store/y@1-L/node_modules"),
        ("/p/packages/b", "/p/node_modules/@scope"),
        ("/p/a", "/p/a"),
        ("/p", "/p/a/b"),
        ("/q/lib", "/p/node_modules"),
    ],
)
def test_link_text_is_relpath(target: str, folder: str) -> None:
    from snpm.reify.linked import _relative

    assert _relative(target, folder) == os.path.relpath(target, folder)


def test_a_filtered_plan_touches_only_its_scope(tmp_path: Path) -> None:
    """-w: what the filter does not reach stays as it is on disk, even where the layout differs."""
    full = layout(tmp_path)
    a, b = full.store
    scope = frozenset({a.path, f"{tmp_path}/node_modules/a"})
    plan = plan_linked(msgspec.structs.replace(full, scope=scope))
    assert [f.path for f in plan.extract] == [a.path]
    assert [s.path for s in plan.link] == [f"{tmp_path}/node_modules/a"]
    assert plan.unchanged == ()
    clean = plan_linked(msgspec.structs.replace(full, scope=scope), clean=True)
    assert [f.path for f in clean.extract] == [a.path]
    assert b.path not in {s.target for s in clean.link}
