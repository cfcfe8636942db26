"""npm 11's allowScripts policy against the real npm: `approve-scripts`, `deny-scripts`,
`install-scripts approve|deny|ls|prune`, and the policy as install, ci and rebuild apply it.

Each case gives the same project to npm and to snpm in two isolated worlds (own HOME, userconfig,
globalconfig, prefix and cache) on one local registry whose packages have install scripts that
append `<name>@<version> <event>` to a marker file in the project, runs the same commands in both,
and after every command compares:

- the exit code and stdout (durations and the world's path normalised);
- the `warn` and `error` lines on stderr (the heading word normalised, the log-file pointer
  dropped);
- every file and folder of the project: package.json (the allowScripts edits byte for byte),
  package-lock.json, node_modules; and the global packages (`{prefix}/lib`);
- the marker file as a sorted list of lines (scripts run in parallel, so only their order may
  differ): which install scripts ran, and which the policy held back.

No expectation is written by hand: npm is the oracle.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from support.fake_registry import FakeRegistry
from support.scenario_registry import ScenarioRegistry, make_tarball

NPM = shutil.which("npm")
NODE = shutil.which("node")

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(NPM is None, reason="npm is not installed")]

MARKERS = "markers.txt"
# stands for the registry's URL in a case's files
REGISTRY_URL = "@REGISTRY@"
# appends "<name>@<version> <event>" to the project's marker file (INIT_CWD is the project)
_MARK_JS = (
    "const fs = require('fs'), path = require('path')\n"
    "const e = process.env\n"
    f"fs.appendFileSync(path.join(e.INIT_CWD, '{MARKERS}'), "
    "`${e.npm_package_name}@${e.npm_package_version} ${e.npm_lifecycle_event}\\n`)\n"
)
_MARK: dict[str, str | bytes] = {"mark.js": _MARK_JS}


def scripted(*events: str) -> dict[str, str]:
    return dict.fromkeys(events, "node mark.js")


def publish_universe(r: ScenarioRegistry) -> None:
    """Packages with install scripts in every position: several versions, scoped, nested versions,
    a dependency that only gets scripts in its next version, a bundled dependency with scripts."""
    r.publish("alpha", "1.0.0", scripts=scripted("postinstall"), files=_MARK)
    r.publish("alpha", "2.0.0", scripts=scripted("install", "postinstall"), files=_MARK)
    r.publish("beta", "1.0.0", scripts=scripted("preinstall"), dependencies={"gamma": "^1.0.0"}, files=_MARK)
    r.publish("gamma", "1.0.0", scripts=scripted("install"), files=_MARK)
    r.publish("gamma", "2.0.0", scripts=scripted("install"), files=_MARK)
    r.publish("plain", "1.0.0")
    r.publish("plain", "2.0.0", scripts=scripted("postinstall"), files=_MARK)
    r.publish("@sc/delta", "1.0.0", scripts=scripted("postinstall"), files=_MARK)
    r.publish("uses-alpha", "1.0.0", dependencies={"alpha": "1.0.0"})
    # a bundled copy is never a policy target (it can claim any name), nor listed as pending
    bundled_mark = (
        "node -e \"require('fs').appendFileSync(process.env.INIT_CWD + '/markers.txt', 'inner bundled\\n')\""
    )
    r.publish("inner", "1.0.0", scripts=scripted("postinstall"), files=_MARK)
    r.publish(
        "bund",
        "1.0.0",
        dependencies={"inner": "^1.0.0"},
        bundleDependencies=["inner"],
        bundled={"inner": {"name": "inner", "version": "1.0.0", "scripts": {"postinstall": bundled_mark}}},
    )
    r.publish("123", "1.0.0", scripts=scripted("postinstall"), files=_MARK)
    r.publish("old", "1.0.0", deprecated="old is old")
    # a tarball URL outside the registry's layout: no trusted identity, so no policy key
    r.fake.add_tarball(
        "/files/remote-1.0.0.tgz",
        make_tarball({"name": "remote", "version": "1.0.0", "scripts": scripted("postinstall")}, _MARK),
    )


@pytest.fixture(scope="module")
def registry() -> Iterator[ScenarioRegistry]:
    fake = FakeRegistry()
    fake.start_in_thread()
    scenario = ScenarioRegistry(fake)
    publish_universe(scenario)
    try:
        yield scenario
    finally:
        fake.stop_thread()


# ── worlds ─────────────────────────────────────────────────────────────────────────────────────────


@dataclass
class World:
    root: Path
    tool: str  # "npm" or "snpm"
    registry: str

    @property
    def project(self) -> Path:
        return self.root / "project"

    def setup(self, files: dict[str, str]) -> World:
        home = self.root / "home"
        (home / ".npm").mkdir(parents=True, exist_ok=True)
        (home / ".npm" / "_update-notifier-last-checked").write_text("")
        (self.root / "prefix" / "etc").mkdir(parents=True, exist_ok=True)
        (home / ".npmrc").write_text(
            f"registry={self.registry}\naudit=false\nfund=false\nupdate-notifier=false\n"
        )
        self.project.mkdir(parents=True, exist_ok=True)
        self.write(files)
        return self

    def write(self, files: dict[str, str]) -> None:
        for rel, content in files.items():
            path = self.project / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.replace(REGISTRY_URL, self.registry.rstrip("/")).encode())

    def env(self) -> dict[str, str]:
        home = self.root / "home"
        path_dirs = [os.path.dirname(NODE)] if NODE else []
        return {
            "PATH": os.pathsep.join(dict.fromkeys([*path_dirs, "/usr/local/bin", "/usr/bin", "/bin"])),
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "npm_config_userconfig": str(home / ".npmrc"),
            "npm_config_globalconfig": str(self.root / "prefix" / "etc" / "npmrc"),
            "npm_config_cache": str(home / ".npm"),
            "npm_config_prefix": str(self.root / "prefix"),
        }

    def run(
        self, args: Sequence[str], cwd: str = "", env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        command = [NPM or "npm", *args] if self.tool == "npm" else [sys.executable, "-m", "snpm", *args]
        return subprocess.run(
            command,
            cwd=self.project / cwd,
            env={**self.env(), **(env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )


def project_state(project: Path) -> dict[str, str]:
    """Every path under the project but the marker file: `dir`, `-> target` for links, else a
    content hash and mode."""
    state: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(project):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            rel = str(path.relative_to(project))
            if rel == MARKERS:
                continue
            if path.is_symlink():
                state[rel] = f"-> {os.readlink(path)}"
            elif path.is_dir():
                state[rel] = "dir"
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
                state[rel] = f"{digest} {oct(path.stat().st_mode & 0o777)}"
        dirnames[:] = [d for d in dirnames if not (Path(dirpath) / d).is_symlink()]
    return state


def markers(project: Path) -> list[str]:
    path = project / MARKERS
    return sorted(path.read_text().splitlines()) if path.exists() else []


_DURATION = re.compile(r" in \d+(?:ms|s|m|h|d)$", re.MULTILINE)
_LOG_LINE = re.compile(r"^s?npm (warn|error)(.*)$", re.MULTILINE)


def normalized_stdout(text: str, world: Path) -> str:
    return _DURATION.sub(" in <duration>", text).replace(str(world), "<world>")


def log_lines(stderr: str, world: Path) -> list[str]:
    """The warn and error lines, as `npm <level><text>`, without the pointer to the log file."""
    lines = []
    for level, text in _LOG_LINE.findall(stderr):
        if text.startswith(" A complete log of this run can be found in"):
            continue
        lines.append(f"npm {level}{text}".replace(str(world), "<world>"))
    return lines


_SUGGESTED = re.compile(r"(allow-scripts=)([^ `]+)")


def _sorted_names(line: str) -> str:
    return _SUGGESTED.sub(lambda m: m.group(1) + ",".join(sorted(m.group(2).split(","))), line)


def compare_run(
    label: str,
    npm_world: World,
    snpm_world: World,
    npm_done: subprocess.CompletedProcess[str],
    snpm_done: subprocess.CompletedProcess[str],
) -> list[str]:
    problems: list[str] = []
    if npm_done.returncode != snpm_done.returncode:
        problems.append(
            f"{label}: exit {npm_done.returncode} (npm) != {snpm_done.returncode} (snpm)\n"
            f"npm stderr:\n{npm_done.stderr[-3000:]}\nsnpm stderr:\n{snpm_done.stderr[-3000:]}"
        )
    npm_out = normalized_stdout(npm_done.stdout, npm_world.root)
    snpm_out = normalized_stdout(snpm_done.stdout, snpm_world.root)
    if npm_out != snpm_out:
        problems.append(f"{label}: stdout differs\n--- npm\n{npm_out}\n--- snpm\n{snpm_out}")
    npm_log = log_lines(npm_done.stderr, npm_world.root)
    snpm_log = log_lines(snpm_done.stderr, snpm_world.root)
    if "-g" in label.split():
        # npm loads a global tree (never from a hidden lockfile) in I/O order: the order of the
        # names it suggests varies from run to run; snpm's is sorted
        npm_log, snpm_log = (
            [_sorted_names(line) for line in npm_log],
            [_sorted_names(line) for line in snpm_log],
        )
    if npm_log != snpm_log:
        problems.append(
            f"{label}: stderr differs\n--- npm\n" + "\n".join(npm_log) + "\n--- snpm\n" + "\n".join(snpm_log)
        )
    expected, actual = project_state(npm_world.project), project_state(snpm_world.project)
    # global installs: the global packages too
    expected.update({f"<global>/{k}": v for k, v in project_state(npm_world.root / "prefix" / "lib").items()})
    actual.update({f"<global>/{k}": v for k, v in project_state(snpm_world.root / "prefix" / "lib").items()})
    for rel in sorted(set(expected) | set(actual)):
        if expected.get(rel) != actual.get(rel):
            detail = ""
            if (
                rel.endswith(".json")
                and (npm_world.project / rel).is_file()
                and (snpm_world.project / rel).is_file()
            ):
                detail = (
                    f"\n--- npm\n{(npm_world.project / rel).read_text()}\n"
                    f"--- snpm\n{(snpm_world.project / rel).read_text()}"
                )
            problems.append(f"{label}: {rel}: npm {expected.get(rel)} snpm {actual.get(rel)}{detail}")
    if markers(npm_world.project) != markers(snpm_world.project):
        problems.append(
            f"{label}: install scripts differ\n--- npm {markers(npm_world.project)}\n"
            f"--- snpm {markers(snpm_world.project)}"
        )
    return problems


# ── cases ──────────────────────────────────────────────────────────────────────────────────────────


@dataclass
class Step:
    args: list[str]
    cwd: str = ""
    # files written into both projects before the command runs
    files: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Case:
    id: str
    files: dict[str, str]
    steps: list[Step]


def pkg_json(indent: int | str | None = 2, **fields: Any) -> str:
    data = {"name": "proj", "version": "1.0.0", **fields}
    if indent is None:
        return json.dumps(data, separators=(",", ":"))
    return json.dumps(data, indent=indent) + "\n"


def steps(*commands: str | Step) -> list[Step]:
    return [c if isinstance(c, Step) else Step(c.split()) for c in commands]


_WORKSPACES = {
    "package.json": pkg_json(workspaces=["packages/*"], dependencies={"l": "file:lib/l", "alpha": "1.0.0"}),
    "lib/l/package.json": json.dumps(
        {
            "name": "l",
            "version": "0.1.0",
            "scripts": {"postinstall": "node ../../mark.cjs", "prepare": "echo l"},
        }
    ),
    "mark.cjs": _MARK_JS,
    "packages/w1/package.json": json.dumps(
        {
            "name": "w1",
            "version": "1.0.0",
            "scripts": {"postinstall": "node ../../mark.cjs"},
            "allowScripts": {"gamma": True},
            "dependencies": {"gamma": "1.0.0"},
        }
    ),
    "packages/w2/package.json": json.dumps(
        {"name": "w2", "version": "2.0.0", "dependencies": {"plain": "2.0.0"}}
    ),
}

CASES = [
    Case(
        "pending-approve-deny-then-install",
        {
            "package.json": pkg_json(
                dependencies={
                    "alpha": "1.0.0",
                    "beta": "1.0.0",
                    "plain": "1.0.0",
                    "@sc/delta": "1.0.0",
                    "bund": "1.0.0",
                }
            )
        },
        steps(
            "install",
            "install-scripts ls",
            "install-scripts list --json",
            "approve-scripts --allow-scripts-pending",
            "approve-scripts --allow-scripts-pending --json",
            "approve-scripts alpha",
            "approve-scripts alpha --json",
            "approve-scripts nosuch other@1 alpha",
            "approve-scripts inner",
            "deny-scripts beta",
            "approve-scripts beta",
            "approve-scripts -a",
            "approve-scripts --all",
            "approve-scripts --all --json",
            "deny-scripts --all",
            "install-scripts ls",
            # a later install honours the policy: beta's preinstall is denied, the rest run
            "ci",
            "install",
            "rebuild",
        ),
    ),
    Case(
        "several-one-call-and-scoped",
        {"package.json": pkg_json(dependencies={"alpha": "1.0.0", "@sc/delta": "1.0.0", "123": "1.0.0"})},
        steps(
            "install --ignore-scripts",
            "install-scripts ls",
            "install-scripts approve @sc/delta 123 alpha@1.0.0",
            "install-scripts ls --json",
            "install",
        ),
    ),
    Case(
        "pins-and-versions",
        {
            "package.json": pkg_json(
                dependencies={"gamma": "2.0.0", "beta": "1.0.0", "uses-alpha": "1.0.0"},
                allowScripts={
                    "gamma": True,
                    "gamma@0.9.0": True,
                    "beta@1.0.0": False,
                    "alpha@^1.0.0": True,
                    "alpha@latest": True,
                },
            )
        },
        steps(
            "install --ignore-scripts",
            "approve-scripts gamma@1",
            "approve-scripts gamma --no-allow-scripts-pin",
            "approve-scripts gamma",
            "approve-scripts gamma --json",
            "approve-scripts beta",
            "approve-scripts alpha@^1",
            "approve-scripts alpha@2",
            "deny-scripts gamma@2",
            "install-scripts deny alpha --json",
            "install-scripts ls",
            "rebuild",
        ),
    ),
    Case(
        "unpinned-approve-all",
        {
            "package.json": pkg_json(
                dependencies={"alpha": "2.0.0", "beta": "1.0.0"}, allowScripts={"alpha@2.0.0": True}
            )
        },
        steps(
            "install --ignore-scripts",
            "install-scripts approve --all --no-allow-scripts-pin",
            "install-scripts approve --all",
            "install",
        ),
    ),
    Case(
        "prune-stale-entries",
        {
            "package.json": pkg_json(
                indent=4,
                dependencies={"alpha": "1.0.0", "plain": "1.0.0"},
                allowScripts={
                    "alpha@1.0.0": True,
                    "plain": True,
                    "ghost": False,
                    "Not A Valid Key!": True,
                    "alpha@2.0.0": True,
                    "file:nowhere": False,
                },
            )
        },
        steps(
            "install",
            "install-scripts prune --dry-run",
            "install-scripts prune --dry-run --json",
            "install plain@2.0.0",
            "install-scripts prune",
            "uninstall alpha",
            "install-scripts prune --json",
            "install-scripts prune",
            "uninstall plain",
            "install-scripts prune",
            "install-scripts prune",
        ),
    ),
    Case(
        "usage-and-errors",
        {"package.json": pkg_json(dependencies={"alpha": "1.0.0"}), "sub/dir/.keep": ""},
        steps(
            "install-scripts ls",
            "install",
            "install-scripts",
            "install-scripts foo",
            "install-scripts ls x",
            "install-scripts ls --all",
            "install-scripts prune x",
            "install-scripts prune --all",
            "install-scripts approve",
            "install-scripts approve --allow-scripts-pending",
            "deny-scripts",
            "deny-scripts --allow-scripts-pending",
            "approve-scripts --allow-scripts-pending --all",
            "approve-scripts --allow-scripts-pending alpha",
            "approve-scripts -g alpha",
            "install-scripts ls --global",
            "deny-scripts --location=global alpha",
            "approve-scripts --allow-scripts=alpha alpha",
            "approve-scripts alpha@2",
            "approve-scripts --all --dangerously-allow-all-scripts",
            "approve-scripts --all --ignore-scripts --json",
            "approve-scripts --json",
            "approve-scripts nosuch --json",
            Step(["approve-scripts", "alpha"], env={"npm_config_allow_scripts": "alpha"}),
            Step(["approve-scripts", "alpha"], cwd="sub/dir"),
            Step(["install-scripts", "ls"], cwd="sub"),
        ),
    ),
    Case(
        "broken-package-json",
        {"package.json": '{"name":"proj",\n'},
        steps(
            "install-scripts ls",
            "approve-scripts --all",
            "install-scripts prune",
            Step(["install-scripts", "prune"], files={"package.json": ""}),
            Step(["install-scripts", "ls", "--json"], cwd="sub", files={"sub/.keep": ""}),
        ),
    ),
    Case(
        "no-package-json",
        {},
        steps(
            "install-scripts ls", "approve-scripts --all", "approve-scripts alpha", "install-scripts prune"
        ),
    ),
    Case(
        "ignore-scripts-then-rebuild",
        {"package.json": pkg_json(dependencies={"alpha": "2.0.0", "beta": "1.0.0", "plain": "2.0.0"})},
        steps(
            "install --ignore-scripts",
            "install-scripts ls --ignore-scripts",
            "approve-scripts alpha plain",
            "rebuild",
            "deny-scripts --all --ignore-scripts",
            "rebuild --foreground-scripts",
            "install-scripts prune",
        ),
    ),
    Case(
        "aliases-use-the-real-name",
        {
            "package.json": pkg_json(
                dependencies={"trusted": "npm:alpha@1.0.0", "uses-alpha": "1.0.0", "alpha": "2.0.0"}
            )
        },
        steps(
            "install --ignore-scripts",
            "install-scripts ls",
            "approve-scripts trusted",
            "approve-scripts alpha@1.0.0",
            "install-scripts ls --json",
            "approve-scripts alpha",
            "install-scripts prune --dry-run",
            "rebuild",
        ),
    ),
    Case(
        "remote-tarball-has-no-key",
        {
            "package.json": pkg_json(
                dependencies={"remote": f"{REGISTRY_URL}/files/remote-1.0.0.tgz", "alpha": "1.0.0"}
            )
        },
        steps(
            "install",
            "install-scripts ls",
            "approve-scripts remote",
            "approve-scripts --all",
            "deny-scripts --all",
            "install-scripts prune",
            "rebuild",
            # a hand-written URL key does match it (by its resolved URL)
            Step(
                ["install-scripts", "ls"],
                files={
                    "package.json": pkg_json(
                        dependencies={"remote": f"{REGISTRY_URL}/files/remote-1.0.0.tgz", "alpha": "1.0.0"},
                        allowScripts={f"{REGISTRY_URL}/files/remote-1.0.0.tgz": False, "alpha@1.0.0": True},
                    )
                },
            ),
            "install-scripts prune",
            "rebuild",
        ),
    ),
    Case(
        "lockfile-without-resolved",
        {
            "package.json": pkg_json(
                dependencies={"alpha": "1.0.0", "gamma": "2.0.0"}, allowScripts={"alpha@1.0.0": True}
            )
        },
        steps(
            "install --omit-lockfile-registry-resolved --ignore-scripts",
            "install-scripts ls",
            "approve-scripts alpha",
            "approve-scripts gamma --json",
            "approve-scripts gamma",
            "deny-scripts gamma",
            "install-scripts prune --dry-run",
            "ci --omit-lockfile-registry-resolved",
        ),
    ),
    Case(
        "package-json-formats",
        {"package.json": pkg_json(indent=None, dependencies={"alpha": "1.0.0", "beta": "1.0.0"})},
        steps(
            "install --ignore-scripts",
            "approve-scripts alpha",
            Step(
                ["deny-scripts", "beta"],
                files={
                    "package.json": pkg_json(
                        indent="\t", dependencies={"alpha": "1.0.0", "beta": "1.0.0"}
                    ).replace("\n", "\r\n")
                },
            ),
            Step(
                ["approve-scripts", "--all"],
                files={
                    "package.json": pkg_json(
                        indent=3, dependencies={"alpha": "1.0.0", "beta": "1.0.0"}, allowScripts=[True]
                    )
                },
            ),
            Step(["install-scripts", "prune"]),
        ),
    ),
    Case(
        "npmrc-policy",
        {
            "package.json": pkg_json(dependencies={"alpha": "1.0.0", "beta": "1.0.0"}),
            ".npmrc": "allow-scripts=alpha,beta@^1,gamma@1.0.0\n",
        },
        steps(
            "install",
            "install-scripts ls",
            "approve-scripts --allow-scripts-pending --json",
            "deny-scripts beta",
            "install-scripts ls",
            "ci",
        ),
    ),
    Case(
        "workspaces-and-links",
        _WORKSPACES,
        steps(
            "install",
            "install-scripts ls",
            "install-scripts ls --json",
            Step(["install-scripts", "ls"], cwd="packages/w1"),
            "approve-scripts --all -w w1",
            "install-scripts ls --workspaces",
            "approve-scripts l",
            "approve-scripts w1",
            "approve-scripts gamma plain",
            "install-scripts ls",
            "install-scripts prune --dry-run",
            "ci",
        ),
    ),
]

# The policy as the install family applies it: these need calls into snpm.ops.allow_scripts_*
# from the install engine (see the module docstrings there), detected by name below.
INSTALL_CASES = [
    Case(
        "strict-preflight",
        {
            "package.json": pkg_json(
                dependencies={"alpha": "1.0.0", "beta": "1.0.0"}, allowScripts={"alpha@1.0.0": True}
            )
        },
        steps(
            "install --strict-allow-scripts",
            "install --strict-allow-scripts --package-lock-only",
            "install --strict-allow-scripts --ignore-scripts",
            "rebuild --strict-allow-scripts",
            "rebuild alpha --strict-allow-scripts",
            "ci --strict-allow-scripts",
            "ci --strict-allow-scripts --dangerously-allow-all-scripts",
            "deny-scripts beta gamma",
            "install --strict-allow-scripts",
            "update --strict-allow-scripts",
            "install plain@2.0.0 --strict-allow-scripts --dry-run",
            "install plain@2.0.0 --strict-allow-scripts",
            "install-ci-test --strict-allow-scripts",
            "rebuild --strict-allow-scripts",
            "uninstall beta --strict-allow-scripts",
            # link's global half installs what is missing from the global space first
            Step(["link", "@sc/delta", "--strict-allow-scripts"], files={"../prefix/lib/.keep": ""}),
            "link @sc/delta --strict-allow-scripts --dangerously-allow-all-scripts",
        ),
    ),
    Case(
        "policy-resolved-first",
        {
            "package.json": pkg_json(
                dependencies={"alpha": "1.0.0", "old": "1.0.0"},
                allowScripts={"alpha@^1.0.0": True, "alpha@1.0.0": True},
            )
        },
        steps(
            "install",
            "ci",
            "update",
            "uninstall old",
            "install old@1.0.0 --save-dev",
            "dedupe",
            "prune",
            "rebuild",
        ),
    ),
    Case(
        "global-installs",
        {"package.json": pkg_json(dependencies={}, allowScripts={"beta": True})},
        steps(
            "install -g alpha@1.0.0 beta --allow-scripts=alpha",
            "rebuild -g",
            "install -g @sc/delta --strict-allow-scripts",
            "install -g @sc/delta --strict-allow-scripts --allow-scripts=@sc/delta",
            "install -g gamma@2.0.0",
            "approve-scripts -g gamma",
            "install --allow-scripts=alpha alpha@1.0.0",
        ),
    ),
]


def play(case: Case, registry: ScenarioRegistry, tmp_path: Path) -> list[str]:
    npm_world = World(tmp_path / "npm", "npm", registry.url).setup(case.files)
    snpm_world = World(tmp_path / "snpm", "snpm", registry.url).setup(case.files)
    problems: list[str] = []
    for index, step in enumerate(case.steps):
        npm_world.write(step.files)
        snpm_world.write(step.files)
        label = f"[{index}] {' '.join(step.args)}" + (f" (in {step.cwd})" if step.cwd else "")
        npm_done = npm_world.run(step.args, step.cwd, step.env)
        snpm_done = snpm_world.run(step.args, step.cwd, step.env)
        problems += compare_run(label, npm_world, snpm_world, npm_done, snpm_done)
    return problems


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in [*CASES, *INSTALL_CASES]])
def test_allow_scripts_matches_npm(case: Case, registry: ScenarioRegistry, tmp_path: Path) -> None:
    problems = play(case, registry, tmp_path)
    print(
        f"allow-scripts differential {case.id}: {len(case.steps) - _failed_steps(problems)}/"
        f"{len(case.steps)} commands identical"
    )
    assert not problems, "\n\n".join(problems)


def _failed_steps(problems: list[str]) -> int:
    return len({problem.split("]", 1)[0] for problem in problems})
