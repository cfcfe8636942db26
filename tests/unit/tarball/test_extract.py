"""snpm.tarball.extract: what pacote + node-tar write, and nothing outside the destination."""

from __future__ import annotations

import os
import stat
import tarfile
from pathlib import Path

import pytest

from snpm.errors import IntegrityError, TarballError
from snpm.integrity import compute
from snpm.tarball import extract, file_mode, iter_package_files
from tarball.builders import Member, make_tarball


def tree(root: Path) -> dict[str, str]:
    """relative path → kind (and mode for files/dirs)."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = Path(dirpath) / name
            st = full.lstat()
            kind = "link" if stat.S_ISLNK(st.st_mode) else "dir" if stat.S_ISDIR(st.st_mode) else "file"
            out[str(full.relative_to(root))] = f"{kind} {st.st_mode & 0o7777:o}"
    return out


@pytest.fixture(autouse=True)
def _umask() -> object:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_basic_extraction(tmp_path: Path) -> None:
    data = make_tarball([Member("package/package.json", b"{}"), Member("package/lib/a.js", b"a", mode=0o600)])
    result = extract(data, tmp_path / "out")
    assert result.files == ("package.json", "lib/a.js")
    assert tree(tmp_path / "out") == {"package.json": "file 644", "lib": "dir 755", "lib/a.js": "file 644"}
    assert (tmp_path / "out" / "lib" / "a.js").read_bytes() == b"a"
    assert str(result.integrity) == str(compute(data))
    assert result.unpacked_size == 3


def test_path_traversal_and_absolute_paths(tmp_path: Path) -> None:
    dest = tmp_path / "a" / "b" / "out"
    data = make_tarball(
        [
            Member("package/../escape", b"x"),
            Member("package/x/../../../escape2", b"x"),
            Member("/etc/passwd", b"x"),
            Member("package//abs", b"x"),
        ]
    )
    result = extract(data, dest)
    assert tree(dest) == {"etc": "dir 755", "etc/passwd": "file 644", "abs": "file 644"}
    assert not (tmp_path / "a" / "b" / "escape").exists()
    assert not (tmp_path / "escape2").exists()
    assert [w.code for w in result.warnings] == ["TAR_ENTRY_ERROR", "TAR_ENTRY_ERROR", "TAR_ENTRY_INFO"]


def test_links_are_never_created(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    data = make_tarball(
        [
            Member("package/up", type=tarfile.SYMTYPE, linkname="../outside"),
            Member("package/abs", type=tarfile.SYMTYPE, linkname=str(outside)),
            Member("package/hard", type=tarfile.LNKTYPE, linkname="/etc/passwd"),
            Member("package/hard2", type=tarfile.LNKTYPE, linkname="package/../../outside/x"),
            # files "through" the links above land in real directories inside dest
            Member("package/up/pwned", b"x"),
            Member("package/abs/pwned", b"x"),
        ]
    )
    dest = tmp_path / "out"
    extract(data, dest)
    assert tree(dest) == {"up": "dir 755", "up/pwned": "file 644", "abs": "dir 755", "abs/pwned": "file 644"}
    assert list(outside.iterdir()) == []


def test_existing_symlink_in_destination_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "lib").symlink_to(outside)
    (dest / "file.js").symlink_to(outside / "target.js")
    data = make_tarball([Member("package/lib/evil.js", b"x"), Member("package/file.js", b"y")])
    result = extract(data, dest)
    assert list(outside.iterdir()) == []
    assert [w.code for w in result.warnings] == ["TAR_SYMLINK_ERROR"]
    # a symlink in the file's own place is replaced by a regular file, not written through
    assert tree(dest)["file.js"] == "file 644"
    assert result.files == ("file.js",)


def test_devices_fifos_and_directories_are_not_created(tmp_path: Path) -> None:
    data = make_tarball(
        [
            Member("package/dev", type=tarfile.CHRTYPE),
            Member("package/blk", type=tarfile.BLKTYPE),
            Member("package/fifo", type=tarfile.FIFOTYPE),
            Member("package/emptydir", type=tarfile.DIRTYPE, mode=0o700),
            Member("package/ok", b"1"),
        ]
    )
    extract(data, tmp_path / "out")
    assert tree(tmp_path / "out") == {"ok": "file 644"}


def test_integrity_mismatch_writes_nothing(tmp_path: Path) -> None:
    data = make_tarball([Member("package/a", b"1")])
    wrong = compute(b"something else")
    with pytest.raises(IntegrityError) as info:
        extract(data, tmp_path / "out", integrity=wrong)
    assert info.value.code == "EINTEGRITY"
    assert "integrity checksum failed when using sha512" in str(info.value)
    assert not (tmp_path / "out").exists()


def test_integrity_match(tmp_path: Path) -> None:
    data = make_tarball([Member("package/a", b"1")])
    result = extract(data, tmp_path / "out", integrity=str(compute(data, ("sha1",))))
    assert result.files == ("a",)
    assert "sha1" in result.integrity and "sha512" in result.integrity


def test_corrupt_archive_writes_nothing(tmp_path: Path) -> None:
    data = make_tarball([Member("package/a", b"1"), Member("package/b", b"x" * 4000)])
    with pytest.raises(TarballError):
        extract(data[: len(data) // 2], tmp_path / "out")
    assert not (tmp_path / "out" / "a").exists()


@pytest.mark.parametrize(
    ("header_mode", "umask", "is_bin", "expected"),
    [
        (0o644, 0o022, False, 0o644),
        (0o600, 0o022, False, 0o644),
        (0o755, 0o022, False, 0o755),
        (0o400, 0o077, False, 0o600),
        (0o000, 0o022, True, 0o755),
        (0o4777, 0o022, False, 0o4755),
        (None, 0o022, False, 0o644),
    ],
)
def test_file_mode(header_mode: int | None, umask: int, is_bin: bool, expected: int) -> None:
    assert file_mode(header_mode, umask=umask, is_bin=is_bin) == expected


def test_modes_on_disk(tmp_path: Path) -> None:
    data = make_tarball(
        [
            Member("package/exec.sh", b"x", mode=0o755),
            Member("package/ro.txt", b"x", mode=0o400),
            Member("package/bin/cli.js", b"x", mode=0o644),
        ]
    )
    extract(data, tmp_path / "out", bins={"bin/cli.js"})
    assert tree(tmp_path / "out") == {
        "exec.sh": "file 755",
        "ro.txt": "file 644",
        "bin": "dir 755",
        "bin/cli.js": "file 755",
    }


def test_gitignore_becomes_npmignore_unless_one_came_first(tmp_path: Path) -> None:
    data = make_tarball(
        [
            Member("package/.gitignore", b"root"),
            Member("package/sub/.npmignore", b"npm"),
            Member("package/sub/.gitignore", b"git"),
        ]
    )
    extract(data, tmp_path / "out")
    assert (tmp_path / "out" / ".npmignore").read_bytes() == b"root"
    assert (tmp_path / "out" / "sub" / ".npmignore").read_bytes() == b"npm"
    assert not (tmp_path / "out" / ".gitignore").exists()
    kept = extract(data, tmp_path / "kept", allow_gitignore=True)
    assert ".gitignore" in kept.files and "sub/.gitignore" in kept.files


def test_replaces_existing_files_and_empty_dirs(tmp_path: Path) -> None:
    dest = tmp_path / "out"
    (dest / "dir-now-file").mkdir(parents=True)
    (dest / "old.txt").write_text("old")
    other = tmp_path / "other.txt"
    other.write_text("shared")
    os.link(other, dest / "hardlinked.txt")
    data = make_tarball(
        [
            Member("package/dir-now-file", b"f"),
            Member("package/old.txt", b"new"),
            Member("package/hardlinked.txt", b"mine"),
        ]
    )
    extract(data, dest)
    assert (dest / "dir-now-file").read_bytes() == b"f"
    assert (dest / "old.txt").read_bytes() == b"new"
    assert (dest / "hardlinked.txt").read_bytes() == b"mine"
    assert other.read_text() == "shared"


def test_destination_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "out").write_text("x")
    with pytest.raises(TarballError) as info:
        extract(make_tarball([Member("package/a", b"1")]), tmp_path / "out")
    assert info.value.code == "ENOTDIR"


def test_iter_package_files_for_a_store() -> None:
    data = make_tarball(
        [
            Member("package/a.js", b"a", mode=0o755),
            Member("package/link", type=tarfile.SYMTYPE, linkname="a.js"),
            Member("package/.gitignore", b"g"),
        ]
    )
    files = [(f.path, f.mode, f.data) for f in iter_package_files(data)]
    assert files == [("a.js", 0o755, b"a"), (".npmignore", 0o644, b"g")]
