"""Two worlds, one for the real npm and one for snpm, for differentials that reach outside a
project: `npm link`, global installs, `prefix`/`root`.

A world is a folder holding its own HOME (userconfig and cache), a global prefix, and any number of
package folders (`proj`, `node-redis`, ...; `<world>` in a file stands for the world's root).
Every command gets a whole environment built from scratch (PATH, HOME, LANG, npm_config_userconfig
/ globalconfig / cache / prefix), so nothing of the machine's own npm setup leaks in; a step may
add variables or run without some of these (`npm_config_prefix`: the prefix npm derives itself).
A step runs in a folder of the world; after every step the two worlds are compared whole
(everything but HOME):

- exit code; stdout with durations normalised; the `warn` lines and the `error` lines of stderr
  (the heading word, the world's root and the log-file line normalised);
- every folder, every symlink with its target exactly as written (relative vs absolute), every
  file's bytes and permission bits (package.json, package-lock.json and node_modules/.package-lock.json
  included). The world's root in link targets and file contents is replaced by `<world>`.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NPM = shutil.which("npm")
NODE = shutil.which("node")

_DURATION = re.compile(r" in \d+(?:\.\d+)?(?:ms|s|m|h|d)$", re.MULTILINE)
_HEADING = re.compile(r"^s?npm (warn|error) ?(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Step:
    """One command: its arguments, the folder it runs in (relative to the world), extra env (a
    `<world>` in an argument or a value is the world's root) and the world's variables it runs
    without."""

    args: tuple[str, ...]
    cwd: str = "proj"
    env: Mapping[str, str] = field(default_factory=dict)
    unset: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        extra = [f"{k}={v}" for k, v in self.env.items()] + [f"-{k}" for k in self.unset]
        return f"[{self.cwd}] {' '.join(self.args)}" + (f" ({' '.join(extra)})" if extra else "")


def step(*args: str, cwd: str = "proj", unset: Sequence[str] = (), **env: str) -> Step:
    return Step(tuple(args), cwd, env, tuple(unset))


@dataclass
class World:
    root: Path
    tool: str  # "npm" or "snpm"
    registry: str
    seconds: float = 0.0

    def setup(self, files: Mapping[str, str | bytes | dict[str, Any]], folders: Sequence[str] = ()) -> World:
        home = self.root / "home"
        (home / ".npm").mkdir(parents=True, exist_ok=True)
        (home / ".npm" / "_update-notifier-last-checked").write_text("")
        (self.root / "prefix" / "etc").mkdir(parents=True, exist_ok=True)
        (home / ".npmrc").write_text(f"registry={self.registry}\naudit=false\nupdate-notifier=false\n")
        for folder in folders:
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        for rel, content in files.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
                continue
            text = json.dumps(content, indent=2) + "\n" if isinstance(content, dict) else content
            text = text.replace("<world>", str(self.root))
            path.write_text(text)
            if text.startswith("#!"):
                path.chmod(0o644)
        return self

    def env(self, extra: Mapping[str, str], unset: Sequence[str] = ()) -> dict[str, str]:
        home = self.root / "home"
        path_dirs = [os.path.dirname(NODE)] if NODE else []
        env = {
            "PATH": os.pathsep.join(dict.fromkeys([*path_dirs, "/usr/local/bin", "/usr/bin", "/bin"])),
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "npm_config_userconfig": str(home / ".npmrc"),
            "npm_config_globalconfig": str(self.root / "prefix" / "etc" / "npmrc"),
            "npm_config_cache": str(home / ".npm"),
            "npm_config_prefix": str(self.root / "prefix"),
        }
        env.update({key: value.replace("<world>", str(self.root)) for key, value in extra.items()})
        for key in unset:
            env.pop(key, None)
        return env

    def command(self, args: Sequence[str]) -> list[str]:
        args = [arg.replace("<world>", str(self.root)) for arg in args]
        if self.tool == "npm":
            assert NPM is not None
            return [NPM, *args]
        return [sys.executable, "-m", "snpm", *args]

    def run(self, one: Step) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        cwd = self.root / one.cwd
        cwd.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            self.command(one.args),
            cwd=cwd,
            env=self.env(one.env, one.unset),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        self.seconds += time.monotonic() - started
        return done

    def state(self) -> dict[str, str]:
        """Every path of the world but HOME: `dir`, `-> target` for links, else content and mode."""
        root = str(self.root)
        found: dict[str, str] = {}
        for dirpath, dirnames, filenames in os.walk(self.root):
            rel_dir = Path(dirpath).relative_to(self.root)
            if rel_dir == Path("."):
                dirnames[:] = [d for d in dirnames if d != "home"]
            for name in [*dirnames, *filenames]:
                path = Path(dirpath) / name
                rel = str(rel_dir / name) if rel_dir != Path(".") else name
                if path.is_symlink():
                    found[rel] = "-> " + os.readlink(path).replace(root, "<world>")
                elif path.is_dir():
                    found[rel] = "dir"
                else:
                    text = path.read_bytes().decode("utf-8", "replace").replace(root, "<world>")
                    found[rel] = f"{oct(path.stat().st_mode & 0o777)}\n{text}"
            dirnames[:] = [d for d in dirnames if not (Path(dirpath) / d).is_symlink()]
        return found


def _normalized(text: str, world: World) -> str:
    return _DURATION.sub(" in <duration>", text).replace(str(world.root), "<world>")


_PLAN_LINE = re.compile(r"^(?:add|remove|change) ")


def _plan_lines_sorted(text: str) -> str:
    """A dry run's `add`/`remove`/`change` lines in sorted order, the rest as it is. npm lists
    siblings in the order readdir gives its folders, which is the order its own concurrent
    extraction happened to create them in; snpm loads them sorted."""
    lines = text.split("\n")
    plan = iter(sorted(line for line in lines if _PLAN_LINE.match(line)))
    return "\n".join(next(plan) if _PLAN_LINE.match(line) else line for line in lines)


def _log_lines(stderr: str, world: World) -> list[str]:
    lines = []
    for level, message in _HEADING.findall(stderr):
        if message.startswith("A complete log of this run"):
            continue
        lines.append(f"{level} {message}".replace(str(world.root), "<world>"))
    return lines


def compare_step(
    one: Step,
    npm_world: World,
    snpm_world: World,
    npm_done: subprocess.CompletedProcess[str],
    snpm_done: subprocess.CompletedProcess[str],
) -> list[str]:
    """Everything that differs after one step, as readable lines (empty when the worlds agree)."""
    label = one.label
    problems: list[str] = []
    if npm_done.returncode != snpm_done.returncode:
        problems.append(
            f"{label}: exit {npm_done.returncode} (npm) != {snpm_done.returncode} (snpm)\n"
            f"npm stderr:\n{npm_done.stderr[-2000:]}\nsnpm stderr:\n{snpm_done.stderr[-2000:]}"
        )
    npm_out, snpm_out = _normalized(npm_done.stdout, npm_world), _normalized(snpm_done.stdout, snpm_world)
    if "--dry-run" in one.args:
        npm_out, snpm_out = _plan_lines_sorted(npm_out), _plan_lines_sorted(snpm_out)
    if npm_out != snpm_out:
        problems.append(f"{label}: stdout differs\n--- npm\n{npm_out}\n--- snpm\n{snpm_out}")
    npm_log, snpm_log = _log_lines(npm_done.stderr, npm_world), _log_lines(snpm_done.stderr, snpm_world)
    if npm_log != snpm_log:
        problems.append(
            f"{label}: warn/error lines differ\n--- npm\n"
            + "\n".join(npm_log)
            + "\n--- snpm\n"
            + "\n".join(snpm_log)
        )
    expected, actual = npm_world.state(), snpm_world.state()
    for rel in sorted(set(expected) | set(actual)):
        want, got = expected.get(rel), actual.get(rel)
        if want == got:
            continue
        if want is not None and got is not None and "\n" in want and "\n" in got:
            lines = difflib.unified_diff(want.splitlines(), got.splitlines(), "npm", "snpm", lineterm="")
            problems.append(f"{label}: {rel}:\n" + "\n".join(lines))
        else:
            problems.append(f"{label}: {rel}:\n  npm  {want!r}\n  snpm {got!r}")
    return problems


def play(
    root: Path,
    registry: str,
    files: Mapping[str, str | bytes | dict[str, Any]],
    steps: Sequence[Step],
    *,
    folders: Sequence[str] = (),
) -> tuple[list[str], World, World]:
    """Run `steps` with npm and with snpm in two fresh worlds; the differences after each step."""
    npm_world = World(root / "npm", "npm", registry).setup(files, folders)
    snpm_world = World(root / "snpm", "snpm", registry).setup(files, folders)
    problems: list[str] = []
    for one in steps:
        npm_done = npm_world.run(one)
        snpm_done = snpm_world.run(one)
        problems += compare_step(one, npm_world, snpm_world, npm_done, snpm_done)
    return problems, npm_world, snpm_world
