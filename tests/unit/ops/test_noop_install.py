"""snpm.ops.noop_install on hand-made projects: which installs may use a stamp, what a stamp holds
against (files, settings, node_modules, the registry's answers), what it shows again."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from snpm.config import Config, load_config
from snpm.ops.noop_install import (
    check_noop,
    noop_eligible,
    refetch_digests,
    remove_stamp,
    root_files_digest,
    write_stamp,
)
from snpm.tree.lockfile_bridge import load_tree


def _config(tmp_path: Path, *argv: str) -> Config:
    for folder in ("home", "prefix/etc", "project"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    (tmp_path / "home/.npmrc").write_text("")
    env = {
        "HOME": str(tmp_path / "home"),
        "PREFIX": str(tmp_path / "prefix"),
        "npm_config_cache": str(tmp_path / "cache"),
    }
    argv = ("install", *argv)
    return load_config(list(argv), env=env, cwd=tmp_path / "project", stdout_tty=False, stderr_tty=False)


_PACKAGE = {"name": "proj", "version": "1.0.0", "dependencies": {"a": "^1.0.0"}}
_ENTRY = {"version": "1.0.0", "integrity": "sha512-AAAA", "license": "MIT"}


def _project(tmp_path: Path, package: dict[str, object] = _PACKAGE, **extra: object) -> Path:
    """package.json, package-lock.json, node_modules/a and a hidden lockfile newer than it."""
    project = tmp_path / "project"
    project.mkdir(parents=True, exist_ok=True)
    (project / "package.json").write_text(json.dumps(package))
    packages = {
        "": {"name": "proj", "version": "1.0.0", **{k: v for k, v in package.items() if "ependencies" in k}}
    }
    packages["node_modules/a"] = {**_ENTRY, **extra}
    lock = {"name": "proj", "version": "1.0.0", "lockfileVersion": 3, "requires": True, "packages": packages}
    (project / "package-lock.json").write_text(json.dumps(lock, indent=2))
    folder = project / "node_modules" / "a"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(json.dumps({"name": "a", "version": "1.0.0", **extra}))
    hidden = {k: v for k, v in lock.items()}
    hidden["packages"] = {k: v for k, v in packages.items() if k}
    time.sleep(0.02)
    (project / "node_modules" / ".package-lock.json").write_text(json.dumps(hidden, indent=2))
    return project


def _stamp(config: Config, project: Path, **options: object) -> None:
    tree = load_tree(str(project))
    write_stamp(config, [], tree, funding=0, refetch={}, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("argv", "args", "eligible"),
    [
        ((), [], True),
        (("--ignore-scripts", "--no-audit"), [], True),
        ((), ["a"], False),
        (("--dry-run",), [], False),
        (("--json",), [], False),
        (("--audit",), [], True),  # the audit runs again (NoopHit.audit)
        (("--package-lock-only",), [], False),
        (("--no-package-lock",), [], False),
        (("-g",), [], False),
        (("--loglevel", "http"), [], False),
        (("--loglevel", "warn"), [], True),
        (("-w", "pkg"), [], False),
        (("--workspaces",), [], False),
    ],
)
def test_which_installs_may_use_a_stamp(
    tmp_path: Path, argv: tuple[str, ...], args: list[str], eligible: bool
) -> None:
    config = _config(tmp_path, "--no-audit", *argv)
    assert noop_eligible(config, args) is eligible


def test_a_stamp_holds_until_anything_it_covers_changes(tmp_path: Path) -> None:
    config = _config(tmp_path, "--no-audit")
    project = _project(tmp_path)
    assert check_noop(config, []) is None
    _stamp(config, project)
    hit = check_noop(config, [])
    assert hit is not None and hit.funding == 0 and hit.alerts == () and not hit.audit
    # another setting
    assert check_noop(_config(tmp_path, "--no-audit", "--omit=dev"), []) is None
    # package.json, byte for byte
    (project / "package.json").write_text(json.dumps(_PACKAGE) + "\n")
    assert check_noop(config, []) is None


def test_a_stamp_of_an_auditing_install_asks_for_the_audit_again(tmp_path: Path) -> None:
    project = _project(tmp_path)
    config = _config(tmp_path)  # audit on, as by default in a project (read after it exists)
    _stamp(config, project)
    hit = check_noop(config, [])
    assert hit is not None and hit.audit
    # the stamp of one setting does not answer for the other
    assert check_noop(_config(tmp_path, "--no-audit"), []) is None


@pytest.mark.parametrize("change", ["touch", "remove", "extra", "hidden", "lockfile", "yarn"])
def test_node_modules_and_lockfiles_are_checked_each_time(tmp_path: Path, change: str) -> None:
    config = _config(tmp_path, "--no-audit")
    project = _project(tmp_path)
    _stamp(config, project)
    assert check_noop(config, []) is not None
    nm = project / "node_modules"
    if change == "touch":
        later = time.time() + 1
        os.utime(nm / "a", (later, later))
    elif change == "remove":
        (nm / "a" / "package.json").unlink()
        (nm / "a").rmdir()
    elif change == "extra":
        (nm / "b").mkdir()
    elif change == "hidden":
        os.utime(nm / ".package-lock.json")
    elif change == "lockfile":
        (project / "package-lock.json").write_text("{}")
    else:
        (project / "yarn.lock").write_text("")
    assert check_noop(config, []) is None


def test_no_stamp_when_root_scripts_would_run(tmp_path: Path) -> None:
    package = {**_PACKAGE, "scripts": {"postinstall": "node x.js"}}
    config = _config(tmp_path, "--no-audit")
    project = _project(tmp_path, package)
    _stamp(config, project)
    assert check_noop(config, []) is None
    ignoring = _config(tmp_path, "--no-audit", "--ignore-scripts")
    _stamp(ignoring, project)
    assert check_noop(ignoring, []) is not None


def test_workspace_globs_are_mapped_again(tmp_path: Path) -> None:
    config = _config(tmp_path, "--no-audit")
    project = _project(tmp_path, {**_PACKAGE, "workspaces": ["packages/*"]})
    _stamp(config, project)
    assert check_noop(config, []) is not None
    # a new folder the glob finds: no file the stamp covers has changed, yet the tree would
    (project / "packages" / "w").mkdir(parents=True)
    (project / "packages" / "w" / "package.json").write_text('{"name":"w","version":"1.0.0"}')
    assert check_noop(config, []) is None


def test_warnings_kept_only_when_a_no_op_gives_them_again(tmp_path: Path) -> None:
    config = _config(tmp_path, "--no-audit")
    project = _project(tmp_path)
    engine = ("warn", "EBADENGINE", "Unsupported engine {\n  package: 'a@1.0.0'\n}")
    _stamp(config, project, alerts=[engine])
    hit = check_noop(config, [])
    assert hit is not None and hit.alerts == (engine,)
    _stamp(config, project, alerts=[engine, ("warn", "deprecated", "a@1.0.0: old")])
    assert check_noop(config, []) is None


def test_remove_stamp_and_root_files_digest(tmp_path: Path) -> None:
    config = _config(tmp_path, "--no-audit")
    project = _project(tmp_path)
    before = root_files_digest(config)
    _stamp(config, project)
    remove_stamp(config)
    assert check_noop(config, []) is None
    assert root_files_digest(config) == before
    (project / "package-lock.json").write_text("{}")
    assert root_files_digest(config) != before


def test_refetch_digests_name_the_packuments_a_rebuild_fetches(tmp_path: Path) -> None:
    package = {**_PACKAGE, "optionalDependencies": {"gone": "^2.0.0", "alias": "npm:real@^1.0.0"}}
    project = _project(tmp_path, package)
    tree = load_tree(str(project))
    bodies = {"gone": b'{"name":"gone"}', "real": b'{"name":"real"}'}
    digests = refetch_digests(tree, lambda name: [(False, bodies[name])] if name in bodies else [])
    assert digests is not None and set(digests) == {"gone", "real"}
    assert all(full is False and len(digest) == 64 for full, digest in digests.values())
    # a packument this run did not fetch: no stamp can say what a rebuild would find
    assert refetch_digests(tree, lambda name: []) is None
    # nothing missing: nothing to fetch
    assert refetch_digests(load_tree(str(_project(tmp_path / "other"))), lambda name: []) == {}
