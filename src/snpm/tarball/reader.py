"""Reading package tarballs: gunzip, walk 512-byte headers, strip `package/`, sanitise paths.

A hand-written loop (spec/dependencies.md: 14x faster than tarfile) that follows node-tar's Parser
and Unpack#checkPath, which is what npm runs under pacote:
- gzip is sniffed from the magic bytes; plain tar is accepted too (brotli/zstd are not);
- a header with a bad checksum is skipped with TAR_ENTRY_INVALID and the next block is read as a
  header; two null blocks end the archive;
- pax `x`/`g` records and GNU `L`/`K` long names override the next entry's path/linkpath/size;
- `strip` leading components are removed, entries with fewer components are dropped silently,
  paths with a `..` segment are dropped with TAR_ENTRY_ERROR and absolute roots are stripped
  with TAR_ENTRY_INFO (npm warns and goes on; it does not fail the install);
- unrecoverable problems raise TarballError: TAR_BAD_ARCHIVE (unrecognised or truncated) and the
  zlib codes (Z_BUF_ERROR, Z_DATA_ERROR) with node's "zlib: …" messages.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import msgspec

from snpm.errors import TarballError
from snpm.tarball.headers import BLOCK, HeaderError, RawHeader, decode_header, parse_pax

__all__ = [
    "MAX_DECOMPRESSION_RATIO",
    "TarEntry",
    "TarWarning",
    "gunzip",
    "iter_entries",
    "iter_members",
    "sanitise",
]

# node-tar refuses archives that inflate more than this (a zip-bomb guard).
MAX_DECOMPRESSION_RATIO = 1000
# pax and GNU long-name bodies above this size are skipped (node-tar's maxMetaEntrySize).
MAX_META_ENTRY_SIZE = 1024 * 1024
MAX_DEPTH = 1024
_GZIP_MAGIC = b"\x1f\x8b\x08"
_META_TYPES = frozenset(
    {
        "ExtendedHeader",
        "OldExtendedHeader",
        "GlobalExtendedHeader",
        "NextFileHasLongPath",
        "OldGnuLongPath",
        "NextFileHasLongLinkpath",
    }
)
_ENTRY_TYPES = frozenset(
    {
        "File",
        "OldFile",
        "Link",
        "SymbolicLink",
        "CharacterDevice",
        "BlockDevice",
        "Directory",
        "FIFO",
        "ContiguousFile",
        "GNUDumpDir",
    }
)


_FILE_TYPES = frozenset({"File", "OldFile", "ContiguousFile"})


class TarWarning(msgspec.Struct, frozen=True):
    """A problem node-tar reports with `warn` and skips past (npm logs `npm warn tar …`)."""

    code: str
    message: str
    path: str | None = None


class TarEntry(msgspec.Struct, frozen=True):
    """One archive member after `strip` and path sanitising.

    `path` is relative and normalised ('' is the extraction root itself); `raw_path` is the path
    as stored (after pax/GNU overrides), which pacote's filters look at. `mode` is the header
    mode & 0o7777 (None when absent). `data` is the body for files, b"" otherwise.
    """

    path: str
    raw_path: str
    type: str
    mode: int | None
    size: int
    data: bytes
    linkname: str
    mtime: float | None


def gunzip(data: bytes | bytearray | memoryview) -> bytes:
    """Inflate a gzip tarball (or return a plain tar unchanged), with npm's error codes."""
    raw = bytes(data)
    if raw[:3] != _GZIP_MAGIC:
        return raw
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(raw)
    except zlib.error as err:
        raise _zlib_error(err) from err
    if not inflater.eof:
        raise TarballError("zlib: unexpected end of file", code="Z_BUF_ERROR", errno=-5)
    if raw and len(out) / len(raw) > MAX_DECOMPRESSION_RATIO:
        ratio = len(out) / len(raw)
        raise TarballError(
            f"max decompression ratio exceeded: {ratio:.2f} > {MAX_DECOMPRESSION_RATIO}", code="TAR_ABORT"
        )
    return out


def _zlib_error(err: zlib.error) -> TarballError:
    # CPython: "Error -3 while decompressing data: invalid literal/lengths set"
    text = str(err)
    detail = text.split(": ", 1)[1] if ": " in text else text
    errno = -3
    if text.startswith("Error "):
        try:
            errno = int(text.split()[1])
        except ValueError:
            errno = -3
    code = {-2: "Z_STREAM_ERROR", -3: "Z_DATA_ERROR", -4: "Z_MEM_ERROR", -5: "Z_BUF_ERROR"}.get(
        errno, "Z_DATA_ERROR"
    )
    return TarballError(f"zlib: {detail}", code=code, errno=errno)


def _strip_absolute(path: str) -> tuple[str, str]:
    """node-tar stripAbsolutePath on POSIX: remove leading '/' (and win32 drive roots)."""
    root = ""
    while True:
        if path.startswith("/") and not path.startswith("//?/"):
            cut = "/"
        elif len(path) >= 2 and path[1] == ":" and path[0].isalpha():
            cut = path[:3] if len(path) >= 3 and path[2] in "/\\" else path[:2]
        elif path.startswith("\\"):
            cut = "\\"
        else:
            return root, path
        path = path[len(cut) :]
        root += cut


def _sanitise(
    raw_path: str, type_name: str, linkpath: str, strip: int, warnings: list[TarWarning] | None
) -> tuple[str, str] | None:
    """Unpack#checkPath: the stripped, normalised path and linkpath, or None to skip the entry."""
    parts = raw_path.split("/")
    if 0 < strip < len(parts) <= MAX_DEPTH and not linkpath and "\\" not in raw_path and ":" not in raw_path:
        # the common case: nothing to strip or warn about beyond the leading components
        kept = parts[strip:]
        if "" not in kept and "." not in kept and ".." not in kept:
            return "/".join(kept), linkpath
    if strip:
        if len(parts) < strip:
            return None
        if type_name == "Link":
            link_parts = linkpath.split("/")
            if len(link_parts) < strip:
                return None
            linkpath = "/".join(link_parts[strip:])
        parts = parts[strip:]
    path = "/".join(parts)
    if len(parts) > MAX_DEPTH:
        _warn(warnings, "TAR_ENTRY_ERROR", "path excessively deep", raw_path)
        return None
    checked: list[str] = []
    for field, value in (("path", path), ("linkpath", linkpath)):
        if not value:
            checked.append(value)
            continue
        root, stripped = _strip_absolute(value)
        segments = stripped.replace("\\", "/").split("/")
        if ".." in segments:
            if field == "path" or type_name == "Link":
                _warn(warnings, "TAR_ENTRY_ERROR", f"{field} contains '..'", raw_path)
                return None
            # A relative symlink may climb as long as it stays inside the extraction root.
            base = path.rsplit("/", 1)[0] if "/" in path else ""
            if _normalise(f"{base}/{stripped}" if base else stripped).startswith(".."):
                _warn(warnings, "TAR_ENTRY_ERROR", f"{field} escapes extraction directory", raw_path)
                return None
        if root:
            _warn(warnings, "TAR_ENTRY_INFO", f"stripping {root} from absolute {field}", raw_path)
            value = stripped
        checked.append(value)
    path, linkpath = checked
    normal = _normalise(path)
    if normal == "" and type_name not in ("Directory", "GNUDumpDir"):
        return None  # an archive may not replace the extraction root with a file
    return normal, linkpath


def _normalise(path: str) -> str:
    out: list[str] = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if out and out[-1] != "..":
                out.pop()
            else:
                out.append("..")
            continue
        out.append(seg)
    return "/".join(out)


def _warn(warnings: list[TarWarning] | None, code: str, message: str, path: str | None) -> None:
    if warnings is not None:
        warnings.append(TarWarning(code, message, path))


def iter_members(
    data: bytes | bytearray | memoryview,
    *,
    warnings: list[TarWarning] | None = None,
) -> Iterator[TarEntry]:
    """Every member as stored (node-tar Parser): `path` is still the raw path, nothing stripped."""
    tar = gunzip(data)
    view = memoryview(tar)
    length = len(tar)
    pos = 0
    ex: dict[str, str | float] | None = None
    gex: dict[str, str | float] | None = None
    saw_valid: bool | None = None
    saw_null = False
    while pos + BLOCK <= length:
        block = tar[pos : pos + BLOCK]
        pos += BLOCK
        if saw_valid is None:
            saw_valid = False
        try:
            header = decode_header(block, ex, gex)
        except HeaderError as err:
            _warn(warnings, "TAR_ENTRY_INVALID", str(err), None)
            continue
        if header.null_block:
            if saw_null:
                break
            saw_null = True
            continue
        saw_null = False
        problem = _header_problem(header)
        if problem:
            _warn(warnings, "TAR_ENTRY_INVALID", problem, header.path or None)
            continue
        size = header.size
        blocks = -(-size // BLOCK) * BLOCK
        if pos + blocks > length:
            have = length - pos
            raise TarballError(
                f"TAR_BAD_ARCHIVE: Truncated input (needed {blocks - have if have >= BLOCK else blocks} "
                f"more bytes, only {have if have < BLOCK else 0} available)",
                code="TAR_BAD_ARCHIVE",
            )
        body = view[pos : pos + size]
        pos += blocks
        saw_valid = True
        type_name = header.type
        if type_name in _META_TYPES:
            if 0 < size <= MAX_META_ENTRY_SIZE:
                text = bytes(body).decode("utf-8", errors="replace")
                if type_name in ("ExtendedHeader", "OldExtendedHeader"):
                    ex = parse_pax(text, ex)
                elif type_name == "GlobalExtendedHeader":
                    gex = parse_pax(text, gex)
                else:
                    ex = dict(ex or {})
                    key = "linkpath" if type_name == "NextFileHasLongLinkpath" else "path"
                    ex[key] = _cut_nul(text)
            continue
        ex = None
        if type_name not in _ENTRY_TYPES:
            continue  # node-tar ignores unsupported types without a word
        is_file = type_name in _FILE_TYPES
        yield TarEntry(
            path=header.entry_path,
            raw_path=header.entry_path,
            type=type_name,
            mode=header.mode & 0o7777 if header.mode else header.mode,
            size=size,
            data=bytes(body) if is_file else b"",
            linkname=header.entry_linkpath,
            mtime=header.mtime,
        )
    if not saw_valid:
        raise TarballError("TAR_BAD_ARCHIVE: Unrecognized archive format", code="TAR_BAD_ARCHIVE")


def sanitise(entry: TarEntry, *, strip: int = 1, warnings: list[TarWarning] | None = None) -> TarEntry | None:
    """Unpack#checkPath for one member: strip, refuse `..`, drop absolute roots; None to skip."""
    result = _sanitise(entry.path, entry.type, entry.linkname, strip, warnings)
    if result is None:
        return None
    path, linkname = result
    return TarEntry(
        path=path,
        raw_path=entry.raw_path,
        type=entry.type,
        mode=entry.mode,
        size=entry.size,
        data=entry.data,
        linkname=linkname,
        mtime=entry.mtime,
    )


def iter_entries(
    data: bytes | bytearray | memoryview,
    *,
    strip: int = 1,
    warnings: list[TarWarning] | None = None,
) -> Iterator[TarEntry]:
    """Every member of a (gzipped) tarball, in archive order, with npm's path rules applied.

    Entries node-tar would skip (bad checksum, `..`, fewer than `strip` components, unknown
    types) are not yielded; their warnings are appended to `warnings` when given.
    """
    for member in iter_members(data, warnings=warnings):
        entry = sanitise(member, strip=strip, warnings=warnings)
        if entry is not None:
            yield entry


def _cut_nul(text: str) -> str:
    # JavaScript's .replace(/\0.*/, ''): '.' stops at a newline.
    idx = text.find("\0")
    if idx == -1:
        return text
    nl = text.find("\n", idx)
    return text[:idx] + (text[nl:] if nl != -1 else "")


def _header_problem(header: RawHeader) -> str | None:
    if not header.cksum_valid:
        return "checksum failure"
    if not header.path:
        return "path is required"
    type_name = header.type
    is_link = type_name in ("Link", "SymbolicLink")
    if is_link and not header.linkpath:
        return "linkpath required"
    if not is_link and type_name not in ("ExtendedHeader", "GlobalExtendedHeader") and header.linkpath:
        return "linkpath forbidden"
    return None
