"""Retire paths (npm's names) and the journal that undoes a killed reify."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from snpm.reify.retire import Journal, JournalState, move_path, remove_path, retire_path, undo


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # computed with arborist's retire-path.js
        ("/project/node_modules/a", "/project/node_modules/.a-ty6sBrLN"),
        ("/project/node_modules/@scope/pkg", "/project/node_modules/@scope/.pkg-023sB2Tx"),
        ("/project/node_modules/.bin/a-cli", "/project/node_modules/.bin/.a-cli-3tBAXbBJ"),
        ("/x/node_modules/a/node_modules/b", "/x/node_modules/a/node_modules/.b-Z38kOr5c"),
    ],
)
def test_retire_path_is_npms(path: str, expected: str) -> None:
    assert retire_path(path) == expected


def _tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _snapshot(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            out[rel] = (
                f"-> {os.readlink(path)}"
                if path.is_symlink()
                else "dir"
                if path.is_dir()
                else path.read_text()
            )
    return out


def test_move_path_creates_the_parent_and_replaces_a_destination(tmp_path: Path) -> None:
    _tree(tmp_path, {"src/a.txt": "new", "dest/old.txt": "old"})
    assert move_path(str(tmp_path / "src"), str(tmp_path / "dest"))
    assert _snapshot(tmp_path) == {"dest": "dir", "dest/a.txt": "new"}
    assert move_path(str(tmp_path / "dest"), str(tmp_path / "deep" / "er" / "x"))
    assert not move_path(str(tmp_path / "missing"), str(tmp_path / "y"))


def test_move_path_makes_the_folder_even_when_there_is_nothing_to_move(tmp_path: Path) -> None:
    # arborist's #renamePath mkdirs the destination's folder on any ENOENT, then ignores the next
    share = tmp_path / "share" / "man" / "man3"
    assert not move_path(str(share / "x.3"), str(share / ".x.3-abcdefgh"))
    assert share.is_dir() and not any(share.iterdir())


def test_remove_path_never_follows_links(tmp_path: Path) -> None:
    _tree(tmp_path, {"target/keep.txt": "keep"})
    (tmp_path / "link").symlink_to(tmp_path / "target")
    remove_path(str(tmp_path / "link"))
    remove_path(str(tmp_path / "missing"))
    assert _snapshot(tmp_path) == {"target": "dir", "target/keep.txt": "keep"}


def test_journal_round_trip(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path))
    assert journal.read() is None
    state = JournalState(retired={"/a": "/.a-x"}, created=["/b"], trash=["/.a-x"])
    journal.write(state)
    assert journal.read() == state
    journal.remove()
    assert not journal.exists()


def test_nothing_to_record_writes_no_journal_and_makes_no_folder(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path))
    nm = tmp_path / "node_modules"
    # only the root node_modules "to be made", and it is not there: nothing to journal
    journal.write(JournalState(created=[str(nm)]))
    journal.write(JournalState())
    assert not nm.exists()
    # once something is recorded the journal (and its folder) are written
    journal.write(JournalState(created=[str(nm), str(nm / "a")]))
    assert journal.exists()
    # an empty state afterwards removes it: nothing is left to undo
    journal.write(JournalState())
    assert not journal.exists()


def test_recover_undoes_an_interrupted_apply(tmp_path: Path) -> None:
    nm = tmp_path / "node_modules"
    _tree(tmp_path, {"node_modules/a/package.json": "a@1", "node_modules/.bin/keep": "k"})
    before = _snapshot(tmp_path)
    original = str(nm / "a")
    retired = retire_path(original)
    journal = Journal(str(tmp_path))
    journal.write(JournalState(retired={original: retired}, created=[str(nm / "b")], trash=[retired]))
    # what a killed reify left: a retired, a half-written new a, a new b
    os.rename(original, retired)
    _tree(tmp_path, {"node_modules/a/package.json": "a@2 (partial)", "node_modules/b/index.js": "b"})
    assert journal.recover() == "apply"
    assert _snapshot(tmp_path) == before


def test_recover_after_commit_only_empties_the_trash(tmp_path: Path) -> None:
    _tree(tmp_path, {"node_modules/a/package.json": "a@2", "node_modules/.a-xyz/package.json": "a@1"})
    journal = Journal(str(tmp_path))
    journal.write(JournalState(phase="cleanup", trash=[str(tmp_path / "node_modules/.a-xyz")]))
    assert journal.recover() == "cleanup"
    assert _snapshot(tmp_path) == {
        "node_modules": "dir",
        "node_modules/a": "dir",
        "node_modules/a/package.json": "a@2",
    }


def test_recover_removes_a_node_modules_it_created(tmp_path: Path) -> None:
    nm = tmp_path / "node_modules"
    journal = Journal(str(tmp_path))
    journal.write(JournalState(created=[str(nm), str(nm / "a")]))
    _tree(tmp_path, {"node_modules/a/package.json": "a"})
    journal.recover()
    assert not nm.exists()


def test_undo_reports_what_it_could_not_do(tmp_path: Path) -> None:
    state = JournalState(
        retired={str(tmp_path / "gone"): str(tmp_path / ".gone-x")}, created=[str(tmp_path / "n")]
    )
    assert undo(state) == []
