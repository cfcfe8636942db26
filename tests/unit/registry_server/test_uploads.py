"""Publish-body validation (`services.uploads.read_upload`), including tampered uploads."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import tarfile
from typing import Any

import pytest

from snpm.registry_server.services.errors import RegistryError
from snpm.registry_server.services.uploads import UploadLimits, check_tag, read_upload
from support.registry import pack_package, publish_body, sri

LIMITS = UploadLimits(max_tarball_size=1024 * 1024, max_unpacked_size=4 * 1024 * 1024)


def _raw_tarball(members: list[tuple[str, bytes | None, str | None]]) -> bytes:
    """A gzipped tar built with tarfile, which (unlike npm) lets us write hostile names."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data, link in members:
            info = tarfile.TarInfo(name)
            if link is not None:
                info.type = tarfile.SYMTYPE
                info.linkname = link
                tar.addfile(info)
            else:
                payload = data or b""
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
    return gzip.compress(buffer.getvalue())


def _retarball(body: dict[str, Any], tarball: bytes, *, fix_hashes: bool = True) -> dict[str, Any]:
    version = next(iter(body["versions"].values()))
    attachment = next(iter(body["_attachments"].values()))
    attachment["data"] = base64.b64encode(tarball).decode()
    attachment["length"] = len(tarball)
    if fix_hashes:
        version["dist"]["integrity"] = sri(tarball)
        version["dist"]["shasum"] = hashlib.sha1(tarball).hexdigest()
    return body


def _manifest(name: str = "demo", version: str = "1.0.0") -> bytes:
    return json.dumps({"name": name, "version": version}).encode()


def _error(body: dict[str, Any], name: str = "demo") -> RegistryError:
    with pytest.raises(RegistryError) as caught:
        read_upload(name, body, LIMITS)
    return caught.value


def test_a_good_upload_is_read_with_the_facts_the_server_computes() -> None:
    body = publish_body(
        "demo",
        "1.0.0",
        manifest={"scripts": {"postinstall": "node x.js"}, "_npmUser": {"name": "mallory"}},
        files={"npm-shrinkwrap.json": b"{}", "lib/a.js": b"a" * 10},
    )
    upload = read_upload("demo", body, LIMITS)
    assert (upload.name, upload.version, upload.tags) == ("demo", "1.0.0", ("latest",))
    assert upload.filename == "demo-1.0.0.tgz"
    assert upload.file_count == 4  # package.json, index.js, npm-shrinkwrap.json, lib/a.js
    assert upload.version_document["_hasShrinkwrap"] is True
    assert upload.version_document["hasInstallScript"] is True
    assert "_npmUser" not in upload.version_document  # only the server sets it
    assert "readme" not in upload.version_document and upload.readme == "# demo\n"
    assert upload.integrity == sri(upload.tarball)
    assert upload.shasum == hashlib.sha1(upload.tarball).hexdigest()


def test_scoped_upload_uses_the_unscoped_file_name() -> None:
    upload = read_upload("@demo/pkg", publish_body("@demo/pkg", "2.0.0"), LIMITS)
    assert upload.filename == "pkg-2.0.0.tgz"


def test_integrity_mismatch_is_refused() -> None:
    body = publish_body("demo", "1.0.0")
    other = pack_package({"name": "demo", "version": "1.0.0", "description": "swapped"})
    _retarball(body, other, fix_hashes=False)
    error = _error(body)
    assert error.status == 400 and "dist.integrity" in error.message


def test_shasum_mismatch_is_refused() -> None:
    body = publish_body("demo", "1.0.0")
    next(iter(body["versions"].values()))["dist"]["shasum"] = "0" * 40
    error = _error(body)
    assert error.status == 400 and "dist.shasum" in error.message


def test_attachment_length_mismatch_is_refused() -> None:
    body = publish_body("demo", "1.0.0")
    next(iter(body["_attachments"].values()))["length"] = 3
    assert _error(body).status == 400


@pytest.mark.parametrize(
    ("inner", "fragment"),
    [
        ({"name": "someone-else", "version": "1.0.0"}, "names 'someone-else'"),
        ({"name": "demo", "version": "9.9.9"}, "version '9.9.9'"),
        ({"version": "1.0.0"}, "names None"),
    ],
)
def test_package_json_inside_the_tarball_must_match(inner: dict[str, str], fragment: str) -> None:
    body = _retarball(publish_body("demo", "1.0.0"), pack_package(inner))
    error = _error(body)
    assert error.status == 400 and fragment in error.message


@pytest.mark.parametrize(
    "members",
    [
        [("package/package.json", _manifest(), None), ("package/../../etc/evil", b"x", None)],
        [("package/package.json", _manifest(), None), ("/etc/passwd", b"x", None)],
        [("package/package.json", _manifest(), None), ("package/link", None, "../../outside")],
        [("package/package.json", _manifest(), None), ("package/link", None, "/etc/passwd")],
    ],
    ids=["dotdot", "absolute", "symlink-up", "symlink-absolute"],
)
def test_entries_that_leave_the_package_are_refused(
    members: list[tuple[str, bytes | None, str | None]],
) -> None:
    body = _retarball(publish_body("demo", "1.0.0"), _raw_tarball(members))
    error = _error(body)
    assert error.status == 400 and "unsafe entry" in error.message


def test_a_tarball_without_package_json_is_refused() -> None:
    body = _retarball(publish_body("demo", "1.0.0"), _raw_tarball([("package/index.js", b"x", None)]))
    assert "no package.json" in _error(body).message


def test_garbage_instead_of_a_tarball_is_refused() -> None:
    body = _retarball(publish_body("demo", "1.0.0"), b"this is not a tarball at all" * 30)
    assert _error(body).status == 400


def test_bad_base64_is_refused() -> None:
    body = publish_body("demo", "1.0.0")
    next(iter(body["_attachments"].values()))["data"] = "***not base64***"
    assert "base64" in _error(body).message


def test_size_limits_answer_413() -> None:
    small = UploadLimits(max_tarball_size=64, max_unpacked_size=10_000)
    with pytest.raises(RegistryError) as caught:
        read_upload("demo", publish_body("demo", "1.0.0"), small)
    assert caught.value.status == 413
    # a tiny gzip that inflates past the unpacked limit (a decompression bomb)
    bomb = _retarball(
        publish_body("demo", "1.0.0"),
        _raw_tarball([("package/package.json", _manifest(), None), ("package/zeros", bytes(50_000), None)]),
    )
    with pytest.raises(RegistryError) as caught:
        read_upload("demo", bomb, UploadLimits(max_tarball_size=1 << 20, max_unpacked_size=10_000))
    assert caught.value.status == 413


@pytest.mark.parametrize("version", ["v1.0.0", "1.0", "banana", "1.0.0+build"])
def test_versions_must_be_clean_semver(version: str) -> None:
    body = publish_body("demo", "1.0.0")
    body["versions"] = {version: {**body["versions"]["1.0.0"], "version": version}}
    assert "Invalid version" in _error(body).message


def test_exactly_one_version_and_one_tarball() -> None:
    body = publish_body("demo", "1.0.0")
    body["versions"]["1.0.1"] = dict(body["versions"]["1.0.0"], version="1.0.1")
    assert "exactly one version" in _error(body).message
    body = publish_body("demo", "1.0.0")
    body["_attachments"] = {}
    assert "exactly one tarball" in _error(body).message


def test_a_provenance_attachment_is_allowed_beside_the_tarball() -> None:
    body = publish_body("demo", "1.0.0")
    body["_attachments"]["demo-1.0.0.sigstore"] = {
        "content_type": "application/json",
        "data": "{}",
        "length": 2,
    }
    assert read_upload("demo", body, LIMITS).version == "1.0.0"


def test_the_body_must_be_for_the_package_in_the_url() -> None:
    assert _error(publish_body("demo", "1.0.0"), name="other").status == 400
    body = publish_body("demo", "1.0.0")
    body["versions"]["1.0.0"]["name"] = "other"
    assert _error(body).status == 400


def test_invalid_names_are_refused() -> None:
    body = publish_body("demo", "1.0.0")
    body["name"] = body["_id"] = ".hidden"
    assert "Invalid package name" in _error(body, name=".hidden").message


def test_names_only_valid_for_old_packages_are_flagged() -> None:
    upload = read_upload("Demo", publish_body("Demo", "1.0.0"), LIMITS)
    assert upload.name_valid_for_new_packages is False


@pytest.mark.parametrize("tag", ["1.0.0", "^1", "", "has space", "a/b"])
def test_bad_tags_are_refused(tag: str) -> None:
    with pytest.raises(RegistryError):
        check_tag(tag)
    check_tag("beta")
