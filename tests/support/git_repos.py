"""Local git repositories for fetch tests: no network, served from bare repositories by path.

`make_repo(root)` builds a package's history (see `Repo`): 1.0.0 tagged `v1.0.0` (lightweight),
1.1.0 tagged `v1.1.0` (annotated, so ls-remote shows a peeled `^{}` line), a branch `feature`
at 1.5.0, and `main` at 2.0.0-pre with a monorepo folder `packages/sub`. `git_env` runs git with
a fixed identity and no user or system configuration; `hosted_env` adds an `insteadOf` rule so
`https://github.com/<user>/<project>.git` is served from `<root>/<user>/<project>.git`.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


def git_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.test",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.test",
        "GIT_AUTHOR_DATE": "2020-01-01T00:00:00Z",
        "GIT_COMMITTER_DATE": "2020-01-01T00:00:00Z",
        **(extra or {}),
    }


def hosted_env(home: Path, repos: Path, base: str = "https://github.com/") -> dict[str, str]:
    return git_env(
        home,
        {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": f"url.{repos.as_uri()}/.insteadOf",
            "GIT_CONFIG_VALUE_0": base,
        },
    )


def git(*args: str, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@dataclass
class Repo:
    work: Path
    bare: Path
    env: dict[str, str]
    shas: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"git+{self.bare.as_uri()}"

    def archive(self, sha: str, prefix: str) -> bytes:
        """What a git host's tarball endpoint serves for `sha` (one top folder)."""
        done = subprocess.run(
            ["git", "archive", "--format=tar.gz", f"--prefix={prefix}/", sha],
            cwd=self.bare,
            env=self.env,
            capture_output=True,
            check=True,
        )
        return done.stdout


def _commit(work: Path, env: dict[str, str], version: str, message: str, extra: dict[str, object]) -> str:
    (work / "package.json").write_text(json.dumps({"name": "gitpkg", "version": version, **extra}, indent=2))
    git("add", "-A", cwd=work, env=env)
    git("commit", "-q", "-m", message, cwd=work, env=env)
    return git("rev-parse", "HEAD", cwd=work, env=env)


def make_repo(root: Path, name: str = "repo", scripts: dict[str, str] | None = None) -> Repo:
    env = git_env(root)
    work, bare = root / f"{name}-work", root / f"{name}.git"
    work.mkdir(parents=True)
    git("init", "-q", "-b", "main", cwd=work, env=env)
    (work / "index.js").write_text("module.exports = 'git'\n")
    extra: dict[str, object] = {"scripts": scripts} if scripts else {}
    repo = Repo(work, bare, env)
    repo.shas["v1.0.0"] = _commit(work, env, "1.0.0", "one", extra)
    git("tag", "v1.0.0", cwd=work, env=env)
    repo.shas["v1.1.0"] = _commit(work, env, "1.1.0", "two", extra)
    git("tag", "-a", "v1.1.0", "-m", "release", cwd=work, env=env)
    git("checkout", "-q", "-b", "feature", cwd=work, env=env)
    repo.shas["feature"] = _commit(work, env, "1.5.0", "feature", extra)
    git("checkout", "-q", "main", cwd=work, env=env)
    (work / "packages" / "sub").mkdir(parents=True)
    (work / "packages" / "sub" / "package.json").write_text('{"name": "sub", "version": "0.1.0"}')
    repo.shas["main~1"] = repo.shas["v1.1.0"]
    repo.shas["main"] = _commit(work, env, "2.0.0-pre", "three", extra)
    bare.parent.mkdir(parents=True, exist_ok=True)
    git("clone", "-q", "--bare", str(work), str(bare), cwd=root, env=env)
    return repo
