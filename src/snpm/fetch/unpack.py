"""Reading a package tarball once: its files with final modes, its package.json, its bins, and
(optionally) adding the files to snpm's store in the same pass.

Modes follow pacote: `((entry | 0o666) & ~umask) | 0o600`; the process umask is applied up front
(a stored inode is shared, it cannot take each process's umask when it is linked). pacote adds
0o111 to the package's bins only when it read the manifest before extracting, and arborist's reify
extracts `<name>@<resolved url>` (a remote fetcher, no manifest): a bin keeps the tarball's mode
until bin-links makes it executable (so never with --no-bin-links). bin-links' chmod does not touch
the shared inode: `snpm.reify.bin_links.fix_bin` gives the package its own copy first.

The manifest of a tarball (file and remote specs, git) is its package.json read the way pacote
reads an extracted folder (@npmcli/package-json's normalize, `_attributes` included), with the
`directories.bin` step answered from the tarball's file list instead of a directory walk.

Everything here is synchronous and CPU-bound: callers run it in the fetch thread pool.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from snpm.cache import store
from snpm.cache.store import PackageFiles
from snpm.errors import FileSystemError, SnpmError
from snpm.json_types import JsonObject
from snpm.manifest import NORMALIZE_STEPS, normalize, secure_and_unixify_path
from snpm.manifest.files import parse_package_json
from snpm.tarball import PackageFile, iter_package_files

__all__ = ["UnpackedTarball", "bin_targets", "make_bins_executable", "tarball_manifest", "unpack"]

_STEPS_WITHOUT_BIN_DIR = tuple(s for s in NORMALIZE_STEPS if s != "binDir")


class UnpackedTarball:
    """A parsed tarball: its files (modes final), its package.json (None when absent or invalid,
    `error` then says why), and the store index when the files were stored."""

    __slots__ = ("error", "files", "package_json", "stored")

    def __init__(
        self,
        files: Sequence[PackageFile],
        package_json: JsonObject | None,
        error: SnpmError | None,
        stored: PackageFiles | None,
    ) -> None:
        self.files = files
        self.package_json = package_json
        self.error = error
        self.stored = stored


class _Folder:
    __slots__ = ("files", "folders")

    def __init__(self) -> None:
        self.folders: dict[str, _Folder] = {}
        self.files: set[str] = set()


def _bin_dir_files(bin_dir: str, paths: Iterable[str]) -> dict[str, str]:
    """@npmcli/package-json's binDir step over the tarball's paths, in the order its directory walk
    gives (per folder: subfolders, then files, then each subfolder's contents): every non-dot entry
    below the folder, files and folders alike, becomes a bin named by its basename."""
    base = secure_and_unixify_path(bin_dir)
    prefix = f"{base}/" if base else ""
    root = _Folder()
    for path in paths:
        parts = path[len(prefix) :].split("/") if path.startswith(prefix) else []
        if not parts or any(part.startswith(".") for part in parts):
            continue
        folder = root
        for part in parts[:-1]:
            folder = folder.folders.setdefault(part, _Folder())
        folder.files.add(parts[-1])
    found: dict[str, str] = {}

    def walk(folder: _Folder, rel: str) -> None:
        names = sorted(folder.folders)
        for name in (*names, *sorted(folder.files)):
            found[name] = f"{base}/{secure_and_unixify_path(rel + name)}"
        for name in names:
            walk(folder.folders[name], f"{rel}{name}/")

    walk(root, "")
    return found


def bin_targets(package_json: JsonObject | None, paths: Iterable[str]) -> set[str]:
    """The package's bin targets as pacote's isPackageBin compares them (normalised paths)."""
    if not package_json:
        return set()
    directories = package_json.get("directories")
    bin_dir = directories.get("bin") if isinstance(directories, dict) else None
    if isinstance(bin_dir, str) and bin_dir and not package_json.get("bin"):
        return set(_bin_dir_files(bin_dir, paths).values())
    bins = normalize(package_json, steps=("bin",)).get("bin")
    return {str(v) for v in bins.values()} if isinstance(bins, dict) else set()


def _relative_files(dest: Path) -> Iterator[str]:
    for folder, _dirs, names in os.walk(dest):
        rel = os.path.relpath(folder, dest)
        for name in names:
            yield name if rel == "." else f"{rel}/{name}".replace(os.sep, "/")


def make_bins_executable(dest: Path) -> None:
    """pacote's bin modes for an extraction that knew the manifest (a registry spec, a folder) or
    a local tarball (FileFetcher's exeBins): every bin target gains 0o111. A remote tarball URL,
    which is what arborist's reify extracts registry packages from, does not get this: its bins
    wait for bin-links. A file shared with snpm's store gets its own copy first, so the store
    keeps the tarball's mode; a target outside `dest` is never touched."""
    try:
        package_json = parse_package_json((dest / "package.json").read_bytes()).content
    except (OSError, SnpmError):
        return
    root = os.path.realpath(dest)
    for target in bin_targets(package_json, _relative_files(dest)):
        path = os.path.join(dest, target)
        real = os.path.realpath(path)
        if not real.startswith(root + os.sep):
            continue
        try:
            st = os.stat(real)
            mode = stat.S_IMODE(st.st_mode)
            if not stat.S_ISREG(st.st_mode) or mode | 0o111 == mode:
                continue
            if st.st_nlink > 1:
                store.copy_with_mode(real, mode | 0o111)
            else:
                os.chmod(real, mode | 0o111)
        except OSError:
            continue  # best effort, as pacote: a missing bin trips a later stage


def _parse_package_json(files: Sequence[PackageFile]) -> tuple[JsonObject | None, SnpmError | None]:
    data = None
    for file in files:
        if file.path == "package.json":
            data = file.data  # the last entry of a path wins, as when tar writes it
    if data is None:
        return None, FileSystemError(
            "Could not read package.json: Error: ENOENT: no such file or directory, open 'package.json'",
            code="ENOENT",
            syscall="open",
        )
    try:
        return parse_package_json(data).content, None
    except SnpmError as err:
        return None, err


def unpack(
    data: bytes,
    *,
    umask: int = 0,
    process_umask: int = 0o022,
    cache_dir: Path | None = None,
    integrity: str | None = None,
    allow_gitignore: bool = False,
) -> UnpackedTarball:
    """Parse a (verified) tarball; with `cache_dir` and `integrity`, also add its files to the store."""
    raw = list(iter_package_files(data, umask=umask, allow_gitignore=allow_gitignore))
    package_json, error = _parse_package_json(raw)
    # no exec bits for the bins here: reify's pacote extracts without the manifest (module docstring)
    keep = ~process_umask & 0o7777
    files = [PackageFile(f.path, f.mode & keep, f.data) for f in raw] if keep != 0o7777 else raw
    stored = None
    if cache_dir is not None and integrity:
        stored = store.add_package(cache_dir, integrity, ((f.path, f.mode, f.data) for f in files))
    return UnpackedTarball(files, package_json, error, stored)


def tarball_manifest(unpacked: UnpackedTarball) -> JsonObject:
    """package.json as pacote reads it from the extracted tarball (PackageJson.normalize)."""
    if unpacked.package_json is None:
        raise unpacked.error or SnpmError("Invalid package.json", code="EJSONPARSE")
    data = normalize(unpacked.package_json, steps=_STEPS_WITHOUT_BIN_DIR)
    directories = data.get("directories")
    bin_dir = directories.get("bin") if isinstance(directories, dict) else None
    if isinstance(bin_dir, str) and bin_dir and not unpacked.package_json.get("bin"):
        found = _bin_dir_files(bin_dir, (f.path for f in unpacked.files))
        data["bin"] = dict(found)
    return data
