"""An isolated "world" for running the real npm and snpm side by side on the same files.

A world is a folder with its own HOME (so `~/.npmrc` and `~/.npm` are the world's), a global
prefix (given as `$PREFIX`, so the global config is `<prefix>/etc/npmrc`), and a project folder.
Its environment is built from scratch: PATH (so both find the same `node`), HOME, PREFIX, a UTF-8
LANG, and whatever a test adds. Nothing from the machine's environment leaks in (no npm_config_*,
no NODE_ENV, no NO_COLOR), and the real ~/.npmrc is never read or written.

Both programs run at the same paths: for commands that write files, `snapshot()` and `restore()`
put the world back between the npm run and the snpm run, so outputs can be compared without
rewriting paths.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

NODE = shutil.which("node")
NPM = shutil.which("npm")


@dataclass(frozen=True)
class RunResult:
    code: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class FileState:
    """A file's bytes and permission bits, for comparing what the two programs wrote."""

    content: bytes
    mode: int


@dataclass
class World:
    root: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def userconfig(self) -> Path:
        return self.home / ".npmrc"

    @property
    def prefix(self) -> Path:
        return self.root / "prefix"

    @property
    def globalconfig(self) -> Path:
        return self.prefix / "etc" / "npmrc"

    @property
    def cache(self) -> Path:
        return self.home / ".npm"

    @property
    def project(self) -> Path:
        return self.root / "project"

    def setup(self) -> World:
        for folder in (self.home, self.prefix / "etc", self.project, self.cache):
            folder.mkdir(parents=True, exist_ok=True)
        # npm's update notifier asks the public registry about once a week unless this file is fresh
        (self.cache / "_update-notifier-last-checked").write_text("")
        return self

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The world's whole environment (nothing inherited from the machine's)."""
        path_dirs = [os.path.dirname(NODE)] if NODE else []
        path_dirs += ["/usr/local/bin", "/usr/bin", "/bin"]
        env = {
            "PATH": os.pathsep.join(dict.fromkeys(path_dirs)),
            "HOME": str(self.home),
            "PREFIX": str(self.prefix),
            "LANG": "C.UTF-8",
        }
        env.update(self.extra_env)
        if extra:
            env.update(extra)
        return env

    def write(self, relative: str | Path, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def _run(self, command: Sequence[str], cwd: Path | None, env: Mapping[str, str] | None) -> RunResult:
        done = subprocess.run(
            list(command),
            cwd=str(cwd or self.project),
            env=self.env(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
            check=False,
        )
        return RunResult(
            done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")
        )

    def run_npm(
        self, args: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
    ) -> RunResult:
        if NPM is None:  # pragma: no cover - guarded by the tests' skip markers
            raise RuntimeError("npm is not installed")
        return self._run([NPM, *args], cwd, env)

    def run_snpm(
        self, args: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
    ) -> RunResult:
        return self._run([sys.executable, "-m", "snpm", *args], cwd, env)

    def snapshot(self) -> dict[str, FileState]:
        """Every file of the world except logs and caches."""
        state: dict[str, FileState] = {}
        for dirpath, dirnames, filenames in os.walk(self.root):
            rel_dir = Path(dirpath).relative_to(self.root)
            if rel_dir.parts[:2] == ("home", ".npm"):
                dirnames[:] = []
                continue
            for name in filenames:
                path = Path(dirpath) / name
                st = path.lstat()
                state[str(rel_dir / name)] = FileState(path.read_bytes(), stat.S_IMODE(st.st_mode))
        return state

    def restore(self, state: Mapping[str, FileState]) -> None:
        """Put the world's files back as they were in `state` (deleting files created since)."""
        current = self.snapshot()
        for rel in current:
            if rel not in state:
                (self.root / rel).unlink()
        for rel, file_state in state.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(file_state.content)
            path.chmod(file_state.mode)


def make_world(root: Path, **extra_env: str) -> World:
    return World(root, dict(extra_env)).setup()


def run_npm(world: World, args: Sequence[str], **kw: object) -> RunResult:
    return world.run_npm(args, **kw)  # type: ignore[arg-type]


def run_snpm(world: World, args: Sequence[str], **kw: object) -> RunResult:
    return world.run_snpm(args, **kw)  # type: ignore[arg-type]
