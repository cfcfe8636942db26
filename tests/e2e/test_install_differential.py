"""`snpm install` and its family against the real npm: same node_modules, same lockfiles, same output.

Each case gives the same project to npm and to snpm in two isolated worlds (own HOME, userconfig,
globalconfig, prefix and cache) on one local registry with real tarballs, runs the same commands
in both, and after every command compares:

- the exit code and stdout (the duration in the summary line normalised);
- the `warn` lines on stderr (deprecations, ...), with the heading normalised;
- every file and folder of the project: package.json, package-lock.json and
  node_modules/.package-lock.json byte for byte, every package folder and file (content and
  mode), every `.bin` link and its target.

Commands run with `--ignore-scripts` where scripts exist (npm and snpm run them the same way, but
the differential here is about trees). `ci` is also crossed: snpm ci on npm's lockfile, npm ci on
snpm's. No expectation is written by hand: npm is the oracle.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from support.fake_registry import FakeRegistry
from support.scenario_registry import ScenarioRegistry

NPM = shutil.which("npm")
NODE = shutil.which("node")

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(NPM is None, reason="npm is not installed")]

_CLI = {"cli.js": "#!/usr/bin/env node\nconsole.log('cli')\n"}


def publish_universe(r: ScenarioRegistry) -> None:
    """Packages for every case: hoisting and nesting, bins (object, string, scoped), deprecation,
    funding, optional deps for another OS, bundled deps, peers, dev deps, version updates."""
    r.publish("a", "1.0.0", dependencies={"b": "^1.0.0"}, bin={"a-cli": "cli.js"}, files=_CLI)
    r.publish("a", "1.1.0", dependencies={"b": "^1.0.0", "c": "^1.0.0"}, bin={"a-cli": "cli.js"}, files=_CLI)
    r.publish("b", "1.0.0", funding="https://example.test/fund", license="MIT")
    r.publish("b", "1.1.0", funding={"url": "https://example.test/fund"}, license="MIT")
    r.publish("b", "2.0.0", license="ISC")
    r.publish("c", "1.0.0", dependencies={"b": "^2.0.0"})
    r.publish("d", "1.0.0", deprecated="d is old, use e")
    r.publish(
        "@s/e",
        "1.0.0",
        dependencies={"b": "1.0.0"},
        bin="bin/e.js",
        files={"bin/e.js": "#!/usr/bin/env node\n"},
    )
    r.publish(
        "@s/e",
        "1.2.0",
        dependencies={"b": "^1.0.0"},
        bin="bin/e.js",
        files={"bin/e.js": "#!/usr/bin/env node\n"},
    )
    r.publish("f", "1.0.0", dependencies={"g": "1.0.0"})
    r.publish("f", "2.0.0", dependencies={"g": "1.0.0", "h": "1.0.0"})
    r.publish("g", "1.0.0", dependencies={"h": "^1.0.0"})
    r.publish("h", "1.0.0")
    r.publish("h", "1.5.0")
    r.publish("opt-fail", "1.0.0", os=["win32"])
    r.publish("withopt", "1.0.0", optionalDependencies={"opt-fail": "^1.0.0"})
    r.publish(
        "bund",
        "1.0.0",
        dependencies={"h": "^1.0.0"},
        bundleDependencies=["h"],
        bundled={"h": {"name": "h", "version": "1.0.0"}},
    )
    r.publish("peerhost", "1.0.0", peerDependencies={"b": "^1.0.0"})
    r.publish("x", "1.0.0", dependencies={"h": "1.0.0"})
    r.publish("y", "1.0.0", dependencies={"h": "^1.0.0"})
    r.publish(
        "tool",
        "1.0.0",
        bin={"tool": "cli.js", "tool-extra": "cli.js"},
        files=_CLI,
        dependencies={"h": "1.0.0"},
    )
    r.publish("tool", "2.0.0", bin={"tool": "cli.js"}, files=_CLI, dependencies={"h": "1.5.0"})
    # a package with its own npm-shrinkwrap.json (its dependency pinned below the range's newest)
    shrinkwrap = {
        "name": "sw",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {
            "": {"name": "sw", "version": "1.0.0", "dependencies": {"h": "^1.0.0"}},
            "node_modules/h": {"version": "1.0.0", "resolved": r.tarball_url("h", "1.0.0")},
        },
    }
    r.publish(
        "sw",
        "1.0.0",
        dependencies={"h": "^1.0.0"},
        _hasShrinkwrap=True,
        files={"npm-shrinkwrap.json": json.dumps(shrinkwrap)},
    )
    # an optional dependency no version of which matches (a binding for a platform not released)
    r.publish("ghostopt", "2.0.0", tag=None)
    r.publish("withghost", "1.0.0", optionalDependencies={"ghostopt": "^1.0.0"}, dependencies={"h": "^1.0.0"})
    r.publish(
        "scripted",
        "1.0.0",
        scripts={"postinstall": "node -e \"require('fs').writeFileSync('built.txt', 'ok')\""},
        dependencies={"h": "^1.0.0"},
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
    seconds: float = 0.0

    @property
    def project(self) -> Path:
        return self.root / "project"

    def setup(self, package: dict[str, Any] | None, files: dict[str, str]) -> World:
        home = self.root / "home"
        (home / ".npm").mkdir(parents=True, exist_ok=True)
        (home / ".npm" / "_update-notifier-last-checked").write_text("")
        (self.root / "prefix" / "etc").mkdir(parents=True, exist_ok=True)
        (home / ".npmrc").write_text(f"registry={self.registry}\naudit=false\nupdate-notifier=false\n")
        self.project.mkdir(parents=True, exist_ok=True)
        if package is not None:
            (self.project / "package.json").write_text(json.dumps(package, indent=2) + "\n")
        for rel, content in files.items():
            path = self.project / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
        return self

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

    def command(self, args: Sequence[str]) -> list[str]:
        if self.tool == "npm":
            assert NPM is not None
            return [NPM, *args]
        return [sys.executable, "-m", "snpm", *args]

    def run(self, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        done = subprocess.run(
            self.command(args),
            cwd=self.project,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        self.seconds += time.monotonic() - started
        return done


def project_state(project: Path) -> dict[str, str]:
    """Every path under the project: `dir`, `-> target` for links, else a content hash and mode."""
    state: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(project):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            rel = str(path.relative_to(project))
            if path.is_symlink():
                state[rel] = f"-> {os.readlink(path)}"
            elif path.is_dir():
                state[rel] = "dir"
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
                state[rel] = f"{digest} {oct(path.stat().st_mode & 0o777)}"
        dirnames[:] = [d for d in dirnames if not (Path(dirpath) / d).is_symlink()]
    return state


_DURATION = re.compile(r" in \d+(?:ms|s|m|h|d)$", re.MULTILINE)
_WARN = re.compile(r"^s?npm warn (.*)$", re.MULTILINE)


def normalized_stdout(text: str, world: Path | None = None) -> str:
    text = _DURATION.sub(" in <duration>", text)
    return text.replace(str(world), "<world>") if world is not None else text


def warn_lines(stderr: str) -> list[str]:
    return _WARN.findall(stderr)


def compare_run(
    step: Sequence[str],
    npm_world: World,
    snpm_world: World,
    npm_done: subprocess.CompletedProcess[str],
    snpm_done: subprocess.CompletedProcess[str],
) -> list[str]:
    label = " ".join(step)
    problems: list[str] = []
    if npm_done.returncode != snpm_done.returncode:
        problems.append(
            f"{label}: exit {npm_done.returncode} (npm) != {snpm_done.returncode} (snpm)\n"
            f"npm stderr:\n{npm_done.stderr[-2000:]}\nsnpm stderr:\n{snpm_done.stderr[-2000:]}"
        )
    npm_out = normalized_stdout(npm_done.stdout, npm_world.root)
    snpm_out = normalized_stdout(snpm_done.stdout, snpm_world.root)
    if npm_out != snpm_out:
        problems.append(f"{label}: stdout differs\n--- npm\n{npm_out}\n--- snpm\n{snpm_out}")
    npm_warn = [w.replace(str(npm_world.root), "<world>") for w in warn_lines(npm_done.stderr)]
    snpm_warn = [w.replace(str(snpm_world.root), "<world>") for w in warn_lines(snpm_done.stderr)]
    if npm_warn != snpm_warn:
        problems.append(f"{label}: warnings differ\n--- npm\n{npm_done.stderr}\n--- snpm\n{snpm_done.stderr}")
    expected, actual = project_state(npm_world.project), project_state(snpm_world.project)
    for rel in sorted(set(expected) | set(actual)):
        if expected.get(rel) != actual.get(rel):
            problems.append(f"{label}: {rel}: npm {expected.get(rel)} snpm {actual.get(rel)}")
    return problems


# ── cases ──────────────────────────────────────────────────────────────────────────────────────────


@dataclass
class Case:
    id: str
    package: dict[str, Any]
    steps: list[list[str]]
    files: dict[str, str] = field(default_factory=dict)


def pkg(**fields: Any) -> dict[str, Any]:
    return {"name": "proj", "version": "1.0.0", **fields}


_WORKSPACE_FILES = {
    "packages/w1/package.json": json.dumps(
        {"name": "w1", "version": "1.0.0", "dependencies": {"h": "^1.0.0"}, "bin": {"w1": "w1.js"}}
    ),
    "packages/w1/w1.js": "#!/usr/bin/env node\n",
    "packages/w2/package.json": json.dumps(
        {"name": "w2", "version": "2.0.0", "dependencies": {"w1": "^1.0.0", "b": "2.0.0"}}
    ),
    "lib/l/package.json": json.dumps({"name": "l", "version": "0.1.0", "dependencies": {"d": "1.0.0"}}),
}

CASES = [
    Case(
        # no node_modules at all for a project without dependencies, until one is added; then the
        # uninstall of the last one leaves the folder (and its hidden lockfile) as npm does
        "no-dependencies",
        pkg(),
        [["install"], ["install"], ["install", "a@1.0.0"], ["uninstall", "a"], ["install"]],
    ),
    Case(
        "fresh-then-noop",
        pkg(dependencies={"a": "^1.0.0", "d": "1.0.0"}),
        [["install"], ["install"], ["install", "--json"]],
    ),
    Case(
        "hoist-nest-bins-scoped",
        pkg(
            dependencies={
                "a": "^1.0.0",
                "@s/e": "1.0.0",
                "f": "1.0.0",
                "x": "1.0.0",
                "y": "1.0.0",
                "tool": "1.0.0",
            },
            devDependencies={"peerhost": "1.0.0"},
        ),
        [["install"], ["install", "--dry-run"], ["install"]],
    ),
    Case(
        "add-change-remove",
        pkg(dependencies={"a": "1.0.0", "tool": "1.0.0"}),
        [
            ["install"],
            ["install", "a@1.1.0"],
            ["install", "tool@2"],
            ["install", "d", "--save-dev"],
            ["install", "h@1.0.0", "-E"],
            ["uninstall", "a"],
            ["uninstall", "tool", "--dry-run"],
            # reify-output.js prints the diff lines before the --json summary
            ["uninstall", "tool", "--dry-run", "--json"],
            ["install", "a@1.0.0", "--dry-run", "--json"],
            ["uninstall", "tool", "d"],
        ],
    ),
    Case(
        "update",
        pkg(dependencies={"@s/e": "^1.0.0", "g": "1.0.0"}),
        [
            ["install", "@s/e@1.0.0", "h@1.0.0", "--save-exact=false"],
            ["update", "h"],
            ["update"],
            ["update", "--save"],
        ],
    ),
    Case(
        "dedupe",
        pkg(dependencies={"x": "1.0.0", "y": "1.0.0"}),
        [["install", "h@1.5.0"], ["dedupe"], ["dedupe"]],
    ),
    Case(
        "prune-and-omit",
        pkg(dependencies={"a": "^1.0.0"}, devDependencies={"d": "1.0.0", "tool": "1.0.0"}),
        [
            ["install"],
            ["install", "--no-save", "h@1.0.0"],
            ["prune"],
            ["prune", "--omit=dev"],
            ["install", "--omit=dev"],
            ["install"],
        ],
    ),
    Case(
        "optional-bundled",
        pkg(dependencies={"withopt": "1.0.0", "bund": "1.0.0", "y": "1.0.0"}),
        [["install"], ["install"], ["uninstall", "bund"], ["install", "bund@1.0.0"]],
    ),
    Case(
        "ci",
        pkg(
            dependencies={"a": "^1.0.0", "bund": "1.0.0", "withopt": "1.0.0"}, devDependencies={"d": "1.0.0"}
        ),
        [["install", "--package-lock-only"], ["ci"], ["ci"], ["ci", "--omit=dev"], ["ci", "--dry-run"]],
    ),
    Case(
        "workspaces-and-links",
        pkg(workspaces=["packages/*"], dependencies={"a": "^1.0.0", "l": "file:lib/l"}),
        [
            ["install"],
            ["install"],
            ["install", "b@1.0.0", "-w", "w1"],
            ["update"],
            ["uninstall", "l"],
            ["ci"],
        ],
        files=_WORKSPACE_FILES,
    ),
    Case(
        "json-silent-long",
        pkg(dependencies={"a": "1.0.0"}),
        [
            ["install", "--json"],
            ["install", "a@1.1.0", "d", "--json"],
            ["uninstall", "d", "--silent"],
            ["install", "--long", "tool@1.0.0"],
            ["install", "--fund=false", "h@1.0.0"],
        ],
    ),
    Case(
        "scripts",
        pkg(
            dependencies={"scripted": "1.0.0"},
            scripts={
                "preinstall": "echo root-preinstall",
                "postinstall": "echo root-postinstall",
                "prepare": "echo root-prepare",
                "test": "echo testing",
            },
        ),
        [
            ["install", "--dry-run"],
            ["install", "--foreground-scripts"],
            ["install", "--foreground-scripts"],
            ["ci", "--ignore-scripts"],
            ["rebuild"],
            ["rebuild", "scripted", "--foreground-scripts"],
            ["install-test"],
            ["install-ci-test"],
            # the unreviewed install scripts: a list in the --json summary instead of a warning
            ["install", "--json"],
        ],
    ),
    Case(
        "peer-override",
        pkg(dependencies={"peerhost": "1.0.0", "b": "2.0.0"}),
        [["install"], ["install", "--force"], ["install", "--force"], ["install", "--legacy-peer-deps"]],
    ),
    Case(
        "lockfile-options",
        pkg(dependencies={"a": "^1.0.0"}),
        [
            ["install", "--package-lock=false"],
            ["install", "--package-lock-only", "f@1.0.0"],
            ["install", "--no-save", "d@1.0.0"],
            ["install", "--lockfile-version=2"],
            ["shrinkwrap"],
            ["install", "h@1.0.0"],
        ],
    ),
    Case(
        # a lockfile from a newer npm: its version is kept, and so is the name it gives the root
        # (arborist names the root only when it writes v1-v3)
        "newer-lockfile-version",
        pkg(dependencies={"a": "^1.0.0"}),
        [["install"], ["install", "d@1.0.0"], ["install", "--lockfile-version=3"]],
        files={"package-lock.json": '{"name": "other", "lockfileVersion": 4, "packages": {}}\n'},
    ),
    Case(
        # a package.json that is a JSON array is an object to npm, its indexes the keys: nothing
        # to install, then saved as an object (compact, as the array was written on one line)
        "array-package-json",
        pkg(),
        [["install"], ["install", "a@1.0.0"], ["ls"]],
        files={"package.json": '["x", {"y": 1}]\n'},
    ),
]

_COUNTS: dict[str, int] = {"cases": 0, "steps": 0}


# npm keeps an extraneous package it finds in node_modules when there is no lockfile ("up to
# date") until something changes
EXTRANEOUS = [
    Case(
        "extraneous-kept-without-lockfile",
        pkg(dependencies={"a": "^1.0.0"}),
        [["install", "--package-lock=false"], ["install", "--no-save", "h"], ["install"]],
    )
]


@pytest.mark.parametrize("case", [*CASES, *EXTRANEOUS], ids=lambda c: c.id)
def test_install_family_matches_npm(case: Case, registry: ScenarioRegistry, tmp_path: Path) -> None:
    npm_world = World(tmp_path / "npm", "npm", registry.url).setup(case.package, case.files)
    snpm_world = World(tmp_path / "snpm", "snpm", registry.url).setup(case.package, case.files)
    problems: list[str] = []
    for step in case.steps:
        npm_done = npm_world.run(step)
        snpm_done = snpm_world.run(step)
        problems += compare_run(step, npm_world, snpm_world, npm_done, snpm_done)
    print(
        f"install differential {case.id}: {len(case.steps)} commands compared "
        f"(npm {npm_world.seconds:.1f}s, snpm {snpm_world.seconds:.1f}s)"
    )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("first", ["npm", "snpm"])
def test_ci_on_each_others_lockfile(first: str, registry: ScenarioRegistry, tmp_path: Path) -> None:
    """One program writes the lockfile (and node_modules), the other runs `ci` on a copy of it."""
    package = pkg(dependencies={"a": "^1.0.0", "@s/e": "1.0.0", "bund": "1.0.0", "withopt": "1.0.0"})
    second = "snpm" if first == "npm" else "npm"
    writer = World(tmp_path / first, first, registry.url).setup(package, {})
    done = writer.run(["install"])
    assert done.returncode == 0, done.stderr
    reader = World(tmp_path / second, second, registry.url).setup(None, {})
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(writer.project / name, reader.project / name)
    done = reader.run(["ci"])
    assert done.returncode == 0, done.stderr
    assert normalized_stdout(done.stdout).startswith("\nadded "), done.stdout
    expected, actual = project_state(writer.project), project_state(reader.project)
    differences = [
        f"{rel}: {expected.get(rel)} != {actual.get(rel)}"
        for rel in sorted(set(expected) | set(actual))
        if expected.get(rel) != actual.get(rel)
    ]
    assert not differences, "\n".join(differences)


@pytest.mark.parametrize("strategy", ["hoisted", "linked"])
def test_ci_accepts_a_lockfile_without_an_unresolvable_optional(
    strategy: str, registry: ScenarioRegistry, tmp_path: Path
) -> None:
    """npm's ci refuses npm's own lockfile when an optional dependency could not be resolved
    ("Missing: ghostopt@ from lock file": the failed placeholder stays in its ideal tree). snpm's
    ci installs it, as npm's install did."""
    package = pkg(dependencies={"withghost": "1.0.0"})
    files = {".npmrc": "install-strategy=linked\n"} if strategy == "linked" else {}
    npm_world = World(tmp_path / "npm", "npm", registry.url).setup(package, files)
    done = npm_world.run(["install"])
    assert done.returncode == 0, done.stderr
    refused = npm_world.run(["ci"])
    assert refused.returncode != 0 and "Missing: ghostopt@ from lock file" in refused.stderr, refused.stderr
    assert npm_world.run(["install"]).returncode == 0
    snpm_world = World(tmp_path / "snpm", "snpm", registry.url).setup(None, files)
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(npm_world.project / name, snpm_world.project / name)
    done = snpm_world.run(["ci"])
    assert done.returncode == 0, done.stderr
    expected, actual = project_state(npm_world.project), project_state(snpm_world.project)
    differences = [rel for rel in sorted(set(expected) | set(actual)) if expected.get(rel) != actual.get(rel)]
    assert not differences, differences
