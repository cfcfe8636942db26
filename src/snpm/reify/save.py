"""Writing files after a successful apply, all or nothing (arborist reify.js [_saveIdealTree]'s
writes; which specs are saved is the tree engine's `snpm.tree.add_rm`).

Files are written to a temporary sibling and renamed into place, so a crash never leaves half a
package.json or lockfile, and a failed reify can put the previous bytes back (`FileBackup`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path

import msgspec

from snpm.ecmascript.strings import trim as js_trim
from snpm.errors import from_os_error
from snpm.json_types import JsonValue
from snpm.manifest import Undefined, format_package_json, read_package_json, update_package_json

__all__ = ["FileBackup", "write_package_json", "write_text_atomic"]


def write_package_json(folder: str, changes: Mapping[str, JsonValue | Undefined]) -> bool:
    """`PackageJson.load(folder, {create: true}).update(changes).save()`, atomically. Returns
    whether the file changed (npm leaves a file alone when only surrounding whitespace would)."""
    file = update_package_json(read_package_json(folder, create=True), changes)
    content = {k: v for k, v in file.content.items() if k not in file.dropped}
    text = format_package_json(content, indent=file.indent, newline=file.newline)
    if js_trim(text) == js_trim(file.text):
        return False
    write_text_atomic(file.path, text)
    return True


class FileBackup(msgspec.Struct, frozen=True):
    """A file's bytes before reify wrote it (None: it did not exist), to restore on failure."""

    path: Path
    content: bytes | None

    @classmethod
    def take(cls, path: Path) -> FileBackup:
        try:
            return cls(path, path.read_bytes())
        except FileNotFoundError:
            return cls(path, None)
        except OSError as err:
            raise from_os_error(err, "open") from None

    def restore(self) -> None:
        if self.content is None:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            return
        write_text_atomic(self.path, self.content)


def write_text_atomic(path: Path, text: str | bytes) -> None:
    """Write `path` through a temporary sibling and a rename (never half a file)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise from_os_error(err, "open") from None
