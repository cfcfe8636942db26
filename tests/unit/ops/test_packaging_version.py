"""libnpmversion without git (a folder with no `.git`) and without scripts, the versions listing, and
the lockfile versions after `version -ws`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from snpm.errors import SnpmError
from snpm.git import Git
from snpm.ops.package_scripts import ScriptRunner
from snpm.ops.versioning import VersionOptions, bump_version, inspect_object, versions_report
from snpm.ops.workspace_versions import format_ms, update_workspace_lock_versions

RUNNER = ScriptRunner(environment=dict, ignore_scripts=True)


def _bump(folder: Path, newversion: str, **options: object) -> str:
    logged: list[tuple[object, ...]] = []
    return asyncio.run(
        bump_version(
            newversion,
            folder,
            options=VersionOptions(**options),  # type: ignore[arg-type]
            runner=RUNNER,
            git=Git(env={"PATH": "/usr/bin:/bin"}),
            log=lambda *args: logged.append(args),
        )
    )


@pytest.mark.parametrize(
    ("current", "arg", "preid", "expected"),
    [
        ("1.0.0", "major", None, "2.0.0"),
        ("1.0.0", "minor", None, "1.1.0"),
        ("1.0.0", "patch", None, "1.0.1"),
        ("1.0.0", "premajor", "rc", "2.0.0-rc.0"),
        ("1.0.0", "preminor", None, "1.1.0-0"),
        ("1.0.0", "prepatch", "beta", "1.0.1-beta.0"),
        ("1.0.1-beta.0", "prerelease", "beta", "1.0.1-beta.1"),
        ("1.0.0", "prerelease", None, "1.0.1-0"),
        ("1.0.0", " =v3.1.4 ", None, "3.1.4"),  # an explicit version is cleaned loosely
        ("", "patch", None, "0.0.1"),  # no version counts as 0.0.0
    ],
)
def test_increments(tmp_path: Path, current: str, arg: str, preid: str | None, expected: str) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"name": "x", "version": current}))
    assert _bump(tmp_path, arg, preid=preid) == expected
    assert json.loads((tmp_path / "package.json").read_text())["version"] == expected


def test_files_keep_their_format_and_lockfiles_follow(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(
        '{\r\n\t"name": "x",\r\n\t"version": "1.0.0",\r\n\t"_id": "x@1.0.0"\r\n}\r\n'
    )
    (tmp_path / "package-lock.json").write_text(
        json.dumps(
            {"name": "x", "version": "1.0.0", "packages": {"": {"name": "x", "version": "1.0.0"}}}, indent=2
        )
        + "\n"
    )
    (tmp_path / "npm-shrinkwrap.json").write_text('{"lockfileVersion":1}')
    assert _bump(tmp_path, "minor") == "1.1.0"
    assert (
        tmp_path / "package.json"
    ).read_bytes().decode() == '{\r\n\t"name": "x",\r\n\t"version": "1.1.0"\r\n}\r\n'
    lock = json.loads((tmp_path / "package-lock.json").read_text())
    assert lock["version"] == "1.1.0" and lock["packages"][""]["version"] == "1.1.0"
    # a one-line file stays one line, without a newline; a missing `version` is added at the end
    assert (tmp_path / "npm-shrinkwrap.json").read_text() == '{"lockfileVersion":1,"version":"1.1.0"}'


@pytest.mark.parametrize(
    ("current", "arg", "options", "message"),
    [
        ("1.0.0", "bogus", {}, "Invalid version: bogus"),
        ("bad", "patch", {}, "Invalid version: patch"),
        ("1.0.0", "1.0.0", {}, "Version not changed"),
    ],
)
def test_refusals(tmp_path: Path, current: str, arg: str, options: dict[str, object], message: str) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"name": "x", "version": current}))
    with pytest.raises(SnpmError) as err:
        _bump(tmp_path, arg, **options)
    assert err.value.message == message


def test_same_version_allowed(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"name": "x", "version": "1.0.0"}))
    assert _bump(tmp_path, "1.0.0", allow_same_version=True) == "1.0.0"


def test_missing_package_json_is_enoent(tmp_path: Path) -> None:
    with pytest.raises(SnpmError) as err:
        _bump(tmp_path, "patch")
    assert err.value.code == "ENOENT"
    assert err.value.message == f"ENOENT: no such file or directory, open '{tmp_path}/package.json'"


def test_versions_listing_and_inspect(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"name": "@s/x", "version": "1.2.3"}))
    report = versions_report(
        [tmp_path], npm_version="11.0.0", process_versions={"node": "20.1.0", "v8": "11"}
    )
    assert report == {"@s/x": "1.2.3", "npm": "11.0.0", "node": "20.1.0", "v8": "11"}
    assert inspect_object(report) == "{ '@s/x': '1.2.3', npm: '11.0.0', node: '20.1.0', v8: '11' }"
    many = {f"k{i}": "v" * i for i in range(10)}
    assert inspect_object(many).startswith("{\n  k0: '',\n  k1: 'v',")
    assert inspect_object({"q": "it's"}) == """{ q: "it's" }"""


def test_workspace_lock_versions(tmp_path: Path) -> None:
    (tmp_path / "packages" / "a").mkdir(parents=True)
    (tmp_path / "packages" / "a" / "package.json").write_text(json.dumps({"name": "a", "version": "1.1.0"}))
    (tmp_path / "package.json").write_text(json.dumps({"name": "root", "version": "2.0.0"}))
    lock = {"name": "root", "version": "2.0.0", "packages": {"packages/a": {"version": "1.0.0"}}}
    (tmp_path / "package-lock.json").write_text(json.dumps(lock, indent=2) + "\n")
    (tmp_path / "node_modules").mkdir()
    hidden = {"name": "root", "version": "1.0.0", "packages": {"packages/a": {"version": "1.0.0"}}}
    (tmp_path / "node_modules" / ".package-lock.json").write_text(json.dumps(hidden, indent=2) + "\n")
    update_workspace_lock_versions(tmp_path, [tmp_path / "packages" / "a"])
    assert (
        json.loads((tmp_path / "package-lock.json").read_text())["packages"]["packages/a"]["version"]
        == "1.1.0"
    )
    rewritten = json.loads((tmp_path / "node_modules" / ".package-lock.json").read_text())
    assert rewritten["version"] == "2.0.0" and rewritten["packages"]["packages/a"]["version"] == "1.1.0"


@pytest.mark.parametrize(
    ("ms", "text"), [(0, "0ms"), (999, "999ms"), (1000, "1s"), (1499, "1s"), (1500, "2s"), (90_000, "2m")]
)
def test_format_ms(ms: float, text: str) -> None:
    assert format_ms(ms) == text
