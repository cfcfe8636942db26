"""Package bins and man pages on disk: a port of bin-links 6 (POSIX) with npm-normalize-package-bin.

Where links go (bin-target.js, man-target.js):
- a dependency's bins go in the `.bin` folder of the node_modules folder that holds it
  (`node_modules/a/node_modules/b` → `node_modules/a/node_modules/.bin`), man pages nowhere;
- a global top (`{prefix}/lib/node_modules/x`) links bins into `{prefix}/bin` and man pages into
  `{prefix}/share/man/man<section>`;
- a local top (the project root) gets nothing.

How (link-gently.js, fix-bin.js): each link is a relative symlink (`../a/cli.js`). A link path is
claimed by the first package that asks for it in one run (`BinLinker.seen`: arborist links in depth
then path order, so the result does not depend on timing). A missing target is skipped silently.
An existing symlink to the same place is left alone (and its target is then not chmod-ed); one
pointing into the package is replaced; anything else is replaced only when forced, which local bins
always are; a global top's bins are not, so they fail with EEXIST (`check_bins` finds that before
any script runs). A newly linked target is chmod-ed to 0o777 & ~umask (this is what makes a bin
executable: it is extracted with the tarball's mode; a file still shared with snpm's store gets its
own copy first) and a CRLF ending its `#!` line is rewritten to LF. Windows shims (cmd-shim) are
not ported: snpm is POSIX-only here.

Removal: `get_paths` lists every bin and man link a package may own (arborist's Node#binPaths); reify
deletes them with the package, whoever they point to.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import stat
from collections.abc import Callable, Mapping
from typing import Final

import msgspec

from snpm.ecmascript.json import key_order as js_key_order
from snpm.errors import SnpmError, from_os_error
from snpm.json_types import JsonValue
from snpm.manifest.normalize import js_join, normalize_bin_for_links

__all__ = [
    "BinLinker",
    "bin_target",
    "check_bins",
    "exec_mode",
    "fix_bin",
    "get_paths",
    "man_target",
    "normalized_bins",
    "unlink_bins",
]

Warn = Callable[[str, str], None]

_MAN_SECTION: Final = re.compile(r"\.([0-9]+)(\.gz)?$")
_MAN_PATH: Final = re.compile(r".\.[0-9]+(\.gz)?$")
_WINDOWS_HASHBANG: Final = re.compile(rb"^#![^\n]+\r\n")
_CRLF_HASHBANG: Final = re.compile(r"^(#![^\n]+)\r\n")
# libuv's wording, which node puts in fs error messages
_UV_TEXT: Final = {
    "EEXIST": "file already exists",
    "ENOENT": "no such file or directory",
    "EACCES": "permission denied",
}


# ── targets ────────────────────────────────────────────────────────────────────────────────────────
@functools.lru_cache(maxsize=4096)
def _node_modules_of(path: str) -> str:
    """get-node-modules.js: the node_modules folder holding the package (a scope folder is skipped)."""
    scope_or_nm = os.path.dirname(path)
    return scope_or_nm if os.path.basename(scope_or_nm) == "node_modules" else os.path.dirname(scope_or_nm)


def bin_target(path: str, *, top: bool) -> str:
    """The folder a package's bins are linked into."""
    if not top:
        return _node_modules_of(path) + "/.bin"
    return os.path.dirname(os.path.dirname(_node_modules_of(path))) + "/bin"


def man_target(path: str, *, top: bool) -> str | None:
    """`{prefix}/share/man` for a global top; None for everything else."""
    if not top:
        return None
    return os.path.dirname(os.path.dirname(_node_modules_of(path))) + "/share/man"


def normalized_bins(pkg: Mapping[str, JsonValue]) -> dict[str, str]:
    """npm-normalize-package-bin: bin name → path inside the package, in JavaScript key order."""
    name = pkg.get("name")
    raw = pkg.get("bin")
    if isinstance(raw, dict):
        raw = {key: raw[key] for key in js_key_order(list(raw))}
    return normalize_bin_for_links(raw, name if isinstance(name, str) else None)


def _mans(pkg: Mapping[str, JsonValue]) -> list[JsonValue]:
    man = pkg.get("man")
    return man if isinstance(man, list) else []


# ── errors ─────────────────────────────────────────────────────────────────────────────────────────
def _eexist_check(target: str) -> SnpmError:
    return SnpmError("EEXIST: file already exists", code="EEXIST", path=target)


def _fs_error(err: OSError, syscall: str) -> SnpmError:
    """node's fs error for `err` (`EEXIST: file already exists, symlink 'a' -> 'b'`)."""
    wrapped = from_os_error(err, syscall)
    code = str(wrapped.code)
    if code in _UV_TEXT:
        where = f", {syscall} '{err.filename}'" if err.filename else ""
        if err.filename2:
            where += f" -> '{err.filename2}'"
        wrapped.message = f"{code}: {_UV_TEXT[code]}{where}"
    return wrapped


# ── check and paths ────────────────────────────────────────────────────────────────────────────────
def check_bins(pkg: Mapping[str, JsonValue], path: str, *, top: bool, global_: bool, force: bool) -> None:
    """Refuse (EEXIST) to let a global top replace bins that are not links into itself.

    Only global tops are protected, and never with --force. Run before any script of the package,
    so that a preinstall script cannot unlink a system binary to have it silently replaced.
    """
    if force or not global_ or not top:
        return
    real = os.path.abspath(path)
    for name in normalized_bins(pkg):
        target = os.path.abspath(os.path.join(bin_target(path, top=top), name))
        try:
            current = os.readlink(target)
        except FileNotFoundError:
            continue
        except OSError:
            raise _eexist_check(target) from None
        resolved = os.path.abspath(os.path.join(os.path.dirname(target), current)).lower()
        if resolved != real.lower() and not resolved.startswith(real.lower() + os.sep):
            raise _eexist_check(target)


def get_paths(pkg: Mapping[str, JsonValue], path: str, *, global_: bool, top: bool) -> list[str]:
    """Every bin and man link the package may own (bin-links getPaths); [] for a local top."""
    if top and not global_:
        return []
    target = bin_target(path, top=top)
    found = [os.path.abspath(os.path.join(target, name)) for name in normalized_bins(pkg)]
    man_dir = man_target(path, top=top)
    mans: list[str] = []
    if man_dir is not None:
        for man in _mans(pkg):
            man_text = str(man)
            if not _MAN_PATH.search(man_text):
                return found  # one bad entry and no man page is listed at all
            base = man_text.rsplit("/", 1)[-1]
            section = os.path.splitext(base.removesuffix(".gz"))[1][1:]
            mans.append(os.path.abspath(os.path.join(man_dir, f"man{section}", base)))
    return found + mans


def unlink_bins(pkg: Mapping[str, JsonValue], path: str, *, global_: bool, top: bool) -> list[str]:
    """Delete the package's bin and man links (whatever they point to, as arborist's trash does).
    Returns the paths that existed."""
    removed: list[str] = []
    for link in get_paths(pkg, path, global_=global_, top=top):
        if _rm(link):
            removed.append(link)
    return removed


# ── fixing the target ──────────────────────────────────────────────────────────────────────────────
@functools.lru_cache(maxsize=1)
def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


def exec_mode() -> int:
    """fix-bin's mode for bin targets: 0o777 less the process umask (755 under the usual 022)."""
    return 0o777 & ~_umask()


def fix_bin(file: str, mode: int | None = None, *, unshare: bool = False) -> None:
    """Make a bin target executable; turn a CRLF at the end of its `#!` line into LF.

    `unshare` is for a package snpm put in place from its store: a bin hard-linked to a stored
    file gets its own copy before the chmod, so the store (and every other package sharing that
    inode) keeps the tarball's mode. A linked folder's files are chmod-ed in place, as npm does.
    """
    wanted = exec_mode() if mode is None else mode
    if unshare:
        st = os.stat(file)
        if st.st_nlink > 1 and stat.S_IMODE(st.st_mode) != wanted:
            # the store's module (msgspec, hashing) loads only when a bin has to be unshared
            from snpm.cache.store import copy_with_mode

            copy_with_mode(file, wanted)
        else:
            os.chmod(file, wanted)
    else:
        os.chmod(file, wanted)
    try:
        with open(file, "rb") as handle:
            head = handle.read(2048)
    except OSError:
        return
    if not _WINDOWS_HASHBANG.match(head):
        return
    real = os.path.realpath(file)
    with open(real, "rb") as handle:
        text = handle.read().decode("utf-8", errors="replace")
    fixed = _CRLF_HASHBANG.sub(r"\1\n", text, count=1).encode("utf-8")
    # write-file-atomic: a temporary file beside the real one, same mode and owner, renamed over it
    st = os.stat(real)
    tmp = f"{real}.{os.getpid()}.snpm-tmp"
    try:
        with open(tmp, "wb") as handle:
            handle.write(fixed)
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        with contextlib.suppress(OSError):
            os.chown(tmp, st.st_uid, st.st_gid)
        os.replace(tmp, real)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ── linking ────────────────────────────────────────────────────────────────────────────────────────
def _rm(path: str) -> bool:
    """fs.rm(path, {recursive, force}); True if something was there."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    return True


class BinLinker(msgspec.Struct):
    """bin-links for one snpm process: `seen` holds the link paths already claimed this run."""

    warn: Warn | None = None
    seen: set[str] = msgspec.field(default_factory=set)

    def reset_seen(self) -> None:
        self.seen.clear()

    def link(self, pkg: Mapping[str, JsonValue], path: str, *, top: bool, global_: bool, force: bool) -> None:
        """binLinks(): link the package's bins (and, for a global top, its man pages).

        `path` is where the package is reached (a link's own location, not its target). As in npm,
        where every link is attempted concurrently, a failing link does not stop the others; the
        first error is raised at the end (a bad man page name first: npm throws it at once).
        """
        if top and not global_:
            return
        path = os.path.abspath(path)
        errors: list[SnpmError] = []
        # local bins may always be clobbered: protecting them only breeds dependency conflicts
        self._link_bins(pkg, path, top=top, force=force or not top, errors=errors)
        bad_man = self._link_mans(pkg, path, top=top, force=force, errors=errors)
        if bad_man is not None:
            raise bad_man
        if errors:
            raise errors[0]

    def _link_bins(
        self, pkg: Mapping[str, JsonValue], path: str, *, top: bool, force: bool, errors: list[SnpmError]
    ) -> None:
        target = bin_target(path, top=top)
        # a package reached through a symlink is someone's folder; any other came from the store
        stored = not os.path.islink(path)
        for name, relative in normalized_bins(pkg).items():
            to = os.path.abspath(os.path.join(target, name))
            abs_from = os.path.abspath(os.path.join(path, relative))
            source = os.path.relpath(abs_from, os.path.dirname(to))
            try:
                if self._link_gently(path, to, source, abs_from, force):
                    fix_bin(abs_from, unshare=stored)
            except SnpmError as err:
                errors.append(err)
            except OSError as err:
                errors.append(_fs_error(err, "chmod"))

    def _link_mans(
        self, pkg: Mapping[str, JsonValue], path: str, *, top: bool, force: bool, errors: list[SnpmError]
    ) -> SnpmError | None:
        """link-mans.js; returns the EBADMAN error that stopped it, if any."""
        target = man_target(path, top=top)
        mans = _mans(pkg)
        if target is None or not mans:
            return None
        for raw in dict.fromkeys(m for m in mans if isinstance(m, str)):
            if not raw:
                continue
            # break any links to c:\\blah or /foo/blah or ../blah
            man = re.sub(r"[\\:]", "/", js_join("/", raw))[1:]
            parsed = _MAN_SECTION.search(man)
            if parsed is None:
                return SnpmError(
                    "invalid man entry name\n"
                    "Man files must end with a number, and optionally a .gz suffix if they are compressed.",
                    code="EBADMAN",
                    path=path,
                    pkgid=_pkgid(pkg),
                    extra={"man": man},
                )
            to = os.path.abspath(os.path.join(target, f"man{parsed.group(1)}", man.rsplit("/", 1)[-1]))
            abs_from = os.path.abspath(os.path.join(path, man))
            source = os.path.relpath(abs_from, os.path.dirname(to))
            try:
                self._link_gently(path, to, source, abs_from, force)
            except SnpmError as err:
                errors.append(err)
        return None

    def _lstat(self, path: str) -> os.stat_result | None:
        try:
            return os.lstat(path)
        except FileNotFoundError:
            return None
        except PermissionError as err:
            if self.warn is not None:
                self.warn("error adding file", _fs_error(err, "lstat").message)
            return None
        except OSError as err:
            raise _fs_error(err, "lstat") from None

    def _link_gently(self, path: str, to: str, source: str, abs_from: str, force: bool) -> bool:
        """link-gently.js: create `to -> source` unless it is missing, taken or someone else's."""
        if to in self.seen:
            return False
        self.seen.add(to)
        st_from = self._lstat(abs_from)
        st_to = self._lstat(to)
        if st_from is None:
            return False  # the package does not ship this file: npm has always ignored that
        clobber = False
        if st_to is not None:
            if not stat.S_ISLNK(st_to.st_mode):
                if force:
                    _rm(to)
                    clobber = True
            else:
                current = os.readlink(to)
                if current == source:
                    return False  # already what we want
                resolved = os.path.abspath(os.path.join(os.path.dirname(to), current))
                if resolved == path or resolved.startswith(path + os.sep) or force:
                    _rm(to)
                    clobber = True
                # otherwise neither skip nor clobber: the symlink below fails with EEXIST
        else:
            try:
                os.makedirs(os.path.dirname(to), exist_ok=True)
            except OSError as err:
                raise _fs_error(err, "mkdir") from None
        try:
            os.symlink(source, to)
        except OSError as err:
            if not (clobber or force):
                raise _fs_error(err, "symlink") from None
            _rm(to)
            try:
                os.symlink(source, to)
            except OSError as again:
                raise _fs_error(again, "symlink") from None
        return True


def _pkgid(pkg: Mapping[str, JsonValue]) -> str | None:
    value = pkg.get("_id")
    return value if isinstance(value, str) else None
