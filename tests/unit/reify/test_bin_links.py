"""bin-links: where bins and man pages are linked, conflicts, fix-bin, paths for removal."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from snpm.errors import SnpmError
from snpm.json_types import JsonObject
from snpm.reify.bin_links import (
    BinLinker,
    bin_target,
    check_bins,
    exec_mode,
    fix_bin,
    get_paths,
    man_target,
    normalized_bins,
    unlink_bins,
)


def _pkg(folder: Path, pkg: JsonObject, files: dict[str, str]) -> tuple[JsonObject, str]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(json.dumps(pkg))
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
        (folder / name).chmod(0o644)
    return pkg, str(folder)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_targets() -> None:
    assert bin_target("/p/node_modules/a", top=False) == "/p/node_modules/.bin"
    assert bin_target("/p/node_modules/@s/a", top=False) == "/p/node_modules/.bin"
    assert bin_target("/p/node_modules/a/node_modules/b", top=False) == "/p/node_modules/a/node_modules/.bin"
    assert bin_target("/g/lib/node_modules/a", top=True) == "/g/bin"
    assert bin_target("/g/lib/node_modules/@s/a", top=True) == "/g/bin"
    assert man_target("/g/lib/node_modules/a", top=True) == "/g/share/man"
    assert man_target("/p/node_modules/a", top=False) is None


def test_normalized_bins() -> None:
    assert normalized_bins({"name": "@s/tool", "bin": "./cli.js"}) == {"tool": "cli.js"}
    assert normalized_bins({"bin": "cli.js"}) == {}
    assert normalized_bins({"bin": ["bin/a.js", "b"]}) == {"a.js": "bin/a.js", "b": "b"}
    assert normalized_bins({"bin": {"x/y": "../../z.js", "2": "two", "bad": 3, "": "e"}}) == {
        "2": "two",
        "y": "z.js",
    }


def test_local_links_are_relative_and_targets_executable(tmp_path: Path) -> None:
    pkg, path = _pkg(
        tmp_path / "node_modules/@s/tool",
        {"name": "@s/tool", "bin": {"tool": "bin/cli.js", "gone": "nope.js"}},
        {"bin/cli.js": "#!/usr/bin/env node\r\nx\r\n"},
    )
    linker = BinLinker()
    linker.link(pkg, path, top=False, global_=False, force=False)
    link = tmp_path / "node_modules/.bin/tool"
    assert os.readlink(link) == "../@s/tool/bin/cli.js"
    assert _mode(tmp_path / "node_modules/@s/tool/bin/cli.js") == exec_mode()
    assert (tmp_path / "node_modules/@s/tool/bin/cli.js").read_bytes() == b"#!/usr/bin/env node\nx\r\n"
    assert not (tmp_path / "node_modules/.bin/gone").exists()  # a missing target is skipped


def test_local_top_gets_nothing(tmp_path: Path) -> None:
    pkg, path = _pkg(tmp_path / "root", {"name": "root", "bin": "x.js"}, {"x.js": ""})
    BinLinker().link(pkg, path, top=True, global_=False, force=False)
    assert not (tmp_path / "bin").exists()
    assert get_paths(pkg, path, global_=False, top=True) == []


def test_first_package_wins_within_a_run(tmp_path: Path) -> None:
    a, a_path = _pkg(tmp_path / "node_modules/a", {"name": "a", "bin": {"x": "a.js"}}, {"a.js": ""})
    b, b_path = _pkg(tmp_path / "node_modules/b", {"name": "b", "bin": {"x": "b.js"}}, {"b.js": ""})
    linker = BinLinker()
    linker.link(a, a_path, top=False, global_=False, force=False)
    linker.link(b, b_path, top=False, global_=False, force=False)
    assert os.readlink(tmp_path / "node_modules/.bin/x") == "../a/a.js"
    assert _mode(tmp_path / "node_modules/b/b.js") == 0o644  # not linked, not fixed
    # a new run (a new process in npm) lets b take it: local bins are always clobbered
    BinLinker().link(b, b_path, top=False, global_=False, force=False)
    assert os.readlink(tmp_path / "node_modules/.bin/x") == "../b/b.js"


def test_existing_files_are_replaced_locally(tmp_path: Path) -> None:
    pkg, path = _pkg(tmp_path / "node_modules/a", {"name": "a", "bin": "a.js"}, {"a.js": ""})
    (tmp_path / "node_modules/.bin").mkdir()
    (tmp_path / "node_modules/.bin/a").write_text("someone else's")
    BinLinker().link(pkg, path, top=False, global_=False, force=False)
    assert os.readlink(tmp_path / "node_modules/.bin/a") == "../a/a.js"


def test_an_identical_link_is_left_alone_and_not_fixed(tmp_path: Path) -> None:
    pkg, path = _pkg(tmp_path / "node_modules/a", {"name": "a", "bin": "a.js"}, {"a.js": ""})
    (tmp_path / "node_modules/.bin").mkdir()
    os.symlink("../a/a.js", tmp_path / "node_modules/.bin/a")
    BinLinker().link(pkg, path, top=False, global_=False, force=False)
    assert _mode(tmp_path / "node_modules/a/a.js") == 0o644


def _global(tmp_path: Path, name: str = "g") -> tuple[JsonObject, str]:
    return _pkg(
        tmp_path / f"lib/node_modules/{name}",
        {"name": name, "bin": {name: "cli.js"}, "man": ["man/g.1", "man/g.2.gz", "man/g.1"]},
        {"cli.js": "", "man/g.1": "", "man/g.2.gz": ""},
    )


def test_global_bins_and_man_pages(tmp_path: Path) -> None:
    pkg, path = _global(tmp_path)
    BinLinker().link(pkg, path, top=True, global_=True, force=False)
    assert os.readlink(tmp_path / "bin/g") == "../lib/node_modules/g/cli.js"
    assert os.readlink(tmp_path / "share/man/man1/g.1") == "../../../lib/node_modules/g/man/g.1"
    assert os.readlink(tmp_path / "share/man/man2/g.2.gz") == "../../../lib/node_modules/g/man/g.2.gz"
    assert get_paths(pkg, path, global_=True, top=True) == [
        str(tmp_path / "bin/g"),
        str(tmp_path / "share/man/man1/g.1"),
        str(tmp_path / "share/man/man2/g.2.gz"),
        str(tmp_path / "share/man/man1/g.1"),
    ]
    assert unlink_bins(pkg, path, global_=True, top=True) == [
        str(tmp_path / "bin/g"),
        str(tmp_path / "share/man/man1/g.1"),
        str(tmp_path / "share/man/man2/g.2.gz"),
    ]
    assert not os.path.lexists(tmp_path / "bin/g")


def test_bad_man_names(tmp_path: Path) -> None:
    pkg, path = _pkg(
        tmp_path / "lib/node_modules/m",
        {"name": "m", "_id": "m@1.0.0", "bin": "c.js", "man": ["README.md"]},
        {"c.js": ""},
    )
    assert get_paths(pkg, path, global_=True, top=True) == [str(tmp_path / "bin/m")]
    with pytest.raises(SnpmError) as info:
        BinLinker().link(pkg, path, top=True, global_=True, force=False)
    assert info.value.code == "EBADMAN"
    assert info.value.message.startswith("invalid man entry name\n")


def test_global_bins_owned_by_others_are_protected(tmp_path: Path) -> None:
    pkg, path = _global(tmp_path)
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin/g").write_text("system binary")
    with pytest.raises(SnpmError) as info:
        check_bins(pkg, path, top=True, global_=True, force=False)
    assert (info.value.code, info.value.message, info.value.path) == (
        "EEXIST",
        "EEXIST: file already exists",
        str(tmp_path / "bin/g"),
    )
    check_bins(pkg, path, top=True, global_=True, force=True)
    with pytest.raises(SnpmError) as linked:
        BinLinker().link(pkg, path, top=True, global_=True, force=False)
    assert linked.value.code == "EEXIST"
    assert (
        linked.value.message
        == f"EEXIST: file already exists, symlink '../lib/node_modules/g/cli.js' -> '{tmp_path}/bin/g'"
    )
    BinLinker().link(pkg, path, top=True, global_=True, force=True)
    assert os.readlink(tmp_path / "bin/g") == "../lib/node_modules/g/cli.js"


def test_global_links_into_the_package_are_fine(tmp_path: Path) -> None:
    pkg, path = _global(tmp_path)
    (tmp_path / "bin").mkdir()
    os.symlink("../lib/node_modules/g/old.js", tmp_path / "bin/g")
    check_bins(pkg, path, top=True, global_=True, force=False)
    BinLinker().link(pkg, path, top=True, global_=True, force=False)
    assert os.readlink(tmp_path / "bin/g") == "../lib/node_modules/g/cli.js"
    os.unlink(tmp_path / "bin/g")
    os.symlink("../lib/node_modules/other/cli.js", tmp_path / "bin/g")
    with pytest.raises(SnpmError):
        check_bins(pkg, path, top=True, global_=True, force=False)


def test_fix_bin_keeps_other_crlf_and_mode(tmp_path: Path) -> None:
    script = tmp_path / "s"
    script.write_bytes(b"#!/bin/sh\r\necho a\r\n")
    fix_bin(str(script), 0o750)
    assert script.read_bytes() == b"#!/bin/sh\necho a\r\n"
    assert _mode(script) == 0o750
    plain = tmp_path / "p"
    plain.write_bytes(b"no hashbang\r\n")
    fix_bin(str(plain), 0o700)
    assert plain.read_bytes() == b"no hashbang\r\n"


def test_a_store_shared_bin_gets_its_own_copy(tmp_path: Path) -> None:
    """The chmod that makes a bin executable never reaches a hard-linked stored file; a linked
    folder's own file is chmod-ed in place, as npm does."""
    stored = tmp_path / "store-file"
    stored.write_text("#!/usr/bin/env node\n")
    stored.chmod(0o644)
    pkg, path = _pkg(tmp_path / "node_modules/tool", {"name": "tool", "bin": "cli.js"}, {})
    os.link(stored, Path(path) / "cli.js")
    BinLinker().link(pkg, path, top=False, global_=False, force=False)
    assert _mode(Path(path) / "cli.js") == exec_mode()
    assert _mode(stored) == 0o644 and stored.stat().st_nlink == 1

    folder = tmp_path / "own"
    own_pkg, _ = _pkg(folder, {"name": "own", "bin": "cli.js"}, {"cli.js": "#!/usr/bin/env node\n"})
    os.link(folder / "cli.js", tmp_path / "second-name")
    (tmp_path / "p/node_modules").mkdir(parents=True)
    os.symlink("../../own", tmp_path / "p/node_modules/own")
    BinLinker().link(own_pkg, str(tmp_path / "p/node_modules/own"), top=False, global_=False, force=False)
    assert _mode(tmp_path / "second-name") == exec_mode()
