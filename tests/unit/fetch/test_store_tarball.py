"""snpm.fetch.store.store_tarball: the store-only pass gives exactly what unpack() stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from snpm.cache import store as cache_store
from snpm.fetch.store import store_tarball
from snpm.fetch.unpack import unpack
from snpm.integrity import compute
from snpm.tarball import PackFile, pack


def _tarball() -> bytes:
    manifest = {"name": "p", "version": "1.0.0", "bin": "./cli.js", "directories": {"bin": "b"}}
    entries = [PackFile("package.json", json.dumps(manifest).encode())]
    entries += [
        PackFile("cli.js", b"#!/usr/bin/env node\n", 0o644),
        PackFile("lib/tool.sh", b"echo\n", 0o755),
        PackFile("README.md", b"# r\n", 0o600),
        PackFile(".gitignore", b"x\n", 0o644),
        PackFile("b/run", b"run\n", 0o644),
        PackFile("deep/er/still/file.txt", b"same\n", 0o644),
        PackFile("other.txt", b"same\n", 0o644),
    ]
    return pack(entries)


@pytest.mark.parametrize(("umask", "process_umask"), [(0, 0o022), (0o077, 0o022), (0o002, 0o027)])
def test_same_index_as_unpack(tmp_path: Path, umask: int, process_umask: int) -> None:
    data = _tarball()
    integrity = str(compute(data))
    expected = unpack(
        data, umask=umask, process_umask=process_umask, cache_dir=tmp_path / "a", integrity=integrity
    ).stored
    got = store_tarball(tmp_path / "b", integrity, data, umask=umask, process_umask=process_umask)
    assert expected is not None
    assert dict(got.files) == dict(expected.files)
    assert got.directories == expected.directories and got.integrity == expected.integrity
    # the index on disk is the one read back
    assert cache_store.read_package(tmp_path / "b", integrity) == got
