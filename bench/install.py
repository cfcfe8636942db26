"""Install benchmark: snpm against npm (and pnpm, yarn, bun when installed), measured in the same run.

    .venv/bin/python bench/install.py [--projects small,medium,large] [--reps 3] [--tools npm,snpm]

For each reference project (tests/fixtures/refprojects) and tool, four cases with `--ignore-scripts`:
  cold            empty cache, no lockfile, no node_modules
  warm-lockfile   warm cache, the project's lockfile, no node_modules
  warm-nolock     warm cache, no lockfile, no node_modules
  noop            everything already installed; install again
Each run gets its own HOME, userconfig, globalconfig and cache (nothing from the machine's ~/.npmrc).
Reported per case: median wall seconds, CPU seconds (user+sys of the whole process tree) and peak RSS,
and the ratio snpm/npm. snpm runs from this virtual environment's own entry point (not a PATH shim).
Audit and funding are off for every tool (`--no-audit --no-fund`): the registry here has no audit.
Each repetition runs every tool in turn (a noisy stretch of the machine falls on all of them); what a
case resets is moved aside rather than deleted (see `Sandbox`), and the file system is flushed (`sync`)
before each timed run, so that no run pays for the writes or the cleanup of the one before it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = ROOT / "tests" / "fixtures" / "refprojects"
CASES = ("cold", "warm-lockfile", "warm-nolock", "noop")
_TRUST_VARIABLES = ("NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR")


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_mb: float
    code: int


def _tool_command(tool: str) -> list[str] | None:
    if tool == "snpm":
        entry = Path(sys.executable).parent / "snpm"
        return [str(entry)] if entry.exists() else [sys.executable, "-m", "snpm"]
    found = shutil.which(tool)
    return [found] if found else None


def _install_args(tool: str) -> list[str]:
    if tool in ("npm", "snpm"):
        return ["install", "--ignore-scripts", "--no-audit", "--no-fund"]
    if tool == "pnpm":
        return ["install", "--ignore-scripts", "--config.node-linker=hoisted"]
    if tool == "yarn":
        return ["install", "--ignore-scripts", "--no-progress"]
    return ["install", "--ignore-scripts", "--no-progress"]  # bun


def _lockfile(tool: str) -> str:
    return {"pnpm": "pnpm-lock.yaml", "yarn": "yarn.lock", "bun": "bun.lock"}.get(tool, "package-lock.json")


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> Sample:
    """Run one install and read its resource use from wait4 (covers the whole waited-for tree)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.stderr.write(err.decode(errors="replace")[-2000:])
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode)


class Sandbox:
    """A home, cache and project folder for one tool on one project.

    What a case resets (the cache, node_modules) is moved into `trash`, not deleted: the benchmark's
    scratch folder, trash included, is deleted only after every measurement. Why: on ext4 without a
    journal (this machine's disk), the kernel skips inodes freed in the last 60 s (300 s more while
    their table block is dirty) when it allocates new ones (ialloc.c `recently_deleted`), reading
    inode tables to do so; after deleting a 25,000-file cache, `perf` put ~40% of a cold install's
    CPU time there, for snpm and npm alike. That is a cost of the benchmark's own cleanup, not of
    installing, and it weighs on a short run far more than on a long one.
    """

    def __init__(self, base: Path, project: str, trash: Path) -> None:
        self.base = base
        self.trash = trash
        self.home = base / "home"
        self.cache = base / "cache"
        self.project = base / "project"
        self.source = PROJECTS / project
        for folder in (self.home, self.cache, self.project):
            folder.mkdir(parents=True, exist_ok=True)
        (self.home / ".npmrc").write_text("")

    def env(self) -> dict[str, str]:
        # the machine's trust settings pass through (the registry may sit behind a private CA)
        trust = {k: v for k, v in os.environ.items() if k in _TRUST_VARIABLES}
        return trust | {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.home),
            "npm_config_userconfig": str(self.home / ".npmrc"),
            "npm_config_globalconfig": str(self.base / "globalrc"),
            "npm_config_cache": str(self.cache),
            "npm_config_update_notifier": "false",
            "XDG_CACHE_HOME": str(self.cache / "xdg"),
            "BUN_INSTALL_CACHE_DIR": str(self.cache / "bun"),
            "YARN_CACHE_FOLDER": str(self.cache / "yarn"),
            "npm_config_store_dir": str(self.cache / "pnpm-store"),
            "CI": "true",
        }

    def reset_project(self, *, lockfile: bool, modules: bool, tool: str) -> None:
        for name in ("package-lock.json", _lockfile(tool)):
            (self.project / name).unlink(missing_ok=True)
        if not modules:
            self._discard(self.project / "node_modules")
        shutil.copy(self.source / "package.json", self.project / "package.json")
        if lockfile and tool in ("npm", "snpm"):
            shutil.copy(self.source / "package-lock.json", self.project / "package-lock.json")

    def clear_cache(self) -> None:
        self._discard(self.cache)
        self.cache.mkdir(parents=True)

    def _discard(self, folder: Path) -> None:
        """Move `folder` out of the way (one rename: no inode is freed during the measurements)."""
        if folder.exists():
            self.trash.mkdir(parents=True, exist_ok=True)
            folder.rename(self.trash / uuid.uuid4().hex)


def _settled(sample: Callable[[], Sample]) -> Sample:
    """Flush the file system before a timed run: the previous run's writes are still being written
    back (and resets leave work behind), which otherwise lands in this run's time. A fixed cost like
    that weighs on a 0.2 s run, not on a 20 s one."""
    os.sync()
    return sample()


def measure_once(tool: str, box: Sandbox, results: dict[str, list[Sample]]) -> None:
    """One round of the four cases, in order (each warm case uses the cache the cold one filled)."""
    command = _tool_command(tool)
    assert command is not None
    command = command + _install_args(tool)
    box.clear_cache()
    box.reset_project(lockfile=False, modules=False, tool=tool)
    results["cold"].append(_settled(lambda: _run(command, box.project, box.env())))
    box.reset_project(lockfile=True, modules=False, tool=tool)
    results["warm-lockfile"].append(_settled(lambda: _run(command, box.project, box.env())))
    box.reset_project(lockfile=False, modules=False, tool=tool)
    results["warm-nolock"].append(_settled(lambda: _run(command, box.project, box.env())))
    results["noop"].append(_settled(lambda: _run(command, box.project, box.env())))


def measure(tools: list[str], project: str, reps: int, scratch: Path) -> dict[str, dict[str, list[Sample]]]:
    """`reps` rounds; within each, every tool in turn, so that a slower or faster stretch of the
    machine falls on all of them rather than on whichever ran then."""
    present = [tool for tool in tools if _tool_command(tool) is not None]
    boxes = {tool: Sandbox(scratch / f"{tool}-{project}", project, scratch / "trash") for tool in present}
    data: dict[str, dict[str, list[Sample]]] = {tool: {case: [] for case in CASES} for tool in present}
    for _ in range(reps):
        for tool in present:
            measure_once(tool, boxes[tool], data[tool])
    return data


def _median(samples: list[Sample], field: str) -> float:
    return statistics.median(getattr(s, field) for s in samples) if samples else float("nan")


def report(project: str, data: dict[str, dict[str, list[Sample]]]) -> list[str]:
    tools = [t for t in data if data[t]]
    lines = [f"\n## {project}", ""]
    head = "| case | " + " | ".join(f"{t} wall s | {t} cpu s | {t} rss MB" for t in tools)
    head += " | snpm/npm wall | snpm/npm cpu | snpm/npm rss |" if {"npm", "snpm"} <= set(tools) else " |"
    lines += [head, "|" + " --- |" * (head.count("|") - 1)]
    for case in CASES:
        cells = []
        for tool in tools:
            samples = data[tool][case]
            failed = any(s.code for s in samples)
            cells += [
                f"{_median(samples, 'wall'):.2f}{' (failed)' if failed else ''}",
                f"{_median(samples, 'cpu'):.2f}",
                f"{_median(samples, 'rss_mb'):.0f}",
            ]
        row = f"| {case} | " + " | ".join(cells)
        if {"npm", "snpm"} <= set(tools):
            ratios = [
                _median(data["snpm"][case], f) / max(_median(data["npm"][case], f), 1e-9)
                for f in ("wall", "cpu", "rss_mb")
            ]
            row += " | " + " | ".join(f"{r:.2f}" for r in ratios)
        lines.append(row + " |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--projects", default="small,medium,large")
    parser.add_argument("--tools", default="npm,snpm,pnpm,yarn,bun")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the raw samples here")
    args = parser.parse_args()
    output: list[str] = ["# install benchmark (medians; ratios snpm/npm, lower is better)"]
    raw: dict[str, dict[str, dict[str, list[dict[str, float]]]]] = {}
    with tempfile.TemporaryDirectory(prefix="snpm-bench-") as scratch:
        for project in args.projects.split(","):
            data = measure(args.tools.split(","), project, args.reps, Path(scratch))
            raw[project] = {t: {c: [asdict(s) for s in v] for c, v in d.items()} for t, d in data.items()}
            lines = report(project, data)
            print("\n".join(lines), flush=True)
            output += lines
    if args.json:
        args.json.write_text(json.dumps(raw, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
