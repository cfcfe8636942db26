"""`npm version` against `snpm version`: increments, git commit and tag, scripts, lockfiles, workspaces.

Each case runs in one isolated world (tests/support/npm_world.py) holding a git repository: npm
first, then every file of the world (the repository included) is put back and snpm runs at the same
paths. Compared: exit code, stdout, stderr, every file outside `.git`, and the repository's history
as git shows it (commit subjects and bodies, tags with their type and message, the status).

Normalised, and only this: the heading word of log lines (`snpm <level>` is read as `npm <level>`),
the `A complete log of this run …` line, the duration in the `up to date in …` line, and the
`snpm` key snpm adds to the versions object of `version` with no argument (npm's keys and their
order are kept).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from support.npm_world import NPM, RunResult, World, make_world

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(NPM is None or shutil.which("git") is None, reason="npm and git"),
]

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Tess",
    "GIT_AUTHOR_EMAIL": "tess@example.test",
    "GIT_COMMITTER_NAME": "Tess",
    "GIT_COMMITTER_EMAIL": "tess@example.test",
    # the workspace update is an install: it must never reach a real registry
    "npm_config_registry": "http://127.0.0.1:9/",
    "npm_config_offline": "true",
}
SCRIPTS = {
    "preversion": "echo PRE $npm_old_version $npm_new_version",
    "version": "echo VER $npm_package_version",
    "postversion": "echo POST",
}


def _git(world: World, *args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd or world.project, env=world.env(), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _history(world: World, folder: Path) -> tuple[str, str, str]:
    if not (folder / ".git").exists():
        return "", "", ""
    log = _git(world, "log", "--format=%s%n%b--", cwd=folder)
    tags = _git(
        world, "for-each-ref", "refs/tags", "--format=%(refname:short) %(objecttype) %(contents)", cwd=folder
    )
    status = _git(world, "status", "--porcelain", cwd=folder)
    return log, tags, status


def _files(world: World) -> dict[str, Any]:
    return {k: v for k, v in world.snapshot().items() if "/.git/" not in k and not k.endswith("/.git")}


def normal(result: RunResult) -> tuple[int, str, str]:
    def fix(text: str) -> str:
        text = re.sub(
            r"^snpm (?=(error|warn|notice|http|info|verbose|silly|timing)\b)", "npm ", text, flags=re.M
        )
        text = re.sub(r"^up to date in \S+$", "up to date in <time>", text, flags=re.M)
        text = re.sub(r"^  snpm: '[^']*',\n", "", text, flags=re.M)
        text = re.sub(r'^  "snpm": "[^"]*",\n', "", text, flags=re.M)
        return "\n".join(line for line in text.split("\n") if "A complete log of this run" not in line)

    return result.code, fix(result.stdout), fix(result.stderr)


class Pair:
    def __init__(self, root: Path) -> None:
        self.world = make_world(root, **GIT_ENV)
        self.count = 0

    def report(self, label: str) -> str:
        return f"{label}: {self.count} command lines, npm and snpm identical"

    @property
    def project(self) -> Path:
        return self.world.project

    def write(self, relative: str, content: Any) -> None:
        text = content if isinstance(content, str) else json.dumps(content, indent=2) + "\n"
        self.world.write(f"project/{relative}", text)

    def git_init(self, folder: Path | None = None) -> None:
        target = folder or self.project
        _git(self.world, "init", "-q", ".", cwd=target)
        _git(self.world, "add", "-A", cwd=target)
        _git(self.world, "commit", "-qm", "init", cwd=target)

    def same(self, args: Sequence[str], *, cwd: Path | None = None) -> RunResult:
        """npm, then snpm on the same files; results, files and git history must match."""
        self.count += 1
        before = self.world.snapshot()
        npm = self.world.run_npm(args, cwd=cwd)
        npm_state = (_files(self.world), _history(self.world, self.project))
        self.world.restore(before)
        snpm = self.world.run_snpm(args, cwd=cwd)
        snpm_state = (_files(self.world), _history(self.world, self.project))
        assert normal(snpm) == normal(npm), args
        assert snpm_state[0] == npm_state[0], args
        assert snpm_state[1] == npm_state[1], args
        return snpm


def test_version_in_a_git_repository(tmp_path: Path) -> None:
    pair = Pair(tmp_path)
    pair.write(
        "package.json",
        '{\n    "name": "v",\n    "version": "1.0.0",\n    "_id": "stale",\n    "scripts": '
        + json.dumps(SCRIPTS)
        + "\n}\n",
    )
    lock = {
        "name": "v",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {"": {"name": "v", "version": "1.0.0"}},
    }
    pair.write("package-lock.json", lock)
    pair.write("npm-shrinkwrap.json", '{"name":"v","lockfileVersion":1}')
    pair.git_init()
    steps = [
        ["version", "prerelease", "--preid", "rc", "-m", "Release %s!"],
        ["version", "patch"],
        ["version", "1.0.1"],
        ["version", "1.0.1", "--allow-same-version"],
        ["version", "bogus"],
        ["version", "major", "--no-commit-hooks", "--tag-version-prefix=rel-"],
        ["version", "preminor", "--no-git-tag-version"],
        ["version", "premajor", "--preid=beta", "--ignore-scripts"],
        ["version", "--sign-git-tag", "minor"],
        ["version", "a", "b"],
        ["verison", "prepatch", "--json"],
    ]
    for args in steps:
        pair.same(args)
    # a dirty working tree refuses git, --force only warns
    pair.write("dirty.txt", "x\n")
    _git(pair.world, "add", "dirty.txt")
    pair.same(["version", "minor"])
    pair.same(["version", "minor", "--force"])
    print(pair.report("version differential: version_in_a_git_repository"))


def test_version_from_git(tmp_path: Path) -> None:
    pair = Pair(tmp_path)
    pair.write("package.json", {"name": "fg", "version": "1.0.0", "scripts": SCRIPTS})
    pair.git_init()
    _git(pair.world, "tag", "release-2.3.4-beta.1")
    pair.same(["version", "from-git"])
    pair.same(["version", "from-git", "--allow-same-version"])
    _git(pair.world, "tag", "-a", "-m", "not a version", "nothing.to.see")
    pair.same(["version", "from-git"])
    print(pair.report("version differential: version_from_git"))


def test_version_outside_git_and_failures(tmp_path: Path) -> None:
    pair = Pair(tmp_path)
    pair.same(["version", "patch"])  # no package.json
    pair.write("package.json", '{"name":"x","version":"bad"}')
    pair.same(["version", "patch"])
    pair.write("package.json", '{"name":"x"}')
    pair.same(["version", "patch"])  # one line in, one line out, no newline added
    pair.write("package.json", {"name": "x", "version": "1.0.0", "scripts": {"preversion": "exit 7"}})
    pair.same(["version", "patch"])
    pair.write("package.json", {"name": "x", "version": "1.0.0", "scripts": {"postversion": "exit 2"}})
    pair.same(["version", "patch"])
    # a JSON array: read as having no fields, bumped from 0.0.0, written back as the array it was
    pair.write("package.json", '[{"name":"a"}, 2]')
    pair.same(["version", "patch"])
    pair.write("package.json", "[\n  1,\n  2\n]\n")
    pair.same(["version", "minor"])
    pair.write("package.json", '"just text"')  # npm crashes (a TypeError); snpm: EJSONPARSE
    assert pair.world.run_snpm(["version", "patch"]).code != 0
    print(pair.report("version differential: version_outside_git_and_failures"))


def test_version_listing(tmp_path: Path) -> None:
    pair = Pair(tmp_path)
    pair.same(["version"])
    pair.write("package.json", {"name": "@scope/listed", "version": "4.5.6"})
    pair.same(["version"])
    pair.same(["version", "--json"])
    pair.same(["--versions"])
    print(pair.report("version differential: version_listing"))


def test_version_workspaces(tmp_path: Path) -> None:
    pair = Pair(tmp_path)
    pair.write("package.json", {"name": "root", "version": "1.0.0", "workspaces": ["packages/*"]})
    pair.write("packages/a/package.json", {"name": "a", "version": "1.0.0", "scripts": {"version": "echo A"}})
    pair.write("packages/b/package.json", {"name": "b", "version": "2.0.0", "dependencies": {"a": "^1.0.0"}})
    installed = pair.world.run_npm(["install", "--offline"])
    assert installed.code == 0, installed.stderr
    steps = [
        ["version", "minor", "--workspaces"],
        ["version"],
        ["version", "--workspaces"],
        ["version", "--json", "-w", "b"],
        ["version", "patch", "-w", "a", "--include-workspace-root"],
        ["version", "patch", "-w", "a", "--json"],
        ["version", "patch", "-w", "a", "--no-workspaces-update"],
        ["version", "patch", "-w", "nope"],
        ["version", "1.2.3", "-w", "a", "-w", "b", "--loglevel=silent"],
    ]
    for args in steps:
        pair.same(args)
    pair.git_init()
    # the root (which has the .git) commits and tags; the workspace does not
    pair.same(["version", "major", "-w", "b", "--include-workspace-root"])
    print(pair.report("version differential: version_workspaces"))
