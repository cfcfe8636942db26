"""snpm.fetch.unpack and store: one parse of a tarball gives modes, bins, package.json and the store."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from snpm.cache import store as cache_store
from snpm.errors import SnpmError
from snpm.fetch.store import empty_folder, materialize, write_files
from snpm.fetch.tarballs import merge_integrity
from snpm.fetch.unpack import bin_targets, tarball_manifest, unpack
from snpm.integrity import compute
from snpm.tarball import PackFile, pack


def _tarball(manifest: dict[str, object] | None, files: dict[str, tuple[bytes, int]]) -> bytes:
    entries = [PackFile("package.json", json.dumps(manifest).encode())] if manifest is not None else []
    entries += [PackFile(path, data, mode) for path, (data, mode) in files.items()]
    return pack(entries)


FILES = {
    "cli.js": (b"#!/usr/bin/env node\n", 0o644),
    "lib/tool.sh": (b"echo\n", 0o755),
    "README.md": (b"# r\n", 0o600),
    ".gitignore": (b"x\n", 0o644),
}


def test_modes_bins_and_gitignore() -> None:
    data = _tarball({"name": "p", "version": "1.0.0", "bin": "./cli.js"}, FILES)
    unpacked = unpack(data)
    modes = {f.path: f.mode for f in unpacked.files}
    assert modes == {
        "package.json": 0o644,
        # reify extracts without the manifest: bin-links makes the bin executable, not the tarball
        "cli.js": 0o644,
        "lib/tool.sh": 0o755,
        "README.md": 0o644,
        ".npmignore": 0o644,
    }
    assert unpacked.package_json is not None and unpacked.stored is None
    # npm's umask setting and the process umask both mask the tarball's modes
    strict = {f.path: f.mode for f in unpack(data, umask=0o077, process_umask=0o022).files}
    assert strict["README.md"] == 0o600 and strict["cli.js"] == 0o600 and strict["lib/tool.sh"] == 0o700
    assert {f.path for f in unpack(data, allow_gitignore=True).files} >= {".gitignore"}


def test_bin_targets() -> None:
    assert bin_targets({"name": "p", "bin": "./a.js"}, []) == {"a.js"}
    assert bin_targets({"bin": {"x": "../../etc/x"}}, []) == {"etc/x"}
    assert bin_targets({"directories": {"bin": "b"}}, ["b/one", "b/.two", "b/sub/three", "c/four"]) == {
        "b/one",
        "b/sub",
        "b/sub/three",
    }
    assert bin_targets(None, ["a"]) == set()


def test_manifest_of_a_tarball() -> None:
    data = _tarball({"name": "p", "version": "1.0.0", "_private": 1, "scripts": {"x": "y"}}, FILES)
    assert tarball_manifest(unpack(data)) == {
        "name": "p",
        "version": "1.0.0",
        "scripts": {"x": "y"},
        "_id": "p@1.0.0",
    }
    with pytest.raises(SnpmError) as missing:
        tarball_manifest(unpack(_tarball(None, FILES)))
    assert missing.value.code == "ENOENT"
    broken = pack([PackFile("package.json", b"{nope")])
    with pytest.raises(SnpmError) as invalid:
        tarball_manifest(unpack(broken))
    assert invalid.value.code == "EJSONPARSE"


def test_store_then_materialize(tmp_path: Path) -> None:
    data = _tarball({"name": "p", "version": "1.0.0", "bin": "cli.js"}, FILES)
    integrity = str(compute(data))
    unpacked = unpack(data, cache_dir=tmp_path / "cache", integrity=integrity)
    assert unpacked.stored is not None and cache_store.has_package(tmp_path / "cache", integrity)
    dest = tmp_path / "dest"
    (dest / "junk").mkdir(parents=True)
    assert materialize(tmp_path / "cache", integrity, dest)
    assert sorted(os.listdir(dest)) == [".npmignore", "README.md", "cli.js", "lib", "package.json"]
    assert os.stat(dest / "cli.js").st_mode & 0o777 == 0o644
    assert os.stat(dest / "lib" / "tool.sh").st_mode & 0o777 == 0o755
    assert not materialize(tmp_path / "cache", str(compute(b"other")), tmp_path / "nothing")


def test_write_files_and_empty_folder(tmp_path: Path) -> None:
    data = _tarball({"name": "p", "version": "1.0.0"}, FILES)
    write_files(unpack(data).files, tmp_path / "out")
    assert (tmp_path / "out" / "lib" / "tool.sh").stat().st_mode & 0o777 == 0o755
    empty_folder(tmp_path / "out")
    assert os.listdir(tmp_path / "out") == []


def test_merge_integrity() -> None:
    a, b = str(compute(b"a")), str(compute(b"a", ("sha1",)))
    assert merge_integrity(None, a) == a and merge_integrity(a, None) == a
    assert merge_integrity(b, a) == f"{b} {a}"
    with pytest.raises(SnpmError):
        merge_integrity(a, str(compute(b"b")))
