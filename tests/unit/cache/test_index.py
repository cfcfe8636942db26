"""snpm.cache.index: cacache 20's bucket files (expected bucket paths from cacache's entry-index.js)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from snpm.cache import content, index
from snpm.cache.index import BucketEntry

HELLO_SHA512 = (
    "sha512-m3HSJL1i83hdltRq0+o9czGb+8KJDKra4t/3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw=="
)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (
            "make-fetch-happen:request-cache:http://127.0.0.1:4873/foo/-/foo-1.0.0.tgz",
            "index-v5/c8/89/1bf982e1f6cb0a49caa6e7b60236f6546c79d6ab4104b18ac65f6b0e502f",
        ),
        (
            "pacote:tarball:file:/tmp/x.tgz",
            "index-v5/7c/26/f1be9e3fbdc0028ad931d77908ce0dc335ef65b8db7f7eda23b6133f3b40",
        ),
        ("é😀", "index-v5/11/84/d1f608158eea09d297565575892231550c403aaa913008d867a97cfd5c76"),
    ],
)
def test_bucket_path_matches_cacache(tmp_path: Path, key: str, expected: str) -> None:
    assert index.bucket_path(tmp_path, key) == tmp_path / "_cacache" / expected


def test_insert_writes_cacache_lines(tmp_path: Path) -> None:
    entry = index.insert(tmp_path, "k", HELLO_SHA512, size=5, metadata={"url": "é"}, time_ms=1234)
    assert entry == index.IndexEntry(
        key="k",
        integrity=HELLO_SHA512,
        path=content.content_path(tmp_path, HELLO_SHA512),
        size=5,
        time=1234,
        metadata={"url": "é"},
    )
    raw = index.bucket_path(tmp_path, "k").read_bytes()
    assert raw.startswith(b"\n")
    digest, text = raw[1:].split(b"\t")
    # JSON.stringify's order and compact form; non-ASCII stays raw UTF-8
    assert text == (
        b'{"key":"k","integrity":"'
        + HELLO_SHA512.encode()
        + b'","time":1234,"size":5,"metadata":{"url":"\xc3\xa9"}}'
    )
    assert digest.decode() == hashlib.sha1(text).hexdigest()


def test_insert_omits_undefined_fields_and_normalises_integrity(tmp_path: Path) -> None:
    index.insert(tmp_path, "k", f"  {HELLO_SHA512}  bogus ", size=None, time_ms=1)
    raw = index.bucket_path(tmp_path, "k").read_bytes()
    assert json.loads(raw.split(b"\t")[1]) == {"key": "k", "integrity": HELLO_SHA512, "time": 1}


def test_find_missing(tmp_path: Path) -> None:
    assert index.find(tmp_path, "nope") is None


def test_last_write_wins(tmp_path: Path) -> None:
    index.insert(tmp_path, "k", HELLO_SHA512, size=1, metadata=1)
    index.insert(tmp_path, "k", HELLO_SHA512, size=2, metadata=2)
    found = index.find(tmp_path, "k")
    assert found is not None
    assert found.metadata == 2
    assert found.size == 2


def test_delete_appends_null_entry_and_hides_key(tmp_path: Path) -> None:
    index.insert(tmp_path, "k", HELLO_SHA512, size=5)
    index.delete(tmp_path, "k")
    assert index.find(tmp_path, "k") is None
    assert "k" not in index.ls(tmp_path)
    lines = index.bucket_path(tmp_path, "k").read_bytes().split(b"\n")
    assert len(lines) == 3
    assert json.loads(lines[2].split(b"\t")[1])["integrity"] is None
    # writing again resurrects it
    index.insert(tmp_path, "k", HELLO_SHA512, size=5)
    assert index.find(tmp_path, "k") is not None


def test_delete_remove_fully(tmp_path: Path) -> None:
    index.insert(tmp_path, "k", HELLO_SHA512, size=5)
    index.delete(tmp_path, "k", remove_fully=True)
    assert not index.bucket_path(tmp_path, "k").exists()
    index.delete(tmp_path, "k", remove_fully=True)  # already gone: fine


def test_null_integrity_insert_returns_none(tmp_path: Path) -> None:
    assert index.insert(tmp_path, "k", None, size=None, metadata={"status": 301}) is None
    entries = index.read_bucket(index.bucket_path(tmp_path, "k"))
    assert [(e.key, e.integrity, e.metadata) for e in entries] == [("k", None, {"status": 301})]


def test_corrupt_lines_are_skipped(tmp_path: Path) -> None:
    index.insert(tmp_path, "k", HELLO_SHA512, size=1, metadata="first")
    bucket = index.bucket_path(tmp_path, "k")
    good_json = b'{"key":"k","integrity":"' + HELLO_SHA512.encode() + b'","time":9,"metadata":"later"}'
    with open(bucket, "ab") as fh:
        fh.write(b"\nnot a line")
        fh.write(b"\n" + b"0" * 40 + b"\t" + good_json)  # wrong checksum
        bad_json = b'{"key":"k",'
        fh.write(
            b"\n" + hashlib.sha1(bad_json).hexdigest().encode() + b"\t" + bad_json
        )  # checksum ok, bad JSON
        fh.write(b"\n" + hashlib.sha1(b"42").hexdigest().encode() + b"\t42")  # not an object
        fh.write(b"\n" + hashlib.sha1(good_json).hexdigest().encode() + b"\t" + good_json[:20])  # torn
    found = index.find(tmp_path, "k")
    assert found is not None and found.metadata == "first"
    # a torn last line does not hurt the next append (each line starts with its own newline)
    index.insert(tmp_path, "k", HELLO_SHA512, size=1, metadata="second")
    found = index.find(tmp_path, "k")
    assert found is not None and found.metadata == "second"


def test_ls(tmp_path: Path) -> None:
    index.insert(tmp_path, "a", HELLO_SHA512, size=1)
    index.insert(tmp_path, "b", HELLO_SHA512, size=2)
    index.insert(tmp_path, "b", HELLO_SHA512, size=3)
    index.insert(tmp_path, "c", HELLO_SHA512, size=4)
    index.delete(tmp_path, "c")
    listed = index.ls(tmp_path)
    assert sorted(listed) == ["a", "b"]
    assert listed["b"].size == 3
    assert index.ls(tmp_path / "nowhere") == {}


def test_ls_ignores_stray_files(tmp_path: Path) -> None:
    index.insert(tmp_path, "a", HELLO_SHA512, size=1)
    root = index.index_dir(tmp_path)
    (root / "stray").write_text("x")
    (root / "ab").mkdir()
    (root / "ab" / "stray").write_text("x")
    assert list(index.ls(tmp_path)) == ["a"]


def test_compact_keeps_one_per_match_class(tmp_path: Path) -> None:
    for n in range(3):
        index.insert(tmp_path, "k", HELLO_SHA512, size=n, metadata={"v": n % 2}, time_ms=100 + n)

    def same_v(a: BucketEntry, b: BucketEntry) -> bool:
        assert isinstance(a.metadata, dict) and isinstance(b.metadata, dict)
        return a.metadata["v"] == b.metadata["v"]

    kept = index.compact(tmp_path, "k", same_v)
    assert [e.size for e in kept] == [2, 1]  # newest first
    assert [e.size for e in index.read_bucket(index.bucket_path(tmp_path, "k"))] == [1, 2]
    found = index.find(tmp_path, "k")
    assert found is not None and found.size == 2


def test_compact_stops_at_deletion_unless_validating(tmp_path: Path) -> None:
    index.insert(tmp_path, "k", HELLO_SHA512, size=1)
    index.insert(tmp_path, "k", None, size=None, metadata={"status": 301})
    index.insert(tmp_path, "k", HELLO_SHA512, size=3)
    kept = index.compact(tmp_path, "k", lambda a, b: a.size == b.size)
    assert [e.size for e in kept] == [3]
    index.insert(tmp_path, "k", None, size=None, metadata={"status": 301})
    kept = index.compact(
        tmp_path,
        "k",
        lambda a, b: a.integrity == b.integrity,
        validate=lambda e: e.integrity is not None or isinstance(e.metadata, dict),
    )
    assert [(e.integrity, e.size) for e in kept] == [(None, None), (HELLO_SHA512, 3)]


def test_compact_keeps_lines_byte_for_byte(tmp_path: Path) -> None:
    bucket = index.bucket_path(tmp_path, "k")
    bucket.parent.mkdir(parents=True)
    text = b'{"key":"k","integrity":"' + HELLO_SHA512.encode() + b'","time":5.5,"size":1,"extra":true}'
    bucket.write_bytes(b"\n" + hashlib.sha1(text).hexdigest().encode() + b"\t" + text)
    index.compact(tmp_path, "k", lambda a, b: True)
    assert bucket.read_bytes() == b"\n" + hashlib.sha1(text).hexdigest().encode() + b"\t" + text


def test_lone_surrogate_key_is_still_readable(tmp_path: Path) -> None:
    key = "bad\ud800key"
    index.insert(tmp_path, key, HELLO_SHA512, size=1)
    found = index.find(tmp_path, key)
    assert found is not None and found.key == key
