"""snpm.tarball.pack: byte-identical to node-tar with pacote's tarCreateOptions.

The golden digest below is the uncompressed output of
`tar.c(require('pacote/lib/util/tar-create-options.js')(manifest), files)` from npm 11.19.1's
bundled node-tar 7.5, for exactly these files, modes and order.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from pathlib import Path

from snpm.integrity import verify
from snpm.tarball import (
    PackFile,
    gunzip,
    iter_entries,
    iter_members,
    pack,
    pack_directory,
    pack_tar,
    tarball_filename,
)

GOLDEN_SHA256 = "d569905424ae129fb459e903ce26d9fc6d57a6d6ec81bf2a1dfc4263a284cc8d"
GOLDEN_SIZE = 85504


def golden_files() -> list[PackFile]:
    contents = {
        "package.json": '{"name":"gold","version":"1.0.0"}\n',
        "empty.txt": "",
        "a" * 99 + ".js": "name of 102 bytes\n",
        "b" * 97: "97 bytes, with prefix 105\n",
        "c" * 92: "92 bytes, with prefix exactly 100\n",
        "d" * 91: "91 bytes, prefix → 99\n",
        ("e" * 50 + "/") * 4 + "f.js": "prefix needed\n",
        ("g" * 70 + "/") * 3 + "h.js": "prefix over 155 bytes\n",
        "ü" * 60 + ".js": "non-ascii basename of 123 bytes\n",
        "dir/😀 emoji.txt": "astral\n",
        "big.bin": "0123456789abcdef" * 4096 + "tail",
        "i" * 120 + "/" + "j" * 120 + ".js": "both long\n",
    }
    files = [PackFile(path, text.encode(), 0o644) for path, text in contents.items()]
    files.append(PackFile("exec.sh", b"#!/bin/sh\n", 0o775))
    files.append(PackFile("ro.txt", b"ro\n", 0o444 | 0o111))  # a top-level bin: pacote adds +x
    return files


def test_uncompressed_stream_matches_node_tar() -> None:
    tar, entries = pack_tar(golden_files())
    assert len(tar) == GOLDEN_SIZE
    assert hashlib.sha256(tar).hexdigest() == GOLDEN_SHA256
    assert [e.mode for e in entries][-2:] == [0o755, 0o755]


def test_round_trip_through_the_reader() -> None:
    files = golden_files()
    tgz = pack(files)
    assert tgz[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    entries = list(iter_entries(tgz))
    assert [e.path for e in entries] == [f.path for f in files]
    assert all(e.data == f.source for e, f in zip(entries, files, strict=True))
    assert {m.mtime for m in iter_members(tgz)} == {499162500.0}


def test_pack_directory(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        json.dumps({"name": "@scope/demo", "version": "1.2.3", "bin": "cli.js"})
    )
    (tmp_path / "cli.js").write_text("#!/usr/bin/env node\n")
    os.chmod(tmp_path / "cli.js", 0o644)
    (tmp_path / "README.md").write_text("readme\n")
    (tmp_path / "a.js").write_text("a\n")
    os.link(tmp_path / "a.js", tmp_path / "b.js")
    (tmp_path / ".npmrc").write_text("secret\n")
    result = pack_directory(tmp_path)
    assert [(e.path, e.size, e.mode) for e in result.files] == [
        ("a.js", 2, 0o644),
        ("b.js", 0, 0o644),  # second path of the same inode: a hard-link entry, like node-tar
        ("cli.js", 20, 0o755),
        ("package.json", len((tmp_path / "package.json").read_bytes()), 0o644),
        ("README.md", 7, 0o644),
    ]
    assert [m.type for m in iter_members(result.tarball)] == ["File", "Link", "File", "File", "File"]
    assert result.entry_count == 5
    assert result.unpacked_size == sum(e.size for e in result.files)
    assert result.size == len(result.tarball)
    assert result.shasum == hashlib.sha1(result.tarball).hexdigest()
    verify(result.tarball, result.integrity)
    assert zlib.crc32(gunzip(result.tarball)) == zlib.crc32(
        pack_tar(
            [
                PackFile("a.js", tmp_path / "a.js"),
                PackFile("b.js", b"", link_to="a.js"),
                PackFile("cli.js", tmp_path / "cli.js", 0o755),
                PackFile("package.json", tmp_path / "package.json"),
                PackFile("README.md", tmp_path / "README.md"),
            ]
        )[0]
    )


def test_tarball_filename() -> None:
    assert tarball_filename("@scope/demo", "1.2.3") == "scope-demo-1.2.3.tgz"
    assert tarball_filename("plain", "0.0.1-beta.1") == "plain-0.0.1-beta.1.tgz"
