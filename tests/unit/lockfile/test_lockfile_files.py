"""Which lockfile is read, the version policy, v1 conversion on load, writing, hidden lockfiles."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from snpm.errors import SnpmError
from snpm.lockfile import (
    LockEntry,
    Lockfile,
    StaleHiddenLockfileError,
    check_hidden_lockfile,
    format_lockfile,
    read_lockfile,
    write_lockfile,
)

V2 = {
    "name": "p",
    "version": "1.0.0",
    "lockfileVersion": 2,
    "requires": True,
    "packages": {"": {"name": "p", "version": "1.0.0"}, "node_modules/a": {"version": "1.0.0"}},
    "dependencies": {"a": {"version": "1.0.0"}},
}


def _write(path: Path, data: object, indent: int | str = 2) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=indent) + "\n")


def test_no_lockfile(tmp_path: Path) -> None:
    loaded = read_lockfile(tmp_path)
    assert not loaded.loaded_from_disk and loaded.loading_error is None
    assert loaded.path == tmp_path / "package-lock.json" and loaded.kind == "package-lock.json"
    assert loaded.lockfile.lockfile_version == 3 and loaded.original_version is None
    assert (loaded.indent, loaded.newline) == ("  ", "\n")


def test_shrinkwrap_wins_over_package_lock(tmp_path: Path) -> None:
    _write(tmp_path / "package-lock.json", {**V2, "name": "lock"})
    _write(tmp_path / "npm-shrinkwrap.json", {**V2, "name": "shrink"}, "\t")
    loaded = read_lockfile(tmp_path)
    assert loaded.lockfile.name == "shrink" and loaded.path.name == "npm-shrinkwrap.json"
    assert loaded.indent == "\t"
    only = read_lockfile(tmp_path / "missing", shrinkwrap_only=True)
    assert only.path.name == "npm-shrinkwrap.json" and not only.loaded_from_disk


def test_v2_stays_v2_unless_chosen(tmp_path: Path) -> None:
    _write(tmp_path / "package-lock.json", V2)
    loaded = read_lockfile(tmp_path)
    assert loaded.lockfile.lockfile_version == 2 and loaded.original_version == 2
    assert loaded.lockfile.legacy is None and "node_modules/a" in loaded.lockfile.packages
    assert not loaded.is_old and loaded.conversion_warning(tmp_path) is None
    chosen = read_lockfile(tmp_path, lockfile_version=3)
    assert chosen.lockfile.lockfile_version == 3
    assert chosen.conversion_warning(tmp_path) == "Converting lock file (package-lock.json) from v2 -> v3"
    assert (
        chosen.conversion_warning(tmp_path / "sub")
        == "Converting lock file (../package-lock.json) from v2 -> v3"
    )


def test_v1_is_converted_to_v3(tmp_path: Path) -> None:
    _write(
        tmp_path / "package-lock.json",
        {
            "name": "p",
            "version": "1.0.0",
            "lockfileVersion": 1,
            "requires": True,
            "dependencies": {
                "a": {"version": "1.0.0", "integrity": "sha512-a", "requires": {"b": "^1"}},
                "b": {"version": "1.2.0", "integrity": "sha512-b"},
            },
        },
    )
    loaded = read_lockfile(
        tmp_path, root_package={"name": "p", "version": "1.0.0", "dependencies": {"a": "^1"}}
    )
    assert loaded.original_version == 1 and loaded.lockfile.lockfile_version == 3 and not loaded.ancient
    assert loaded.is_old and loaded.conversion_warning(tmp_path) is not None
    packages = loaded.lockfile.packages
    assert packages[""].dependencies == {"a": "^1"}
    assert packages["node_modules/a"].dependencies == {"b": "^1"}
    assert loaded.lockfile.legacy is None


def test_ancient_lockfile(tmp_path: Path) -> None:
    _write(tmp_path / "package-lock.json", {"name": "p", "dependencies": {}})
    loaded = read_lockfile(tmp_path)
    assert loaded.ancient and loaded.is_old
    assert not read_lockfile(tmp_path / "nothing").is_old


def test_invalid_lockfile_loads_empty_with_error(tmp_path: Path) -> None:
    (tmp_path / "package-lock.json").write_text("{ nope")
    loaded = read_lockfile(tmp_path)
    assert not loaded.loaded_from_disk and loaded.loading_error is not None
    assert loaded.loading_error.code == "EJSONPARSE" and loaded.lockfile.packages == {}


def test_write_lockfile(tmp_path: Path) -> None:
    lf = Lockfile(name="p", packages={"": LockEntry(name="p"), "node_modules/a": LockEntry(version="1.0.0")})
    text = write_lockfile(tmp_path / "package-lock.json", lf, indent="\t", newline="\r\n")
    assert (tmp_path / "package-lock.json").read_bytes() == text.encode() and "\r\n\t" in text
    hidden = write_lockfile(tmp_path / "node_modules/.package-lock.json", lf, hidden=True)
    assert '"lockfileVersion": 3' in hidden and '""' not in hidden


def test_write_hidden_lockfile_failure_removes_it(tmp_path: Path) -> None:
    target = tmp_path / "node_modules" / ".package-lock.json"
    target.mkdir(parents=True)  # a directory where the file should go: the write fails
    write_lockfile(target, Lockfile(name="p"), hidden=True)  # no error: npm removes it instead
    assert not target.exists()
    with pytest.raises(SnpmError) as info:
        write_lockfile(tmp_path / "node_modules", Lockfile(name="p"))
    assert info.value.code == "EISDIR"


def _hidden_project(tmp_path: Path) -> tuple[Path, Lockfile]:
    for folder in ("node_modules/a", "node_modules/@s/b", "node_modules/a/node_modules/c", "ws"):
        (tmp_path / folder).mkdir(parents=True)
    os.symlink("../ws", tmp_path / "node_modules/w")
    lf = Lockfile(
        name="p",
        packages={
            "node_modules/a": LockEntry(version="1.0.0"),
            "node_modules/@s/b": LockEntry(version="1.0.0"),
            "node_modules/a/node_modules/c": LockEntry(version="1.0.0"),
            "node_modules/w": LockEntry(resolved="ws", link=True),
            "ws": LockEntry(version="1.0.0"),
        },
    )
    return tmp_path, lf


def _stamp(project: Path, lf: Lockfile, mtime: float) -> int:
    path = project / "node_modules/.package-lock.json"
    path.write_text(format_lockfile(lf, hidden=True))
    for folder, _dirs, _files in os.walk(project):
        os.utime(folder, (mtime - 100, mtime - 100))
    os.utime(path, (mtime, mtime))
    return path.stat().st_mtime_ns


def test_hidden_lockfile_fresh_and_stale(tmp_path: Path) -> None:
    project, lf = _hidden_project(tmp_path)
    now = 1_700_000_000.0
    mtime = _stamp(project, lf, now)
    check_hidden_lockfile(project, lf.packages, mtime)
    loaded = read_lockfile(project, hidden=True)
    assert loaded.loaded_from_disk and loaded.path.name == ".package-lock.json"
    assert "" not in loaded.lockfile.packages and loaded.lockfile.lockfile_version == 3

    # 10 ms of jitter are allowed, not more
    os.utime(project / "node_modules/a", (now + 0.005, now + 0.005))
    check_hidden_lockfile(project, lf.packages, mtime)
    os.utime(project / "node_modules/a", (now + 0.02, now + 0.02))
    with pytest.raises(StaleHiddenLockfileError, match="out of date, updated: node_modules/a"):
        check_hidden_lockfile(project, lf.packages, mtime)
    stale = read_lockfile(project, hidden=True)
    assert not stale.loaded_from_disk and stale.loading_error is not None


def test_hidden_lockfile_missing_entries(tmp_path: Path) -> None:
    project, lf = _hidden_project(tmp_path)
    (project / "node_modules/extra").mkdir()
    mtime = _stamp(project, lf, 1_700_000_000.0)
    with pytest.raises(StaleHiddenLockfileError, match="missing from lockfile: node_modules/extra"):
        check_hidden_lockfile(project, lf.packages, mtime)
    (project / "node_modules/extra").rmdir()
    packages = {**lf.packages, "node_modules/gone": LockEntry(version="1.0.0")}
    mtime = _stamp(project, lf, 1_700_000_000.0)
    with pytest.raises(StaleHiddenLockfileError, match="missing from node_modules: node_modules/gone"):
        check_hidden_lockfile(project, packages, mtime)
