"""snpm.tarball.reader: node-tar's parsing and Unpack#checkPath rules."""

from __future__ import annotations

import gzip
import tarfile
import zlib

import pytest

from snpm.errors import TarballError
from snpm.tarball import TarWarning, gunzip, iter_entries, iter_members
from tarball.builders import Member, make_tarball

LONG_DIR = "d" * 120
LONG_NAME = "n" * 130 + ".js"


def test_strips_package_prefix_and_keeps_order() -> None:
    data = make_tarball([Member("package/package.json", b"{}"), Member("package/lib/a.js", b"a")])
    assert [(e.path, e.type, e.data) for e in iter_entries(data)] == [
        ("package.json", "File", b"{}"),
        ("lib/a.js", "File", b"a"),
    ]


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT])
def test_long_names_in_every_format(fmt: int) -> None:
    name = f"package/{LONG_DIR}/file.js" if fmt == tarfile.USTAR_FORMAT else f"package/{LONG_DIR}/{LONG_NAME}"
    data = make_tarball([Member(name, b"x")], fmt=fmt)
    (entry,) = iter_entries(data)
    assert entry.path == name.removeprefix("package/")
    assert entry.raw_path == name


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT])
def test_long_link_names(fmt: int) -> None:
    target = "t" * 150
    data = make_tarball([Member("package/link", type=tarfile.SYMTYPE, linkname=target)], fmt=fmt)
    (entry,) = iter_entries(data)
    assert (entry.type, entry.linkname) == ("SymbolicLink", target)


def test_pax_unicode_path() -> None:
    data = make_tarball([Member("package/ünïcode-ファイル.js", b"u")])
    assert [e.path for e in iter_entries(data)] == ["ünïcode-ファイル.js"]


def test_plain_tar_is_accepted() -> None:
    data = make_tarball([Member("package/a", b"1")], compress=False)
    assert [e.path for e in iter_entries(data)] == ["a"]


def test_dot_dot_and_absolute_paths() -> None:
    warnings: list[TarWarning] = []
    data = make_tarball(
        [
            Member("package/../evil", b"x"),
            Member("package/a/../../evil", b"x"),
            Member("package//etc/passwd", b"x"),
            Member("/abs/file", b"x"),
            Member("package/ok/./b//c", b"x"),
            Member("toplevel", b"x"),
        ]
    )
    paths = [e.path for e in iter_entries(data, warnings=warnings)]
    assert paths == ["etc/passwd", "abs/file", "ok/b/c"]
    assert [(w.code, w.message) for w in warnings] == [
        ("TAR_ENTRY_ERROR", "path contains '..'"),
        ("TAR_ENTRY_ERROR", "path contains '..'"),
        ("TAR_ENTRY_INFO", "stripping / from absolute path"),
    ]


def test_symlink_may_climb_inside_the_root_only() -> None:
    warnings: list[TarWarning] = []
    data = make_tarball(
        [
            Member("package/a/inside", type=tarfile.SYMTYPE, linkname="../b"),
            Member("package/a/outside", type=tarfile.SYMTYPE, linkname="../../etc"),
            Member("package/hard", type=tarfile.LNKTYPE, linkname="package/../x"),
        ]
    )
    entries = list(iter_entries(data, warnings=warnings))
    assert [(e.path, e.linkname) for e in entries] == [("a/inside", "../b")]
    assert [w.message for w in warnings] == [
        "linkpath escapes extraction directory",
        "linkpath contains '..'",
    ]


def test_bad_checksum_is_skipped_with_a_warning() -> None:
    raw = bytearray(make_tarball([Member("package/a", b"1"), Member("package/b", b"2")], compress=False))
    raw[0:9] = b"package/X"  # corrupt the first header (without fixing its checksum)
    warnings: list[TarWarning] = []
    entries = list(iter_entries(bytes(raw), warnings=warnings))
    assert [e.path for e in entries] == ["b"]
    assert warnings[0].code == "TAR_ENTRY_INVALID" and warnings[0].message == "checksum failure"


def test_devices_and_fifos_are_reported_as_such() -> None:
    data = make_tarball(
        [Member("package/dev", type=tarfile.CHRTYPE), Member("package/fifo", type=tarfile.FIFOTYPE)]
    )
    assert [(e.path, e.type) for e in iter_entries(data)] == [("dev", "CharacterDevice"), ("fifo", "FIFO")]


@pytest.mark.parametrize("data", [b"", bytes(1024), b"hello, this is not a tarball" * 40])
def test_unrecognised_archive(data: bytes) -> None:
    with pytest.raises(TarballError) as info:
        list(iter_entries(data))
    assert info.value.code == "TAR_BAD_ARCHIVE"
    assert str(info.value) == "TAR_BAD_ARCHIVE: Unrecognized archive format"


def test_truncated_tar() -> None:
    raw = make_tarball([Member("package/a", b"x" * 600)], compress=False)[:1000]
    with pytest.raises(TarballError) as info:
        list(iter_entries(gzip.compress(raw)))
    assert str(info.value) == "TAR_BAD_ARCHIVE: Truncated input (needed 1024 more bytes, only 488 available)"


def test_truncated_and_corrupt_gzip() -> None:
    good = make_tarball([Member("package/a", b"x" * 600)])
    with pytest.raises(TarballError) as info:
        gunzip(good[:40])
    assert (info.value.code, str(info.value)) == ("Z_BUF_ERROR", "zlib: unexpected end of file")
    with pytest.raises(TarballError) as info:
        gunzip(good[:20] + bytes([7]) * 300)
    assert info.value.code == "Z_DATA_ERROR"
    assert str(info.value).startswith("zlib: ")


def test_decompression_ratio_guard() -> None:
    bomb = gzip.compress(bytes(5 * 1024 * 1024), 9)
    with pytest.raises(TarballError) as info:
        gunzip(bomb)
    assert info.value.code == "TAR_ABORT"


def test_members_are_raw() -> None:
    data = make_tarball([Member("package/x/y", b"1")])
    (member,) = iter_members(data)
    assert member.path == "package/x/y"
    assert zlib.crc32(member.data) == zlib.crc32(b"1")
