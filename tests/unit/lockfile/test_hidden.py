from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from snpm.lockfile.hidden import StaleHiddenLockfileError, check_hidden_lockfile, js_date_ms
from snpm.lockfile.model import LockEntry

SECOND = 1_700_000_000 * 1_000_000_000
MTIMES_NS = [SECOND + n for n in (0, 400_000, 499_999, 500_000, 599_000, 999_999, 999_880_000, 10_600_001)]


def test_js_date_ms_rounds_like_node() -> None:
    assert js_date_ms(SECOND + 400_000) == SECOND // 1_000_000
    assert js_date_ms(SECOND + 600_000) == SECOND // 1_000_000 + 1


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_js_date_ms_equals_nodes_stat_mtime(tmp_path: Path) -> None:
    files = []
    for i, ns in enumerate(MTIMES_NS):
        path = tmp_path / f"f{i}"
        path.write_text("")
        os.utime(path, ns=(ns, ns))
        files.append(str(path))
    script = "console.log(JSON.stringify(process.argv.slice(1).map(f => +require('fs').statSync(f).mtime)))"
    node = subprocess.run(["node", "-e", script, *files], capture_output=True, text=True, check=True)
    assert json.loads(node.stdout) == [js_date_ms(os.stat(f).st_mtime_ns) for f in files]


def _project(tmp_path: Path, lock_ns: int, folder_ns: int) -> dict[str, LockEntry]:
    folder = tmp_path / "node_modules" / "a"
    folder.mkdir(parents=True)
    (folder / "package.json").write_text('{"name":"a","version":"1.0.0"}')
    hidden = tmp_path / "node_modules" / ".package-lock.json"
    hidden.write_text("{}")
    os.utime(folder, ns=(folder_ns, folder_ns))
    os.utime(tmp_path / "node_modules", ns=(lock_ns, lock_ns))
    os.utime(hidden, ns=(lock_ns, lock_ns))
    return {"node_modules/a": LockEntry(version="1.0.0")}


def test_folder_touched_just_within_the_jitter_is_trusted(tmp_path: Path) -> None:
    packages = _project(tmp_path, SECOND + 600_000, SECOND + 10_400_000)
    check_hidden_lockfile(tmp_path, packages, SECOND + 600_000)


def test_rounding_makes_a_folder_newer_than_its_floored_milliseconds_say(tmp_path: Path) -> None:
    # floored: 1010 > 1000 + 10 is false; rounded as node does: 1011 > 1010 is true
    packages = _project(tmp_path, SECOND + 400_000, SECOND + 10_600_000)
    with pytest.raises(StaleHiddenLockfileError, match="out of date, updated: node_modules/a"):
        check_hidden_lockfile(tmp_path, packages, SECOND + 400_000)
