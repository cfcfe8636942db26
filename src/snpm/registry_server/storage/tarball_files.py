"""Tarballs as files: `<root>/<escaped name>/<file>.tgz`, written atomically (staged, fsynced, renamed).

Blocking; callers run these methods in a worker thread. Uploads are staged under `<root>/.staging`
(the same filesystem, so the final `os.replace` is atomic); a crash leaves at most a staged file or
an installed file no database row points to, never a half-written tarball under a recorded name.
Several processes share one folder (workers, hosts on a shared volume), so a starting process only
drops staged files old enough that no upload can still be writing them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from pathlib import Path

from snpm.spec import escape_name

__all__ = ["TarballFiles"]

_STAGING = ".staging"
# an upload is staged and moved into place within one request; a staged file this old is a leftover
STALE_STAGED_SECONDS = 3600.0


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # some filesystems cannot open directories
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# path_of answers are kept (a tarball GET asks for one on every request; paths never change)
_PATHS_KEPT = 8192


class TarballFiles:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.staging = root / _STAGING
        self._paths: dict[tuple[str, str], Path] = {}

    def prepare(self) -> None:
        """Create the folders and drop staged files a crashed process left behind (only old ones:
        another worker may be staging an upload right now)."""
        self.staging.mkdir(parents=True, exist_ok=True)
        cutoff = time.time() - STALE_STAGED_SECONDS
        for leftover in self.staging.iterdir():
            with contextlib.suppress(OSError):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()

    def package_dir(self, name: str) -> Path:
        escaped = escape_name(name)
        if not escaped or "/" in escaped or "\\" in escaped or escaped.startswith(".") or "\0" in escaped:
            raise ValueError(f"not a storable package name: {name!r}")
        return self.root / escaped

    def path_of(self, name: str, filename: str) -> Path:
        known = self._paths.get((name, filename))
        if known is not None:
            return known
        if (
            not filename
            or "/" in filename
            or "\\" in filename
            or filename.startswith(".")
            or "\0" in filename
        ):
            raise ValueError(f"not a storable tarball file name: {filename!r}")
        path = self.package_dir(name) / filename
        if len(self._paths) >= _PATHS_KEPT:
            self._paths.clear()
        self._paths[(name, filename)] = path
        return path

    def stage(self, data: bytes) -> Path:
        path = self.staging / f"{secrets.token_hex(16)}.tgz"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        os.close(fd)
        return path

    def discard(self, staged: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            staged.unlink()

    def install(self, staged: Path, name: str, filename: str) -> Path:
        """Move a staged file to its final name (atomically replacing an orphan of a crashed publish)."""
        target = self.path_of(name, filename)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, target)
        _fsync_dir(target.parent)
        return target

    def remove(self, name: str, filename: str) -> None:
        path = self.path_of(name, filename)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()

    def remove_package(self, name: str, filenames: list[str]) -> None:
        for filename in filenames:
            self.remove(name, filename)
        with contextlib.suppress(OSError):
            self.package_dir(name).rmdir()
