"""The real npm 11 against snpm-registry: `npm search`, `npm audit`, `npm star|unstar|stars`.

One registry subprocess; alice publishes a few packages with npm, an advisory is added with the
admin command, and a project with a vulnerable version in its lockfile is audited. Every step also
checks the registry's own state.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.postgres import postgres_cluster  # noqa: F401  (a pytest fixture)
from support.registry import (
    BACKENDS,
    NpmAccount,
    RunningRegistry,
    backend_settings,
    registry_admin,
    registry_db,
    start_registry,
    write_package,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NPM = shutil.which("npm")
if NPM is None or shutil.which("node") is None:
    pytest.skip("node and npm are needed", allow_module_level=True)

PASSWORD = "correct-horse-battery"
CATALOGUE = (
    ("left-pad", "1.0.0", ["pad", "string"], "Pad a string on the left"),
    ("left-pad", "1.1.0", ["pad", "string"], "Pad a string on the left"),
    ("left-pad-plus", "1.0.0", ["pad"], "More padding"),
    ("string-utils", "0.2.0", ["string"], "Unrelated helpers"),
)


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningRegistry]:
    running = start_registry(
        tmp_path_factory.mktemp("registry") / "data", settings=backend_settings(request, request.param)
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def alice(server: RunningRegistry, tmp_path_factory: pytest.TempPathFactory) -> NpmAccount:
    registry_admin(
        server,
        "user",
        "add",
        "alice",
        "--email",
        "alice@example.test",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    root = tmp_path_factory.mktemp("alice")
    account = NpmAccount("alice", root, server, str(NPM)).prepare()
    account.login_over_http(PASSWORD)
    for name, version, keywords, description in CATALOGUE:
        manifest = {"name": name, "version": version, "keywords": keywords, "description": description}
        account.npm("publish", cwd=write_package(root / name, manifest))
    return account


def test_search(server: RunningRegistry, alice: NpmAccount) -> None:
    assert registry_db(server, "SELECT name FROM search_entries ORDER BY name") == [
        ("left-pad",),
        ("left-pad-plus",),
        ("string-utils",),
    ]
    found = json.loads(alice.npm("search", "left-pad", "--json").stdout)
    assert [p["name"] for p in found] == ["left-pad", "left-pad-plus"]  # the exact name first
    assert found[0]["version"] == "1.1.0" and found[0]["keywords"] == ["pad", "string"]
    assert found[0]["maintainers"] == [{"username": "alice", "email": "alice@example.test"}]
    assert found[0]["publisher"] == {"username": "alice", "email": "alice@example.test"}

    lines = alice.npm("search", "pad", "--parseable").stdout.strip().split("\n")
    first = lines[0].split("\t")
    assert (
        first[0] == "left-pad"
        and first[1] == "Pad a string on the left"
        and first[3:] == ["1.1.0", "pad,string"]
    )
    assert [line.split("\t")[0] for line in lines] == ["left-pad", "left-pad-plus"]

    human = alice.npm("search", "left-pad").stdout
    assert "left-pad\nPad a string on the left\nVersion 1.1.0 published" in human
    assert "by alice" in human and "Maintainers: alice" in human

    qualified = json.loads(alice.npm("search", "keywords:string", "not:unstable", "--json").stdout)
    assert [p["name"] for p in qualified] == ["left-pad"]
    assert "No matches found" in alice.npm("search", "nothing-here").stdout


def test_stars(server: RunningRegistry, alice: NpmAccount) -> None:
    assert "left-pad" in alice.npm("star", "left-pad").stdout
    assert registry_db(server, 'SELECT name, "user" FROM package_stars') == [("left-pad", "alice")]
    assert server.request("GET", "/left-pad")[1]["users"] == {"alice": True}
    alice.npm("star", "string-utils")
    assert alice.npm("stars").stdout.split() == ["left-pad", "string-utils"]
    assert alice.npm("stars", "alice").stdout.split() == ["left-pad", "string-utils"]
    assert "string-utils" in alice.npm("unstar", "string-utils").stdout
    assert alice.npm("stars").stdout.split() == ["left-pad"]
    assert registry_db(server, "SELECT name FROM package_stars WHERE \"user\" = 'alice'") == [("left-pad",)]


def test_audit(server: RunningRegistry, alice: NpmAccount, tmp_path: Path) -> None:
    added = registry_admin(
        server,
        "advisory",
        "add",
        "left-pad",
        "<1.1.0",
        "--severity",
        "high",
        "--title",
        "Prototype pollution in left-pad",
        "--url",
        "https://advisories.example.test/1",
        "--cwe",
        "CWE-1321",
        "--cvss-score",
        "7.5",
    )
    assert added.startswith("added advisory 1:")
    project = tmp_path / "project"
    project.mkdir()
    (project / "package.json").write_text('{"name": "project", "version": "1.0.0"}\n')
    alice.npm("install", "left-pad@1.0.0", "left-pad-plus", cwd=project)
    lock = json.loads((project / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/left-pad"]["version"] == "1.0.0"

    report = alice.npm("audit", cwd=project, check=False)
    assert report.returncode != 0
    assert "Prototype pollution in left-pad - https://advisories.example.test/1" in report.stdout
    assert "1 high severity vulnerability" in report.stdout

    as_json = alice.npm("audit", "--json", cwd=project, check=False)
    assert as_json.returncode != 0
    audit = json.loads(as_json.stdout)
    via = audit["vulnerabilities"]["left-pad"]["via"][0]
    assert (
        via["source"] == 1 and via["title"] == "Prototype pollution in left-pad" and via["range"] == "<1.1.0"
    )
    assert via["cwe"] == ["CWE-1321"] and via["cvss"]["score"] == 7.5
    assert audit["metadata"]["vulnerabilities"]["high"] == 1
    assert "left-pad-plus" not in audit["vulnerabilities"]

    # fixed by the registry's own newer version; then the audit is clean
    alice.npm("install", "left-pad@1.1.0", cwd=project)
    assert alice.npm("audit", cwd=project).stdout.strip().endswith("found 0 vulnerabilities")
    assert server.request("GET", "/-/npm/v1/keys") == (200, {"keys": []})
