"""snpm.cache.maintenance: cacache's verify, npm's `cache clean` and `cache ls`.

verify's counts are also checked against cacache's own verify in tests/e2e/test_cache_shared_with_npm.py.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import msgspec
import pytest

from snpm.cache import content, index, maintenance, store
from snpm.errors import UsageError
from snpm.integrity import compute
from snpm.json_types import JsonValue

MFH = "make-fetch-happen:request-cache:"


def _put(cache: Path, key: str, data: bytes, metadata: JsonValue = None) -> str:
    sri = content.write(cache, data)
    index.insert(cache, key, sri, size=len(data), metadata=metadata)
    return sri


def _content_files(cache: Path) -> list[Path]:
    return sorted(p for p in content.content_dir(cache).rglob("*") if p.is_file())


# ── verify ──


def test_verify_empty_cache(tmp_path: Path) -> None:
    stats = maintenance.verify(tmp_path)
    assert (stats.verified_content, stats.reclaimed_count, stats.total_entries) == (0, 0, 0)
    assert (tmp_path / "_cacache" / "_lastverified").is_file()
    assert maintenance.last_verified(tmp_path) == int((tmp_path / "_cacache" / "_lastverified").read_text())
    assert set(stats.run_time) == {
        "markStartTime",
        "fixPerms",
        "garbageCollect",
        "rebuildIndex",
        "cleanTmp",
        "writeVerifile",
        "markEndTime",
        "total",
    }
    assert set(stats.to_json()) == {
        "startTime",
        "runTime",
        "verifiedContent",
        "reclaimedCount",
        "reclaimedSize",
        "badContentCount",
        "keptSize",
        "missingContent",
        "rejectedEntries",
        "totalEntries",
        "endTime",
    }


def test_verify_healthy_cache_compacts_buckets(tmp_path: Path) -> None:
    _put(tmp_path, "a", b"aaaa", {"n": 1})
    _put(tmp_path, "a", b"aaaa", {"n": 2})
    _put(tmp_path, "b", b"bb")
    stats = maintenance.verify(tmp_path)
    assert stats.verified_content == 2
    assert stats.kept_size == 6
    assert stats.total_entries == 2
    assert stats.reclaimed_count == stats.bad_content_count == stats.missing_content == 0
    lines = index.bucket_path(tmp_path, "a").read_bytes().split(b"\n")
    assert len(lines) == 2  # "", the newest entry
    found = index.find(tmp_path, "a")
    assert found is not None and found.metadata == {"n": 2}


def test_verify_collects_garbage_and_corruption(tmp_path: Path) -> None:
    _put(tmp_path, "keep", b"keep me")
    bad_sri = _put(tmp_path, "corrupt", b"original")
    content.content_path(tmp_path, bad_sri).write_bytes(b"tampered!")
    missing_sri = _put(tmp_path, "missing", b"gone")
    content.content_path(tmp_path, missing_sri).unlink()
    content.write(tmp_path, b"nobody points here")  # 18 bytes of garbage
    _put(tmp_path, "deleted", b"deleted content")  # 15 bytes, unreferenced after the delete
    index.delete(tmp_path, "deleted")
    (tmp_path / "_cacache" / "tmp").mkdir(exist_ok=True)
    (tmp_path / "_cacache" / "tmp" / "leftover").write_text("x")

    stats = maintenance.verify(tmp_path)
    assert stats.verified_content == 1
    assert stats.kept_size == 7
    assert stats.bad_content_count == 1
    assert stats.reclaimed_count == 3  # corrupt + garbage + deleted
    assert stats.reclaimed_size == 9 + 18 + 15
    assert stats.missing_content == 2  # the corrupt blob was removed, then its entry lost its content
    assert stats.rejected_entries == 2
    assert stats.total_entries == 1
    assert sorted(index.ls(tmp_path)) == ["keep"]
    assert len(_content_files(tmp_path)) == 1
    assert not (tmp_path / "_cacache" / "tmp").exists()
    # deletion-only buckets are left as they are, as cacache does
    assert index.bucket_path(tmp_path, "deleted").read_bytes().count(b"\n") == 2


def test_verify_keeps_every_algorithm_of_a_live_entry(tmp_path: Path) -> None:
    sri = content.write(tmp_path, b"both", algorithms=("sha512", "sha1"))
    index.insert(tmp_path, "k", sri, size=4)
    stats = maintenance.verify(tmp_path)
    assert stats.verified_content == 2
    assert stats.reclaimed_count == 0
    assert content.read(tmp_path, str(compute(b"both", ("sha1",)))) == b"both"


def test_verify_filter(tmp_path: Path) -> None:
    _put(tmp_path, "a", b"a")
    _put(tmp_path, "b", b"b")
    stats = maintenance.verify(tmp_path, keep=lambda e: e.key == "a")
    assert stats.rejected_entries == 1
    assert stats.reclaimed_count == 1
    assert sorted(index.ls(tmp_path)) == ["a"]


def test_verify_keeps_size_omitted_and_time(tmp_path: Path) -> None:
    sri = content.write(tmp_path, b"x")
    index.insert(tmp_path, "k", sri, size=None, time_ms=42)
    maintenance.verify(tmp_path)
    text = index.bucket_path(tmp_path, "k").read_bytes().split(b"\t")[1]
    assert msgspec.json.decode(text) == {"key": "k", "integrity": sri, "time": 42}


def test_verify_removes_stray_content_files(tmp_path: Path) -> None:
    root = content.content_dir(tmp_path)
    root.mkdir(parents=True)
    (root / "README").write_text("stray")
    (root / "sha512" / "ab").mkdir(parents=True)
    (root / "sha512" / "ab" / "cd").write_text("short path")
    stats = maintenance.verify(tmp_path)
    assert stats.reclaimed_count == 2
    assert _content_files(tmp_path) == []


def test_verify_report_lines() -> None:
    stats = maintenance.VerifyStats(
        verified_content=3,
        kept_size=30,
        bad_content_count=1,
        reclaimed_count=2,
        reclaimed_size=20,
        missing_content=1,
        total_entries=3,
        run_time={"total": 25},
    )
    assert maintenance.verify_report_lines(stats, Path("/home/me/.npm"), "/home/me") == [
        "Cache verified and compressed (~/.npm/_cacache)",
        "Content verified: 3 (30 bytes)",
        "Corrupted content removed: 1",
        "Content garbage-collected: 2 (20 bytes)",
        "Missing content: 1",
        "Index entries: 3",
        "Finished in 0.025s",
    ]
    quiet = maintenance.VerifyStats(run_time={"total": 1000})
    assert maintenance.verify_report_lines(quiet, Path("/var/cache"), "/home/me") == [
        "Cache verified and compressed (/var/cache/_cacache)",
        "Content verified: 0 (0 bytes)",
        "Index entries: 0",
        "Finished in 1s",
    ]


# ── clean ──


def test_clean_removes_cacache_and_store(tmp_path: Path) -> None:
    _put(tmp_path, "a", b"a")
    store.add_package(tmp_path, str(compute(b"t")), [("x", 0o644, b"x")])
    (tmp_path / "_logs").mkdir()
    maintenance.clean(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_logs"]
    maintenance.clean(tmp_path)  # nothing there: fine


def test_clean_keeps_store_when_asked(tmp_path: Path) -> None:
    store.add_package(tmp_path, str(compute(b"t")), [("x", 0o644, b"x")])
    maintenance.clean(tmp_path, include_store=False)
    assert (tmp_path / "_snpm").is_dir()


def test_clean_keys_stops_at_first_missing(tmp_path: Path) -> None:
    sri_a = _put(tmp_path, "a", b"a")
    _put(tmp_path, "b", b"b")
    _put(tmp_path, "c", b"c")
    result = maintenance.clean_keys(tmp_path, ["a", "nope", "c"])
    assert result == maintenance.CleanResult(deleted=("a",), not_found="nope")
    assert index.find(tmp_path, "a") is None
    assert not content.has(tmp_path, sri_a)
    assert index.find(tmp_path, "c") is not None
    assert maintenance.clean_keys(tmp_path, ["b", "c"]) == maintenance.CleanResult(deleted=("b", "c"))


def test_clean_keys_treats_corrupt_content_as_not_found(tmp_path: Path) -> None:
    sri = _put(tmp_path, "a", b"a")
    content.content_path(tmp_path, sri).write_bytes(b"z")
    assert maintenance.clean_keys(tmp_path, ["a"]).not_found == "a"


# ── ls ──


def test_ls_lists_every_key_sorted(tmp_path: Path) -> None:
    for key in ["pacote:tarball:file:/x", f"{MFH}http://x/foo", f"{MFH}http://x/Foo", "b"]:
        _put(tmp_path, key, key.encode())
    assert maintenance.ls(tmp_path) == [
        "b",
        f"{MFH}http://x/foo",
        f"{MFH}http://x/Foo",
        "pacote:tarball:file:/x",
    ]


def test_entry_hashes_are_sha1_of_the_json(tmp_path: Path) -> None:
    _put(tmp_path, "a", b"a")
    maintenance.verify(tmp_path)
    digest, text = index.bucket_path(tmp_path, "a").read_bytes()[1:].split(b"\t")
    assert digest.decode() == hashlib.sha1(text).hexdigest()


def test_ls_with_specs(tmp_path: Path) -> None:
    reg = "http://127.0.0.1:4873"
    for key in [f"{MFH}{reg}/foo/-/foo-1.0.0.tgz", f"{MFH}{reg}/foo/-/foo-2.0.0.tgz", f"{MFH}{reg}/bar"]:
        _put(tmp_path, key, b"x")
    assert maintenance.ls(tmp_path, ["foo@1"]) == [f"{MFH}{reg}/foo/-/foo-1.0.0.tgz"]
    assert maintenance.ls(tmp_path, ["foo", "bar@1"]) == [
        f"{MFH}{reg}/bar",
        f"{MFH}{reg}/foo/-/foo-1.0.0.tgz",
        f"{MFH}{reg}/foo/-/foo-2.0.0.tgz",
    ]
    with pytest.raises(UsageError, match="Cannot list cache keys for a tagged package."):
        maintenance.ls(tmp_path, ["foo@latest"])
