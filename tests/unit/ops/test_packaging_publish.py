"""publish's manifest (fix + prepare + normalize-package-data), the PUT document, publishConfig,
OTP retries and unpublish's tarball path: the parts that need no registry and no npm."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from snpm.config import load_config
from snpm.errors import HttpError, SnpmError
from snpm.json_types import JsonObject
from snpm.ops.auth_flow import otplease
from snpm.ops.publish_manifest import fixed_manifest, prepared_manifest
from snpm.ops.publishing import publish_document, registry_options
from snpm.ops.unpublishing import _tarball_path
from support.scripted_interaction import ScriptedInteraction


def _write(folder: Path, manifest: JsonObject, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_fix_collects_npm_change_notes_and_bin_warnings(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "p",
        {"name": " @s/demo ", "version": "v1.0.0 ", "repository": "github:foo/bar", "bin": "cli.js"},
    )
    warnings: list[tuple[object, ...]] = []
    fixed = fixed_manifest(folder, lambda *args: warnings.append(args))
    assert fixed.changes == (
        '"bin" was converted to an object',
        '"bin[ @s/demo ]" was renamed to "bin[demo ]"',  # the basename keeps the space
        '"bin[demo ]" script name cli.js was invalid and removed',
        'Whitespace was trimmed from "name"',
        '"version" was cleaned and set to "1.0.0"',
        '"repository" was changed from a string to an object',
        '"repository.url" was normalized to "git+https://github.com/foo/bar.git"',
    )
    # the warning names the package as it was when the step started
    assert warnings == [("warn", "package-json", " @s/demo @v1.0.0 ", "No bin file found at cli.js")]
    assert fixed.content["name"] == "@s/demo"
    assert fixed.content["repository"] == {"type": "git", "url": "git+https://github.com/foo/bar.git"}


def test_prepare_fills_what_npm_publishes(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "p",
        {
            "name": "demo",
            "version": "1.0.0",
            "repository": {"type": "git", "url": "git+https://github.com/foo/bar.git"},
            "keywords": "a, b",
            "author": "Ann <ann@example.test> (https://ann.example.test)",
            "contributors": [{"name": "Bo", "email": "bo@example.test"}],
            "bundledDependencies": ["dep"],
            "bugs": "bugs@example.test",
            "homepage": "example.test/home",
            "files": ["lib", 3],
            "man": "man/demo.1",
        },
        **{"README.md": "# Demo\n\nThe first paragraph\nof the readme.\n\nMore.\n"},
    )
    content = prepared_manifest(fixed_manifest(folder, None).content, folder, None)
    assert content["description"] == "The first paragraph of the readme."
    assert content["keywords"] == ["a", "b"]
    assert content["author"] == {
        "name": "Ann",
        "email": "ann@example.test",
        "url": "https://ann.example.test",
    }
    assert content["contributors"] == [{"name": "Bo", "email": "bo@example.test"}]
    assert content["bundleDependencies"] == ["dep"] and "bundledDependencies" not in content
    assert content["dependencies"] == {"dep": "*"}
    assert content["bugs"] == {"email": "bugs@example.test"}
    assert content["homepage"] == "http://example.test/home"
    assert content["files"] == ["lib"]
    assert content["man"] == ["man/demo.1"]
    assert str(content["readme"]).startswith("# Demo") and content["readmeFilename"] == "README.md"
    assert content["_id"] == "demo@1.0.0"


def test_prepare_without_readme_and_with_hosted_repository(tmp_path: Path) -> None:
    folder = _write(tmp_path / "p", {"name": "demo", "version": "1.0.0", "repository": "github:foo/bar"})
    content = prepared_manifest(fixed_manifest(folder, None).content, folder, None)
    assert content["readme"] == "ERROR: No README data found!"
    assert content["bugs"] == {"url": "https://github.com/foo/bar/issues"}
    assert content["homepage"] == "https://github.com/foo/bar#readme"
    assert list(content)[-3:] == ["_id", "bugs", "homepage"]  # npm's key order


@pytest.mark.parametrize("name", [".hidden", "node_modules", "a b", "@scope/", "UPPER%"])
def test_invalid_names_are_refused(tmp_path: Path, name: str) -> None:
    folder = _write(tmp_path / "p", {"name": name, "version": "1.0.0"})
    with pytest.raises(SnpmError, match=r"^Invalid name: "):
        fixed_manifest(folder, None)


def test_builtin_module_name_warns(tmp_path: Path) -> None:
    folder = _write(tmp_path / "p", {"name": "fs", "version": "1.0.0"})
    warnings: list[tuple[object, ...]] = []
    fixed_manifest(folder, lambda *args: warnings.append(args))
    assert warnings == [
        (
            "warn",
            "package-json",
            "fs@1.0.0",
            'Package name "fs" conflicts with a Node.js built-in module name',
        )
    ]


def test_publish_document_is_libnpmpublish_shape() -> None:
    tarball = b"\x1f\x8b fake"
    manifest: JsonObject = {"name": "@s/demo", "version": "1.0.1", "description": "d", "_id": "@s/demo@1.0.1"}
    doc = publish_document(
        manifest, tarball, registry="https://reg.example.test/npm/", access=None, default_tag="beta"
    )
    assert list(doc) == ["_id", "name", "description", "dist-tags", "versions", "access", "_attachments"]
    assert doc["dist-tags"] == {"beta": "1.0.1"}
    versions: Any = doc["versions"]
    assert versions["1.0.1"]["dist"] == {
        "integrity": "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode(),
        "shasum": hashlib.sha1(tarball).hexdigest(),
        # new URL(name/-/name-v.tgz, registry), https downgraded to http
        "tarball": "http://reg.example.test/npm/@s/demo/-/@s/demo-1.0.1.tgz",
    }
    assert doc["_attachments"] == {
        "@s/demo-1.0.1.tgz": {
            "content_type": "application/octet-stream",
            "data": base64.b64encode(tarball).decode(),
            "length": len(tarball),
        }
    }
    # a `tag` field in package.json wins over --tag; no description key when there is none
    doc = publish_document(
        {"name": "x", "version": "2.0.0", "tag": "next"},
        b"t",
        registry="http://r/",
        access="public",
        default_tag="latest",
    )
    assert doc["dist-tags"] == {"next": "2.0.0"} and "description" not in doc and doc["access"] == "public"


def test_publish_config_overrides_config_but_not_cli(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".npmrc").write_text("registry=http://config.example.test/\n")
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    config = load_config(["publish", "--access=restricted"], env=env, cwd=tmp_path)
    unknown: list[str] = []
    opts = registry_options(
        config,
        "publish",
        {
            "registry": "http://pub.example.test/",
            "tag": "next",
            "access": "public",
            "@s:registry": "http://scoped.example.test/",
            "bogus": 1,
        },
        warn_unknown=unknown.append,
    )
    assert opts.settings.registry == "http://pub.example.test/"
    assert opts.default_tag == "next"
    assert opts.access == "restricted"  # given on the command line: publishConfig does not win
    assert opts.registry_for("@s/pkg") == "http://scoped.example.test/"
    assert opts.registry_for("plain") == "http://pub.example.test/"
    assert unknown == ["registry", "tag", "@s:registry", "bogus"]  # checkUnknown sees every kept key


def _otp_error() -> HttpError:
    return HttpError("otp please", status=401, code="EOTP")


def test_publish_and_unpublish_share_auth_flows_otplease() -> None:
    """One otplease for every command: publish and unpublish no longer carry their own."""
    import snpm.ops.publishing as publishing
    import snpm.ops.unpublishing as unpublishing

    assert not hasattr(publishing, "is_otp_error")
    assert publishing.otplease is otplease
    assert unpublishing.otplease is otplease


def test_otplease_retries_once_with_the_prompted_code() -> None:
    seen: list[str | None] = []

    async def action(otp: str | None) -> str:
        seen.append(otp)
        if otp != "123456":
            raise _otp_error()
        return "done"

    prompt = "This operation requires a one-time password.\nEnter OTP:"
    io = ScriptedInteraction(answers={prompt: ["123456"]})
    client: Any = None  # the classic prompt never talks to the registry itself
    assert asyncio.run(otplease(io, client, action)) == "done"
    assert seen == [None, "123456"]
    assert io.asked == [prompt]
    seen.clear()
    with pytest.raises(HttpError):  # no terminal: the EOTP error is final
        asyncio.run(otplease(ScriptedInteraction(interactive=False), client, action))
    assert seen == [None]


@pytest.mark.parametrize(
    ("tarball", "registry", "path"),
    [
        ("http://r.test/@s/p/-/p-1.0.0.tgz", "http://r.test/", "@s/p/-/p-1.0.0.tgz"),
        ("http://r.test/npm/p/-/p-1.0.0.tgz", "http://r.test/npm/", "p/-/p-1.0.0.tgz"),
    ],
)
def test_unpublish_tarball_path(tarball: str, registry: str, path: str) -> None:
    assert _tarball_path(tarball, registry) == path
