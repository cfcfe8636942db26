"""snpm's own content-addressed store of EXTRACTED package files, beside npm's cacache.

npm re-extracts every tarball on every install; snpm extracts a tarball once into
`<cache>/_snpm/store-v2/` and later installs hard-link the files into `node_modules/<pkg>`:

    files/<sha256[0:2]>/<sha256[2:]>[-<mode>]   one inode per (file content, mode): shared by every
                                                 package and version holding the same bytes
    packages/<algo>/<hex[0:2]>/<hex[2:4]>/<hex[4:]>.json
                                                 per-tarball index (keyed by the tarball's integrity):
                                                 relative path → (file hash, mode, size)
    tmp/                                         where files are written before the rename into place

A hard link shares the inode, so mode is part of a stored file's identity (`-755` suffix; 0o644 has
none). Stored modes are exact (permission bits only): shared inodes cannot follow each process's
umask the way npm's fresh files do. sha256 addresses files because it is the fastest hashlib digest here (SHA-NI), about twice
sha512. Everything is written to `tmp/` and renamed, so concurrent installs only ever see whole files.

Linking falls back to a reflink (FICLONE) and then to a copy when hard links are refused (another
filesystem: EXDEV; too many links: EMLINK; a filesystem without links: EPERM/ENOTSUP). As with pnpm,
editing a hard-linked file in node_modules edits the store copy too.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import os
import posixpath
import shutil
import uuid
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Literal

import msgspec

from snpm.errors import FileSystemError, IntegrityError, TarballError, from_os_error
from snpm.integrity import Integrity

__all__ = [
    "copy_with_mode",
    "STORE_DIRNAME",
    "ImportMethod",
    "PackageFiles",
    "StoreEntry",
    "StoredFile",
    "add_package",
    "add_tarball",
    "has_package",
    "materialize",
    "package_index_path",
    "read_package",
    "store_dir",
]

STORE_DIRNAME = "_snpm"
# 2: bins are stored with the tarball's mode (v1 stored them executable)
STORE_VERSION = "2"
_STORE_VERSION_DIRNAME = f"store-v{STORE_VERSION}"

# (path relative to the package root, mode, bytes); bytes None is a directory entry.
StoreEntry = tuple[str, int, bytes | None]
ImportMethod = Literal["auto", "hardlink", "clone", "copy"]

_FICLONE = 0x40049409  # linux/fs.h _IOW(0x94, 9, int)
_DEFAULT_MODE = 0o644
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
# link() refusals worth a reflink or copy instead.
_LINK_REFUSED = frozenset({errno.EMLINK, errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EACCES})


class StoredFile(msgspec.Struct, frozen=True):
    hash: str  # sha256 hex of the content
    mode: int  # permission bits, e.g. 0o644 or 0o755
    size: int


class PackageFiles(msgspec.Struct, frozen=True):
    """The per-tarball index: which stored file goes where under the package root."""

    integrity: str
    files: Mapping[str, StoredFile]
    directories: tuple[str, ...] = ()


class _IndexDoc(msgspec.Struct, forbid_unknown_fields=False):
    integrity: str
    files: dict[str, tuple[str, int, int]]
    directories: list[str] = []


_index_decoder = msgspec.json.Decoder(_IndexDoc)


def store_dir(cache_dir: Path) -> Path:
    return Path(_store_root(cache_dir))


def _store_root(cache_dir: Path) -> str:
    return os.path.join(cache_dir, STORE_DIRNAME, _STORE_VERSION_DIRNAME)


def _file_name(digest: str, mode: int) -> str:
    """A stored file's path under `files/`: `<sha256[0:2]>/<sha256[2:]>[-<mode>]`."""
    if mode == _DEFAULT_MODE:
        return f"{digest[:2]}/{digest[2:]}"
    return f"{digest[:2]}/{digest[2:]}-{mode:o}"


@functools.lru_cache(maxsize=4096)
def _index_relpath(integrity: str) -> str:
    # cached: a run asks about each package's integrity several times (prefetch, extract, link),
    # and parsing the SRI string costs more than the stat that follows
    strongest = Integrity.parse(integrity).strongest()
    hex_digest = strongest.hex()
    return f"packages/{strongest.algorithm}/{hex_digest[:2]}/{hex_digest[2:4]}/{hex_digest[4:]}.json"


def package_index_path(cache_dir: Path, integrity: str) -> Path:
    """Where the index of the tarball with `integrity` lives (its strongest hash names it)."""
    # One Path from one joined string: a chain of `/` costs more than the file system calls here.
    return Path(os.path.join(_store_root(cache_dir), _index_relpath(integrity)))


def has_package(cache_dir: Path, integrity: str) -> bool:
    try:
        return package_index_path(cache_dir, integrity).is_file()
    except IntegrityError:
        return False


def read_package(cache_dir: Path, integrity: str) -> PackageFiles | None:
    """The stored index for `integrity`, or None when the tarball was never added (or is unreadable)."""
    try:
        with open(package_index_path(cache_dir, integrity), "rb") as fh:
            doc = _index_decoder.decode(fh.read())
    except (OSError, msgspec.DecodeError, IntegrityError):
        return None
    return PackageFiles(
        integrity=doc.integrity,
        files={rel: StoredFile(h, mode, size) for rel, (h, mode, size) in doc.files.items()},
        directories=tuple(doc.directories),
    )


def _safe_relpath(path: str) -> str:
    """A normalised relative path; anything that could leave the package root is refused."""
    cleaned = posixpath.normpath(path.replace("\\", "/"))
    if (
        not path
        or "\0" in path
        or cleaned.startswith(("/", "../"))
        or cleaned == ".."
        or (len(cleaned) > 1 and cleaned[1] == ":")
    ):
        raise TarballError(f"refusing to store unsafe path {path!r}", code="ETARBALL", path=path)
    return cleaned


def _create_file(path: str) -> int:
    try:
        return os.open(path, _CREATE_FLAGS, 0o600)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return os.open(path, _CREATE_FLAGS, 0o600)


def _store_file(tmp: str, dest: str, data: bytes, mode: int) -> None:
    """Write `data` to the fresh name `tmp`, then rename it to `dest` (folders made on demand).

    The open() mode is filtered by the umask, so the exact `mode` is set on the inode afterwards.
    The tmp name is removed only when something failed: after the rename it no longer exists.
    """
    fd = _create_file(tmp)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        try:
            os.rename(tmp, dest)
        except FileNotFoundError:
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            os.rename(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def add_package(cache_dir: Path, integrity: str, entries: Iterable[StoreEntry]) -> PackageFiles:
    """Store each file of a tarball once by content hash, then write the tarball's index.

    `entries` are (relative path, mode, bytes) with paths already relative to the package root;
    bytes None marks a directory. A later entry for the same path replaces an earlier one (tar).
    """
    # Plain strings and os calls: this runs once per file of every new package, where pathlib's
    # object building cost more than the system calls.
    root = _store_root(cache_dir)
    files_root = root + "/files/"
    # Fresh tmp names: one random UUID per call, numbered per file.
    tmp_prefix = f"{root}/tmp/{uuid.uuid4()}-"
    index_path = os.fspath(package_index_path(cache_dir, integrity))
    files: dict[str, StoredFile] = {}
    directories: dict[str, None] = {}
    try:
        for number, (relpath, mode, data) in enumerate(entries):
            rel = _safe_relpath(relpath)
            if data is None:
                if rel != ".":
                    directories[rel] = None
                continue
            if rel == ".":
                raise TarballError(f"refusing to store a file at {relpath!r}", code="ETARBALL", path=relpath)
            # Owner read/write always (as pacote ensures), so the file can be linked and copied.
            perm = (mode & 0o777) | 0o600
            digest = hashlib.sha256(data).hexdigest()
            target = files_root + _file_name(digest, perm)
            if not os.path.exists(target):
                _store_file(f"{tmp_prefix}{number}", target, data, perm)
            files[rel] = StoredFile(digest, perm, len(data))
        doc = _IndexDoc(
            integrity=integrity,
            files={rel: (f.hash, f.mode, f.size) for rel, f in files.items()},
            directories=list(directories),
        )
        _store_file(f"{tmp_prefix}index", index_path, msgspec.json.encode(doc), 0o644)
    except OSError as err:
        raise from_os_error(err) from None
    return PackageFiles(integrity=integrity, files=files, directories=tuple(directories))


def add_tarball(
    cache_dir: Path,
    integrity: str,
    data: bytes,
    *,
    bins: Collection[str] = (),
    umask: int = 0o022,
) -> PackageFiles:
    """Store the files npm would extract from a package tarball (pacote's filter and modes).

    `data` is the (gzipped) tarball, already verified against `integrity` by whoever read it (e.g.
    `content.read`); `bins` are the manifest's normalised bin paths, made executable like pacote.
    """
    # Imported here: the tar reader is only needed when a tarball is first added, not to link.
    from snpm.tarball.extract import iter_package_files

    files = iter_package_files(data, bins=bins, umask=umask)
    return add_package(cache_dir, integrity, ((f.path, f.mode, f.data) for f in files))


class _Importer:
    """Places one stored file at a destination; remembers which method works for this run."""

    __slots__ = ("method",)

    def __init__(self, method: ImportMethod) -> None:
        self.method: ImportMethod = method

    def place(self, src: str, dest: str, mode: int) -> None:
        try:
            self._place_once(src, dest, mode)
        except FileExistsError:
            # Installing over an older copy: replace the file (never a directory).
            os.unlink(dest)
            self._place_once(src, dest, mode)

    def _place_once(self, src: str, dest: str, mode: int) -> None:
        if self.method in ("auto", "hardlink"):
            try:
                os.link(src, dest)
                return
            except OSError as err:
                if self.method == "hardlink" or err.errno not in _LINK_REFUSED | {errno.EXDEV}:
                    raise
                if err.errno == errno.EMLINK:
                    # Only this inode is full; keep linking the others.
                    self._clone_or_copy(src, dest, mode)
                    return
                # Another filesystem cannot share inodes or extents: copy from now on.
                self.method = "copy" if err.errno == errno.EXDEV else "clone"
        if self.method == "clone":
            self._clone_or_copy(src, dest, mode)
            return
        _copy(src, dest, mode)

    def _clone_or_copy(self, src: str, dest: str, mode: int) -> None:
        if _clone(src, dest, mode):
            return
        if self.method == "clone":
            self.method = "copy"
        _copy(src, dest, mode)


def _clone(src: str, dest: str, mode: int) -> bool:
    """Reflink `src` to a new `dest` (FICLONE); False when the filesystem cannot."""
    with open(src, "rb") as fin:
        fd = os.open(dest, _CREATE_FLAGS, 0o600)
        try:
            fcntl.ioctl(fd, _FICLONE, fin.fileno())
            os.fchmod(fd, mode)
        except OSError:
            os.close(fd)
            os.unlink(dest)
            return False
        os.close(fd)
        return True


def _copy(src: str, dest: str, mode: int) -> None:
    with open(src, "rb") as fin:
        fd = os.open(dest, _CREATE_FLAGS, 0o600)
        with open(fd, "wb", closefd=True) as fout:
            shutil.copyfileobj(fin, fout)
            os.fchmod(fout.fileno(), mode)


def _make_dir(base: str, rel: str, made: set[str]) -> None:
    """`os.makedirs(base/rel, exist_ok=True)`, skipping every folder `made` says exists already."""
    parent = rel.rpartition("/")[0]
    if parent not in made:
        _make_dir(base, parent, made)
    path = f"{base}/{rel}"
    try:
        os.mkdir(path)
    except FileExistsError:
        if not os.path.isdir(path):
            raise
    made.add(rel)


def materialize(
    cache_dir: Path,
    integrity: str,
    dest: Path,
    *,
    files: PackageFiles | None = None,
    method: ImportMethod = "auto",
) -> None:
    """Create the package's files under `dest` from the store (hard links when possible).

    Raises FileSystemError ENOENT when the tarball is not in the store or one of its stored files
    has gone missing; the caller then extracts the tarball again (and re-adds it).
    """
    pkg = files if files is not None else read_package(cache_dir, integrity)
    if pkg is None:
        raise FileSystemError(
            f"ENOENT: no stored package for {integrity}", code="ENOENT", path=str(cache_dir)
        )
    # Plain strings and os calls, one mkdir per new folder: this runs for every file of every
    # package installed.
    files_root = _store_root(cache_dir) + "/files/"
    base = os.fspath(dest)
    importer = _Importer(method)
    made = {""}  # folders under `dest` known to exist ("" is `dest` itself)
    try:
        os.makedirs(base, exist_ok=True)
        for rel in pkg.directories:
            if rel not in made:
                _make_dir(base, rel, made)
        for rel, stored in pkg.files.items():
            parent = rel.rpartition("/")[0]
            if parent not in made:
                _make_dir(base, parent, made)
            src = files_root + _file_name(stored.hash, stored.mode)
            try:
                importer.place(src, f"{base}/{rel}", stored.mode)
            except FileNotFoundError:
                if os.path.exists(src):
                    raise
                raise FileSystemError(
                    f"ENOENT: stored file for {rel} of {integrity} is missing",
                    code="ENOENT",
                    path=src,
                ) from None
    except OSError as err:
        raise from_os_error(err) from None


def copy_with_mode(file: str, mode: int) -> None:
    """Replace `file` by a copy of itself with `mode` (a temporary file renamed over it): a
    package's file hard-linked from the store changes mode without changing the stored inode."""
    real = os.path.realpath(file)
    tmp = f"{real}.{os.getpid()}.snpm-tmp"
    try:
        shutil.copyfile(real, tmp)
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
