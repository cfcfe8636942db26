"""hosted-git-info 9.0.3 conformance: every row of tests/conformance/data/hosted-git-info/hgi.generated.json.

Each table is checked in one test that runs all rows, collects every mismatch and reports the count.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from snpm.errors import SpecError
from snpm.spec import HostedGit, from_manifest, from_url, parse_url

pytestmark = pytest.mark.conformance

DATA = Path(__file__).parents[1] / "data" / "hosted-git-info" / "hgi.generated.json"
TABLE = json.loads(DATA.read_text(encoding="utf-8"))


def _undefined(value: Any) -> bool:
    return isinstance(value, dict) and value.get("$type") == "undefined"


def describe(info: HostedGit) -> dict[str, Any]:
    """The fields the generator recorded for one fromUrl result."""
    return {
        "type": info.type,
        "user": info.user,
        "project": info.project,
        "committish": info.committish,
        "auth": info.auth,
        "default": info.default,
        "toString": info.to_string(),
        "hash": info.hash(),
        "browse": info.browse(),
        "browse_path": info.browse("lib/index.js"),
        "browse_path_fragment": info.browse("lib/index.js", "L10"),
        "browseFile": info.browse_file("package.json"),
        "bugs": info.bugs(),
        "docs": info.docs(),
        "tarball": info.tarball(),
        "https": info.https(),
        "https_noGitPlus": info.https(no_git_plus=True),
        "https_noCommittish": info.https(no_committish=True),
        "ssh": info.ssh(),
        "sshurl": info.sshurl(),
        "sshurl_noGitPlus": info.sshurl(no_git_plus=True),
        "git": info.git(),
        "shortcut": info.shortcut(),
        "path": info.path(),
        "file": info.file("package.json"),
        "edit": info.edit("package.json"),
    }


def _report(table: str, failures: list[str], total: int) -> None:
    passed = total - len(failures)
    print(f"hosted-git-info {table}: {passed}/{total} rows pass")
    assert not failures, f"{len(failures)} of {total} {table} rows differ:\n" + "\n".join(failures[:50])


def test_from_url_all_rows() -> None:
    cases = TABLE["cases"]
    assert len(cases) == TABLE["count"] == 748
    failures: list[str] = []
    for case in cases:
        url = None if _undefined(case["url"]) else case["url"]
        info = from_url(url)
        got = None if info is None else describe(info)
        if got != case["result"]:
            failures.append(f"{url!r}: expected {case['result']}, got {got}")
            continue
        opts_info = from_url(url, no_committish=True, no_git_plus=True)
        got_opts = (
            None
            if opts_info is None
            else {"https": opts_info.https(), "sshurl": opts_info.sshurl(), "toString": opts_info.to_string()}
        )
        if got_opts != case["result_opts_noCommittish_noGitPlus"]:
            failures.append(
                f"{url!r} with noCommittish+noGitPlus: expected "
                f"{case['result_opts_noCommittish_noGitPlus']}, got {got_opts}"
            )
    _report("fromUrl", failures, len(cases))


def test_from_manifest_all_rows() -> None:
    cases = TABLE["from_manifest_cases"]
    assert len(cases) == TABLE["manifest_count"] == 18
    failures: list[str] = []
    for case in cases:
        manifest = None if _undefined(case["manifest"]) else case["manifest"]
        opts = case.get("opts") or {}
        try:
            info = from_manifest(manifest, no_git_plus=bool(opts.get("noGitPlus")))
        except SpecError as error:
            got: Any = {"error": {"name": "Error", "message": error.message}}
            if got["error"] != case.get("error"):
                failures.append(f"{manifest!r}: expected {case.get('result')}, raised {error.message!r}")
            continue
        if "error" in case:
            failures.append(f"{manifest!r}: expected error {case['error']}, got {info!r}")
            continue
        expected = None if _undefined(case["result"]) else case["result"]
        got = describe(info) if isinstance(info, HostedGit) else info
        if got != expected:
            failures.append(f"{manifest!r}: expected {expected}, got {got}")
        if "browse_directory" in case:
            assert isinstance(info, HostedGit)
            assert isinstance(manifest, dict)
            directory = info.browse(manifest["repository"]["directory"])
            if directory != case["browse_directory"]:
                failures.append(
                    f"{manifest!r}: browse(directory) {directory!r} != {case['browse_directory']!r}"
                )
    _report("fromManifest", failures, len(cases))


def test_parse_url_all_rows() -> None:
    cases = TABLE["parse_url_cases"]
    assert len(cases) == TABLE["parse_url_count"] == 8
    failures: list[str] = []
    for case in cases:
        parsed = parse_url(case["url"])
        got = (
            None
            if parsed is None
            else {
                "protocol": parsed.protocol,
                "username": parsed.username,
                "password": parsed.password,
                "host": parsed.host_and_port,
                "hostname": parsed.hostname,
                "port": parsed.port_string,
                "pathname": parsed.pathname,
                "search": parsed.search,
                "hash": parsed.hash,
                "href": parsed.href,
            }
        )
        if got != case["result"]:
            failures.append(f"{case['url']!r}: expected {case['result']}, got {got}")
    _report("parseUrl", failures, len(cases))
