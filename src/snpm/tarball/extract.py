"""Unpacking a package tarball the way pacote 21 drives node-tar (`Fetcher#extract`).

What npm keeps: regular files only. pacote's filter drops hard and symbolic links outright, and
returns nothing for directories, devices and FIFOs, so those are never created either; parent
directories are made on demand. Modes: pacote's `#entryMode` gives files
`((mode | 0o666) & ~umask) | 0o600`, plus 0o111 for the package's bins, and node-tar opens them
with that mode (the process umask then applies, as in npm); directories get
`(0o777 & ~umask) | 0o700`. A `.gitignore` is renamed to `.npmignore` unless a `.npmignore` came
first (pacote keeps old npm's habit of treating a shipped .gitignore as the package's .npmignore).

Safety beyond npm: the whole archive is verified (integrity) and parsed before the first write,
so a mismatching or corrupt tarball leaves nothing behind; parent directories that are symlinks
are refused (TAR_SYMLINK_ERROR) and files are opened with O_NOFOLLOW, so nothing can be written
outside `dest` even when `dest` already holds links.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Collection, Iterator
from pathlib import Path

import msgspec
from msgspec.structs import replace

from snpm.errors import TarballError
from snpm.integrity import Hasher, Integrity
from snpm.tarball.reader import TarWarning, iter_members, sanitise

__all__ = ["ExtractResult", "PackageFile", "extract", "file_mode", "is_package_bin", "iter_package_files"]

_FILE_TYPES = frozenset({"File", "OldFile", "ContiguousFile"})
_WRITE_FLAGS = (
    os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
)


class PackageFile(msgspec.Struct, frozen=True):
    """A file npm would write: normalised relative path, the mode handed to open(), contents."""

    path: str
    mode: int
    data: bytes


class ExtractResult(msgspec.Struct, frozen=True):
    files: tuple[str, ...]
    warnings: tuple[TarWarning, ...]
    integrity: Integrity  # sha512 of the tarball (plus the verified algorithm, when given)
    unpacked_size: int


def is_package_bin(bins: Collection[str], raw_path: str) -> bool:
    """pacote's isPackageBin: drop the archive's first path component, compare with bin targets."""
    if not bins:
        return False
    slash = min((i for i in (raw_path.find("/"), raw_path.find("\\")) if i != -1), default=-1)
    relative = raw_path[slash + 1 :] if slash != -1 else raw_path
    return relative in bins


def file_mode(header_mode: int | None, *, umask: int = 0o022, is_bin: bool = False) -> int:
    """pacote's #entryMode for a file entry (the mode node-tar passes to open())."""
    mode = ((header_mode or 0) | 0o666) & ~umask
    return (mode | (0o111 if is_bin else 0) | 0o600) & 0o7777


def iter_package_files(
    data: bytes | bytearray | memoryview,
    *,
    bins: Collection[str] = (),
    umask: int = 0o022,
    allow_gitignore: bool = False,
    warnings: list[TarWarning] | None = None,
) -> Iterator[PackageFile]:
    """The files npm writes for this tarball, in archive order (for a content-addressed store).

    `bins` are the manifest's normalised bin targets ("bin/cli.js"), which get 0o111.
    """
    saw_npmignore: set[str] = set()
    for member in iter_members(data, warnings=warnings):
        # pacote's tar filter looks at the raw path, before node-tar strips `package/`.
        if member.type not in _FILE_TYPES:
            continue
        raw_path = member.path
        base = raw_path.rsplit("/", 1)[-1]
        if base == ".npmignore":
            saw_npmignore.add(raw_path)
        elif base == ".gitignore" and not allow_gitignore:
            renamed = raw_path[: -len(".gitignore")] + ".npmignore"
            if renamed in saw_npmignore:
                continue
            raw_path = renamed
        mode = file_mode(member.mode, umask=umask, is_bin=is_package_bin(bins, raw_path))
        renamed_member = member if raw_path == member.path else replace(member, path=raw_path)
        entry = sanitise(renamed_member, strip=1, warnings=warnings)
        if entry is None:
            continue
        yield PackageFile(entry.path, mode, entry.data)


def extract(
    data: bytes | bytearray | memoryview,
    dest: Path,
    *,
    integrity: Integrity | str | None = None,
    umask: int = 0o022,
    bins: Collection[str] = (),
    allow_gitignore: bool = False,
) -> ExtractResult:
    """Verify (when `integrity` is given), then unpack `data` into `dest` like `pacote.extract`.

    Raises IntegrityError (EINTEGRITY) before touching the disk, TarballError for archives npm
    cannot read. Entries npm skips are reported in `warnings`, not raised.
    """
    hasher = Hasher(expected=integrity) if integrity is not None else Hasher()
    hasher.update(data)
    if integrity is not None:
        hasher.verify()
    digest = hasher.digest()

    warnings: list[TarWarning] = []
    files = list(
        iter_package_files(data, bins=bins, umask=umask, allow_gitignore=allow_gitignore, warnings=warnings)
    )
    writer = _Writer(Path(dest), umask, warnings)
    written: list[str] = []
    size = 0
    for file in files:
        if writer.write(file):
            written.append(file.path)
            size += len(file.data)
    return ExtractResult(tuple(written), tuple(warnings), digest, size)


class _Writer:
    """node-tar Unpack's checkFs + mkdir + file steps, for regular files only."""

    __slots__ = ("_dirs", "_dmode", "_root", "_warnings")

    def __init__(self, root: Path, umask: int, warnings: list[TarWarning]) -> None:
        self._root = os.fspath(root)
        self._dmode = (0o777 & ~umask) | 0o700
        self._warnings = warnings
        try:
            os.makedirs(self._root, mode=self._dmode, exist_ok=True)
        except FileExistsError as err:
            raise TarballError(
                f"ENOTDIR: Cannot cd into '{self._root}'", code="ENOTDIR", path=self._root, syscall="chdir"
            ) from err
        if not os.path.isdir(self._root):
            raise TarballError(
                f"ENOTDIR: Cannot cd into '{self._root}'", code="ENOTDIR", path=self._root, syscall="chdir"
            )
        self._dirs: set[str] = {""}

    def _warn(self, code: str, message: str, path: str) -> None:
        self._warnings.append(TarWarning(code, message, path))

    def _make_parents(self, rel: str) -> bool:
        parent = rel.rpartition("/")[0]
        if parent in self._dirs:
            return True
        current = ""
        for part in parent.split("/"):
            current = f"{current}/{part}" if current else part
            if current in self._dirs:
                continue
            full = os.path.join(self._root, current)
            try:
                os.mkdir(full, self._dmode)
            except FileExistsError:
                st = os.lstat(full)
                if stat.S_ISDIR(st.st_mode):
                    pass
                elif stat.S_ISLNK(st.st_mode):
                    self._warn(
                        "TAR_SYMLINK_ERROR", "TAR_SYMLINK_ERROR: Cannot extract through symbolic link", rel
                    )
                    return False
                else:
                    self._warn("TAR_ENTRY_ERROR", f"EEXIST: file already exists, mkdir '{full}'", rel)
                    return False
            except OSError as err:
                self._warn("TAR_ENTRY_ERROR", _os_message(err, "mkdir", full), rel)
                return False
            self._dirs.add(current)
        return True

    def write(self, file: PackageFile) -> bool:
        if not self._make_parents(file.path):
            return False
        full = os.path.join(self._root, file.path)
        fd: int | None
        try:
            # the common case (nothing there yet) costs one syscall; O_EXCL never follows links
            fd = os.open(full, _WRITE_FLAGS | os.O_EXCL, file.mode)
        except FileExistsError:
            fd = self._replace(file, full)
        except OSError as err:
            self._warn("TAR_ENTRY_ERROR", _os_message(err, "open", full), file.path)
            return False
        if fd is None:
            return False
        try:
            view = memoryview(file.data)
            while view:
                view = view[os.write(fd, view) :]
        except OSError as err:
            self._warn("TAR_ENTRY_ERROR", _os_message(err, "write", full), file.path)
            return False
        finally:
            os.close(fd)
        return True

    def _replace(self, file: PackageFile, full: str) -> int | None:
        """node-tar's checkFs for an existing path: reuse a plain file, else remove it first."""
        try:
            st = os.lstat(full)
            if not (stat.S_ISREG(st.st_mode) and st.st_nlink <= 1):
                if stat.S_ISDIR(st.st_mode):
                    os.rmdir(full)
                    self._dirs.discard(file.path)
                else:
                    os.unlink(full)
        except FileNotFoundError:
            pass
        except OSError as err:
            self._warn("TAR_ENTRY_ERROR", _os_message(err, "unlink", full), file.path)
            return None
        try:
            return os.open(full, _WRITE_FLAGS, file.mode)
        except OSError as err:
            self._warn("TAR_ENTRY_ERROR", _os_message(err, "open", full), file.path)
            return None


def _os_message(err: OSError, syscall: str, path: str) -> str:
    name = errno.errorcode.get(err.errno or 0, "EIO")
    return f"{name}: {os.strerror(err.errno or 0).lower()}, {syscall} '{path}'"
