"""Key → entry index in cacache 20's bucket files (`_cacache/index-v5/`), append-only, last write wins.

A key's bucket is `index-v5/<sha256(key)[0:2]>/<[2:4]>/<[4:]>`. Each entry is appended as one line
`\\n<sha1 hex of json>\\t<json>` in a single O_APPEND write, so writers from several npm and snpm
processes never interleave inside a line. Readers check every line's sha1 and skip what does not
match (a torn or corrupt line) or does not parse, exactly like cacache's `bucketEntries`.

An entry whose integrity is null is a deletion (cacache's `rm.entry`) or, for make-fetch-happen, a
redirect stored as metadata only; `find` and `ls` hide such entries (they shadow older ones), while
`compact` and `read_bucket` return them as `BucketEntry` values for the HTTP cache to judge.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Final, overload

import msgspec

from snpm.cache.content import CACACHE_DIRNAME, content_path, hash_to_segments, new_tmp_path
from snpm.errors import IntegrityError, from_os_error
from snpm.integrity import Integrity
from snpm.json_types import JsonObject, JsonValue
from snpm.record import Record

__all__ = [
    "BucketEntry",
    "IndexEntry",
    "bucket_path",
    "compact",
    "delete",
    "find",
    "format_line",
    "hash_entry",
    "hash_key",
    "index_dir",
    "insert",
    "iter_bucket_files",
    "ls",
    "newest_entries",
    "read_bucket",
]

# cacache's package.json "cache-version".index
INDEX_VERSION = "5"
_INDEX_DIRNAME = f"index-v{INDEX_VERSION}"

_APPEND_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
_json_decoder = msgspec.json.Decoder()


class IndexEntry(msgspec.Struct, frozen=True):
    """A live index entry as cacache's formatEntry returns it (`path` is where its content lives).

    `size` is the content's byte count (0 in the odd entry written without one).
    """

    key: str
    integrity: str
    path: Path
    size: int
    time: int
    metadata: JsonValue


# A Record, not a Struct: `raw` stays out of equality.
class BucketEntry(Record):
    """One parsed bucket line, deletions and metadata-only entries included (integrity None)."""

    _FIELDS = ("key", "integrity", "time", "size", "metadata")
    __slots__ = (*_FIELDS, "raw")

    def __init__(
        self,
        key: str,
        integrity: str | None,
        time: int,
        size: int | None,
        metadata: JsonValue,
        raw: bytes = b"",
    ) -> None:
        self.key: Final = key
        self.integrity: Final = integrity
        self.time: Final = time
        self.size: Final = size
        self.metadata: Final = metadata
        # The JSON text as stored, so that rewriting a bucket keeps every line byte for byte.
        self.raw: Final = raw

    def to_index_entry(self, cache_dir: Path) -> IndexEntry | None:
        """cacache's formatEntry: None for a null integrity."""
        if not self.integrity:
            return None
        return IndexEntry(
            key=self.key,
            integrity=self.integrity,
            path=content_path(cache_dir, self.integrity),
            size=self.size or 0,
            time=self.time,
            metadata=self.metadata,
        )


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # node encodes a lone surrogate as U+FFFD before hashing or writing.
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")


@lru_cache(maxsize=4096)
def hash_key(key: str) -> str:
    """sha256 hex of the key: names its bucket."""
    return hashlib.sha256(_utf8(key)).hexdigest()


def hash_entry(text: bytes) -> str:
    """sha1 hex of one entry's JSON: the checksum in front of every bucket line."""
    return hashlib.sha1(text).hexdigest()


def index_dir(cache_dir: Path) -> Path:
    return cache_dir / CACACHE_DIRNAME / _INDEX_DIRNAME


def bucket_path(cache_dir: Path, key: str) -> Path:
    first, second, rest = hash_to_segments(hash_key(key))
    # One Path from one joined string: much cheaper than a chain of `/` (this is on every lookup).
    return Path(os.path.join(cache_dir, CACACHE_DIRNAME, _INDEX_DIRNAME, first, second, rest))


def _encode_json(entry: JsonObject) -> bytes:
    try:
        return msgspec.json.encode(entry)
    except UnicodeEncodeError:
        # A lone surrogate: JSON.stringify escapes it, so escape (everything non-ASCII) too.
        return json.dumps(entry, separators=(",", ":")).encode("ascii")


def format_line(entry: JsonObject) -> bytes:
    """`<sha1>\\t<json>` for one entry (without the leading newline)."""
    text = _encode_json(entry)
    return hash_entry(text).encode("ascii") + b"\t" + text


def _entry_json(
    key: str, integrity: str | None, time_ms: int, size: int | None, metadata: JsonValue
) -> JsonObject:
    # Field order and omissions follow JSON.stringify of cacache's insert(): undefined size and
    # metadata vanish, a null integrity stays.
    entry: JsonObject = {"key": key, "integrity": integrity, "time": time_ms}
    if size is not None:
        entry["size"] = size
    if metadata is not None:
        entry["metadata"] = metadata
    return entry


def _parse_lines(data: bytes) -> list[BucketEntry]:
    entries: list[BucketEntry] = []
    for line in data.split(b"\n"):
        if not line:
            continue
        pieces = line.split(b"\t")
        if len(pieces) < 2 or not pieces[1] or hash_entry(pieces[1]).encode("ascii") != pieces[0]:
            continue  # corrupt, torn or tampered: cacache skips it too
        try:
            obj = _json_decoder.decode(pieces[1])
        except msgspec.DecodeError:
            obj = _decode_slowly(pieces[1])
            if obj is None:
                continue
        entry = _bucket_entry(obj, pieces[1])
        if entry is not None:
            entries.append(entry)
    return entries


def _reject_constant(name: str) -> object:
    raise ValueError(name)


def _decode_slowly(text: bytes) -> object:
    """JSON that msgspec refuses but JSON.parse takes: escaped lone surrogates (`"\\ud800"`)."""
    try:
        return json.loads(text.decode("utf-8"), parse_constant=_reject_constant)
    except ValueError:  # includes UnicodeDecodeError and JSONDecodeError
        return None


def _bucket_entry(obj: object, raw: bytes) -> BucketEntry | None:
    if not isinstance(obj, dict):
        return None
    key = obj.get("key")
    if not isinstance(key, str):
        return None
    integrity = obj.get("integrity")
    raw_time = obj.get("time")
    raw_size = obj.get("size")
    return BucketEntry(
        key=key,
        integrity=integrity if isinstance(integrity, str) and integrity else None,
        time=int(raw_time) if isinstance(raw_time, int | float) and not isinstance(raw_time, bool) else 0,
        size=int(raw_size) if isinstance(raw_size, int | float) and not isinstance(raw_size, bool) else None,
        metadata=obj.get("metadata"),
        raw=raw,
    )


def read_bucket(path: Path) -> list[BucketEntry]:
    """Every valid entry of one bucket file, oldest first; a missing bucket is empty."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as err:
        raise from_os_error(err) from None
    return _parse_lines(data)


def find(cache_dir: Path, key: str) -> IndexEntry | None:
    """The newest entry for `key`, or None when there is none or the newest is a deletion."""
    latest: BucketEntry | None = None
    for entry in read_bucket(bucket_path(cache_dir, key)):
        if entry.key == key:
            latest = entry
    return latest.to_index_entry(cache_dir) if latest is not None else None


def _append(path: Path, line: bytes) -> None:
    try:
        fd = os.open(path, _APPEND_FLAGS, 0o666)
    except FileNotFoundError:
        os.makedirs(path.parent, exist_ok=True)
        fd = os.open(path, _APPEND_FLAGS, 0o666)
    try:
        # One write() of the whole line: with O_APPEND concurrent appenders cannot interleave.
        written = os.write(fd, line)
        if written != len(line):
            os.write(fd, line[written:])
    finally:
        os.close(fd)


@overload
def insert(
    cache_dir: Path,
    key: str,
    integrity: str,
    *,
    size: int | None,
    metadata: JsonValue = None,
    time_ms: int | None = None,
) -> IndexEntry: ...


@overload
def insert(
    cache_dir: Path,
    key: str,
    integrity: None,
    *,
    size: int | None,
    metadata: JsonValue = None,
    time_ms: int | None = None,
) -> None: ...


def insert(
    cache_dir: Path,
    key: str,
    integrity: str | None,
    *,
    size: int | None,
    metadata: JsonValue = None,
    time_ms: int | None = None,
) -> IndexEntry | None:
    """Append an entry for `key` (cacache's index.insert). A None integrity appends a deletion."""
    normalized: str | None = None
    if integrity:
        normalized = str(Integrity.parse(integrity))
        if not normalized:
            raise IntegrityError(f"Invalid integrity: {integrity!r}", found=integrity)
    stamp = time_ms or int(time.time() * 1000)
    line = b"\n" + format_line(_entry_json(key, normalized, stamp, size, metadata))
    try:
        _append(bucket_path(cache_dir, key), line)
    except OSError as err:
        raise from_os_error(err) from None
    if normalized is None:
        return None
    return IndexEntry(
        key=key,
        integrity=normalized,
        path=content_path(cache_dir, normalized),
        size=size or 0,
        time=stamp,
        metadata=metadata,
    )


def delete(cache_dir: Path, key: str, *, remove_fully: bool = False) -> None:
    """cacache's rm.entry: append a null-integrity entry, or drop the whole bucket with `remove_fully`."""
    if not remove_fully:
        insert(cache_dir, key, None, size=None)
        return
    path = bucket_path(cache_dir, key)
    try:
        os.unlink(path)
    except FileNotFoundError:
        return
    except OSError as err:
        raise from_os_error(err) from None


def iter_bucket_files(cache_dir: Path) -> Iterator[Path]:
    """Every bucket file under index-v5 (`<2>/<2>/<rest>`), in no particular order."""
    root = index_dir(cache_dir)
    for first in _scandir(root):
        if not first.is_dir(follow_symlinks=False):
            continue
        for second in _scandir(Path(first.path)):
            if not second.is_dir(follow_symlinks=False):
                continue
            for bucket in _scandir(Path(second.path)):
                if bucket.is_file():
                    yield Path(bucket.path)


def _scandir(path: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as it:
            return list(it)
    except (FileNotFoundError, NotADirectoryError):
        return []


def newest_entries(cache_dir: Path) -> Iterator[tuple[Path, list[BucketEntry]]]:
    """Each bucket file with the newest entry per key in it (null integrities included)."""
    for bucket in iter_bucket_files(cache_dir):
        newest: dict[str, BucketEntry] = {}
        for entry in read_bucket(bucket):
            newest[entry.key] = entry
        yield bucket, list(newest.values())


def ls(cache_dir: Path) -> dict[str, IndexEntry]:
    """Every live key in the cache with its newest entry (cacache's ls)."""
    result: dict[str, IndexEntry] = {}
    for _bucket, entries in newest_entries(cache_dir):
        for entry in entries:
            formatted = entry.to_index_entry(cache_dir)
            if formatted is not None:
                result[entry.key] = formatted
    return result


def _line_of(entry: BucketEntry) -> bytes:
    if entry.raw:
        return hash_entry(entry.raw).encode("ascii") + b"\t" + entry.raw
    return format_line(_entry_json(entry.key, entry.integrity, entry.time, entry.size, entry.metadata))


def compact(
    cache_dir: Path,
    key: str,
    matches: Callable[[BucketEntry, BucketEntry], bool],
    *,
    validate: Callable[[BucketEntry], bool] | None = None,
) -> list[BucketEntry]:
    """cacache's index.compact: rewrite `key`'s bucket keeping one entry per `matches` class.

    Walks newest to oldest; without `validate` a null integrity ends the walk (a deletion hides all
    before it). The bucket is replaced atomically (tmp file + rename). Returns the kept entries,
    newest first, null integrities included when `validate` kept them.
    """
    bucket = bucket_path(cache_dir, key)
    kept: list[BucketEntry] = []
    for entry in reversed(read_bucket(bucket)):
        if entry.integrity is None and validate is None:
            break
        if (validate is None or validate(entry)) and not any(matches(old, entry) for old in kept):
            kept.append(entry)
    oldest_first = list(reversed(kept))
    body = b"\n" + b"\n".join(_line_of(e) for e in oldest_first)
    tmp = new_tmp_path(cache_dir)
    try:
        os.makedirs(tmp.parent, exist_ok=True)
        with open(tmp, "xb") as fh:
            fh.write(body)
        os.makedirs(bucket.parent, exist_ok=True)
        os.replace(tmp, bucket)
    except OSError as err:
        raise from_os_error(err) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return kept
