"""`snpm cache verify | clean | ls`: cacache's verify() and npm's lib/commands/cache.js over the cache.

verify is cacache's mark-and-sweep: every hash an index entry names is live; content nobody names is
deleted, live content is re-hashed (corrupt blobs are deleted), each bucket is rewritten with only its
newest entry per key whose content still exists, `_cacache/tmp` is emptied and `_lastverified`
stamped. One deliberate difference: a rebuilt bucket replaces the old one by rename instead of
truncate-then-append, so a concurrent reader never sees it empty.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import msgspec

from snpm.cache import content, index
from snpm.cache.content import CACACHE_DIRNAME, cacache_dir, content_dir
from snpm.cache.index import IndexEntry
from snpm.cache.key_search import search_cache_package
from snpm.cache.store import STORE_DIRNAME
from snpm.ecmascript.collation import locale_compare_key
from snpm.errors import SnpmError, UsageError, from_os_error
from snpm.integrity import Integrity, from_hex
from snpm.json_types import JsonObject
from snpm.semver import range as semver_range
from snpm.spec import parse_spec

__all__ = ["CleanResult", "VerifyStats", "clean", "clean_keys", "ls", "verify", "verify_report_lines"]

_CHUNK = 1 << 20


class VerifyStats(msgspec.Struct, frozen=True):
    """What cacache.verify() returns; `run_time` is milliseconds per step plus "total"."""

    verified_content: int = 0
    reclaimed_count: int = 0
    reclaimed_size: int = 0
    bad_content_count: int = 0
    kept_size: int = 0
    missing_content: int = 0
    rejected_entries: int = 0
    total_entries: int = 0
    start_time: int = 0  # epoch ms
    end_time: int = 0
    run_time: Mapping[str, int] = msgspec.field(default_factory=dict)

    def to_json(self) -> JsonObject:
        """The stats with cacache's camelCase names."""
        out: JsonObject = {"startTime": self.start_time, "runTime": dict(self.run_time)}
        for name in _COUNT_FIELDS:
            head, *rest = name.split("_")
            out[head + "".join(part.title() for part in rest)] = getattr(self, name)
        out["endTime"] = self.end_time
        return out


_COUNT_FIELDS = (
    "verified_content",
    "reclaimed_count",
    "reclaimed_size",
    "bad_content_count",
    "kept_size",
    "missing_content",
    "rejected_entries",
    "total_entries",
)


class _Counts(msgspec.Struct):
    verified_content: int = 0
    reclaimed_count: int = 0
    reclaimed_size: int = 0
    bad_content_count: int = 0
    kept_size: int = 0
    missing_content: int = 0
    rejected_entries: int = 0
    total_entries: int = 0


def _now_ms() -> int:
    return int(time.time() * 1000)


def verify(
    cache_dir: Path,
    *,
    keep: Callable[[IndexEntry], bool] | None = None,
    concurrency: int = 8,
) -> VerifyStats:
    """`npm cache verify`: garbage-collect, re-hash, rebuild the index, clean tmp (cacache.verify).

    `keep` is cacache's `filter` option: entries it rejects are dropped from the index.
    """
    counts = _Counts()
    run_time: dict[str, int] = {}
    start = _now_ms()
    run_time["markStartTime"] = 0
    steps: tuple[tuple[str, Callable[[], None]], ...] = (
        ("fixPerms", lambda: os.makedirs(cacache_dir(cache_dir), exist_ok=True)),
        ("garbageCollect", lambda: _garbage_collect(cache_dir, keep, counts, concurrency)),
        ("rebuildIndex", lambda: _rebuild_index(cache_dir, keep, counts)),
        ("cleanTmp", lambda: shutil.rmtree(content.tmp_dir(cache_dir), ignore_errors=True)),
        ("writeVerifile", lambda: _write_verifile(cache_dir)),
    )
    try:
        for name, step in steps:
            began = _now_ms()
            step()
            run_time[name] = _now_ms() - began
    except OSError as err:
        raise from_os_error(err) from None
    end = _now_ms()
    run_time["markEndTime"] = 0
    run_time["total"] = end - start
    return VerifyStats(**msgspec.structs.asdict(counts), start_time=start, end_time=end, run_time=run_time)


def _garbage_collect(
    cache_dir: Path, keep: Callable[[IndexEntry], bool] | None, counts: _Counts, concurrency: int
) -> None:
    live: set[str] = set()
    for entry in index.ls(cache_dir).values():
        if keep is None or keep(entry):
            live.update(str(h) for h in Integrity.parse(entry.integrity).hashes)
    root = content_dir(cache_dir)
    files: list[tuple[Path, str | None]] = []
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            path = Path(dirpath, name)
            files.append((path, _integrity_of(root, path)))
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        results = list(pool.map(lambda item: _sweep(item[0], item[1], live), files))
    for is_live, valid, size in results:
        if is_live and valid:
            counts.verified_content += 1
            counts.kept_size += size
        else:
            counts.reclaimed_count += 1
            counts.reclaimed_size += size
            if is_live:
                counts.bad_content_count += 1


def _integrity_of(root: Path, path: Path) -> str | None:
    """`content-v2/<algo>/<2>/<2>/<rest>` → the hash string it holds (cacache's ssri.fromHex)."""
    parts = path.relative_to(root).parts
    if len(parts) < 4:
        return None
    algorithm, digest = parts[-4], "".join(parts[-3:])
    parsed = from_hex(digest, algorithm)
    return str(parsed) if parsed else None


def _sweep(path: Path, integrity: str | None, live: set[str]) -> tuple[bool, bool, int]:
    """(is it live, is it intact, its size); dead or corrupt content is deleted."""
    if integrity is not None and integrity in live:
        try:
            size = os.stat(path).st_size
            intact = _file_matches(path, integrity)
        except FileNotFoundError:
            return True, False, 0
        if not intact:
            _remove(path)
        return True, intact, size
    try:
        size = os.lstat(path).st_size
    except FileNotFoundError:
        return False, False, 0
    _remove(path)
    return False, False, size


def _file_matches(path: Path, integrity: str) -> bool:
    expected = Integrity.parse(integrity).strongest()
    hasher = hashlib.new(expected.algorithm)
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            hasher.update(chunk)
    return expected.hex() == hasher.hexdigest()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
        return
    try:
        os.unlink(path)
    except FileNotFoundError:
        return


def _rebuild_index(cache_dir: Path, keep: Callable[[IndexEntry], bool] | None, counts: _Counts) -> None:
    for path, newest in index.newest_entries(cache_dir):
        live = [
            (raw, formatted) for raw in newest if (formatted := raw.to_index_entry(cache_dir)) is not None
        ]
        if not live:
            continue  # cacache only rebuilds buckets that ls() reports
        lines: list[bytes] = []
        for raw, entry in live:
            if keep is not None and not keep(entry):
                counts.rejected_entries += 1
                continue
            if not os.path.exists(entry.path):
                counts.rejected_entries += 1
                counts.missing_content += 1
                continue
            # cacache re-inserts: integrity re-serialised, time kept (or now), size/metadata as stored
            record: JsonObject = {
                "key": entry.key,
                "integrity": str(Integrity.parse(entry.integrity)),
                "time": raw.time or _now_ms(),
            }
            if raw.size is not None:
                record["size"] = raw.size
            if raw.metadata is not None:
                record["metadata"] = raw.metadata
            lines.append(b"\n" + index.format_line(record))
            counts.total_entries += 1
        _replace_file(cache_dir, path, b"".join(lines))


def _replace_file(cache_dir: Path, path: Path, data: bytes) -> None:
    tmp = content.new_tmp_path(cache_dir)
    os.makedirs(tmp.parent, exist_ok=True)
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _write_verifile(cache_dir: Path) -> None:
    with open(cacache_dir(cache_dir) / "_lastverified", "w", encoding="ascii") as fh:
        fh.write(str(_now_ms()))


def last_verified(cache_dir: Path) -> int | None:
    """cacache's verify.lastRun as epoch ms, or None when the cache was never verified."""
    try:
        return int((cacache_dir(cache_dir) / "_lastverified").read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def _js_number(value: float) -> str:
    """JavaScript's Number#toString for the values npm prints here."""
    return str(int(value)) if value == int(value) else repr(value)


def verify_report_lines(stats: VerifyStats, cache_dir: Path, home: str | None) -> list[str]:
    """The lines `npm cache verify` prints for `stats` (the path shown with `~` for $HOME)."""
    shown = str(cacache_dir(cache_dir))
    prefix = f"~{shown[len(home) :]}" if home and shown.startswith(home) else shown
    lines = [
        f"Cache verified and compressed ({prefix})",
        f"Content verified: {stats.verified_content} ({stats.kept_size} bytes)",
    ]
    if stats.bad_content_count:
        lines.append(f"Corrupted content removed: {stats.bad_content_count}")
    if stats.reclaimed_count:
        lines.append(f"Content garbage-collected: {stats.reclaimed_count} ({stats.reclaimed_size} bytes)")
    if stats.missing_content:
        lines.append(f"Missing content: {stats.missing_content}")
    lines.append(f"Index entries: {stats.total_entries}")
    lines.append(f"Finished in {_js_number(stats.run_time.get('total', 0) / 1000)}s")
    return lines


def clean(cache_dir: Path, *, include_store: bool = True) -> None:
    """`npm cache clean --force`: remove `<cache>/_cacache` (and snpm's extracted-file store)."""
    targets = [cache_dir / CACACHE_DIRNAME]
    if include_store:
        targets.append(cache_dir / STORE_DIRNAME)
    for target in targets:
        try:
            shutil.rmtree(target)
        except FileNotFoundError:
            continue
        except OSError as err:
            raise from_os_error(err, "rm") from None


class CleanResult(msgspec.Struct, frozen=True):
    """`npm cache clean <key>...`: the keys deleted, and the key that stopped the run, if any."""

    deleted: tuple[str, ...]
    not_found: str | None = None


def clean_keys(cache_dir: Path, keys: Iterable[str]) -> CleanResult:
    """Delete each key's entry and content; like npm, stop at the first key that cannot be read.

    npm prints `Deleted: <key>` per deleted key and warns `Not Found: <key>` for the stopper.
    """
    deleted: list[str] = []
    for key in keys:
        entry = index.find(cache_dir, key)
        try:
            if entry is None:
                raise SnpmError(f"No cache entry for {key} found in {cacache_dir(cache_dir)}", code="ENOENT")
            content.read(cache_dir, entry.integrity, size=entry.size)
        except SnpmError:
            return CleanResult(tuple(deleted), key)
        deleted.append(key)
        index.delete(cache_dir, key)
        content.remove(cache_dir, entry.integrity)
    return CleanResult(tuple(deleted))


def ls(cache_dir: Path, specs: Sequence[str] = ()) -> list[str]:
    """`npm cache ls [<spec>...]`: cache keys, sorted like npm (`localeCompare('en')`).

    With specs, only make-fetch-happen keys of matching tarballs and packuments (and the tarballs a
    cached packument lists for matching versions). A tag spec is a usage error, as in npm.
    """
    entries = index.ls(cache_dir)
    keys = list(entries)
    if not specs:
        return sorted(keys, key=locale_compare_key)
    results: dict[str, None] = {}
    for spec in specs:
        query = parse_spec(spec)
        if query.raw_spec != "" and query.type == "tag":
            raise UsageError("Cannot list cache keys for a tagged package.")
        for key in search_cache_package(cache_dir, query, keys, _satisfies):
            results[key] = None
    return sorted(results, key=locale_compare_key)


def _satisfies(version: str, range_text: str) -> bool:
    return semver_range.satisfies(version, range_text)
