"""512-byte tar headers and pax records, read and written exactly as node-tar 7 does.

Owns the byte layout only (ustar fields, base-256 numbers, the ustar prefix split, pax `x`/`g`
records, GNU `L`/`K` long names); `reader.py` walks archives, `pack.py` builds them. Pure.

node-tar quirks kept because `npm pack` output must be byte-identical:
- octal fields are written as zero-padded digits, then a space, then NUL ("000644 \\0"), and a
  number that fills the field exactly is written without terminator;
- unset fields (uid/gid/uname/gname in portable mode) stay all-NUL rather than "0000000";
- string fields are truncated on a UTF-8 character boundary, and the "is it too long" test uses
  JavaScript's UTF-16 length, so non-ASCII names always get a pax header;
- the ustar prefix split tries to move whole leading directories into the 155-byte prefix.
"""

from __future__ import annotations

import math
import re
import struct

import msgspec

__all__ = [
    "BLOCK",
    "NORMAL_FS_TYPES",
    "TYPE_CODES",
    "TYPE_NAMES",
    "HeaderError",
    "HeaderFields",
    "RawHeader",
    "decode_header",
    "encode_header",
    "encode_pax",
    "js_utf16_len",
    "parse_pax",
]

BLOCK = 512

TYPE_NAMES: dict[str, str] = {
    "0": "File",
    "": "OldFile",
    "1": "Link",
    "2": "SymbolicLink",
    "3": "CharacterDevice",
    "4": "BlockDevice",
    "5": "Directory",
    "6": "FIFO",
    "7": "ContiguousFile",
    "g": "GlobalExtendedHeader",
    "x": "ExtendedHeader",
    "A": "SolarisACL",
    "D": "GNUDumpDir",
    "I": "Inode",
    "K": "NextFileHasLongLinkpath",
    "L": "NextFileHasLongPath",
    "M": "ContinuationFile",
    "N": "OldGnuLongPath",
    "S": "SparseFile",
    "V": "TapeVolumeHeader",
    "X": "OldExtendedHeader",
}
TYPE_CODES: dict[str, str] = {name: code for code, name in TYPE_NAMES.items()}
# Types that describe a file-system object; only these take pax/GNU overrides (node-tar types.js).
NORMAL_FS_TYPES = frozenset({"0", "", "1", "2", "3", "4", "5", "6", "7", "D"})

_MAXNUM = {12: 0o77777777777, 8: 0o7777777}
_NUL_TAIL_RE = re.compile(r"\0.*")
_LEADING_INT_RE = re.compile(r"^[+-]?\d+")
_LEADING_OCTAL_RE = re.compile(r"^([+-]?)([0-7]+)")
_USTAR_MAGIC = b"ustar\x0000"


class HeaderError(ValueError):
    """A header block node-tar's Header constructor would throw on (TAR_ENTRY_INVALID)."""


def js_utf16_len(text: str) -> int:
    """JavaScript's `str.length`: astral characters count twice."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _js_slice(text: str, end: int) -> str:
    """`str.slice(0, end)` in UTF-16 units (a split surrogate pair is dropped, as encoding would)."""
    if js_utf16_len(text) <= end:
        return text
    out: list[str] = []
    used = 0
    for ch in text:
        width = 2 if ord(ch) > 0xFFFF else 1
        if used + width > end:
            break
        out.append(ch)
        used += width
    return "".join(out)


# ── decoding ────────────────────────────────────────────────────────────────────────────────


def _text(field: bytes) -> str:
    """A NUL-terminated UTF-8 field (node-tar: toString('utf8').replace(/\\0.*/, ''))."""
    nul = field.find(b"\0")
    if nul == -1:
        return field.decode("utf-8", errors="replace")
    if b"\n" not in field[nul:]:
        return field[:nul].decode("utf-8", errors="replace")
    # JavaScript's `.` stops at a newline, so text after "\0…\n" survives
    return _NUL_TAIL_RE.sub("", field.decode("utf-8", errors="replace"), count=1)


def _number(field: bytes) -> int | None:
    """An octal field as parseInt(…, 8) reads it, or a base-256 number; None for NaN."""
    if field[0] & 0x80:
        return _parse_base256(field)
    nul = field.find(b"\0")
    if nul != -1 and b"\n" not in field[nul:]:
        digits = field[:nul].strip()
        if digits and not digits.strip(b"01234567"):
            return int(digits, 8)
    m = _LEADING_OCTAL_RE.match(_text(field).strip())
    if m is None:  # parseInt(…, 8) → NaN → undefined
        return None
    value = int(m.group(2), 8)
    return -value if m.group(1) == "-" else value


def _parse_base256(field: bytes) -> int:
    if field[0] == 0x80:
        return int.from_bytes(field[1:], "big")
    if field[0] == 0xFF:
        return int.from_bytes(field, "big", signed=True)
    raise HeaderError("invalid base256 encoding")


class RawHeader(msgspec.Struct):
    """One decoded header block, with pending pax/GNU overrides already applied (node-tar Header)."""

    path: str
    mode: int | None
    size: int
    mtime: float | None
    typeflag: str  # the raw code; "Unsupported" when unknown
    linkpath: str  # the ustar linkname field (the override lives in `ex_linkpath`)
    cksum_valid: bool
    null_block: bool
    ex_path: str | None = None
    ex_linkpath: str | None = None

    @property
    def type(self) -> str:
        return TYPE_NAMES.get(self.typeflag, "Unsupported")

    @property
    def entry_path(self) -> str:
        """ReadEntry's path: a pax/GNU long name replaces the header's own."""
        return self.ex_path if self.ex_path is not None else self.path

    @property
    def entry_linkpath(self) -> str:
        return self.ex_linkpath if self.ex_linkpath is not None else self.linkpath


# name, mode, (uid, gid), size, mtime, chksum, typeflag, linkname, magic+version,
# (uname, gname, devmajor, devminor), prefix (its last 12 bytes hold atime/ctime in node-tar's
# 130-byte form, and byte 475 tells the two forms apart)
_LAYOUT = struct.Struct("100s8s16x12s12s8sc100s8s80x155s12x")
_ZERO_BLOCK = bytes(BLOCK)
_EMPTY: dict[str, str | float] = {}


def decode_header(
    block: bytes,
    ex: dict[str, str | float] | None = None,
    gex: dict[str, str | float] | None = None,
) -> RawHeader:
    """Decode one block; `ex`/`gex` are the pending pax (or GNU long-name) values."""
    if block == _ZERO_BLOCK:
        return RawHeader("", 0, 0, 0.0, "0", "", cksum_valid=False, null_block=True)
    name_f, mode_f, size_f, mtime_f, chk_f, type_b, link_f, magic, prefix_f = _LAYOUT.unpack(block)
    t = "" if type_b == b"\0" else type_b.decode("utf-8", errors="replace")
    is_normal = t in NORMAL_FS_TYPES
    exf = ex if is_normal and ex else _EMPTY
    gexf = gex if is_normal and gex else _EMPTY

    path = str(exf["path"]) if "path" in exf else _text(name_f)
    mode = _override_int("mode", exf, gexf) if exf or gexf else None
    if mode is None:
        mode = _number(mode_f)
    size = _override_int("size", exf, gexf) if exf or gexf else None
    if size is None:
        size = _number(size_f)
    mtime: float | None
    if "mtime" in exf:
        mtime = float(exf["mtime"])
    elif "mtime" in gexf:
        mtime = float(gexf["mtime"])
    else:
        num = _number(mtime_f)
        mtime = None if num is None else float(num)
    # node-tar reads 12 bytes here (into the typeflag and linkname); parseInt stops early anyway
    cksum = _number(chk_f + type_b + link_f[:3])

    if t in TYPE_NAMES:
        typeflag = t or "0"
    else:
        typeflag = "Unsupported"
    if typeflag == "0" and path.endswith("/"):
        typeflag = "5"
    if typeflag == "5":
        size = 0

    linkpath = _text(link_f) if link_f[0] else ""
    if magic == _USTAR_MAGIC:
        if prefix_f[130] != 0:
            path = _text(prefix_f) + "/" + path
        elif prefix_f[0]:
            prefix = _text(prefix_f[:130])
            if prefix:
                path = prefix + "/" + path

    total = 8 * 0x20 + sum(block) - sum(chk_f)
    return RawHeader(
        path=path,
        mode=mode,
        size=size if size is not None and size >= 0 else 0,
        mtime=mtime,
        typeflag=typeflag,
        linkpath=linkpath,
        cksum_valid=total == cksum,
        null_block=cksum is None and total == 8 * 0x20,
        ex_path=str(exf["path"]) if "path" in exf else None,
        ex_linkpath=str(exf["linkpath"]) if "linkpath" in exf else None,
    )


def _override_int(key: str, ex: dict[str, str | float], gex: dict[str, str | float]) -> int | None:
    for source in (ex, gex):
        if key in source:
            return int(source[key])
    return None


def parse_pax(body: str, previous: dict[str, str | float] | None) -> dict[str, str | float]:
    """node-tar Pax.parse: "<len> key=value\\n" records; later values win over `previous`."""
    result: dict[str, str | float] = dict(previous) if previous else {}
    parsed: dict[str, str | float] = {}
    text = body[:-1] if body.endswith("\n") else body
    for line in text.split("\n"):
        m = _LEADING_INT_RE.match(line.lstrip())
        if m is None or int(m.group(0)) != len(line.encode("utf-8")) + 1:
            continue
        record = line[len(str(int(m.group(0)))) + 1 :]
        key, _, value = record.partition("=")
        if not key:
            continue
        key = re.sub(r"^SCHILY\.(dev|ino|nlink)", r"\1", key)
        value = _NUL_TAIL_RE.sub("", value, count=1)
        if key in ("path", "linkpath", "type", "charset", "comment", "gname", "uname"):
            parsed[key] = value
        elif key in ("ctime", "atime", "mtime"):
            try:
                parsed[key] = float(value)
            except ValueError:
                continue
        elif key in ("size", "gid", "uid", "dev", "ino", "nlink", "mode"):
            try:
                number = float(value) if value.strip() else 0.0
            except ValueError:
                continue
            if math.isnan(number) or (key == "size" and number < 0):
                continue
            parsed[key] = int(number)
    result.update(parsed)
    return result


# ── encoding ────────────────────────────────────────────────────────────────────────────────


class HeaderFields(msgspec.Struct, frozen=True):
    """What node-tar's Header#encode writes; None leaves the field all-NUL."""

    path: str
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    size: int | None = None
    mtime: float | None = None
    type: str = "File"
    linkpath: str | None = None
    uname: str | None = None
    gname: str | None = None
    devmaj: int | None = 0
    devmin: int | None = 0
    atime: float | None = None
    ctime: float | None = None


def _enc_string(buf: bytearray, off: int, size: int, text: str | None) -> bool:
    if text is None:
        return False
    # Buffer#write never writes a partial UTF-8 character.
    raw = bytearray()
    for ch in text:
        encoded = ch.encode("utf-8", errors="surrogatepass")
        if len(raw) + len(encoded) > size:
            break
        raw += encoded
    buf[off : off + len(raw)] = raw
    buf[off + len(raw) : off + size] = bytes(size - len(raw))
    length = js_utf16_len(text)
    return length != len(text.encode("utf-8", errors="surrogatepass")) or length > size


def _pad_octal(digits: str, size: int) -> str:
    if len(digits) == size - 1:
        return digits
    return "0" * (size - len(digits) - 2) + digits + " \0"


def _enc_number(buf: bytearray, off: int, size: int, num: float | None) -> bool:
    if num is None:
        return False
    if num > _MAXNUM[size] or num < 0:
        value = int(num)
        if value < 0:
            buf[off : off + size] = value.to_bytes(size, "big", signed=True)
            buf[off] = 0xFF
        else:
            buf[off : off + size] = b"\x80" + value.to_bytes(size - 1, "big")
        return True
    text = _pad_octal(format(math.floor(num), "o"), size).encode("ascii")
    buf[off : off + min(size, len(text))] = text[:size]
    return False


def _dirname(p: str) -> str:
    """node's path.posix.dirname."""
    if not p:
        return "."
    has_root = p.startswith("/")
    end = len(p) - 1
    while end > 0 and p[end] == "/":
        end -= 1
    idx = p.rfind("/", 0, end + 1)
    if idx == -1:
        return "/" if has_root else "."
    if idx == 0:
        return "/"
    head = p[:idx].rstrip("/")
    return head or "/"


def _basename(p: str) -> str:
    """node's path.posix.basename."""
    stripped = p.rstrip("/")
    return stripped[stripped.rfind("/") + 1 :] if stripped else ""


def _posix_join(a: str, b: str) -> str:
    joined = f"{a}/{b}" if a else b
    parts: list[str] = []
    for seg in joined.split("/"):
        if seg in ("", "."):
            continue
        if seg == ".." and parts and parts[-1] != "..":
            parts.pop()
            continue
        parts.append(seg)
    out = "/".join(parts)
    if joined.startswith("/"):
        out = "/" + out
    return out or "."


def _split_prefix(p: str, prefix_size: int) -> tuple[str, str, bool]:
    """node-tar's splitPrefix: fit `p` into name (100 bytes) + prefix, else flag a pax header."""
    path_size = 100
    if len(p.encode("utf-8")) < path_size:
        return p, "", False
    root = "/" if p.startswith("/") else "."
    prefix = _dirname(p)
    pp = _basename(p)
    while True:
        pp_len = len(pp.encode("utf-8"))
        prefix_len = len(prefix.encode("utf-8"))
        if pp_len <= path_size and prefix_len <= prefix_size:
            return pp, prefix, False
        if pp_len > path_size and prefix_len <= prefix_size:
            return _js_slice(pp, path_size - 1), prefix, True
        pp = _posix_join(_basename(prefix), pp)
        prefix = _dirname(prefix)
        if prefix == root:
            break
    return _js_slice(p, path_size - 1), "", True


def encode_header(fields: HeaderFields) -> tuple[bytes, bool]:
    """One header block and whether a pax header is needed before it."""
    buf = bytearray(BLOCK)
    prefix_size = 130 if (fields.ctime or fields.atime) else 155
    path, prefix, need_pax = _split_prefix(fields.path or "", prefix_size)
    need_pax = _enc_string(buf, 0, 100, path) or need_pax
    need_pax = _enc_number(buf, 100, 8, fields.mode) or need_pax
    need_pax = _enc_number(buf, 108, 8, fields.uid) or need_pax
    need_pax = _enc_number(buf, 116, 8, fields.gid) or need_pax
    need_pax = _enc_number(buf, 124, 12, fields.size) or need_pax
    need_pax = _enc_number(buf, 136, 12, fields.mtime) or need_pax
    buf[156] = ord(TYPE_CODES.get(fields.type, fields.type)[:1] or "0")
    need_pax = _enc_string(buf, 157, 100, fields.linkpath) or need_pax
    buf[257:265] = _USTAR_MAGIC
    need_pax = _enc_string(buf, 265, 32, fields.uname) or need_pax
    need_pax = _enc_string(buf, 297, 32, fields.gname) or need_pax
    need_pax = _enc_number(buf, 329, 8, fields.devmaj) or need_pax
    need_pax = _enc_number(buf, 337, 8, fields.devmin) or need_pax
    need_pax = _enc_string(buf, 345, prefix_size, prefix) or need_pax
    if buf[475] != 0:
        need_pax = _enc_string(buf, 345, 155, prefix) or need_pax
    else:
        need_pax = _enc_string(buf, 345, 130, prefix) or need_pax
        need_pax = _enc_number(buf, 476, 12, fields.atime) or need_pax
        need_pax = _enc_number(buf, 488, 12, fields.ctime) or need_pax
    checksum = 8 * 0x20 + sum(buf[0:148]) + sum(buf[156:512])
    _enc_number(buf, 148, 8, checksum)
    return bytes(buf), need_pax


def _js_number(value: float) -> str:
    if isinstance(value, int) or value.is_integer():
        return str(int(value))
    return repr(value)


def _pax_record(key: str, value: str) -> str:
    s = f" {key}={value}\n"
    byte_len = len(s.encode("utf-8"))
    # node-tar's digit count, floating-point log included (it self-corrects at powers of ten).
    digits = math.floor(math.log(byte_len) / math.log(10)) + 1
    if byte_len + digits >= 10**digits:
        digits += 1
    return f"{digits + byte_len}{s}"


def encode_pax(
    *,
    path: str,
    mtime: float | None,
    size: int,
    linkpath: str | None = None,
) -> bytes:
    """A portable-mode pax `x` header plus body, as node-tar's WriteEntry emits it."""
    body = _pax_record("path", path)
    if linkpath is not None:
        body += _pax_record("linkpath", linkpath)
    if mtime is not None:
        body += _pax_record("mtime", _js_number(mtime))
    body += _pax_record("size", _js_number(size))
    raw_body = body.encode("utf-8")
    header, _ = encode_header(
        HeaderFields(
            path=_js_slice("PaxHeader/" + _basename(path), 99),
            mode=0o644,
            size=len(raw_body),
            mtime=mtime,
            type="ExtendedHeader",
            linkpath="",
            uname="",
            gname="",
        )
    )
    padding = -len(raw_body) % BLOCK
    if not raw_body:
        return b""
    return header + raw_body + bytes(padding)
