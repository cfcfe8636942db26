"""After a successful apply: arborist's [_saveIdealTree] (package.json edits, then
package-lock.json) and the hidden lockfile, each file written atomically and its previous bytes
kept, so that a failure before the commit puts everything back.

Which specs are saved is the tree engine's (`snpm.tree.add_rm`), the lockfile text the lockfile
bridge's; this module decides what is written when, as npm does:
- nothing with --dry-run, for `npm ci`, or with --no-save (unless `npm update`, which always
  writes the lockfile);
- package-lock.json only with package-lock=true; npm's "Converting lock file" warning when its
  version changes;
- node_modules/.package-lock.json always (v3, no root entry); its top-level name and version are
  those of the lockfile data in memory: the root's when package-lock.json was just written, else
  what the loaded lockfile said (nothing when none was loaded, e.g. with --package-lock=false).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from msgspec.structs import replace

from snpm.errors import SnpmError
from snpm.lockfile import format_lockfile
from snpm.reify.save import FileBackup, write_package_json, write_text_atomic
from snpm.tree.add_rm import apply_saved_specs, package_json_changes
from snpm.tree.ideal.build import IdealTree
from snpm.tree.lockfile_bridge import LockOptions, lockfile_from_tree, lockfile_text

__all__ = ["hidden_lockfile_text", "save_ideal_tree", "write_hidden_lockfile", "write_hidden_text"]


def save_ideal_tree(
    built: IdealTree,
    *,
    clean_install: bool,
    root: str,
    format_package_lock: bool,
    log: Callable[[str, str, str], None],
) -> list[FileBackup]:
    """Write package.json(s) and package-lock.json; returns the previous contents of each."""
    options = built.options
    has_updates = options.update_all or bool(options.update_names)
    if clean_install or (not options.save and not has_updates) or options.dry_run:
        return []
    backups: list[FileBackup] = []
    for tree in apply_saved_specs(built):
        folder = tree.path or root
        backups.append(FileBackup.take(Path(folder) / "package.json"))
        write_package_json(folder, package_json_changes(tree))
    if options.package_lock:
        meta = built.meta
        filename = Path(meta.filename or os.path.join(root, "package-lock.json"))
        backups.append(FileBackup.take(filename))
        text = lockfile_text(
            built.root,
            meta,
            package_indent=built.package_indent,
            options=LockOptions(omit_lockfile_registry_resolved=options.omit_lockfile_registry_resolved),
            format_package_lock=format_package_lock,
        )
        original = meta.original_lockfile_version
        if original is not None and meta.loaded_from_disk and original != (meta.lockfile_version or 3):
            rel = os.path.relpath(filename, os.getcwd())
            log(
                "warn",
                "shrinkwrap",
                f"Converting lock file ({rel}) from v{original} -> v{meta.lockfile_version}",
            )
        write_text_atomic(filename, text)
    return backups


def hidden_lockfile_text(built: IdealTree, *, lock_saved: bool) -> str:
    """node_modules/.package-lock.json for the tree as it now is on disk."""
    meta = built.meta
    lock_options = LockOptions(omit_lockfile_registry_resolved=built.options.omit_lockfile_registry_resolved)
    lockfile = lockfile_from_tree(built.root, meta, lockfile_version=3, options=lock_options)
    if not lock_saved:
        loaded = meta.loaded_from_disk and built.options.package_lock
        lockfile = replace(
            lockfile, name=meta.name if loaded else None, version=meta.version if loaded else None
        )
    elif (meta.lockfile_version or 3) > 3:
        # package-lock.json kept the name its newer file gave (see lockfile_from_tree), and npm
        # writes the hidden lockfile from the same data
        lockfile = replace(lockfile, name=meta.name, version=meta.version)
    indent = built.package_indent if built.package_indent is not None else meta.indent
    return format_lockfile(
        lockfile,
        lockfile_version=3,
        indent=indent or "  ",
        newline=meta.newline or "\n",
        hidden=True,
        project_path=meta.path,
    )


def write_hidden_lockfile(built: IdealTree, path: Path, *, lock_saved: bool) -> None:
    """Write it, or (as npm) remove it when it cannot be written: never leave a stale one."""
    write_hidden_text(path, lambda: hidden_lockfile_text(built, lock_saved=lock_saved))


def write_hidden_text(path: Path, text: Callable[[], str]) -> None:
    """Write a hidden lockfile's text, or remove the file when that fails (no node_modules folder
    to hold it, say): npm's Shrinkwrap.save for a hidden lockfile."""
    try:
        write_text_atomic(path, text())
    except (SnpmError, OSError):
        with contextlib.suppress(OSError):
            path.unlink()
