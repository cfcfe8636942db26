"""snpm.cache.store: extracted files stored once by content, materialised by hard link, reflink or copy."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import tarfile
from pathlib import Path

import pytest

from snpm.cache import store
from snpm.cache.store import StoreEntry
from snpm.errors import FileSystemError, TarballError
from snpm.integrity import compute

PKG_A = str(compute(b"tarball a"))
PKG_B = str(compute(b"tarball b"))

ENTRIES_A: list[StoreEntry] = [
    ("package.json", 0o644, b'{"name":"a"}'),
    ("lib/index.js", 0o644, b"module.exports = 1\n"),
    ("bin/cli.js", 0o755, b"#!/usr/bin/env node\n"),
    ("LICENSE", 0o644, b"MIT\n"),
    ("empty", 0o755, None),
]
ENTRIES_B: list[StoreEntry] = [
    ("package.json", 0o644, b'{"name":"b"}'),
    ("LICENSE", 0o644, b"MIT\n"),  # same bytes as in a: stored once
    ("LICENSE.exe", 0o755, b"MIT\n"),  # same bytes, other mode: its own inode
]


def _tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mode & 0o777)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_add_and_read_package(tmp_path: Path) -> None:
    assert not store.has_package(tmp_path, PKG_A)
    assert store.read_package(tmp_path, PKG_A) is None
    added = store.add_package(tmp_path, PKG_A, ENTRIES_A)
    assert store.has_package(tmp_path, PKG_A)
    assert store.read_package(tmp_path, PKG_A) == added
    assert added.directories == ("empty",)
    assert added.files["bin/cli.js"] == store.StoredFile(
        hashlib.sha256(b"#!/usr/bin/env node\n").hexdigest(), 0o755, 20
    )
    index_path = store.package_index_path(tmp_path, PKG_A)
    assert index_path.is_relative_to(tmp_path / "_snpm" / "store-v2" / "packages" / "sha512")


def test_files_are_deduplicated_across_packages(tmp_path: Path) -> None:
    store.add_package(tmp_path, PKG_A, ENTRIES_A)
    store.add_package(tmp_path, PKG_B, ENTRIES_B)
    files = [p for p in (tmp_path / "_snpm" / "store-v2" / "files").rglob("*") if p.is_file()]
    # a: 4 files; b: its own package.json and the 0o755 LICENSE copy; LICENSE 0o644 is shared
    assert len(files) == 6
    digest = hashlib.sha256(b"MIT\n").hexdigest()
    plain = tmp_path / "_snpm" / "store-v2" / "files" / digest[:2] / digest[2:]
    assert plain.stat().st_mode & 0o777 == 0o644
    assert (plain.parent / f"{digest[2:]}-755").stat().st_mode & 0o777 == 0o755


def test_materialize_hardlinks(tmp_path: Path) -> None:
    store.add_package(tmp_path, PKG_A, ENTRIES_A)
    dest = tmp_path / "node_modules" / "a"
    store.materialize(tmp_path, PKG_A, dest)
    assert _tree(dest) == {
        "LICENSE": (b"MIT\n", 0o644),
        "bin/cli.js": (b"#!/usr/bin/env node\n", 0o755),
        "lib/index.js": (b"module.exports = 1\n", 0o644),
        "package.json": (b'{"name":"a"}', 0o644),
    }
    assert (dest / "empty").is_dir()
    assert (dest / "LICENSE").stat().st_nlink == 2
    # a second install of the same package shares the same inodes
    store.materialize(tmp_path, PKG_A, tmp_path / "other" / "a")
    assert (dest / "LICENSE").stat().st_ino == (tmp_path / "other" / "a" / "LICENSE").stat().st_ino


def test_materialize_over_existing_files(tmp_path: Path) -> None:
    store.add_package(tmp_path, PKG_A, ENTRIES_A)
    dest = tmp_path / "a"
    (dest / "lib").mkdir(parents=True)
    (dest / "lib" / "index.js").write_text("old")
    store.materialize(tmp_path, PKG_A, dest)
    assert (dest / "lib" / "index.js").read_bytes() == b"module.exports = 1\n"


@pytest.mark.parametrize("method", ["copy", "clone"])
def test_materialize_without_links(tmp_path: Path, method: store.ImportMethod) -> None:
    store.add_package(tmp_path, PKG_A, ENTRIES_A)
    dest = tmp_path / "a"
    store.materialize(tmp_path, PKG_A, dest, method=method)
    assert _tree(dest)["bin/cli.js"] == (b"#!/usr/bin/env node\n", 0o755)
    assert (dest / "LICENSE").stat().st_nlink == 1
    # a copy is independent of the store
    (dest / "LICENSE").write_text("changed")
    assert store.read_package(tmp_path, PKG_A) is not None
    store.materialize(tmp_path, PKG_A, tmp_path / "b")
    assert (tmp_path / "b" / "LICENSE").read_bytes() == b"MIT\n"


def test_cross_device_falls_back_to_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store.add_package(tmp_path, PKG_A, ENTRIES_A)
    calls: list[str] = []

    def no_link(src: object, dst: object) -> None:
        calls.append(str(dst))
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_link)
    dest = tmp_path / "a"
    store.materialize(tmp_path, PKG_A, dest)
    assert len(calls) == 1  # after the first EXDEV every other file is copied straight away
    assert _tree(dest)["bin/cli.js"] == (b"#!/usr/bin/env node\n", 0o755)
    assert len(_tree(dest)) == 4


def test_too_many_links_copies_that_file_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store.add_package(tmp_path, PKG_A, ENTRIES_A)
    real_link = os.link
    calls: list[str] = []

    def link(src: str, dst: str) -> None:
        calls.append(dst)
        if str(dst).endswith("LICENSE"):
            raise OSError(errno.EMLINK, "Too many links")
        real_link(src, dst)

    monkeypatch.setattr(os, "link", link)
    dest = tmp_path / "a"
    store.materialize(tmp_path, PKG_A, dest)
    assert len(calls) == 4
    assert (dest / "LICENSE").stat().st_nlink == 1
    assert (dest / "package.json").stat().st_nlink == 2


def test_missing_package_or_file_is_enoent(tmp_path: Path) -> None:
    with pytest.raises(FileSystemError) as info:
        store.materialize(tmp_path, PKG_A, tmp_path / "a")
    assert info.value.code == "ENOENT"
    added = store.add_package(tmp_path, PKG_A, ENTRIES_A)
    digest = added.files["LICENSE"].hash
    (tmp_path / "_snpm" / "store-v2" / "files" / digest[:2] / digest[2:]).unlink()
    with pytest.raises(FileSystemError) as info:
        store.materialize(tmp_path, PKG_A, tmp_path / "a")
    assert info.value.code == "ENOENT"
    assert "LICENSE" in info.value.message


@pytest.mark.parametrize("bad", ["../evil", "/etc/passwd", "a/../../evil", "", "C:/x", "."])
def test_unsafe_paths_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(TarballError):
        store.add_package(tmp_path, PKG_A, [(bad, 0o644, b"x")])


def test_paths_are_normalised(tmp_path: Path) -> None:
    added = store.add_package(tmp_path, PKG_A, [("./a//b/../c.js", 0o644, b"x"), ("./", 0o755, None)])
    assert list(added.files) == ["a/c.js"]
    assert added.directories == ()


def test_later_entry_for_same_path_wins(tmp_path: Path) -> None:
    added = store.add_package(tmp_path, PKG_A, [("x", 0o644, b"1"), ("x", 0o644, b"2")])
    store.materialize(tmp_path, PKG_A, tmp_path / "a", files=added)
    assert (tmp_path / "a" / "x").read_bytes() == b"2"


def test_owner_can_always_read_and_write(tmp_path: Path) -> None:
    store.add_package(tmp_path, PKG_A, [("ro", 0o444, b"x"), ("none", 0, b"y")])
    store.materialize(tmp_path, PKG_A, tmp_path / "a")
    assert (tmp_path / "a" / "ro").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "a" / "none").stat().st_mode & 0o777 == 0o600


def test_invalid_integrity(tmp_path: Path) -> None:
    assert not store.has_package(tmp_path, "nonsense")
    assert store.read_package(tmp_path, "nonsense") is None


def test_no_tmp_leftovers(tmp_path: Path) -> None:
    store.add_package(tmp_path, PKG_A, ENTRIES_A)
    assert list((tmp_path / "_snpm" / "store-v2" / "tmp").iterdir()) == []


def _tarball() -> bytes:
    members: list[tuple[str, bytes | None, int, bytes]] = [
        ("package/package.json", b'{"name":"t","bin":"cli.js"}', 0o644, tarfile.REGTYPE),
        ("package/cli.js", b"#!/usr/bin/env node\n", 0o644, tarfile.REGTYPE),
        ("package/lib/", None, 0o755, tarfile.DIRTYPE),
        ("package/lib/a.js", b"a", 0o600, tarfile.REGTYPE),
        ("package/lib/run.sh", b"#!/bin/sh\n", 0o775, tarfile.REGTYPE),
        ("package/.gitignore", b"node_modules\n", 0o644, tarfile.REGTYPE),
        ("package/link", None, 0o777, tarfile.SYMTYPE),
    ]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.USTAR_FORMAT) as tar:
        for name, data, mode, kind in members:
            info = tarfile.TarInfo(name)
            info.mode = mode
            info.type = kind
            if kind == tarfile.SYMTYPE:
                info.linkname = "cli.js"
            info.size = len(data) if data is not None else 0
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def test_add_tarball_matches_npm_extraction(tmp_path: Path) -> None:
    from snpm.tarball.extract import extract

    data = _tarball()
    integrity = str(compute(data))
    added = store.add_tarball(tmp_path, integrity, data, bins=["cli.js"])
    assert sorted(added.files) == [".npmignore", "cli.js", "lib/a.js", "lib/run.sh", "package.json"]
    store.materialize(tmp_path, integrity, tmp_path / "linked")
    extract(data, tmp_path / "extracted", bins=["cli.js"], umask=0o022)
    assert _tree(tmp_path / "linked") == _tree(tmp_path / "extracted")
    assert _tree(tmp_path / "linked")["cli.js"][1] == 0o755


def test_materialize_nested_folders_once(tmp_path: Path) -> None:
    entries: list[StoreEntry] = [
        ("a/b/c/d.js", 0o644, b"d"),
        ("a/b/e.js", 0o644, b"e"),
        ("a/x/y", 0o755, None),
        ("f.js", 0o644, b"f"),
        ("a/b/c/g.js", 0o644, b"g"),
    ]
    added = store.add_package(tmp_path, PKG_A, entries)
    dest = tmp_path / "node_modules" / "deep"
    store.materialize(tmp_path, PKG_A, dest, files=added)
    assert sorted(_tree(dest)) == ["a/b/c/d.js", "a/b/c/g.js", "a/b/e.js", "f.js"]
    assert (dest / "a" / "x" / "y").is_dir()
    # again over the existing folders and files
    store.materialize(tmp_path, PKG_A, dest, files=added)
    assert _tree(dest)["a/b/c/g.js"] == (b"g", 0o644)


def test_materialize_refuses_a_file_where_a_folder_goes(tmp_path: Path) -> None:
    added = store.add_package(tmp_path, PKG_A, [("lib/a.js", 0o644, b"a")])
    dest = tmp_path / "pkg"
    dest.mkdir()
    (dest / "lib").write_text("a file")
    with pytest.raises(FileSystemError) as info:
        store.materialize(tmp_path, PKG_A, dest, files=added)
    assert info.value.code == "EEXIST"


def test_store_writes_leave_no_tmp_files_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_rename(src: object, dst: object) -> None:
        raise OSError(errno.EACCES, "Permission denied", str(dst))

    monkeypatch.setattr(os, "rename", failing_rename)
    with pytest.raises(FileSystemError) as info:
        store.add_package(tmp_path, PKG_A, ENTRIES_A)
    assert info.value.code == "EACCES"
    monkeypatch.undo()
    assert list((tmp_path / "_snpm" / "store-v2" / "tmp").iterdir()) == []
    assert not store.has_package(tmp_path, PKG_A)
