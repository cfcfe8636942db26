"""Which lockfile npm reads and writes for a project, and loading it (arborist `Shrinkwrap.load`).

A project's lockfile is `npm-shrinkwrap.json` when that exists (it wins over package-lock.json),
else `package-lock.json`; dependencies' trees only ever read npm-shrinkwrap.json; the hidden lockfile
is `node_modules/.package-lock.json`. Loading never fails: an unreadable or invalid file, or a stale
hidden lockfile, is reported in `loading_error` and loads as empty, exactly where npm logs
"failed to load" and carries on. The version to write is chosen like npm: an explicit
`lockfile_version`, else the file's own unless it is 1 (v1 is converted), else 3.
(npm also reads yarn.lock for resolution hints; snpm does not.)
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import msgspec
from msgspec.structs import replace

from snpm.errors import SnpmError, from_os_error
from snpm.json_types import JsonValue
from snpm.lockfile.codec import DEFAULT_LOCKFILE_VERSION, format_lockfile, parse_lockfile
from snpm.lockfile.hidden import HIDDEN_LOCKFILE, StaleHiddenLockfileError, check_hidden_lockfile
from snpm.lockfile.model import Lockfile
from snpm.lockfile.upgrade import packages_from_legacy

__all__ = ["LoadedLockfile", "read_lockfile", "write_lockfile"]

SHRINKWRAP = "npm-shrinkwrap.json"
PACKAGE_LOCK = "package-lock.json"


class LoadedLockfile(msgspec.Struct, frozen=True):
    """A project's lockfile as npm loads it, with what npm remembers for saving it again."""

    lockfile: Lockfile  # v1 already converted to `packages`; lockfile_version = the version to write
    path: Path  # the file npm will save to
    loaded_from_disk: bool
    original_version: (
        int | None
    )  # the file's lockfileVersion (npm warns "Converting lock file" when it changes)
    indent: str  # the lockfile's own formatting; a reify writes package.json's instead
    newline: str
    ancient: bool  # npm 5.0 era (no lockfileVersion ≥ 2 and no `requires`): npm refetches every manifest
    loading_error: SnpmError | None = None

    @property
    def kind(self) -> str:
        """npm's `Shrinkwrap#type`: the file name."""
        return self.path.name

    @property
    def is_old(self) -> bool:
        """Whether npm refetches every package's manifest to fill in what the file lacks
        (build-ideal-tree `#inflateAncientLockfile`: an ancient file, or one older than v2)."""
        old = self.loaded_from_disk and not (self.original_version is not None and self.original_version >= 2)
        return self.ancient or old

    def conversion_warning(self, cwd: Path | str) -> str | None:
        """npm's `npm warn shrinkwrap` text on save when the version changes (None when it does not)."""
        if self.original_version is None or self.original_version == self.lockfile.lockfile_version:
            return None
        if self.path.name == ".package-lock.json":
            return None
        shown = os.path.relpath(self.path, cwd)
        return f"Converting lock file ({shown}) from v{self.original_version} -> v{self.lockfile.lockfile_version}"


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    except OSError as err:
        raise from_os_error(err) from None


def read_lockfile(
    project: Path | str,
    *,
    hidden: bool = False,
    shrinkwrap_only: bool = False,
    lockfile_version: int | None = None,
    root_package: Mapping[str, JsonValue] | None = None,
) -> LoadedLockfile:
    """Load the lockfile of the project folder `project` the way arborist's Shrinkwrap.load does.

    `root_package` is the project's package.json as `@npmcli/package-json` normalize() reads it; it
    is only used to convert a v1 file (npm falls back to `{}` when package.json is unreadable).
    """
    root = Path(project)
    if hidden:
        candidates = [root / HIDDEN_LOCKFILE]
    elif shrinkwrap_only:
        candidates = [root / SHRINKWRAP]
    else:
        candidates = [root / SHRINKWRAP, root / PACKAGE_LOCK]
    target = DEFAULT_LOCKFILE_VERSION if hidden else lockfile_version
    error: SnpmError | None = None
    texts: list[str] = []
    try:
        texts = [_read(path) for path in candidates]
    except SnpmError as err:
        error = err
    found = next((i for i, text in enumerate(texts) if text), None)
    if hidden:
        path = candidates[0]
    elif shrinkwrap_only or (texts and texts[0]):
        path = root / SHRINKWRAP
    else:
        path = root / PACKAGE_LOCK
    loaded = found is not None and error is None
    text = texts[found] if found is not None else "{}"
    try:
        document = parse_lockfile(text)
        if hidden and loaded:
            check_hidden_lockfile(root, document.lockfile.packages, os.stat(path).st_mtime_ns)
    except (SnpmError, StaleHiddenLockfileError, OSError) as err:
        error = err if isinstance(err, SnpmError) else SnpmError(str(err), code="ELOCKFILE")
        loaded = False
        document = parse_lockfile("{}")
    lockfile = document.lockfile
    original = document.original_version if loaded else None
    version = target or (original if original and original != 1 else DEFAULT_LOCKFILE_VERSION)
    if lockfile.legacy is not None and not lockfile.packages:
        packages = packages_from_legacy(
            name=lockfile.name,
            version=lockfile.version,
            dependencies=lockfile.legacy,
            root_package=root_package or {},
            project_path=str(root.resolve()),
        )
        lockfile = replace(lockfile, packages=packages)
    # npm rebuilds the v1/v2 tree from its nodes whenever it writes; a kept copy would go stale as
    # soon as the install engine changes `packages`, so writing derives it (see snpm.lockfile.legacy)
    lockfile = replace(lockfile, legacy=None)
    ancient = loaded and not (original is not None and original >= 2) and not lockfile.requires
    return LoadedLockfile(
        lockfile=replace(lockfile, lockfile_version=version),
        path=path,
        loaded_from_disk=loaded,
        original_version=original,
        indent=document.indent,
        newline=document.newline,
        ancient=ancient,
        loading_error=error,
    )


def write_lockfile(
    path: Path | str,
    lockfile: Lockfile,
    *,
    lockfile_version: int | None = None,
    indent: str | int = "  ",
    newline: str = "\n",
    compact: bool = False,
    hidden: bool = False,
    project_path: str | None = None,
) -> str:
    """Write a lockfile as npm does and return the text. A hidden lockfile that cannot be written is
    removed instead (so a stale one is never trusted); other write errors raise SnpmError."""
    target = Path(path)
    root = project_path or str((target.parent.parent if hidden else target.parent).resolve())
    text = format_lockfile(
        lockfile,
        lockfile_version=lockfile_version,
        indent=indent,
        newline=newline,
        compact=compact,
        hidden=hidden,
        project_path=root,
    )
    try:
        target.write_text(text, encoding="utf-8", newline="")
    except OSError as err:
        if not hidden:
            raise from_os_error(err, "open") from None
        # npm: rm(filename, {recursive: true, force: true})
        with contextlib.suppress(OSError):
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            else:
                target.unlink()
    return text
