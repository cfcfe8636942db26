"""`npm version`: libnpmversion (all of it) and lib/commands/version.js's listing.

`bump_version` is libnpmversion's version.js, step for step:

1. the new version: an explicit one (cleaned, loosely), `from-git` (`git describe --tags
   --abbrev=0 --match=*.*.*`, coerced), or an increment of the current one with `--preid`;
   `Invalid version: <arg>` / `Version not changed` (unless --allow-same-version);
2. git only when `git-tag-version` is on and the folder itself has a `.git` (or from-git): the
   working tree must be clean (`--force` only warns; no git binary only warns);
3. `preversion` (npm_old_version / npm_new_version in its environment);
4. package.json rewritten with its own indent and newline (libnpmversion's write-json, which always
   writes), then the `version` of package-lock.json and npm-shrinkwrap.json and of their
   `packages[""]` (files that are missing or unreadable are skipped);
5. `version`; then `git add` package.json and the lockfiles, `git commit [-n] [--allow-empty] [-S]
   -m <message>`, `git tag -[s][f]m <message> <prefix><version>`; `postversion`.

The scripts see the package.json as read, without `_id`, so their banners are `> preversion`.
`versions_report` is `npm version` with no argument: the package's version, npm's, and node's
`process.versions`, which snpm asks the configured node for.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import msgspec

from snpm import semver
from snpm.ecmascript.json import JSONParseError, parse_json, stringify
from snpm.errors import SnpmError, from_os_error
from snpm.git import Git
from snpm.json_types import JsonObject, JsonValue
from snpm.ops.package_scripts import ScriptRunner, run_lifecycle

__all__ = ["VersionOptions", "bump_version", "inspect_object", "node_process_versions", "versions_report"]

LogFn = Callable[..., None]
_IDENTIFIER = re.compile(r"^[a-zA-Z_][a-zA-Z_0-9]*$")


class VersionOptions(msgspec.Struct, frozen=True):
    """libnpmversion's options, from npm's flatOptions."""

    allow_same_version: bool = False
    commit_hooks: bool = True
    git_tag_version: bool = True
    sign_git_commit: bool = False
    sign_git_tag: bool = False
    force: bool = False
    preid: str | None = None
    message: str = "v%s"
    tag_version_prefix: str = "v"


class _JsonFile(msgspec.Struct, frozen=True):
    value: JsonValue
    indent: str | None
    newline: str | None


def _read_json(path: Path) -> _JsonFile:
    """libnpmversion read-json.js: json-parse-even-better-errors over the raw file."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise from_os_error(err, "open") from None
    text = raw.decode("utf-8", "replace")
    try:
        parsed = parse_json(text)
    except JSONParseError as err:
        raise SnpmError(err.message, code="EJSONPARSE") from None
    return _JsonFile(parsed.value, parsed.indent, parsed.newline)


def _write_json(path: Path, file: _JsonFile, value: JsonValue) -> None:
    """libnpmversion write-json.js: stringify with the file's indent, then its newline."""
    indent = "  " if file.indent is None else file.indent
    newline = "\n" if file.newline is None else file.newline
    text = stringify(value, indent) + "\n"
    if newline != "\n":
        text = text.replace("\n", newline)
    try:
        path.write_text(text, encoding="utf-8", newline="")
    except OSError as err:
        raise from_os_error(err, "open") from None


async def _retrieve_tag(git: Git, cwd: Path) -> str:
    tag = (await git.run(["describe", "--tags", "--abbrev=0", "--match=*.*.*"], cwd=cwd)).strip()
    found = semver.coerce(tag, loose=True, include_prerelease=True)
    if found is not None:
        return found.version
    raise SnpmError(f"Tag is not a valid version: {json.dumps(tag)}")


async def _enforce_clean(git: Git, cwd: Path, force: bool, log: LogFn) -> bool:
    """enforce-clean.js: True when git may be used; raises on a dirty tree unless forced."""
    try:
        status = await git.run(["status", "--porcelain=v1", "-uno"], cwd=cwd)
    except SnpmError as err:
        if err.code != "ENOGIT":
            raise
        log(
            "warn",
            "version",
            "This is a Git checkout, but the git command was not found.",
            "npm could not create a Git tag for this release!",
        )
        return False
    if [line for line in re.split(r"\r?\n+", status.strip()) if line.strip()]:
        if not force:
            raise SnpmError("Git working directory not clean.")
        log("warn", "version", "Git working directory not clean, proceeding forcefully.")
    return True


def _new_version(newversion: str, current: str, options: VersionOptions) -> str | None:
    if semver.valid(newversion, loose=True) is not None:
        return semver.clean(newversion, loose=True)
    current_clean = semver.clean(current)
    if current_clean is None:
        return None
    return semver.inc(current_clean, newversion, options.preid, loose=True)


async def bump_version(
    newversion: str, path: Path, *, options: VersionOptions, runner: ScriptRunner, git: Git, log: LogFn
) -> str:
    """libnpmversion(newversion, {path, ...}): the new version, with files, git and scripts done."""
    package_json = path / "package.json"
    file = _read_json(package_json)
    if isinstance(file.value, list):
        # JS reads an array's fields as undefined and keeps the ones it is given out of JSON: the
        # bump goes from 0.0.0 and the file is written back as the array it was
        pkg: JsonObject = {}
    elif isinstance(file.value, dict):
        pkg = file.value
    else:
        raise SnpmError("Invalid package.json: not a JSON object", code="EJSONPARSE", path=str(package_json))
    raw_current = pkg.get("version")
    current = raw_current if isinstance(raw_current, str) and raw_current else "0.0.0"
    current_clean = semver.clean(current)
    if newversion == "from-git" and semver.valid(newversion, loose=True) is None:
        new_v: str | None = await _retrieve_tag(git, path)
    else:
        new_v = _new_version(newversion, current, options)
    if not new_v:
        raise SnpmError(f"Invalid version: {newversion}")
    if new_v == current_clean and not options.allow_same_version:
        raise SnpmError("Version not changed")
    is_git_dir = newversion == "from-git" or (path / ".git").exists()
    do_git = options.git_tag_version and is_git_dir and await _enforce_clean(git, path, options.force, log)
    env = {"npm_old_version": current, "npm_new_version": new_v}
    await run_lifecycle(runner, "preversion", path=str(path), pkg=pkg, extra_env=env)

    pkg["version"] = new_v
    pkg.pop("_id", None)
    _write_json(package_json, file, pkg if isinstance(file.value, dict) else file.value)
    locks: list[Path] = []
    for lock in (path / "package-lock.json", path / "npm-shrinkwrap.json"):
        try:
            lock_file = _read_json(lock)
            if not isinstance(lock_file.value, dict):
                continue
            lock_file.value["version"] = new_v
            packages = lock_file.value.get("packages")
            if isinstance(packages, dict) and isinstance(packages.get(""), dict):
                root = packages[""]
                assert isinstance(root, dict)
                root["version"] = new_v
            _write_json(lock, lock_file, lock_file.value)
            locks.append(lock)
        except SnpmError:
            continue

    await run_lifecycle(runner, "version", path=str(path), pkg=pkg, extra_env=env)
    if do_git:
        await git.run(["add", str(package_json)], cwd=path)
        for lock in locks:  # a lockfile may be .gitignored
            with contextlib.suppress(SnpmError):
                await git.run(["add", str(lock)], cwd=path)
        message = options.message.replace("%s", new_v)
        commit = ["commit"]
        if not options.commit_hooks:
            commit.append("-n")
        if options.allow_same_version:
            commit.append("--allow-empty")
        if options.sign_git_commit:
            commit.append("-S")
        await git.run([*commit, "-m", message], cwd=path)
        flags = (
            "-" + ("s" if options.sign_git_tag else "") + ("f" if options.allow_same_version else "") + "m"
        )
        await git.run(["tag", flags, message, f"{options.tag_version_prefix}{new_v}"], cwd=path)
    else:
        log("verbose", "version", "Not tagging: not in a git repo or no git cmd")
    await run_lifecycle(runner, "postversion", path=str(path), pkg=pkg, extra_env=env)
    return new_v


# ── `npm version` with no argument ────────────────────────────────────────────────────────────────
def node_process_versions(node: str) -> dict[str, str]:
    """node's `process.versions`, asked of the node snpm runs scripts with."""
    try:
        done = subprocess.run(
            [node, "-p", "JSON.stringify(process.versions)"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env={**os.environ, "NODE_OPTIONS": ""},
        )
        value = json.loads(done.stdout) if done.returncode == 0 else {}
    except (OSError, ValueError, subprocess.SubprocessError):
        value = {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def versions_report(
    folders: list[Path],
    *,
    npm_version: str,
    process_versions: Mapping[str, str],
    snpm_version: str | None = None,
) -> dict[str, str]:
    """version.js list(): `{<name>: <version> for each package, npm, snpm?, ...process.versions}`."""
    results: dict[str, str] = {}
    for folder in folders:
        try:
            pkg = json.loads((folder / "package.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(pkg, dict) and pkg.get("name") and pkg.get("version"):
            results[str(pkg["name"])] = str(pkg["version"])
    results["npm"] = npm_version
    if snpm_version is not None:
        results["snpm"] = snpm_version
    results.update(process_versions)
    return results


def _quote(text: str) -> str:
    """util.inspect's string quoting: single quotes unless the text has one and no double quote."""
    quote = "'"
    if "'" in text:
        if '"' not in text:
            quote = '"'
        elif "`" not in text and "${" not in text:
            quote = "`"
    escaped = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    if quote == "'":
        escaped = escaped.replace("'", "\\'")
    return f"{quote}{escaped}{quote}"


def inspect_object(value: Mapping[str, str]) -> str:
    """util.inspect of a flat object of strings, as console.log prints it (breakLength 80)."""
    if not value:
        return "{}"
    entries = [f"{k if _IDENTIFIER.match(k) else _quote(k)}: {_quote(v)}" for k, v in value.items()]
    # reduceToSingleString / isBelowBreakLength with compact 3 at the top level
    count = len(entries)
    total = 2 * count + 11
    if total + count <= 80 and total + sum(len(e) for e in entries) <= 80:
        return "{ " + ", ".join(entries) + " }"
    return "{\n  " + ",\n  ".join(entries) + "\n}"
