"""Run the real npm and snpm's ideal-tree builder on the same project and registry, and collect
what each wrote: package-lock.json, package.json, or the error (with ERESOLVE's explanation).

    outcome = run_scenario(scenario, tmp_path)
    assert outcome.snpm == outcome.npm

npm runs `<args> --package-lock-only --ignore-scripts --registry <local>` with its own HOME,
userconfig, globalconfig, prefix and cache inside `tmp_path`; `omit-lockfile-registry-resolved`
is not set, so `resolved` URLs are compared too. snpm builds the ideal tree in-process through
`ScenarioSource`, saves specs like reify's `_saveIdealTree`, and formats the lockfile. A scenario
may first run npm commands on the template project (`pre`, e.g. to create a lockfile) and edit it
(`mutate`) before both programs get identical copies.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec.structs

from snpm.errors import SnpmError
from snpm.manifest import read_package_json, save_package_json, update_package_json
from snpm.tree.add_rm import apply_saved_specs, package_json_changes
from snpm.tree.explain import eresolve_report, eresolve_warning
from snpm.tree.ideal.build import build_ideal_tree
from snpm.tree.ideal.options import IdealTreeOptions
from snpm.tree.ideal.peers import EresolveError
from snpm.tree.lockfile_bridge import LockOptions, lockfile_text
from support.fake_registry import FakeRegistry
from support.scenario_registry import ScenarioRegistry, ScenarioSource, SourceOptions

NPM = shutil.which("npm")
NODE_VERSION = "20.20.2"
NPM_VERSION = "11.19.1"

FileContent = str | bytes | Callable[[ScenarioRegistry], bytes]


@dataclass
class Scenario:
    id: str
    publish: Callable[[ScenarioRegistry], None]
    # package.json (a callable is evaluated after publishing, when e.g. chosen versions are known)
    package: Mapping[str, Any] | str | Callable[[ScenarioRegistry], Mapping[str, Any]] | None
    npm_args: Sequence[str] = ("install",)
    options: IdealTreeOptions = field(default_factory=IdealTreeOptions)
    files: Mapping[str, FileContent] = field(default_factory=dict)
    pre: Sequence[Sequence[str]] = ()
    mutate: Callable[[Path], None] | None = None
    # publishes more after the `pre` steps (newer versions the lockfile does not know yet)
    after_pre: Callable[[ScenarioRegistry], None] | None = None
    # computes snpm's options from the project as prepared (e.g. `npm dedupe`'s duplicate names)
    prepare_options: Callable[[Path, IdealTreeOptions], IdealTreeOptions] | None = None
    source: SourceOptions = field(
        default_factory=lambda: SourceOptions(node_version=NODE_VERSION, npm_version=NPM_VERSION)
    )


@dataclass(frozen=True)
class Result:
    """What one program produced: the files it wrote, or its error code and explanation."""

    lockfile: str | None
    package_json: str | None
    error_code: str | None = None
    error_text: str | None = None
    # ERESOLVE warnings as npm prints them (`npm warn ` on every line)
    eresolve_warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    npm: Result
    snpm: Result
    npm_stderr: str


def _env(root: Path) -> dict[str, str]:
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    (home / ".npmrc").write_text("")
    (root / "globalnpmrc").write_text("")
    cache = home / ".npm"
    cache.mkdir(exist_ok=True)
    (cache / "_update-notifier-last-checked").write_text("")
    node_dir = os.path.dirname(shutil.which("node") or "/usr/bin/node")
    return {
        "PATH": os.pathsep.join(dict.fromkeys([node_dir, "/usr/local/bin", "/usr/bin", "/bin"])),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "npm_config_userconfig": str(home / ".npmrc"),
        "npm_config_globalconfig": str(root / "globalnpmrc"),
        "npm_config_cache": str(cache),
        "npm_config_prefix": str(root / "prefix"),
        "npm_config_update_notifier": "false",
        "npm_config_audit": "false",
        "npm_config_fund": "false",
    }


def run_npm(
    root: Path, project: Path, registry: str, args: Sequence[str]
) -> subprocess.CompletedProcess[str]:
    assert NPM is not None
    mode = [] if "--no-package-lock-only" in args else ["--package-lock-only"]
    command = [NPM, *args, *mode, "--ignore-scripts", "--registry", registry]
    return subprocess.run(
        command, cwd=project, env=_env(root), capture_output=True, text=True, timeout=120, check=False
    )


def _write_files(project: Path, scenario: Scenario, registry: ScenarioRegistry) -> None:
    """package.json and `files` (keys may start with `../`: folders beside the project)."""
    project.mkdir(parents=True, exist_ok=True)
    package = scenario.package(registry) if callable(scenario.package) else scenario.package
    if package is not None:
        text = package if isinstance(package, str) else _json(package)
        (project / "package.json").write_text(text)
    for rel, content in scenario.files.items():
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content(registry) if callable(content) else content
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data)


def _json(value: object) -> str:
    import json

    return json.dumps(value, indent=2) + "\n"


def _read(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


_NPM_ERROR = re.compile(r"^npm error ?", re.MULTILINE)


def npm_error(stderr: str) -> tuple[str | None, str | None]:
    """(code, ERESOLVE headline + explanation) from npm's error output."""
    lines = [
        line[len("npm error") :].removeprefix(" ")
        for line in stderr.splitlines()
        if line.startswith("npm error")
    ]
    code = None
    for line in lines:
        if line.startswith("code "):
            code = line[5:].strip()
            break
    if code != "ERESOLVE":
        return code, None
    start = next(i for i, line in enumerate(lines) if line.startswith("ERESOLVE "))
    end = next((i for i, line in enumerate(lines) if line.startswith("For a full report see:")), len(lines))
    return code, "\n".join(lines[start:end]).rstrip("\n")


async def _snpm(project: Path, registry: str, scenario: Scenario, options: IdealTreeOptions) -> Result:
    async with ScenarioSource(registry, scenario.source) as source:
        try:
            ideal = await build_ideal_tree(project, source, options, extractor=source)
        except EresolveError as err:
            headline = f"ERESOLVE {err.message}"
            return Result(None, None, "ERESOLVE", f"{headline}\n\n{eresolve_report(err.explanation)[0]}")
        except SnpmError as err:
            return Result(None, None, str(err.code), err.message)
    trees = apply_saved_specs(ideal)
    for tree in trees:
        file = read_package_json(tree.path or "")
        save_package_json(update_package_json(file, package_json_changes(tree)))
    save_lock = options.save or options.update_all or bool(options.update_names)
    if save_lock and options.package_lock:
        text = lockfile_text(
            ideal.root,
            ideal.meta,
            package_indent=ideal.package_indent,
            options=LockOptions(omit_lockfile_registry_resolved=options.omit_lockfile_registry_resolved),
        )
        target = Path(ideal.meta.filename or project / "package-lock.json")
        target.write_text(text)
    warnings = tuple(
        "\n".join(f"npm warn {line}".rstrip() for line in eresolve_warning(w.message, w.explanation))
        for w in ideal.warnings
        if w.title == "ERESOLVE" and w.explanation is not None
    )
    return Result(
        _read(project / "package-lock.json"), _read(project / "package.json"), eresolve_warnings=warnings
    )


def run_scenario(scenario: Scenario, tmp_path: Path) -> Outcome:
    fake = FakeRegistry()
    fake.start_in_thread()
    try:
        registry = ScenarioRegistry(fake)
        scenario.publish(registry)
        template = tmp_path / "template" / "work" / "project"
        _write_files(template, scenario, registry)
        for args in scenario.pre:
            done = run_npm(tmp_path / "template" / "env", template, registry.url, args)
            assert done.returncode == 0, done.stderr
        if scenario.after_pre is not None:
            scenario.after_pre(registry)
        if scenario.mutate is not None:
            scenario.mutate(template)
        results: dict[str, Result] = {}
        stderr = ""
        for who in ("npm", "snpm"):
            shutil.copytree(template.parent, tmp_path / who / "work", symlinks=True)
            project = tmp_path / who / "work" / "project"
            if who == "npm":
                args = [arg.replace("{registry}", registry.url) for arg in scenario.npm_args]
                done = run_npm(tmp_path / who / "env", project, registry.url, args)
                stderr = done.stderr
                if done.returncode != 0:
                    code, text = npm_error(done.stderr)
                    results[who] = Result(None, None, code, text)
                else:
                    results[who] = Result(
                        _read(project / "package-lock.json"), _read(project / "package.json")
                    )
            else:
                options = msgspec.structs.replace(
                    scenario.options,
                    package_lock_only=True,
                    cwd=str(project),
                    add=tuple(spec.replace("{registry}", registry.url) for spec in scenario.options.add),
                )
                if scenario.prepare_options is not None:
                    options = scenario.prepare_options(project, options)
                results[who] = asyncio.run(_snpm(project, registry.url, scenario, options))
        return Outcome(results["npm"], results["snpm"], stderr)
    finally:
        fake.stop_thread()


def compare(outcome: Outcome) -> list[str]:
    """The differences worth reporting (empty when snpm matched npm)."""
    npm, ours = outcome.npm, outcome.snpm
    problems: list[str] = []
    if npm.error_code or ours.error_code:
        if npm.error_code != ours.error_code:
            problems.append(
                f"error code: npm {npm.error_code!r}, snpm {ours.error_code!r} ({ours.error_text})"
            )
            if npm.error_code:
                problems.append(outcome.npm_stderr[-3000:])
        elif npm.error_code == "ERESOLVE" and npm.error_text != ours.error_text:
            problems.append(
                f"ERESOLVE explanation differs:\n--- npm\n{npm.error_text}\n--- snpm\n{ours.error_text}"
            )
        return problems
    if npm.lockfile != ours.lockfile:
        import difflib

        diff = difflib.unified_diff(
            (npm.lockfile or "").splitlines(True), (ours.lockfile or "").splitlines(True), "npm", "snpm"
        )
        problems.append("package-lock.json differs:\n" + "".join(diff))
    npm_count = outcome.npm_stderr.count("npm warn ERESOLVE overriding peer dependency")
    if npm_count != len(ours.eresolve_warnings):
        problems.append(f"ERESOLVE warnings: npm {npm_count}, snpm {len(ours.eresolve_warnings)}")
    for block in ours.eresolve_warnings:
        if block not in outcome.npm_stderr:
            problems.append(
                f"ERESOLVE warning not printed by npm:\n{block}\n--- npm stderr\n{outcome.npm_stderr}"
            )
    if npm.package_json != ours.package_json:
        problems.append(f"package.json differs:\n--- npm\n{npm.package_json}\n--- snpm\n{ours.package_json}")
    return problems
