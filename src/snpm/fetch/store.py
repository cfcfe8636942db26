"""Package folders made from snpm's store of extracted files (`snpm.cache.store`), pacote-style.

A tarball's files are stored once under its integrity (see `snpm.fetch.unpack`); a package folder is
then made of hard links to them, so the next folder with that integrity needs no download, no
gunzip and no hashing. Like pacote's extract, the destination is emptied first, so no stale file of
an earlier version survives. Synchronous: callers run these in the fetch thread pool.
"""

from __future__ import annotations

import os
import posixpath
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from snpm.cache import store
from snpm.errors import FileSystemError, SnpmError, from_os_error

if TYPE_CHECKING:
    from snpm.cache.store import PackageFiles
    from snpm.tarball import PackageFile

__all__ = ["empty_folder", "materialize", "materialize_many", "store_tarball", "write_files"]


def empty_folder(dest: Path) -> None:
    """pacote's #mkdir: remove what `dest` holds (so no stale file survives), then create it."""
    try:
        entries = list(os.scandir(dest))
    except FileNotFoundError:
        entries = []
    except OSError as err:
        raise from_os_error(err, "scandir") from None
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except FileNotFoundError:
            continue
        except OSError as err:
            raise from_os_error(err, "rm") from None
    try:
        os.makedirs(dest, exist_ok=True)
    except OSError as err:
        raise from_os_error(err, "mkdir") from None


def materialize(cache_dir: Path, integrity: str, dest: Path, files: PackageFiles | None = None) -> bool:
    """Empty `dest` and link the stored package into it; False when the store lacks it (or a
    stored file went missing), so the caller fetches and stores it again."""
    pkg = files if files is not None else store.read_package(cache_dir, integrity)
    if pkg is None:
        return False
    empty_folder(dest)
    try:
        store.materialize(cache_dir, integrity, dest, files=pkg)
    except FileSystemError as err:
        if err.code == "ENOENT" and err.path is not None and Path(err.path).is_relative_to(cache_dir):
            return False
        raise
    return True


def materialize_many(
    cache_dir: Path,
    packages: Sequence[tuple[str, str] | None],
    enclosing: Sequence[int],
    stop: Callable[[], bool],
) -> list[bool]:
    """`materialize` each `(integrity, dest)` in order, in one call, and tell which were linked.

    Linking is Python work between small system calls: one thread doing all of it, while the event
    loop's thread waits, is faster than packages handed out one by one to several threads, which
    spend the time passing the GIL back and forth (measured: same wall time, twice the CPU).
    `None` is a package not to link from the store; `enclosing[i]` is the index of the package
    whose folder holds package i (-1 for none): when that one was not linked, package i is not
    either, since making the enclosing folder later empties it. A failure is not raised but left
    to the caller's one-by-one path, which meets it again and reports it. `stop()` is asked before
    each package (a signal arrived): what is left is not linked."""
    linked: list[bool] = []
    for item, outer in zip(packages, enclosing, strict=True):
        done = False
        if item is not None and (outer < 0 or linked[outer]) and not stop():
            try:
                done = materialize(cache_dir, item[0], Path(item[1]))
            except (SnpmError, OSError):
                done = False
        linked.append(done)
    return linked


def store_tarball(
    cache_dir: Path, integrity: str, data: bytes, *, umask: int = 0, process_umask: int = 0o022
) -> PackageFiles:
    """Add a (verified) tarball's files to the store: what `snpm.fetch.unpack.unpack(data, ...,
    cache_dir=cache_dir, integrity=integrity).stored` gives, with the same modes, for a caller that
    needs only the store. Each file goes to the store as it is read and is then let go, instead of
    every file's bytes being held until the last one (next.js: 130 MB held twice over)."""
    from snpm.tarball import iter_package_files

    keep = ~process_umask & 0o7777
    files = iter_package_files(data, umask=umask)
    return store.add_package(cache_dir, integrity, ((f.path, f.mode & keep, f.data) for f in files))


def write_files(files: Sequence[PackageFile], dest: Path) -> None:
    """Without a store (no cache folder): write the unpacked files into an emptied `dest`."""
    empty_folder(dest)
    made: set[str] = set()
    try:
        for file in files:
            target = dest / file.path
            parent = posixpath.dirname(file.path)
            if parent and parent not in made:
                os.makedirs(target.parent, exist_ok=True)
                made.add(parent)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
            try:
                view = memoryview(file.data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fchmod(fd, file.mode | 0o600)
            finally:
                os.close(fd)
    except OSError as err:
        raise from_os_error(err) from None
