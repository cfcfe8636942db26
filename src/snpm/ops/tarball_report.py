"""What npm tells about a tarball it made: lib/utils/tar.js `getContents` and `logTar`.

`tarball_contents` reads a (gzipped) tarball the way npm's `tar.t` listing does: every entry is
counted, paths lose their `package/` prefix, `package/node_modules/<name>` entries name the bundled
dependencies, and the file list is ordered for the report (names starting with an upper-case
character first, each group sorted by `localeCompare('en', {sensitivity: 'case', numeric: true})`).
The JSON shape is npm's `pack --json` entry; `notice_calls` are the `log.notice(...)` calls of
`logTar` with npm's exact arguments, because npm de-duplicates notices by their argument list
(a second tarball's `Tarball Contents` header is not printed again).

Sizes, shasum and integrity are those of the gzip bytes snpm wrote; they differ from npm's
because CPython's zlib deflates differently from node's (see `snpm.tarball.pack`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

import msgspec

from snpm.ecmascript.collation import CollationKey, locale_compare_key
from snpm.json_types import JsonObject, JsonValue
from snpm.tarball import iter_members, tarball_filename

__all__ = ["TarballContents", "TarballFile", "format_bytes", "notice_calls", "tarball_contents"]

_BUNDLED = re.compile(r"^package/node_modules/((?:@[^/]+/)?[^/]+)")


class TarballFile(msgspec.Struct, frozen=True):
    path: str
    size: int
    mode: int


class TarballContents(msgspec.Struct, frozen=True):
    """npm's getContents result for one tarball."""

    id: str
    name: str
    version: str
    size: int
    unpacked_size: int
    shasum: str
    integrity: str
    filename: str
    files: tuple[TarballFile, ...]  # report order
    entry_count: int
    bundled: tuple[str, ...]

    def to_json(self) -> JsonObject:
        """The object `npm pack --json` prints for this tarball, keys in npm's order."""
        files: list[JsonValue] = [{"path": f.path, "size": f.size, "mode": f.mode} for f in self.files]
        bundled: list[JsonValue] = list(self.bundled)
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "size": self.size,
            "unpackedSize": self.unpacked_size,
            "shasum": self.shasum,
            "integrity": self.integrity,
            "filename": self.filename,
            "files": files,
            "entryCount": self.entry_count,
            "bundled": bundled,
        }


def _is_upper(path: str) -> bool:
    ch = path[:1]
    return ch == ch.upper()


def _report_order(files: list[TarballFile]) -> list[TarballFile]:
    def key(f: TarballFile) -> CollationKey:
        return locale_compare_key(f.path, numeric=True, accents=False)

    uppers = sorted((f for f in files if _is_upper(f.path)), key=key)
    others = sorted((f for f in files if not _is_upper(f.path)), key=key)
    return uppers + others


def tarball_contents(manifest: Mapping[str, JsonValue], tarball: bytes) -> TarballContents:
    """getContents(manifest, tarball): the listing, sizes and hashes npm reports."""
    files: list[TarballFile] = []
    bundled: dict[str, None] = {}
    unpacked = 0
    for entry in iter_members(tarball):
        unpacked += entry.size
        path = entry.path
        if path.startswith("package/node_modules/") and path != "package/node_modules/":
            found = _BUNDLED.match(path)
            if found:
                bundled[found.group(1)] = None
        files.append(TarballFile(path.removeprefix("package/"), entry.size, entry.mode or 0))
    name = str(manifest.get("name") or "")
    version = str(manifest.get("version") or "")
    pkg_id = manifest.get("_id")
    sha512 = base64.b64encode(hashlib.sha512(tarball).digest()).decode("ascii")
    return TarballContents(
        id=pkg_id if isinstance(pkg_id, str) and pkg_id else f"{name}@{version}",
        name=name,
        version=version,
        size=len(tarball),
        unpacked_size=unpacked,
        shasum=hashlib.sha1(tarball).hexdigest(),
        integrity=f"sha512-{sha512}",
        filename=tarball_filename(name, version),
        files=tuple(_report_order(files)),
        entry_count=len(files),
        bundled=tuple(bundled),
    )


def _to_fixed_1(value: Decimal) -> str:
    # Number#toFixed(1) rounds the exact binary value half up; Python's format would round half-even
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def format_bytes(count: int, space: bool = True) -> str:
    """npm's utils/format-bytes.js: B below 1000, then kB/MB/GB with one decimal (base 1000)."""
    spacer = " " if space else ""
    if count < 1000:
        return f"{count}{spacer}B"
    if count < 999_950:
        return f"{_to_fixed_1(Decimal(count / 1000))}{spacer}kB"
    if count < 999_950_000:
        return f"{_to_fixed_1(Decimal(count / 1_000_000))}{spacer}MB"
    return f"{_to_fixed_1(Decimal(count / 1_000_000_000))}{spacer}GB"


def notice_calls(contents: TarballContents, *, unicode: bool) -> list[tuple[str, ...]]:
    """logTar's `log.notice(...)` calls, each as its argument tuple (title first)."""
    c = contents
    calls: list[tuple[str, ...]] = [("",)]
    calls.append(("", f"{'📦 ' if unicode else 'package:'} {c.name}@{c.version}"))
    calls.append(("Tarball Contents",))
    if c.files:
        lines = [
            f"{format_bytes(f.size, False)} {f.path}"
            for f in c.files
            if not f.path.startswith("node_modules/")
        ]
        calls.append(("", "\n".join(lines)))
    if c.bundled:
        calls.append(("Bundled Dependencies",))
        calls.extend(("", name) for name in c.bundled)
    calls.append(("Tarball Details",))
    calls.append(("", f"name: {c.name}"))
    calls.append(("", f"version: {c.version}"))
    if c.filename:
        calls.append(("", f"filename: {c.filename}"))
    calls.append(("", f"package size: {format_bytes(c.size)}"))
    calls.append(("", f"unpacked size: {format_bytes(c.unpacked_size)}"))
    calls.append(("", f"shasum: {c.shasum}"))
    calls.append(("", f"integrity: {c.integrity[:20]}[...]{c.integrity[80:]}"))
    if c.bundled:
        calls.append(("", f"bundled deps: {len(c.bundled)}"))
        calls.append(("", f"bundled files: {c.entry_count - len(c.files)}"))
        calls.append(("", f"own files: {len(c.files)}"))
    calls.append(("", f"total files: {c.entry_count}"))
    calls.append(("", ""))
    return calls
