"""Packages linked from the store ahead of the apply (snpm.ops.staging), against a real store on disk."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from snpm.cache import store
from snpm.ops.staging import Staging

INTEGRITY = "sha512-" + "A" * 86 + "=="
FILES = {"package.json": b'{"name":"a","version":"1.0.0"}', "lib/index.js": b"module.exports = 1\n"}


def _store(cache: Path) -> None:
    store.add_package(cache, INTEGRITY, [(path, 0o644, data) for path, data in FILES.items()])


def _contents(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _run(scenario: Callable[[ThreadPoolExecutor], Awaitable[None]]) -> None:
    async def main() -> None:
        with ThreadPoolExecutor(2) as pool:
            await scenario(pool)

    asyncio.run(main())


def test_a_staged_package_is_renamed_into_a_missing_or_empty_folder(tmp_path: Path) -> None:
    cache, project = tmp_path / "cache", tmp_path / "project"
    project.mkdir()
    _store(cache)
    missing = project / "node_modules" / "a"
    empty = project / "node_modules" / "b"
    empty.mkdir(parents=True)

    async def scenario(pool: ThreadPoolExecutor) -> None:
        for dest in (missing, empty):
            staging = Staging(cache, str(project), pool)
            staging.stage(INTEGRITY)
            assert await staging.take(INTEGRITY, str(dest))
            assert not await staging.take(INTEGRITY, str(dest))  # taken once
            await staging.close()

    _run(scenario)
    for dest in (missing, empty):
        assert _contents(dest) == FILES
        # hard links to the store's files, as linking in the apply would make them
        assert os.stat(dest / "lib" / "index.js").st_nlink >= 3
    assert os.listdir(cache / "_snpm" / "staging") == []


def test_a_folder_with_something_in_it_is_left_to_the_apply(tmp_path: Path) -> None:
    cache, project = tmp_path / "cache", tmp_path / "project"
    nested = project / "node_modules" / "a" / "node_modules" / "b"
    nested.mkdir(parents=True)
    _store(cache)

    async def scenario(pool: ThreadPoolExecutor) -> None:
        staging = Staging(cache, str(project), pool)
        staging.stage(INTEGRITY)
        staging.stage("sha512-" + "B" * 86 + "==")  # not in the store
        assert not await staging.take(INTEGRITY, str(project / "node_modules" / "a"))
        assert not await staging.take("sha512-" + "B" * 86 + "==", str(project / "elsewhere"))
        await staging.close()

    _run(scenario)
    assert nested.is_dir()  # untouched
    assert not (project / "elsewhere").exists()
    assert os.listdir(cache / "_snpm" / "staging") == []  # the unused copy is gone


def test_the_folder_of_a_killed_run_is_removed(tmp_path: Path) -> None:
    cache, project = tmp_path / "cache", tmp_path / "project"
    project.mkdir()
    _store(cache)
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = cache / "_snpm" / "staging" / f"{done.stdout.strip()}-1"
    (dead / "1").mkdir(parents=True)
    live = cache / "_snpm" / "staging" / f"{os.getppid()}-1"
    live.mkdir()

    async def scenario(pool: ThreadPoolExecutor) -> None:
        staging = Staging(cache, str(project), pool)
        staging.stage(INTEGRITY)
        await staging.close()

    _run(scenario)
    assert not dead.exists()
    assert live.exists()  # its process still runs
