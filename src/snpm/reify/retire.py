"""Moving folders aside, and the journal that lets a killed reify be undone (arborist retire-path.js).

A folder reify replaces or removes is first renamed to `.<name>-<hash>` beside it, where the hash is
8 path-safe characters of the sha1 of its path (npm's name, so npm and snpm agree on it). Until the
new tree is complete the retired folders are the way back.

npm keeps that way back only in memory: after `kill -9` its retired folders stay behind for good.
snpm also writes a small journal, `node_modules/.snpm-reify.json`, before each step that changes
node_modules: the retirements (original → retired path) and every path the step is about to create.
A later run finds the journal and finishes the job: while reify was still applying, everything it
created is removed and the retired folders are renamed back (the tree is exactly as before); once
reify had committed, only the leftover retired folders (the trash) are removed. The journal is
written to a temporary file and renamed, so it is always whole.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import os
import posixpath
import re
import shutil
from collections.abc import Callable
from typing import Final, Literal

import msgspec

from snpm.errors import SnpmError, from_os_error

__all__ = [
    "JOURNAL_NAME",
    "recover_interrupted",
    "Journal",
    "JournalState",
    "move_path",
    "remove_path",
    "retire_path",
]

JOURNAL_NAME: Final = ".snpm-reify.json"
_NOT_SAFE = re.compile(r"[^a-zA-Z0-9]+")

Phase = Literal["apply", "cleanup"]


def retire_path(path: str) -> str:
    """retire-path.js: `<dir>/.<base>-<first 8 path-safe chars of base64(sha1(path))>`."""
    digest = base64.b64encode(hashlib.sha1(path.encode("utf-8")).digest()).decode("ascii")
    head, base = posixpath.split(path)
    return posixpath.join(head, f".{base}-{_NOT_SAFE.sub('', digest)[:8]}")


def remove_path(path: str) -> None:
    """`rm -rf path` (a symlink is removed, never followed)."""
    try:
        if os.path.islink(path) or not os.path.isdir(path):
            os.unlink(path)
        else:
            shutil.rmtree(path)
    except FileNotFoundError:
        return


def move_path(src: str, dest: str, *, did_mkdir: bool = False) -> bool:
    """arborist's #renamePath (moveFile): rename `src` to `dest`; False when nothing was moved.

    On ENOENT the destination's folder is created and the rename tried once more; a second ENOENT
    is ignored. npm does not look at which side was missing, so a `src` that does not exist (a man
    link a package never got) still leaves its folder created, as npm does. An existing
    destination is removed first.
    """
    try:
        os.rename(src, dest)
        return True
    except FileNotFoundError:
        if did_mkdir:
            return False
        try:
            os.makedirs(posixpath.dirname(dest), exist_ok=True)
        except OSError as err:
            raise from_os_error(err, "mkdir") from None
        return move_path(src, dest, did_mkdir=True)
    except OSError as err:
        if err.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.EISDIR, errno.ENOTDIR):
            remove_path(dest)
            os.rename(src, dest)
            return True
        if err.errno == errno.EXDEV:
            shutil.move(src, dest)
            return True
        raise from_os_error(err, "rename") from None


class JournalState(msgspec.Struct):
    """What a reify in progress has done to node_modules (see the module docstring)."""

    phase: Phase = "apply"
    # original path → retired path, for every move that may have happened
    retired: dict[str, str] = msgspec.field(default_factory=dict)
    # paths created by this reify (removed on rollback); the shallowest created folder suffices
    created: list[str] = msgspec.field(default_factory=list)
    # what to delete once committed
    trash: list[str] = msgspec.field(default_factory=list)


class _Doc(msgspec.Struct, forbid_unknown_fields=False):
    version: int = 1
    phase: str = "apply"
    retired: dict[str, str] = {}
    created: list[str] = []
    trash: list[str] = []


class Journal:
    """The journal file of one project (`<root>/node_modules/.snpm-reify.json`)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.folder = posixpath.join(root, "node_modules")
        self.path = posixpath.join(self.folder, JOURNAL_NAME)

    def write(self, state: JournalState) -> None:
        nothing_made = not state.created or (
            all(path == self.folder for path in state.created) and not os.path.isdir(self.folder)
        )
        if nothing_made and not state.retired and not state.trash:
            # nothing to undo or finish, so no journal: above all no node_modules folder made
            # only to hold one (npm makes none for a project without dependencies)
            self.remove()
            return
        doc = _Doc(
            phase=state.phase,
            retired=dict(state.retired),
            created=list(state.created),
            trash=list(state.trash),
        )
        tmp = f"{self.path}.{os.getpid()}.tmp"
        try:
            os.makedirs(self.folder, exist_ok=True)
            with open(tmp, "wb") as fh:
                fh.write(msgspec.json.encode(doc))
            os.replace(tmp, self.path)
        except OSError as err:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise from_os_error(err, "open") from None

    def read(self) -> JournalState | None:
        try:
            with open(self.path, "rb") as fh:
                doc = msgspec.json.decode(fh.read(), type=_Doc)
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            return None
        phase: Phase = "cleanup" if doc.phase == "cleanup" else "apply"
        return JournalState(phase=phase, retired=doc.retired, created=doc.created, trash=doc.trash)

    def exists(self) -> bool:
        return os.path.lexists(self.path)

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def commit(self, state: JournalState, log: Callable[[str, str, str], None]) -> None:
        """A reify is in place and saved: mark the journal committed, delete the trash (a failure
        is a warning: the install stands), then the journal (npm's removeTrash)."""
        state.phase = "cleanup"
        with contextlib.suppress(SnpmError):
            self.write(state)
        failures: list[str] = []
        for path in dict.fromkeys(state.trash):
            try:
                remove_path(path)
            except OSError:
                failures.append(path)
        if failures:
            log("warn", "cleanup", f"Failed to remove some directories {failures}")
        self.remove()

    def recover(self) -> Phase | None:
        """Finish what an interrupted reify left: roll back an unfinished apply, or empty the
        trash of a committed one. Returns the phase found (None: nothing to do)."""
        state = self.read()
        if state is None:
            if self.exists():
                self.remove()
            return None
        if state.phase == "apply":
            undo(state)
        else:
            for path in state.trash:
                with contextlib.suppress(OSError):
                    remove_path(path)
        self.remove()
        if os.path.isdir(self.folder) and not os.listdir(self.folder) and self.folder in state.created:
            with contextlib.suppress(OSError):
                os.rmdir(self.folder)
        return state.phase


def recover_interrupted(root: str, log: Callable[[str, str, str], None]) -> None:
    """Undo (or finish cleaning up after) a reify that was killed in this project."""
    journal = Journal(root)
    if not journal.exists():
        return
    phase = journal.recover()
    if phase == "apply":
        log("warn", "reify", "restored node_modules after an interrupted install")
    elif phase == "cleanup":
        log("verbose", "reify", "removed folders left by an interrupted install")


def undo(state: JournalState) -> list[tuple[str, OSError]]:
    """Put node_modules back as it was: remove what was created (deepest first) and what now sits
    where a retired folder came from, then rename the retired folders back. Errors are collected
    (a rollback goes as far as it can)."""
    failures: list[tuple[str, OSError]] = []
    for path in sorted(set(state.created), key=len, reverse=True):
        if path == posixpath.dirname(path):
            continue
        try:
            if posixpath.basename(path) == "node_modules" and _holds_journal(path):
                _empty_except_journal(path)
            else:
                remove_path(path)
        except OSError as err:
            failures.append((path, err))
    for original, retired in state.retired.items():
        if not os.path.lexists(retired):
            continue
        try:
            remove_path(original)
            move_path(retired, original)
        except OSError as err:
            failures.append((original, err))
    return failures


def _holds_journal(folder: str) -> bool:
    return os.path.lexists(posixpath.join(folder, JOURNAL_NAME))


def _empty_except_journal(folder: str) -> None:
    """A created root node_modules holds the journal: empty it but keep the journal for last."""
    for entry in os.listdir(folder):
        if entry != JOURNAL_NAME:
            remove_path(posixpath.join(folder, entry))
