"""`snpm.packument`, the vocabulary of registry documents the server builds (and the client will read).

(Kept here because this slice owns `tests/unit/registry_server/`; it belongs in tests/unit/test_packument.py.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from snpm.packument import (
    ABBREVIATED_ACCEPT,
    FULL_ACCEPT,
    Dist,
    Person,
    abbreviate,
    dist_tags,
    format_time,
    has_install_script,
    latest_version,
    maintainers,
    parse_time,
    registry_tarball_filename,
    tarball_path,
    tarball_url,
    time_map,
    version_from_tarball_filename,
    versions,
    wants_abbreviated,
)

PACKUMENT = {
    "_id": "@demo/foo",
    "_rev": "3-abc",
    "name": "@demo/foo",
    "dist-tags": {"latest": "1.0.0", "bad": 3},
    "versions": {
        "1.0.0": {
            "name": "@demo/foo",
            "version": "1.0.0",
            "description": "full only",
            "scripts": {"test": "x"},
            "dependencies": {"a": "^1"},
            "libc": ["glibc"],
            "dist": {
                "tarball": "http://r/@demo/foo/-/foo-1.0.0.tgz",
                "integrity": "sha512-x",
                "shasum": "ab",
            },
            "readme": "long",
        },
        "junk": "not a document",
    },
    "time": {
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-02T00:00:00.000Z",
        "unpublished": {},
    },
    "maintainers": [{"name": "alice", "email": "a@x"}, {"email": "nameless"}],
    "readme": "long",
}


def test_abbreviate_keeps_what_installs_need() -> None:
    corgi = abbreviate(PACKUMENT)
    assert list(corgi) == ["name", "modified", "dist-tags", "versions"]
    assert corgi["modified"] == "2024-01-02T00:00:00.000Z"
    assert corgi["versions"] == {
        "1.0.0": {
            "name": "@demo/foo",
            "version": "1.0.0",
            "dependencies": {"a": "^1"},
            "libc": ["glibc"],
            "dist": PACKUMENT["versions"]["1.0.0"]["dist"],  # type: ignore[index]
        }
    }


def test_typed_views() -> None:
    assert dist_tags(PACKUMENT) == {"latest": "1.0.0"}
    assert list(versions(PACKUMENT)) == ["1.0.0"]
    assert time_map(PACKUMENT) == {
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-02T00:00:00.000Z",
    }
    assert maintainers(PACKUMENT) == [Person("alice", "a@x")]
    assert latest_version(PACKUMENT) == "1.0.0"
    assert latest_version({"dist-tags": {"latest": "9.0.0"}, "versions": {}}) is None


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (ABBREVIATED_ACCEPT, True),
        ("application/vnd.npm.install-v1+json", True),
        (FULL_ACCEPT, False),
        ("*/*", False),
        (None, False),
        ("application/vnd.npm.install-v1+json; q=0.5, application/json; q=0.9", False),
        ("application/vnd.npm.install-v1+json; q=0", False),
    ],
)
def test_wants_abbreviated(accept: str | None, expected: bool) -> None:
    assert wants_abbreviated(accept) is expected


def test_tarball_names_and_urls() -> None:
    assert registry_tarball_filename("@demo/foo", "1.0.0") == "foo-1.0.0.tgz"
    assert tarball_path("@demo/foo", "1.0.0") == "@demo/foo/-/foo-1.0.0.tgz"
    assert tarball_url("http://h:1/sub/", "foo", "2.0.0-rc.1") == "http://h:1/sub/foo/-/foo-2.0.0-rc.1.tgz"
    assert version_from_tarball_filename("@demo/foo", "foo-1.0.0.tgz") == "1.0.0"
    assert version_from_tarball_filename("foo", "bar-1.0.0.tgz") is None
    assert version_from_tarball_filename("foo", "foo-.tgz") is None


def test_dist_round_trip() -> None:
    raw = {"tarball": "t", "integrity": "sha512-x", "shasum": "ab", "fileCount": 3, "unpackedSize": 10}
    dist = Dist.from_json(raw)
    assert dist == Dist("t", "sha512-x", "ab", 3, 10)
    assert dist.to_json() == {
        "integrity": "sha512-x",
        "shasum": "ab",
        "tarball": "t",
        "fileCount": 3,
        "unpackedSize": 10,
    }
    assert Dist.from_json({"fileCount": True}).file_count is None


def test_install_scripts() -> None:
    assert has_install_script({"scripts": {"postinstall": "x"}})
    assert not has_install_script({"scripts": {"test": "x"}})
    assert has_install_script({}, has_binding_gyp=True)
    assert not has_install_script({"gypfile": False}, has_binding_gyp=True)


def test_times_use_javascripts_iso_form() -> None:
    moment = datetime(2024, 3, 4, 5, 6, 7, 891234, tzinfo=UTC)
    assert format_time(moment) == "2024-03-04T05:06:07.891Z"
    assert format_time(moment.astimezone(timezone(timedelta(hours=2)))) == "2024-03-04T05:06:07.891Z"
    assert parse_time("2024-03-04T05:06:07.891Z") == datetime(2024, 3, 4, 5, 6, 7, 891000, tzinfo=UTC)
    assert parse_time("yesterday") is None
