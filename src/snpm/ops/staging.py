"""Package folders linked from the store while the ideal tree is still being built.

A warm install spends its apply step making hard links: ~11,000 files and 1,800 folders for the medium
reference project, 0.3-0.5 s after the resolution, while the resolution itself keeps only one core
busy. So a package placed in the tree whose files the store already holds is linked at once into a
folder of its own under `<cache>/_snpm/staging/`, and the apply renames that folder into place: one
rename instead of a folder's worth of links. Nothing in the project changes before the apply, so a
failed or interrupted resolution leaves the project as it was.

The rename is taken only when it gives exactly what linking would: the destination is missing or an
empty folder (linking empties it first; rename(2) refuses a folder with anything in it, such as a
package nested in it) and the staging folder is on the project's file system. Otherwise, or when a package was staged for a node
the build later replaced, the apply links as before and the staged copy is removed at the end, as is
a folder left by a killed run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from concurrent.futures import Executor
from pathlib import Path

__all__ = ["Staging"]

_FOLDER = ("_snpm", "staging")


class Staging:
    """The staged packages of one reify, by integrity."""

    def __init__(self, cache_dir: Path, project: str, pool: Executor) -> None:
        self._root = cache_dir.joinpath(*_FOLDER)
        self._folder = self._root / f"{os.getpid()}-{id(self):x}"
        self._cache_dir = cache_dir
        self._pool = pool
        self._staged: dict[str, asyncio.Future[Path | None]] = {}
        self._usable = _same_file_system(cache_dir, project)
        self._count = 0

    def stage(self, integrity: str) -> None:
        """Start linking the stored package `integrity` into a staging folder (once per integrity)."""
        if not self._usable or integrity in self._staged:
            return
        if not self._staged:
            self._remove_stale()
        self._count += 1
        folder = self._folder / str(self._count)
        loop = asyncio.get_running_loop()
        self._staged[integrity] = loop.run_in_executor(self._pool, _link, self._cache_dir, integrity, folder)

    async def take(self, integrity: str, dest: str) -> bool:
        """Rename the staged copy of `integrity` to `dest`; False when there is none or it cannot
        be used (the caller links the package as usual)."""
        pending = self._staged.pop(integrity, None)
        if pending is None:
            return False
        folder = await pending
        if folder is None:
            return False
        try:
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            # replaces an empty folder (the apply makes every package's folder first), and fails
            # on anything else: a file, a link, a folder with something in it
            os.rename(folder, dest)
        except OSError:
            return False
        return True

    async def close(self) -> None:
        """Wait for the links under way, then remove what was not taken."""
        if self._staged:
            await asyncio.gather(*self._staged.values(), return_exceptions=True)
            self._staged.clear()
        if self._count:
            await asyncio.get_running_loop().run_in_executor(self._pool, shutil.rmtree, self._folder, True)

    def _remove_stale(self) -> None:
        """Folders of runs that were killed before they could remove theirs."""
        try:
            names = os.listdir(self._root)
        except OSError:
            return
        for name in names:
            pid = name.partition("-")[0]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(self._root / name, ignore_errors=True)


def _link(cache_dir: Path, integrity: str, folder: Path) -> Path | None:
    from snpm.fetch.store import materialize

    try:
        return folder if materialize(cache_dir, integrity, folder) else None
    except Exception:  # noqa: BLE001 - a failed staging only means linking in the apply, which reports it
        return None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _same_file_system(cache_dir: Path, project: str) -> bool:
    with contextlib.suppress(OSError):
        os.makedirs(cache_dir, exist_ok=True)
        return os.stat(cache_dir).st_dev == os.stat(project).st_dev
    return False
