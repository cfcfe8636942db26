"""snpm.integrity against ssri 13 (expected values produced by running npm's bundled ssri)."""

from __future__ import annotations

import hashlib

import pytest

from snpm.errors import IntegrityError
from snpm.integrity import Hash, Hasher, Integrity, check, compute, from_hex, to_hex, verify

SHA256_A = "sha256-MV9b23bQeMQ7isAGTkoBZGErH853yGk0W/yUx1iU7dM="
SHA512_A = "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="
HELLO_SHA512 = (
    "sha512-m3HSJL1i83hdltRq0+o9czGb+8KJDKra4t/3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw=="
)
HELLO_SHA1 = "sha1-qvTGHdzF6KLavt4PO0gs2a6pQ00="
HELLO_SHA256 = "sha256-LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="
HELLX_SHA512 = (
    "sha512-ZcM1XPW+Tzpp6OPzedX+awTWBU3MBfwWemu9z4h6lEMP0Nj6nYpcQtBMs+tp9JPhjixmxNsfrAKPAp7CBex8Pw=="
)

# input, loose toString, strict parse toString, loose value's strict toString, pickAlgorithm
PARSE_CASES: list[tuple[str, str | None, str | None, str | None, str | None]] = [
    ("sha512-deadbeef", "sha512-deadbeef", None, "sha512-deadbeef", "sha512"),
    (
        "sha1-abc sha512-def?foo?bar  sha1-ghi",
        "sha1-abc sha1-ghi sha512-def?foo?bar",
        None,
        "sha512-def?foo?bar",
        "sha512",
    ),
    (
        f"  {SHA256_A} {SHA512_A}?x ",
        f"{SHA256_A} {SHA512_A}?x",
        f"{SHA256_A} {SHA512_A}?x",
        f"{SHA512_A}?x {SHA256_A}",
        "sha512",
    ),
    ("md5-xx sha3-256-abc blake2b512-QQ== foo-bar sha512", "md5-xx blake2b512-QQ==", None, "", "md5"),
    ("sha384-abc?opt sha256-def", "sha384-abc?opt sha256-def", None, "sha384-abc?opt sha256-def", "sha384"),
    (f"{SHA512_A} sha1-xyz", f"{SHA512_A} sha1-xyz", SHA512_A, SHA512_A, "sha512"),
    ("", None, None, None, None),
    ("sha1-abc?o\u00e9", "sha1-abc?o\u00e9", None, "", "sha1"),
]


@pytest.mark.parametrize(("text", "loose", "strict", "strict_str", "pick"), PARSE_CASES)
def test_parse_like_ssri(
    text: str, loose: str | None, strict: str | None, strict_str: str | None, pick: str | None
) -> None:
    parsed = Integrity.parse(text)
    assert (str(parsed) if parsed else None) == loose
    strict_parsed = Integrity.parse(text, strict=True)
    assert (str(strict_parsed) if strict_parsed else None) == strict
    assert (parsed.to_string(strict=True) if parsed else None) == strict_str
    assert parsed.pick_algorithm() == pick


def test_strongest_prefers_sha512() -> None:
    value = Integrity.parse(f"sha1-aaa {SHA256_A} sha512-bbb sha384-ccc")
    assert value.strongest() == Hash("sha512", "bbb")
    assert Integrity.parse("sha1-a sha256-b").strongest().algorithm == "sha256"
    with pytest.raises(IntegrityError):
        Integrity.parse("").strongest()


def test_mapping_and_options() -> None:
    value = Integrity.parse("sha1-a sha512-b?x?y sha1-c")
    assert list(value) == ["sha1", "sha512"]
    assert value["sha1"] == (Hash("sha1", "a"), Hash("sha1", "c"))
    assert value["sha512"][0].options == ("x", "y")
    assert "sha512" in value and "sha256" not in value
    assert value.to_string(sep="\n") == "sha1-a\nsha1-c\nsha512-b?x?y"
    assert Integrity.parse(value) is value
    assert str(Integrity.parse(Hash("sha1", "a"))) == "sha1-a"


def test_compute_several_algorithms() -> None:
    value = compute(b"hello", ("sha512", "sha1", "sha256"))
    assert str(value) == f"{HELLO_SHA512} {HELLO_SHA1} {HELLO_SHA256}"
    assert str(compute(b"hello")) == HELLO_SHA512


def test_compute_node_only_algorithms() -> None:
    value = compute(b"hello", ("shake128", "shake256", "blake2b512", "ripemd160"))
    assert str(value) == (
        "shake128-jrS2qTLygDNe4aJ5+MIIow== shake256-EjQHWuSh53MWzy2AAJdFgaNDueu8p+PR24M5TDDyIWI= "
        "blake2b512-5M+jmj03vjHFlgnoB5cHmcqmihm/qhUTXxZQheAdQaZboeGxRq62vQCStJ6sIUwQPM+jo2WVS7vlL3Sis2IMlA== "
        "ripemd160-EI8HuDgkEmEsBI0H0T+BQRhEWs0="
    )


def test_hasher_streams() -> None:
    hasher = Hasher(("sha512", "sha1"))
    for chunk in (b"he", b"", b"llo"):
        hasher.update(chunk)
    assert hasher.size == 5
    assert str(hasher.digest()) == f"{HELLO_SHA512} {HELLO_SHA1}"
    # digest() does not finish the running hashes
    hasher.update(b"!")
    assert str(hasher.digest()) == str(compute(b"hello!", ("sha512", "sha1")))


def test_hex_round_trip() -> None:
    value = from_hex("aabbccddeeff00112233445566778899aabbccdd", "sha1")
    assert str(value) == "sha1-qrvM3e7/ABEiM0RVZneImaq7zN0="
    assert to_hex(value) == "aabbccddeeff00112233445566778899aabbccdd"
    assert to_hex("sha1-qrvM3e7/ABEiM0RVZneImaq7zN0=") == "aabbccddeeff00112233445566778899aabbccdd"
    assert compute(b"hello", ("sha1",)).strongest().hex() == hashlib.sha1(b"hello").hexdigest()
    # node's Buffer.from(hex) stops at the first bad pair
    assert to_hex(from_hex("aabbzz11", "sha1")) == "aabb"


def test_verify_returns_the_matching_hash() -> None:
    assert verify(b"hello", HELLO_SHA512) == Hash("sha512", HELLO_SHA512[7:])
    assert verify(b"hello", f"sha1-bad {HELLO_SHA512}").algorithm == "sha512"
    assert check(b"hello", HELLO_SHA1) == Hash("sha1", HELLO_SHA1[5:])
    assert check(b"hellx", HELLO_SHA1) is None


def test_verify_failure_message_matches_ssri_stream() -> None:
    with pytest.raises(IntegrityError) as info:
        verify(b"hellx", HELLO_SHA1)
    assert info.value.code == "EINTEGRITY"
    assert str(info.value) == (
        f"{HELLO_SHA1} integrity checksum failed when using sha1: wanted {HELLO_SHA1} "
        f"but got {HELLX_SHA512} sha1-CvzxkyU0uMzJSkj49WVy/r0pfIs=. (5 bytes)"
    )
    with pytest.raises(IntegrityError) as info:
        verify(b"hellx", "sha512-AAAA sha512-BBBB sha1-CCCC")
    assert str(info.value) == (
        "sha512-AAAA sha512-BBBB sha1-CCCC integrity checksum failed when using sha512: "
        f"wanted sha512-AAAA,sha512-BBBB but got {HELLX_SHA512}. (5 bytes)"
    )


def test_verify_size_and_empty() -> None:
    with pytest.raises(IntegrityError) as info:
        verify(b"hello", HELLO_SHA512, size=6)
    assert info.value.code == "EBADSIZE"
    with pytest.raises(IntegrityError) as info:
        verify(b"hello", "nonsense")
    assert info.value.code == "EINTEGRITY"
    assert str(info.value) == "No valid integrity hashes to check against"


def test_match_and_merge() -> None:
    mine = compute(b"hello", ("sha512", "sha1"))
    assert mine.match(HELLO_SHA1) == Hash("sha1", HELLO_SHA1[5:])
    assert mine.match("sha256-nope") is None
    assert Hash("sha1", HELLO_SHA1[5:]).match(mine) == Hash("sha1", HELLO_SHA1[5:])
    merged = Integrity.parse(HELLO_SHA1).merge(HELLO_SHA512)
    assert str(merged) == f"{HELLO_SHA1} {HELLO_SHA512}"
    with pytest.raises(IntegrityError):
        merged.merge("sha1-different")
    assert str(Integrity.parse(HELLO_SHA1).concat("sha256-x")) == f"{HELLO_SHA1} sha256-x"


def test_value_semantics() -> None:
    assert Integrity.parse(HELLO_SHA1) == Integrity.parse(f" {HELLO_SHA1} ")
    assert hash(Integrity.parse(HELLO_SHA1)) == hash(compute(b"hello", ("sha1",)))
    assert not Integrity.parse("garbage")
