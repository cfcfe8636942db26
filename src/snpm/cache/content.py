"""Blobs addressed by integrity, in cacache 20's exact on-disk layout, so npm and snpm share them.

`cache_dir` everywhere in `snpm.cache` is npm's `cache` setting (default ~/.npm); cacache itself lives
in `<cache>/_cacache` (npm's derived `flatOptions.cache`). A blob for `sha512-<base64>` is stored at
`_cacache/content-v2/sha512/<hex[0:2]>/<hex[2:4]>/<hex[4:]>`.

Writes never expose a partial file: data goes to `_cacache/tmp/<uuid>` first and is renamed into
place, and an existing blob is left alone (cacache's `moveFile(..., {overwrite: false})`), so any
number of npm and snpm processes may write the same content at once.
"""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from snpm.errors import FileSystemError, IntegrityError, from_os_error
from snpm.integrity import Hash, Hasher, Integrity, check, compute

__all__ = [
    "CACACHE_DIRNAME",
    "ContentWriter",
    "cacache_dir",
    "confirms",
    "content_dir",
    "content_path",
    "has",
    "hash_to_segments",
    "known_sri",
    "new_tmp_path",
    "read",
    "remove",
    "tmp_dir",
    "write",
]

CACACHE_DIRNAME = "_cacache"
# cacache's package.json "cache-version".content
CONTENT_VERSION = "2"

_CONTENT_DIRNAME = f"content-v{CONTENT_VERSION}"

_DEFAULT_ALGORITHMS: tuple[str, ...] = ("sha512",)
_NO_LINK_ERRNOS = frozenset({errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EXDEV, errno.EOPNOTSUPP})


def cacache_dir(cache_dir: Path) -> Path:
    """`<cache>/_cacache`: the directory cacache (and npm's `flatOptions.cache`) works in."""
    return cache_dir / CACACHE_DIRNAME


def content_dir(cache_dir: Path) -> Path:
    return cache_dir / CACACHE_DIRNAME / _CONTENT_DIRNAME


def tmp_dir(cache_dir: Path) -> Path:
    return cache_dir / CACACHE_DIRNAME / "tmp"


def new_tmp_path(cache_dir: Path) -> Path:
    """A fresh name under `_cacache/tmp` (cacache's tmpName: a random UUID)."""
    # One Path from one joined string: much cheaper than a chain of `/` (this is on every write).
    return Path(os.path.join(cache_dir, CACACHE_DIRNAME, "tmp", str(uuid.uuid4())))


def hash_to_segments(hex_digest: str) -> tuple[str, str, str]:
    """cacache's hashToSegments: `abcdef…` → (`ab`, `cd`, `ef…`)."""
    return hex_digest[:2], hex_digest[2:4], hex_digest[4:]


def _single_hash(integrity: str | Hash) -> Hash:
    if isinstance(integrity, Hash):
        return integrity
    parsed = Hash.parse(integrity)
    if parsed is None or not parsed.digest:
        raise IntegrityError(f"Invalid integrity: {integrity!r}", code="EINTEGRITY", found=str(integrity))
    return parsed


def content_path(cache_dir: Path, integrity: str | Hash) -> Path:
    """Where the blob for `integrity` lives.

    Like cacache's contentPath this parses the string as ONE hash (`ssri.parse(i, {single: true})`):
    for a multi-hash string that is the first hash, whose padded base64 digest ends the decode.
    """
    h = _single_hash(integrity)
    first, second, rest = hash_to_segments(h.hex())
    # One Path from one joined string: much cheaper than a chain of `/` (on every read and write).
    return Path(os.path.join(cache_dir, CACACHE_DIRNAME, _CONTENT_DIRNAME, h.algorithm, first, second, rest))


def _candidates(cache_dir: Path, integrity: str) -> list[tuple[Hash, Path]]:
    """The hashes cacache's withContentSri tries: every digest of the strongest algorithm."""
    sri = Integrity.parse(integrity)
    algorithm = sri.pick_algorithm()
    if algorithm is None:
        raise IntegrityError(f"Invalid integrity: {integrity!r}", code="EINTEGRITY", found=str(integrity))
    return [(h, content_path(cache_dir, h)) for h in sri[algorithm]]


def has(cache_dir: Path, integrity: str | None) -> bool:
    """cacache's hasContent: is there a blob for any digest of the strongest algorithm?"""
    if not integrity:
        return False
    try:
        candidates = _candidates(cache_dir, integrity)
    except IntegrityError:
        return False
    return any(os.path.isfile(path) for _, path in candidates)


def read(cache_dir: Path, integrity: str, *, size: int | None = None) -> bytes:
    """The blob for `integrity`, verified against its hash.

    Missing → FileSystemError ENOENT; wrong bytes → IntegrityError EINTEGRITY; `size` given and
    different → IntegrityError EBADSIZE (cacache's read).
    """
    candidates = _candidates(cache_dir, integrity)
    for h, path in candidates:
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except FileNotFoundError as err:
            if len(candidates) == 1:
                raise from_os_error(err, "stat") from None
            continue
        except OSError as err:
            raise from_os_error(err, "read") from None
        # cacache only checks a truthy size (an entry without one, or 0, is not checked)
        if size and len(data) != size:
            raise IntegrityError(
                f"Bad data size: expected inserted data to be {size} bytes, but got {len(data)} instead",
                code="EBADSIZE",
                expected=str(size),
                found=str(len(data)),
                path=str(path),
            )
        if check(data, h) is None:
            raise IntegrityError(
                f"Integrity verification failed for {h} ({path})",
                expected=str(h),
                found=str(compute(data, (h.algorithm,))),
                path=str(path),
            )
        return data
    raise FileSystemError(f"No matching content found for {Integrity.parse(integrity)}", code="ENOENT")


def write(
    cache_dir: Path,
    data: bytes,
    *,
    algorithms: Sequence[str] = _DEFAULT_ALGORITHMS,
    integrity: str | None = None,
    verified: Integrity | str | None = None,
) -> str:
    """Store `data` under each of `algorithms`; return its SRI string (cacache's content write).

    With `integrity`, the data is checked first (against that value's strongest algorithm) and
    nothing is written on a mismatch (IntegrityError EINTEGRITY). `verified` is an SRI the caller
    already computed over exactly these bytes (e.g. while they streamed in): the algorithms it
    covers are not hashed again, and the result is the same string `compute` would give.
    """
    algos = tuple(algorithms or _DEFAULT_ALGORITHMS)
    known = Integrity.parse(verified) if verified else None
    sri = (_reuse(known, algos) if known else None) or compute(data, algos)
    if integrity and not _confirms(data, integrity, sri, known):
        raise IntegrityError(
            f"Integrity check failed:\n  Wanted: {integrity}\n   Found: {sri}",
            expected=str(integrity),
            found=str(sri),
        )
    dests = [content_path(cache_dir, hashes[0]) for _, hashes in sri.groups]
    missing = [dest for dest in dests if not os.path.exists(dest)]
    if missing:
        tmp = new_tmp_path(cache_dir)
        try:
            _write_new_file(tmp, data)
            for dest in missing:
                _place(cache_dir, tmp, dest)
        except OSError as err:
            raise from_os_error(err) from None
        finally:
            _unlink_quietly(tmp)
    return str(sri)


def known_sri(verified: Integrity | str, algorithms: Sequence[str] = _DEFAULT_ALGORITHMS) -> str | None:
    """What `write(data, algorithms=..., verified=verified)` returns, known without the data; None
    when `verified` lacks one of the algorithms (the write would hash the data)."""
    reused = _reuse(Integrity.parse(verified), tuple(algorithms or _DEFAULT_ALGORITHMS))
    return str(reused) if reused is not None else None


def confirms(integrity: str, verified: Integrity | str) -> bool:
    """Whether `write(data, integrity=integrity, verified=verified)` accepts the data without
    hashing it: `verified` holds `integrity`'s strongest algorithm, with a matching digest."""
    expected = Integrity.parse(integrity)
    algorithm = expected.pick_algorithm()
    known = Integrity.parse(verified)
    if algorithm is None or algorithm not in known:
        return False
    mine = known[algorithm][0].digest
    return any(h.digest == mine for h in expected[algorithm])


def _reuse(known: Integrity, algorithms: tuple[str, ...]) -> Integrity | None:
    """`compute(data, algorithms)` rebuilt from a verified SRI of `data`, or None if it lacks one."""
    hashes: list[Hash] = []
    for algorithm in algorithms:
        found = known.get(algorithm, ())
        if not found:
            return None
        # compute() gives bare hashes: any ?options of the verified value are not carried over.
        hashes.append(Hash(algorithm, found[0].digest))
    return Integrity.from_hashes(hashes)


def _confirms(data: bytes, integrity: str, *computed: Integrity | None) -> bool:
    """ssri.checkData(data, integrity), reusing a digest already computed for the write."""
    expected = Integrity.parse(integrity)
    algorithm = expected.pick_algorithm()
    if algorithm is None:
        return False
    for known in computed:
        if known and algorithm in known:
            mine = known[algorithm][0].digest
            return any(h.digest == mine for h in expected[algorithm])
    return check(data, expected) is not None


def remove(cache_dir: Path, integrity: str) -> bool:
    """cacache's rm.content: delete the blob (the index may still point at it). True if one was removed."""
    try:
        candidates = _candidates(cache_dir, integrity)
    except IntegrityError:
        return False
    removed = False
    for _, path in candidates:
        try:
            os.unlink(path)
            removed = True
        except FileNotFoundError:
            continue
        except IsADirectoryError:
            continue
    return removed


class ContentWriter:
    """Stream a blob into the cache (cacache's write.stream): hash while writing to a tmp file.

        with ContentWriter(cache, integrity=expected) as out:
            for chunk in body:
                out.write(chunk)
            sri = out.commit()

    `commit()` verifies (`integrity`, `size`) with ssri's integrity-stream errors, then moves the
    file into place for every algorithm. Leaving the block without committing discards the tmp file.
    """

    __slots__ = ("_cache_dir", "_committed", "_fd", "_hasher", "_integrity", "_size", "_tmp")

    def __init__(
        self,
        cache_dir: Path,
        *,
        algorithms: Sequence[str] = _DEFAULT_ALGORITHMS,
        integrity: str | None = None,
        size: int | None = None,
    ) -> None:
        self._cache_dir = cache_dir
        self._integrity = integrity
        self._size = size
        expected = integrity if Integrity.parse(integrity) else None
        self._hasher = Hasher(algorithms or _DEFAULT_ALGORITHMS, expected=expected, size=size)
        self._tmp = new_tmp_path(cache_dir)
        self._committed = False
        try:
            self._fd: int | None = _open_new_file(self._tmp)
        except OSError as err:
            raise from_os_error(err) from None

    @property
    def size(self) -> int:
        return self._hasher.size

    def write(self, chunk: bytes) -> None:
        if self._fd is None:
            raise FileSystemError("write after commit or abort", code="EBADF")
        self._hasher.update(chunk)
        _write_all(self._fd, chunk)

    def commit(self) -> str:
        """Verify, move into place, return the SRI string of what was written."""
        if self._fd is None:
            raise FileSystemError("commit after commit or abort", code="EBADF")
        os.close(self._fd)
        self._fd = None
        try:
            self._check()
            sri = self._hasher.digest()
            for _, hashes in sri.groups:
                dest = content_path(self._cache_dir, hashes[0])
                if not os.path.exists(dest):
                    _place(self._cache_dir, self._tmp, dest)
        except OSError as err:
            raise from_os_error(err) from None
        finally:
            _unlink_quietly(self._tmp)
        self._committed = True
        return str(sri)

    def _check(self) -> None:
        # ssri's integrity stream: the size is checked even without an integrity, and an
        # integrity with no usable hash checks nothing.
        if self._size is not None and self._hasher.size != self._size:
            raise IntegrityError(
                f"stream size mismatch when checking {self._integrity}.\n"
                f"  Wanted: {self._size}\n  Found: {self._hasher.size}",
                code="EBADSIZE",
                expected=str(self._size),
                found=str(self._hasher.size),
            )
        if Integrity.parse(self._integrity):
            self._hasher.verify()

    def abort(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        _unlink_quietly(self._tmp)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            self.abort()


def _open_new_file(path: Path) -> int:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, flags, 0o666)
    except FileNotFoundError:
        os.makedirs(path.parent, exist_ok=True)
        return os.open(path, flags, 0o666)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _write_new_file(path: Path, data: bytes) -> None:
    fd = _open_new_file(path)
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)


def _place(cache_dir: Path, tmp: Path, dest: Path) -> None:
    """Make `dest` a hard link to `tmp` unless something is there already: never overwrites, never partial.

    Several algorithms of one write share the tmp inode. Where hard links are refused (some network
    or FUSE filesystems) a private copy is renamed into place instead.
    """
    try:
        os.link(tmp, dest)
        return
    except FileNotFoundError:
        os.makedirs(dest.parent, exist_ok=True)
    except FileExistsError:
        return
    except OSError as err:
        if err.errno not in _NO_LINK_ERRNOS:
            raise
        _copy_into_place(cache_dir, tmp, dest)
        return
    try:
        os.link(tmp, dest)
    except FileExistsError:
        return
    except OSError as err:
        if err.errno not in _NO_LINK_ERRNOS:
            raise
        _copy_into_place(cache_dir, tmp, dest)


def _copy_into_place(cache_dir: Path, tmp: Path, dest: Path) -> None:
    copy = new_tmp_path(cache_dir)
    try:
        with open(tmp, "rb") as src:
            _write_new_file(copy, src.read())
        os.rename(copy, dest)
    finally:
        _unlink_quietly(copy)


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
