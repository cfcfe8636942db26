"""Packing a package directory into the tarball `npm pack` makes (pacote DirFetcher + node-tar).

pacote's tarCreateOptions: `prefix: 'package/'`, `portable: true` (no uid/gid/uname/atime/ctime,
modes `(mode | 0o600) & ~0o22`), every entry dated 1985-10-26T08:15:00.000Z, files in the order
npm-packlist returns them, no directory entries, two zero blocks at the end and gzip level 9 with
the OS byte set to 0xff. Long or non-ASCII names get a pax header (path, linkpath, mtime, size).

Two npm quirks are reproduced on purpose:
- pacote's "make bins executable" filter strips the first component of the path it is given, and
  at pack time that path has no `package/` prefix, so only a bin whose target equals the file's
  path *minus its first directory* gets +x (e.g. a top-level "cli.js" bin);
- a file whose inode was already packed (nlink > 1) becomes a hard-link entry to the first path.

The uncompressed tar stream is byte-identical to npm's. The gzip stream is not: node bundles
Chromium's zlib fork, whose deflate finds different matches than the system zlib CPython links
against; the gzip header (including the 0xff OS byte) is the same.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Sequence
from pathlib import Path

import msgspec

from snpm.errors import from_os_error
from snpm.integrity import Integrity, compute
from snpm.json_types import JsonObject
from snpm.tarball.extract import is_package_bin
from snpm.tarball.headers import BLOCK, HeaderFields, encode_header, encode_pax

__all__ = [
    "NPM_MTIME",
    "PackFile",
    "PackResult",
    "PackedEntry",
    "gzip_tar",
    "pack",
    "pack_directory",
    "pack_tar",
    "tarball_filename",
]

# new Date('1985-10-26T08:15:00.000Z') / 1000: zip tools choke on the epoch, so npm picked this.
NPM_MTIME = 499162500.0
_PREFIX = "package/"
_EOF = bytes(1024)


class PackFile(msgspec.Struct, frozen=True):
    """One file to pack: its package-relative posix path, contents (a file or bytes), stat mode.

    `link_to` makes a hard-link entry pointing at an earlier file's path (what node-tar writes
    for a second path to the same inode); its contents are then not read.
    """

    path: str
    source: Path | bytes
    mode: int = 0o644
    link_to: str | None = None


class PackedEntry(msgspec.Struct, frozen=True):
    """An entry as `npm pack --json` lists it (path without `package/`, header size and mode)."""

    path: str
    size: int
    mode: int


class PackResult(msgspec.Struct, frozen=True):
    tarball: bytes
    files: tuple[PackedEntry, ...]  # archive order (npm-packlist's order)
    integrity: Integrity  # sha512 of `tarball`
    shasum: str  # sha1 hex of `tarball`
    size: int
    unpacked_size: int
    entry_count: int
    bundled: tuple[str, ...]


def _prefixed(path: str) -> str:
    # node-tar prefixPath: a leading "./" (npm-packlist adds it to names starting with "@") goes.
    if path == "." or path.startswith("./"):
        path = path[2:]
    return _PREFIX + path


def _portable_mode(mode: int) -> int:
    """node-tar modeFix for a file in portable mode."""
    return ((mode & 0o7777) | 0o600) & ~0o022


def _read(source: Path | bytes) -> bytes:
    if isinstance(source, bytes):
        return source
    try:
        return Path(source).read_bytes()
    except OSError as err:
        raise from_os_error(err, "open") from err


def pack_tar(files: Sequence[PackFile]) -> tuple[bytes, tuple[PackedEntry, ...]]:
    """The uncompressed tar stream npm would build from these files, and its entries."""
    out = bytearray()
    entries: list[PackedEntry] = []
    for file in files:
        mode = _portable_mode(file.mode)
        path = _prefixed(file.path)
        if file.link_to is not None:
            data = b""
            fields = HeaderFields(
                path=path, mode=mode, size=0, mtime=NPM_MTIME, type="Link", linkpath=_prefixed(file.link_to)
            )
        else:
            data = _read(file.source)
            fields = HeaderFields(path=path, mode=mode, size=len(data), mtime=NPM_MTIME, type="File")
        header, need_pax = encode_header(fields)
        if need_pax:
            out += encode_pax(path=path, mtime=NPM_MTIME, size=len(data), linkpath=fields.linkpath)
        out += header
        out += data
        out += bytes(-len(data) % BLOCK)
        entries.append(PackedEntry(path[len(_PREFIX) :], len(data), mode))
    out += _EOF
    return bytes(out), tuple(entries)


def gzip_tar(tar: bytes) -> bytes:
    """gzip like minizlib in portable mode: level 9, mtime 0, OS byte 0xff."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = bytearray(deflater.compress(tar))
    out += deflater.flush()
    out[9] = 0xFF
    return bytes(out)


def pack(files: Sequence[PackFile]) -> bytes:
    """A gzipped package tarball of `files`, in the given order."""
    tar, _ = pack_tar(files)
    return gzip_tar(tar)


def tarball_filename(name: str, version: str) -> str:
    """`@scope/pkg` 1.0.0 → `scope-pkg-1.0.0.tgz` (npm's first-occurrence replaces)."""
    return f"{name.replace('@', '', 1).replace('/', '-', 1)}-{version}.tgz"


def pack_directory(directory: Path, manifest: JsonObject | None = None) -> PackResult:
    """Pack a package folder like `npm pack --ignore-scripts` (packlist, then tar, then gzip)."""
    # imported here: the packlist (ignore globs, manifest rules) is only for packing, and an install
    # (or a store worker) imports this package only to extract
    from snpm.manifest.packlist import normalize_bins, packlist, read_manifest

    root = Path(directory)
    if manifest is None:
        manifest = read_manifest(root)
    bins = set(normalize_bins(manifest, root).values())
    seen_inodes: dict[tuple[int, int], str] = {}
    files: list[PackFile] = []
    for rel in packlist(root, manifest):
        full = root / rel
        try:
            st = os.lstat(full)
        except OSError as err:
            raise from_os_error(err, "lstat") from err
        mode = st.st_mode & 0o7777
        if is_package_bin(bins, rel):
            mode |= 0o111
        link_to: str | None = None
        if st.st_nlink > 1:
            key = (st.st_dev, st.st_ino)
            link_to = seen_inodes.get(key)
            if link_to is None:
                seen_inodes[key] = rel[2:] if rel.startswith("./") else rel
        files.append(PackFile(rel, full, mode, link_to))
    tar, entries = pack_tar(files)
    tarball = gzip_tar(tar)
    bundled: dict[str, None] = {}
    for entry in entries:
        if entry.path.startswith("node_modules/"):
            parts = entry.path.split("/")
            name = "/".join(parts[1:3]) if parts[1].startswith("@") and len(parts) >= 3 else parts[1]
            bundled[name] = None
    return PackResult(
        tarball=tarball,
        files=entries,
        integrity=compute(tarball),
        shasum=hashlib.sha1(tarball).hexdigest(),
        size=len(tarball),
        unpacked_size=sum(e.size for e in entries),
        entry_count=len(entries),
        bundled=tuple(bundled),
    )
