"""snpm.tarball.headers: node-tar's byte layout (expected bytes taken from npm-packed archives)."""

from __future__ import annotations

import pytest

from snpm.tarball.headers import HeaderFields, decode_header, encode_header, encode_pax, parse_pax


def test_portable_file_header_layout() -> None:
    block, need_pax = encode_header(
        HeaderFields(path="package/bin/cli.js", mode=0o644, size=20, mtime=499162500.0, type="File")
    )
    assert not need_pax
    assert len(block) == 512
    assert block[0:18] == b"package/bin/cli.js"
    assert block[100:108] == b"000644 \0"
    assert block[108:124] == bytes(16)  # uid/gid left unset in portable mode
    assert block[124:136] == b"0000000024 \0"
    assert block[136:148] == b"3560116604 \0"
    assert block[156:157] == b"0"
    assert block[257:265] == b"ustar\x0000"
    assert block[265:329] == bytes(64)  # uname/gname unset
    assert block[329:345] == b"000000 \x00" * 2
    checksum = 8 * 0x20 + sum(block[:148]) + sum(block[156:])
    assert block[148:156] == f"{checksum:06o} \0".encode()


def test_long_path_uses_ustar_prefix() -> None:
    path = "package/" + "a" * 60 + "/" + "b" * 70 + ".js"
    block, need_pax = encode_header(HeaderFields(path=path, mode=0o644, size=0, mtime=499162500.0))
    assert not need_pax
    assert block[0:73].rstrip(b"\0") == b"b" * 70 + b".js"
    assert block[345 : 345 + 69].rstrip(b"\0") == ("package/" + "a" * 60).encode()
    assert decode_header(block).path == path


@pytest.mark.parametrize(
    "path",
    [
        "package/" + "c" * 120 + ".js",  # a basename over 100 bytes
        "package/ünï.js",  # non-ASCII: JavaScript length differs from the byte length
        "package/" + ("d" * 70 + "/") * 4 + "e.js",  # no split fits in 155 + 100
    ],
)
def test_paths_that_need_pax(path: str) -> None:
    _, need_pax = encode_header(HeaderFields(path=path, mode=0o644, size=1, mtime=499162500.0))
    assert need_pax


def test_pax_record_lengths_and_header() -> None:
    raw = encode_pax(path="package/ünï.js", mtime=499162500.0, size=2)
    body = raw[512:].rstrip(b"\0").decode()
    assert body == "25 path=package/ünï.js\n19 mtime=499162500\n9 size=2\n"
    assert raw[0:20].rstrip(b"\0").decode() == "PaxHeader/ünï.js"
    assert raw[156:157] == b"x"
    assert len(raw) == 1024
    # " path=…\n" of 98 bytes: 98 + 2 digits reaches 100, so the prefix takes 3 digits
    record = encode_pax(path="p" * 91, mtime=None, size=0)[512:].split(b"\n")[0]
    assert record.startswith(b"101 path=")


def test_parse_pax_keeps_valid_records_only() -> None:
    parsed = parse_pax("16 path=foo/bar\n99 size=wrong\n12 size=123\n20 SCHILY.dev=12345\n", None)
    assert parsed == {"path": "foo/bar", "size": 123, "dev": 12345}
    merged = parse_pax("14 path=other\n", parsed)
    assert merged["path"] == "other" and merged["size"] == 123


def test_decode_null_and_bad_checksum() -> None:
    assert decode_header(bytes(512)).null_block
    block, _ = encode_header(HeaderFields(path="package/x", mode=0o644, size=0, mtime=0))
    broken = bytearray(block)
    broken[0] = ord("y")
    decoded = decode_header(bytes(broken))
    assert not decoded.cksum_valid and not decoded.null_block


def test_large_numbers_use_base256() -> None:
    block, need_pax = encode_header(
        HeaderFields(path="package/big", mode=0o644, size=0o77777777777 + 1, mtime=0)
    )
    assert need_pax
    assert block[124] == 0x80
    assert decode_header(block).size == 0o77777777777 + 1
