"""snpm.cache.content: cacache 20's content layout, reads that verify, writes that never show partial files.

Expected paths were produced by cacache's own lib/content/path.js.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from snpm.cache import content
from snpm.errors import FileSystemError, IntegrityError
from snpm.integrity import compute

HELLO_SHA512 = (
    "sha512-m3HSJL1i83hdltRq0+o9czGb+8KJDKra4t/3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw=="
)
HELLO_SHA1 = "sha1-qvTGHdzF6KLavt4PO0gs2a6pQ00="
HELLO_SHA256 = "sha256-LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ="
HELLO_SHA512_PATH = (
    "content-v2/sha512/9b/71/d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11"
    "d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043"
)


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("integrity", "expected"),
    [
        (HELLO_SHA512, HELLO_SHA512_PATH),
        (HELLO_SHA1, "content-v2/sha1/aa/f4/c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
        (
            HELLO_SHA256,
            "content-v2/sha256/2c/f2/4dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
        ),
        # cacache parses the string as a single hash: the first one names the file.
        (f"{HELLO_SHA512} {HELLO_SHA1}", HELLO_SHA512_PATH),
        (f"{HELLO_SHA1} {HELLO_SHA512}", "content-v2/sha1/aa/f4/c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
        (f"{HELLO_SHA512}?foo", HELLO_SHA512_PATH),
    ],
)
def test_content_path_matches_cacache(tmp_path: Path, integrity: str, expected: str) -> None:
    assert content.content_path(tmp_path, integrity) == tmp_path / "_cacache" / expected


def test_content_path_rejects_garbage(tmp_path: Path) -> None:
    with pytest.raises(IntegrityError):
        content.content_path(tmp_path, "not an integrity")


def test_write_then_read(tmp_path: Path) -> None:
    sri = content.write(tmp_path, b"hello")
    assert sri == HELLO_SHA512
    assert content.has(tmp_path, sri)
    assert content.read(tmp_path, sri) == b"hello"
    assert (tmp_path / "_cacache" / HELLO_SHA512_PATH).read_bytes() == b"hello"
    # nothing left behind in tmp
    assert list((tmp_path / "_cacache" / "tmp").iterdir()) == []


def test_write_several_algorithms_stores_each(tmp_path: Path) -> None:
    sri = content.write(tmp_path, b"hello", algorithms=("sha512", "sha1"))
    assert sri == f"{HELLO_SHA512} {HELLO_SHA1}"
    assert content.read(tmp_path, HELLO_SHA1) == b"hello"
    assert content.read(tmp_path, HELLO_SHA512) == b"hello"
    assert content.read(tmp_path, sri) == b"hello"
    sha1_file = content.content_path(tmp_path, HELLO_SHA1)
    sha512_file = content.content_path(tmp_path, HELLO_SHA512)
    assert sha1_file.read_bytes() == sha512_file.read_bytes() == b"hello"


def test_write_with_matching_integrity(tmp_path: Path) -> None:
    assert content.write(tmp_path, b"hello", integrity=HELLO_SHA512) == HELLO_SHA512
    # the expected value may use another algorithm than the ones written
    assert content.write(tmp_path, b"hello", integrity=HELLO_SHA1) == HELLO_SHA512


def test_write_with_wrong_integrity_writes_nothing(tmp_path: Path) -> None:
    wrong = str(compute(b"other"))
    with pytest.raises(IntegrityError) as info:
        content.write(tmp_path, b"hello", integrity=wrong)
    assert info.value.code == "EINTEGRITY"
    assert "Integrity check failed" in info.value.message
    assert _files(tmp_path) == []


def test_write_is_idempotent(tmp_path: Path) -> None:
    content.write(tmp_path, b"hello")
    path = content.content_path(tmp_path, HELLO_SHA512)
    before = path.stat().st_ino
    content.write(tmp_path, b"hello")
    assert path.stat().st_ino == before


def test_read_missing_is_enoent(tmp_path: Path) -> None:
    with pytest.raises(FileSystemError) as info:
        content.read(tmp_path, HELLO_SHA512)
    assert info.value.code == "ENOENT"
    assert not content.has(tmp_path, HELLO_SHA512)


def test_read_corrupt_is_eintegrity(tmp_path: Path) -> None:
    content.write(tmp_path, b"hello")
    path = content.content_path(tmp_path, HELLO_SHA512)
    path.write_bytes(b"jello")
    with pytest.raises(IntegrityError) as info:
        content.read(tmp_path, HELLO_SHA512)
    assert info.value.code == "EINTEGRITY"
    assert info.value.message == f"Integrity verification failed for {HELLO_SHA512} ({path})"


def test_read_with_size(tmp_path: Path) -> None:
    content.write(tmp_path, b"hello")
    assert content.read(tmp_path, HELLO_SHA512, size=5) == b"hello"
    with pytest.raises(IntegrityError) as info:
        content.read(tmp_path, HELLO_SHA512, size=6)
    assert info.value.code == "EBADSIZE"


def test_read_picks_strongest_algorithm(tmp_path: Path) -> None:
    content.write(tmp_path, b"hello", algorithms=("sha1",))
    # sha512 is the strongest in this value and its blob is missing: cacache does not fall back.
    with pytest.raises(FileSystemError):
        content.read(tmp_path, f"{HELLO_SHA1} {HELLO_SHA512}")
    content.write(tmp_path, b"hello")
    assert content.read(tmp_path, f"{HELLO_SHA1} {HELLO_SHA512}") == b"hello"


def test_read_several_digests_of_one_algorithm(tmp_path: Path) -> None:
    other = str(compute(b"other"))
    content.write(tmp_path, b"hello")
    assert content.read(tmp_path, f"{other} {HELLO_SHA512}") == b"hello"
    with pytest.raises(FileSystemError) as info:
        content.read(tmp_path, f"{other} {str(compute(b'third'))}")
    assert info.value.code == "ENOENT"
    assert info.value.message.startswith("No matching content found for ")


def test_has_tolerates_nonsense(tmp_path: Path) -> None:
    assert not content.has(tmp_path, None)
    assert not content.has(tmp_path, "")
    assert not content.has(tmp_path, "garbage")


def test_remove(tmp_path: Path) -> None:
    content.write(tmp_path, b"hello")
    assert content.remove(tmp_path, HELLO_SHA512)
    assert not content.has(tmp_path, HELLO_SHA512)
    assert not content.remove(tmp_path, HELLO_SHA512)


def test_streaming_writer(tmp_path: Path) -> None:
    with content.ContentWriter(tmp_path, algorithms=("sha512", "sha1")) as out:
        out.write(b"hel")
        out.write(b"lo")
        assert out.size == 5
        sri = out.commit()
    assert sri == f"{HELLO_SHA512} {HELLO_SHA1}"
    assert content.read(tmp_path, HELLO_SHA1) == b"hello"
    assert content.read(tmp_path, HELLO_SHA512) == b"hello"
    assert list((tmp_path / "_cacache" / "tmp").iterdir()) == []


def test_streaming_writer_verifies(tmp_path: Path) -> None:
    with content.ContentWriter(tmp_path, integrity=str(compute(b"other"))) as out:
        out.write(b"hello")
        with pytest.raises(IntegrityError) as info:
            out.commit()
    assert info.value.code == "EINTEGRITY"
    assert "integrity checksum failed when using sha512" in info.value.message
    assert not content.has(tmp_path, HELLO_SHA512)
    assert list((tmp_path / "_cacache" / "tmp").iterdir()) == []


def test_streaming_writer_checks_size(tmp_path: Path) -> None:
    with content.ContentWriter(tmp_path, size=4) as out:
        out.write(b"hello")
        with pytest.raises(IntegrityError) as info:
            out.commit()
    assert info.value.code == "EBADSIZE"
    assert not content.has(tmp_path, HELLO_SHA512)


def test_streaming_writer_abort_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), content.ContentWriter(tmp_path) as out:
        out.write(b"hello")
        raise RuntimeError("network went away")
    assert _files(tmp_path) == []


def test_streaming_writer_with_expected_integrity(tmp_path: Path) -> None:
    with content.ContentWriter(tmp_path, integrity=HELLO_SHA512, size=5) as out:
        out.write(b"hello")
        assert out.commit() == HELLO_SHA512


def test_content_files_are_not_executable(tmp_path: Path) -> None:
    content.write(tmp_path, b"hello")
    mode = content.content_path(tmp_path, HELLO_SHA512).stat().st_mode
    assert mode & 0o111 == 0
    assert mode & 0o400


def test_write_into_readonly_cache_raises_snpm_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    (tmp_path / "_cacache").mkdir()
    (tmp_path / "_cacache").chmod(0o500)
    try:
        with pytest.raises(FileSystemError) as info:
            content.write(tmp_path, b"hello")
        assert info.value.code == "EACCES"
    finally:
        (tmp_path / "_cacache").chmod(0o700)


def test_write_reuses_a_verified_integrity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What the registry client hashed while the body streamed in is not hashed again.
    both = str(compute(b"hello", ("sha512", "sha1")))

    def no_hashing(*args: object, **kwargs: object) -> object:
        raise AssertionError("hashed again")

    monkeypatch.setattr(content, "compute", no_hashing)
    monkeypatch.setattr(content, "check", no_hashing)
    assert content.write(tmp_path, b"hello", integrity=HELLO_SHA512, verified=both) == HELLO_SHA512
    # the expected algorithm may be one the write does not store
    assert content.write(tmp_path, b"hello", integrity=HELLO_SHA1, verified=both) == HELLO_SHA512
    with pytest.raises(IntegrityError) as info:
        content.write(tmp_path, b"hello", integrity=str(compute(b"other")), verified=both)
    assert info.value.code == "EINTEGRITY"
    monkeypatch.undo()
    assert content.read(tmp_path, HELLO_SHA512) == b"hello"


def test_write_with_a_verified_integrity_returns_what_hashing_would(tmp_path: Path) -> None:
    algorithms = ("sha512", "sha1")
    for verified in (
        str(compute(b"hello", algorithms)),
        HELLO_SHA512,  # lacks sha1: hashed after all
        HELLO_SHA512 + "?opt",  # options are not carried over
        "",
    ):
        out = content.write(tmp_path / "v", b"hello", algorithms=algorithms, verified=verified or None)
        assert out == content.write(tmp_path / "plain", b"hello", algorithms=algorithms)
        assert _files(tmp_path / "v") == _files(tmp_path / "plain")
