"""`snpm audit` against the real npm 11: same report, same exit code, same fixed tree.

A real snpm-registry (a subprocess on 127.0.0.1) serves the packages and the bulk advisory endpoint
from an advisories file. Template projects are installed by the real npm while only the vulnerable
versions exist; the fixed versions are published afterwards, so `audit fix` has something to do.

Each case copies a template into one isolated world (own HOME, userconfig, globalconfig, prefix and
cache), runs npm, puts the world back, runs snpm at the very same paths, and compares:

- the exit code and stdout (durations in `… in 2s` normalised);
- stderr's `warn`/`error` lines (the heading `npm`/`snpm` and the debug-log path normalised);
- every file of the project afterwards (package.json, package-lock.json, node_modules with its
  hidden lockfile), byte for byte.

A registry without the endpoint (404 and 405 answers, and one that never answers in time) is a
FakeRegistry. No expectation is written by hand: npm is the oracle.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from support.fake_registry import FakeRegistry
from support.npm_world import FileState, World, make_world
from support.registry import RunningRegistry, publish_body, start_registry
from support.scenario_registry import ScenarioRegistry

NPM = shutil.which("npm")
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(NPM is None, reason="npm is not installed")]

BULK = "/-/npm/v1/security/advisories/bulk"
_DURATION = re.compile(r" in \d+(?:\.\d+)?(?:ms|s|m|h|d)$", re.MULTILINE)
_DATE_HEADER = re.compile(r'("date": \[\s*)"[^"]*"')
_LOG_PATH = re.compile(r"A complete log of this run can be found in: .*$")

ADVISORIES: list[dict[str, Any]] = [
    {
        "name": "vuln-a",
        "id": 1001,
        "vulnerable_versions": "<1.1.0",
        "severity": "high",
        "title": "Prototype pollution in vuln-a",
        "url": "https://example.test/advisories/1001",
        "cwe": ["CWE-1321"],
        "cvss": {"score": 7.5, "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N"},
    },
    {
        "name": "lowpkg",
        "id": 1002,
        "vulnerable_versions": "<1.0.1",
        "severity": "low",
        "title": "Minor issue in lowpkg",
        "url": "https://example.test/advisories/1002",
    },
    {
        "name": "crit",
        "id": 1003,
        "vulnerable_versions": "*",
        "severity": "critical",
        "title": "RCE in crit",
        "url": "https://example.test/advisories/1003",
    },
    {
        "name": "modpkg",
        "id": 1004,
        "vulnerable_versions": ">=1.0.0 <1.2.0",
        "severity": "moderate",
        "title": "ReDoS in modpkg",
        "url": "https://example.test/advisories/1004",
    },
    {
        "name": "leaky",
        "id": 1005,
        "vulnerable_versions": "<1.0.1",
        "severity": "moderate",
        "title": "Leak in leaky",
        "url": "https://example.test/advisories/1005",
    },
    {
        "name": "old",
        "id": 1006,
        "vulnerable_versions": "<2.0.0",
        "severity": "high",
        "title": "Old is broken",
        "url": "https://example.test/advisories/1006",
    },
    {
        "name": "@acme/bad",
        "id": 1010,
        "vulnerable_versions": "<1.0.1",
        "severity": "critical",
        "title": "Scoped bad",
        "url": "https://example.test/advisories/1010",
    },
    {
        "name": "old",
        "id": 1007,
        "vulnerable_versions": "1.0.0",
        "severity": "moderate",
        "title": "Old also leaks",
        "url": "https://example.test/advisories/1007",
    },
]

# (name, version, manifest): published before the templates are installed
FIRST: list[tuple[str, str, dict[str, Any]]] = [
    ("vuln-a", "1.0.0", {}),
    ("vuln-a", "1.0.1", {}),
    ("vuln-a", "1.1.0", {}),
    ("vuln-a", "2.0.0", {}),
    ("dep-b", "1.0.0", {"dependencies": {"vuln-a": "^1.0.0"}}),
    ("dep-c", "1.0.0", {"dependencies": {"vuln-a": "1.0.0"}}),
    ("dep-c", "2.0.0", {"dependencies": {"vuln-a": "^2.0.0"}}),
    ("lowpkg", "1.0.0", {}),
    ("lowpkg", "1.0.1", {}),
    ("crit", "1.0.0", {}),
    ("modpkg", "1.0.0", {}),
    ("modpkg", "1.1.0", {}),
    ("modpkg", "1.2.0", {}),
    ("uses-mod", "1.0.0", {"dependencies": {"modpkg": "~1.1.0"}}),
    ("clean", "1.0.0", {}),
    ("clean-user", "1.0.0", {"dependencies": {"clean": "^1.0.0"}}),
    ("leaky", "1.0.0", {}),
    ("leaky-user", "1.0.0", {"dependencies": {"leaky": "^1.0.0"}}),
    ("old", "1.0.0", {}),
    ("old-user", "1.0.0", {"dependencies": {"old": "^1.0.0"}}),
    ("@acme/bad", "1.0.0", {}),
    ("peerhost", "1.0.0", {"peerDependencies": {"modpkg": "^1.0.0"}}),
    ("optuser", "1.0.0", {"optionalDependencies": {"leaky": "1.0.0"}}),
]
# published once the templates are locked: the fixes `audit fix` finds
LATER: list[tuple[str, str, dict[str, Any]]] = [
    ("leaky", "1.0.1", {}),
    ("old", "2.0.0", {}),
    ("old-user", "2.0.0", {"dependencies": {"old": "^2.0.0"}}),
    ("@acme/bad", "1.0.1", {}),
]

TEMPLATES: dict[str, dict[str, dict[str, Any]]] = {
    "clean": {
        "package.json": {"name": "clean-app", "version": "1.0.0", "dependencies": {"clean-user": "^1.0.0"}},
    },
    # direct and transitive, in and out of range, every severity but critical, a dev dependency
    "mixed": {
        "package.json": {
            "name": "mixed-app",
            "version": "1.0.0",
            "dependencies": {"leaky-user": "^1.0.0", "old": "^1.0.0", "lowpkg": "1.0.0"},
            "devDependencies": {"old-user": "^1.0.0"},
        },
    },
    # nested copies, metavulns (dep-c, uses-mod), a critical without any fix
    "nested": {
        "package.json": {
            "name": "nested-app",
            "version": "1.0.0",
            "dependencies": {
                "dep-b": "^1.0.0",
                "dep-c": "^1.0.0",
                "crit": "^1.0.0",
                "uses-mod": "^1.0.0",
                "clean": "^1.0.0",
            },
            "devDependencies": {"vuln-a": "~1.0.0"},
        },
    },
    # a direct dependency with a fix in range (for the release-age window)
    "direct": {
        "package.json": {
            "name": "direct-app",
            "version": "1.0.0",
            "dependencies": {"leaky": "^1.0.0", "lowpkg": "1.0.0"},
        },
    },
    # an alias, a scoped package, a peer and an optional dependency
    "odd": {
        "package.json": {
            "name": "odd-app",
            "version": "1.0.0",
            "dependencies": {
                "myleaky": "npm:leaky@^1.0.0",
                "@acme/bad": "^1.0.0",
                "peerhost": "1.0.0",
                "optuser": "1.0.0",
            },
        },
    },
    "workspaces": {
        "package.json": {
            "name": "ws-root",
            "version": "1.0.0",
            "workspaces": ["packages/*"],
            "dependencies": {"lowpkg": "1.0.0"},
        },
        "packages/a/package.json": {
            "name": "a",
            "version": "1.0.0",
            "dependencies": {"leaky-user": "^1.0.0", "modpkg": "~1.1.0"},
        },
        "packages/b/package.json": {
            "name": "b",
            "version": "1.0.0",
            "dependencies": {"old": "^1.0.0", "a": "^1.0.0"},
        },
    },
}


@dataclass
class Setup:
    server: RunningRegistry
    templates: Path
    home_template: Path
    # a moment after the first packages and before the fixes were published (for --before)
    cutoff: str


def _sign_up(server: RunningRegistry) -> str:
    body = {"name": "alice", "password": "correct-horse-battery", "email": "alice@example.test"}
    status, answer = server.request("PUT", "/-/user/org.couchdb.user:alice", body=body)
    assert status == 201, answer
    return str(answer["token"])


def _publish(server: RunningRegistry, token: str, packages: list[tuple[str, str, dict[str, Any]]]) -> None:
    for name, version, manifest in packages:
        body = publish_body(name, version, manifest=manifest, registry=server.url)
        status, answer = server.request("PUT", "/" + name.replace("/", "%2f"), token=token, body=body)
        assert status in (200, 201), answer


def _write_project(folder: Path, files: dict[str, dict[str, Any]]) -> None:
    for rel, content in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, indent=2) + "\n")


def _configure(world: World, registry: str) -> None:
    world.userconfig.write_text(f"registry={registry}\nupdate-notifier=false\nfund=false\n")


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    base = tmp_path_factory.mktemp("audit")
    advisories = base / "advisories.json"
    advisories.write_text(json.dumps(ADVISORIES))
    server = start_registry(base / "data", settings={"advisories-file": str(advisories)})
    try:
        token = _sign_up(server)
        _publish(server, token, FIRST)
        world = make_world(base / "installer")
        _configure(world, server.url)
        templates = base / "templates"
        for name, files in TEMPLATES.items():
            folder = templates / name
            _write_project(folder, files)
            done = world.run_npm(["install", "--no-audit"], cwd=folder)
            assert done.code == 0, done.stderr
        # the workspace template keeps a vulnerable copy nested in one workspace
        done = world.run_npm(
            ["install", "leaky@1.0.0", "-w", "a", "--no-audit", "--save=false"], cwd=templates / "workspaces"
        )
        assert done.code == 0, done.stderr
        time.sleep(1.2)
        cutoff = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        time.sleep(1.2)
        _publish(server, token, LATER)
        yield Setup(server, templates, world.home, cutoff)
    finally:
        server.stop()


# ── running both ──


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    problems: tuple[str, ...]
    files: dict[str, FileState]


def _normalize_stdout(text: str) -> str:
    text = _DURATION.sub(" in <time>", text)
    return _DATE_HEADER.sub(r'\1"<date>"', text)


def _problems(stderr: str) -> tuple[str, ...]:
    lines = []
    for raw in stderr.splitlines():
        line = re.sub(r"^snpm ", "npm ", raw)
        if line.startswith(("npm error", "npm warn", "npm notice")):
            lines.append(_LOG_PATH.sub("A complete log of this run can be found in: <log>", line))
    return tuple(lines)


def _project_files(world: World) -> dict[str, FileState]:
    return {k: v for k, v in world.snapshot().items() if k.startswith("project/")}


def _run(world: World, program: str, args: list[str], *, timeout: float = 60) -> Run:
    if timeout <= 60:
        done = world.run_npm(args) if program == "npm" else world.run_snpm(args)
        code, stdout, stderr = done.code, done.stdout, done.stderr
    else:
        command = [NPM or "npm", *args] if program == "npm" else [sys.executable, "-m", "snpm", *args]
        ran = subprocess.run(
            command,
            cwd=world.project,
            env=world.env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        code, stdout, stderr = ran.returncode, ran.stdout.decode(), ran.stderr.decode()
    return Run(code, _normalize_stdout(stdout), _problems(stderr), _project_files(world))


def both(world: World, args: list[str], *, timeout: float = 60) -> tuple[Run, Run]:
    """npm, then snpm on the project as it was before npm ran (folders included: an empty folder
    left in node_modules would be a package to both programs)."""
    saved = world.root / "project-before"
    shutil.rmtree(saved, ignore_errors=True)
    shutil.copytree(world.project, saved, symlinks=True)
    npm = _run(world, "npm", args, timeout=timeout)
    shutil.rmtree(world.project)
    shutil.copytree(saved, world.project, symlinks=True)
    snpm = _run(world, "snpm", args, timeout=timeout)
    return npm, snpm


def _assert_same(npm: Run, snpm: Run, args: list[str]) -> None:
    assert snpm.stdout == npm.stdout, (args, npm.stdout, snpm.stdout)
    assert snpm.problems == npm.problems, (args, npm.problems, snpm.problems)
    assert snpm.code == npm.code, (args, npm.code, snpm.code)
    differing = sorted(k for k in set(npm.files) | set(snpm.files) if npm.files.get(k) != snpm.files.get(k))
    assert not differing, (args, differing)


@pytest.fixture
def world(tmp_path: Path, setup: Setup) -> World:
    found = make_world(tmp_path / "world")
    _configure(found, setup.server.url)
    return found


def _use(world: World, setup: Setup, template: str) -> None:
    shutil.rmtree(world.project)
    shutil.copytree(setup.templates / template, world.project, symlinks=True)


CASES: list[tuple[str, list[str]]] = [
    ("clean", ["audit"]),
    ("clean", ["audit", "--json"]),
    ("clean", ["audit", "fix"]),
    ("clean", ["install"]),
    ("clean", ["ci"]),
    ("mixed", ["audit"]),
    ("mixed", ["audit", "--json"]),
    ("mixed", ["audit", "--audit-level=moderate"]),
    ("mixed", ["audit", "--audit-level=high"]),
    ("mixed", ["audit", "--audit-level=critical"]),
    ("mixed", ["audit", "--audit-level=none"]),
    ("mixed", ["audit", "--audit-level=info"]),
    ("mixed", ["audit", "--omit=dev"]),
    ("mixed", ["audit", "--omit=dev", "--json"]),
    ("mixed", ["audit", "--package-lock-only"]),
    ("mixed", ["audit", "fix"]),
    ("mixed", ["audit", "fix", "--json"]),
    ("mixed", ["audit", "fix", "--dry-run"]),
    ("mixed", ["audit", "fix", "--package-lock-only"]),
    ("mixed", ["audit", "fix", "--force"]),
    ("mixed", ["audit", "fix", "--force", "--dry-run"]),
    ("mixed", ["audit", "fix", "--force", "--json"]),
    ("mixed", ["audit", "fix", "--audit-level=critical"]),
    ("mixed", ["install"]),
    ("mixed", ["install", "--json"]),
    ("mixed", ["install", "--no-audit"]),
    ("mixed", ["install", "--package-lock-only"]),
    ("mixed", ["install", "crit"]),
    ("mixed", ["ci"]),
    ("mixed", ["uninstall", "old"]),
    ("mixed", ["update"]),
    ("nested", ["audit"]),
    ("nested", ["audit", "--json"]),
    ("nested", ["audit", "--omit=dev"]),
    ("nested", ["audit", "fix"]),
    ("nested", ["audit", "fix", "--force"]),
    ("nested", ["audit", "fix", "--dry-run"]),
    ("odd", ["audit"]),
    ("odd", ["audit", "--json"]),
    ("odd", ["audit", "--omit=optional"]),
    ("odd", ["audit", "--omit=peer", "--json"]),
    ("odd", ["audit", "fix"]),
    ("odd", ["audit", "fix", "--force"]),
    ("odd", ["install"]),
    ("mixed", ["audit", "--no-package-lock"]),
    ("mixed", ["audit", "--color=always"]),
    ("mixed", ["audit", "fix", "--color=always"]),
    ("mixed", ["install", "--color=always"]),
    ("mixed", ["install", "--silent"]),
    ("mixed", ["audit", "--silent"]),
    ("mixed", ["install", "--offline"]),
    ("workspaces", ["audit"]),
    ("workspaces", ["audit", "--json"]),
    ("workspaces", ["audit", "-w", "a"]),
    ("workspaces", ["audit", "-w", "b", "--json"]),
    ("workspaces", ["audit", "--workspaces=false"]),
    ("workspaces", ["audit", "-w", "a", "--include-workspace-root"]),
    ("workspaces", ["audit", "fix"]),
    ("workspaces", ["audit", "fix", "-w", "a"]),
    ("workspaces", ["audit", "fix", "--force"]),
    ("workspaces", ["audit", "fix", "--force", "--dry-run"]),
    ("workspaces", ["install", "-w", "b"]),
]


@pytest.mark.parametrize(("template", "args"), CASES, ids=[f"{t}:{' '.join(a)}" for t, a in CASES])
def test_audit_like_npm(world: World, setup: Setup, template: str, args: list[str]) -> None:
    _use(world, setup, template)
    npm, snpm = both(world, args)
    _assert_same(npm, snpm, args)


@pytest.mark.parametrize("template", ["clean", "mixed", "odd", "workspaces"])
def test_install_with_nothing_to_do_audits_again(world: World, setup: Setup, template: str) -> None:
    """A second `install` answers from the stamp of the first (snpm.ops.noop_install) and still
    audits, as npm's does: the advisories can change when no file does."""
    _use(world, setup, template)
    assert _run(world, "snpm", ["install"]).code == 0  # the full install leaves its stamp
    npm, snpm = both(world, ["install"])
    _assert_same(npm, snpm, ["install"])
    assert "audited" in snpm.stdout, snpm.stdout
    logs = sorted((world.cache / "_logs").glob("*-debug-0.log"))
    assert "silly noop" in logs[-1].read_text()


@pytest.mark.parametrize(
    "args",
    [
        ["audit", "--json"],
        ["audit", "fix"],
        ["audit", "fix", "--json"],
        ["audit", "fix", "--min-release-age-exclude=leaky"],
    ],
    ids=lambda a: " ".join(a),
)
def test_fix_blocked_by_the_release_age_window(world: World, setup: Setup, args: list[str]) -> None:
    """`--before` hides the fix: npm reports fixBlockedByReleaseAge, warns and exits 1 after fix."""
    _use(world, setup, "direct")
    argv = [*args, f"--before={setup.cutoff}"]
    npm, snpm = both(world, argv)
    _assert_same(npm, snpm, argv)


def test_no_audit_outside_a_project(world: World) -> None:
    """Without a package.json at the prefix, `audit` left at its default is off (arborist-cmd.js)."""
    for args in (["install", "lowpkg@1.0.0"], ["install", "lowpkg@1.0.0", "--audit"]):
        shutil.rmtree(world.project)
        world.project.mkdir()
        npm, snpm = both(world, args)
        _assert_same(npm, snpm, args)


def test_no_lockfile_is_enolock(world: World) -> None:
    (world.project / "package.json").write_text('{"name": "bare", "version": "1.0.0"}\n')
    for args in (["audit"], ["audit", "--json"], ["audit", "fix"]):
        npm, snpm = both(world, args)
        _assert_same(npm, snpm, args)
        assert npm.code == 1


def test_fix_needs_a_package_lock(world: World, setup: Setup) -> None:
    _use(world, setup, "mixed")
    npm, snpm = both(world, ["audit", "fix", "--no-package-lock"])
    _assert_same(npm, snpm, ["audit", "fix", "--no-package-lock"])


def test_endpoint_missing_on_the_audit_registry(world: World, setup: Setup) -> None:
    """A registry path that answers 404 to the bulk request: npm warns, prints the body, fails."""
    _use(world, setup, "mixed")
    args = ["audit", f"--registry={setup.server.url}nothing/"]
    npm, snpm = both(world, args)
    _assert_same(npm, snpm, args)
    assert npm.code == 1


def test_endpoint_missing_json(world: World, setup: Setup) -> None:
    """--json prints npm's error object (message, method, uri, headers, statusCode, body), and the
    `error` member of a thrown string: `{"summary": "", "detail": ""}` (no code)."""
    _use(world, setup, "mixed")
    args = ["audit", "--json", f"--registry={setup.server.url}nothing/"]
    npm, snpm = both(world, args)
    _assert_same(npm, snpm, args)
    assert npm.code == 1
    assert json.loads(npm.stdout)["error"] == {"summary": "", "detail": ""}


# ── a registry without the endpoint ──


@pytest.fixture(scope="module")
def bare_registry() -> Iterator[FakeRegistry]:
    fake = FakeRegistry()
    fake.start_in_thread()
    scenario = ScenarioRegistry(fake)
    scenario.publish("plain", "1.0.0")
    scenario.publish("plain-user", "1.0.0", dependencies={"plain": "^1.0.0"})
    try:
        yield fake
    finally:
        fake.stop_thread()


def _answer_with(status: int) -> Any:
    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        return web.json_response({"error": "no audits here"}, status=status)

    return handler


@pytest.mark.parametrize("status", [404, 405])
def test_install_without_the_endpoint(tmp_path: Path, bare_registry: FakeRegistry, status: int) -> None:
    bare_registry.on("POST", BULK, _answer_with(status))
    world = make_world(tmp_path / "world")
    _configure(world, bare_registry.url)
    (world.project / "package.json").write_text(
        '{"name": "bare", "version": "1.0.0", "dependencies": {"plain-user": "^1.0.0"}}\n'
    )
    for args in (["install"], ["install", "--json"], ["audit"]):
        npm, snpm = both(world, args)
        _assert_same(npm, snpm, args)
    world.run_npm(["install", "--no-audit"])
    for args in (["ci"], ["audit", "fix"]):
        npm, snpm = both(world, args)
        _assert_same(npm, snpm, args)


def _failing_with(status: int, content_type: str) -> Any:
    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        if content_type == "application/json":
            return web.json_response({"error": "advisory database unavailable"}, status=status)
        return web.Response(text="upstream exploded\n", status=status, content_type=content_type)

    return handler


@pytest.mark.parametrize(
    ("status", "content_type"), [(500, "application/json"), (503, "text/plain")], ids=["500-json", "503-text"]
)
def test_endpoint_that_errors(
    tmp_path: Path, bare_registry: FakeRegistry, status: int, content_type: str
) -> None:
    """The advisory endpoint fails (a server error, JSON or text body): `audit` prints the body,
    `audit --json` the error object and an empty `error` member, `audit fix --json` likewise after
    nothing was changed; `install --json` carries on without an audit."""
    bare_registry.on("POST", BULK, _failing_with(status, content_type))
    world = make_world(tmp_path / "world")
    _configure(world, bare_registry.url)
    (world.project / "package.json").write_text(
        '{"name": "bare", "version": "1.0.0", "dependencies": {"plain-user": "^1.0.0"}}\n'
    )
    world.run_npm(["install", "--no-audit"])
    for args in (["audit"], ["audit", "--json"], ["audit", "fix", "--json"], ["install", "--json"]):
        npm, snpm = both(world, args)
        _assert_same(npm, snpm, args)
        if args[0] == "audit":
            assert npm.code == 1
        if args == ["audit", "--json"]:
            doc = json.loads(npm.stdout)
            assert doc["statusCode"] == status and doc["error"] == {"summary": "", "detail": ""}


def test_install_when_the_endpoint_times_out(tmp_path: Path, bare_registry: FakeRegistry) -> None:
    async def slow(request: web.Request, body: bytes) -> web.StreamResponse:
        import asyncio

        await asyncio.sleep(5)
        return web.json_response({})

    bare_registry.on("POST", BULK, slow)
    world = make_world(tmp_path / "world")
    world.userconfig.write_text(
        f"registry={bare_registry.url}\nupdate-notifier=false\nfund=false\nfetch-timeout=1500\n"
    )
    (world.project / "package.json").write_text(
        '{"name": "bare", "version": "1.0.0", "dependencies": {"plain": "^1.0.0"}}\n'
    )
    npm, snpm = both(world, ["install"])
    _assert_same(npm, snpm, ["install"])
    assert "audited" not in npm.stdout


# ── signatures and global mode ──


@pytest.mark.parametrize(
    "args",
    [["audit", "signatures"], ["audit", "signatures", "--json"]],
    ids=["signatures", "signatures --json"],
)
@pytest.mark.slow
def test_signatures_like_npm(world: World, setup: Setup, args: list[str]) -> None:
    """npm asks Sigstore's TUF repository for the registry's keys before the registry itself
    (which serves none): wherever that repository is out of reach, both fail the same way (here
    the name does not resolve, which can take a minute)."""
    _use(world, setup, "mixed")
    npm, snpm = both(world, args, timeout=400)
    _assert_same(npm, snpm, args)


def test_signatures_with_nothing_installed(world: World) -> None:
    (world.project / "package.json").write_text('{"name": "bare", "version": "1.0.0"}\n')
    npm, snpm = both(world, ["audit", "signatures"])
    _assert_same(npm, snpm, ["audit", "signatures"])
    assert npm.code == 1


@pytest.mark.parametrize(
    "args",
    [["audit", "-g"], ["audit", "fix", "-g"], ["audit", "signatures", "-g"]],
    ids=lambda a: " ".join(a),
)
def test_global_is_refused(world: World, setup: Setup, args: list[str]) -> None:
    _use(world, setup, "clean")
    npm, snpm = both(world, args)
    _assert_same(npm, snpm, args)
