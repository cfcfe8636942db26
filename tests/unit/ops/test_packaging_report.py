"""The tarball report of pack/publish (lib/utils/tar.js) and format-bytes, without npm."""

from __future__ import annotations

import pytest

from snpm.ops.tarball_report import TarballContents, TarballFile, format_bytes, notice_calls, tarball_contents
from snpm.tarball import PackFile, pack


@pytest.mark.parametrize(
    ("count", "space", "expected"),
    [
        (0, True, "0 B"),
        (999, False, "999B"),
        (1000, True, "1.0 kB"),
        (1250, True, "1.3 kB"),  # toFixed rounds the exact half up (Python would give 1.2)
        (1049, False, "1.0kB"),
        (999_949, True, "999.9 kB"),
        (999_950, True, "1.0 MB"),
        (2_345_678, True, "2.3 MB"),
        (999_950_000, True, "1.0 GB"),
    ],
)
def test_format_bytes(count: int, space: bool, expected: str) -> None:
    assert format_bytes(count, space) == expected


def _tarball(paths: list[str]) -> bytes:
    return pack([PackFile(p, f"{p}\n".encode()) for p in paths])


def test_contents_order_counts_and_bundled() -> None:
    paths = [
        "package.json",
        "lib/b.js",
        "Zeta.md",
        "lib/a10.js",
        "lib/a9.js",
        "node_modules/@s/dep/index.js",
        "README",
    ]
    contents = tarball_contents(
        {"name": "@s/pkg", "version": "1.2.3", "_id": "@s/pkg@1.2.3"}, _tarball(paths)
    )
    # upper-case first, each group by localeCompare('en', {numeric: true})
    assert [f.path for f in contents.files] == [
        "README",
        "Zeta.md",
        "lib/a9.js",
        "lib/a10.js",
        "lib/b.js",
        "node_modules/@s/dep/index.js",
        "package.json",
    ]
    assert contents.entry_count == 7
    assert contents.bundled == ("@s/dep",)
    assert contents.filename == "s-pkg-1.2.3.tgz"
    assert contents.unpacked_size == sum(len(p) + 1 for p in paths)
    assert contents.integrity.startswith("sha512-")
    assert len(contents.shasum) == 40
    assert all(f.mode == 0o644 for f in contents.files)
    report = contents.to_json()
    assert list(report) == [
        "id", "name", "version", "size", "unpackedSize", "shasum", "integrity", "filename", "files",
        "entryCount", "bundled",
    ]  # fmt: skip
    assert report["id"] == "@s/pkg@1.2.3"


def test_notice_calls_are_log_tar() -> None:
    contents = TarballContents(
        id="a@1.0.0",
        name="a",
        version="1.0.0",
        size=1500,
        unpacked_size=20,
        shasum="f" * 40,
        integrity="sha512-" + "A" * 86 + "==",
        filename="a-1.0.0.tgz",
        files=(TarballFile("index.js", 12, 0o644), TarballFile("node_modules/x/i.js", 8, 0o644)),
        entry_count=2,
        bundled=("x",),
    )
    calls = notice_calls(contents, unicode=False)
    assert calls[0] == ("",)  # opened with log.notice(''), closed with log.notice('', '')
    assert calls[-1] == ("", "")
    assert ("", "package: a@1.0.0") in calls
    assert ("", "12B index.js") in calls  # node_modules entries are left out of the list
    assert ("Bundled Dependencies",) in calls
    assert ("", "package size: 1.5 kB") in calls
    assert ("", "integrity: sha512-AAAAAAAAAAAAA[...]AAAAAAAAAAAAA==") in calls
    assert ("", "bundled files: 0") in calls  # npm's own arithmetic (entryCount - files.length)
    assert notice_calls(contents, unicode=True)[1] == ("", "📦  a@1.0.0")
