"""Subresource Integrity strings as npm reads and writes them (a port of ssri 13).

Owns parsing (loose and strict), serialising, picking the strongest algorithm, computing hashes over
bytes or streams, hex conversion and verification. Pure: hashlib only, imports nothing above layer 0.

ssri quirks kept on purpose:
- an unknown or malformed entry is dropped silently, never an error; a string with no usable entry
  parses to an empty `Integrity` (ssri returns null);
- loose parsing accepts any digest text (`[^?]+`); strict parsing needs sha256/384/512 and a 44–88
  character base64 digest;
- `str()` keeps the algorithms in the order they were first seen, several hashes per algorithm;
- the verification error message is the one ssri's integrity stream produces, which is what npm
  prints when a tarball does not match (`… integrity checksum failed when using sha512: wanted … but
  got …. (N bytes)`).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Final, Protocol, Self

import msgspec

from snpm.errors import IntegrityError
from snpm.record import Record

__all__ = [
    "DEFAULT_ALGORITHMS",
    "Hash",
    "Hasher",
    "Integrity",
    "check",
    "compute",
    "from_hex",
    "to_hex",
    "verify",
]

DEFAULT_ALGORITHMS: tuple[str, ...] = ("sha512",)
# The algorithms the SRI spec (and ssri's strict mode) allows.
SPEC_ALGORITHMS: tuple[str, ...] = ("sha512", "sha384", "sha256")
# ssri's DEFAULT_PRIORITY filtered by node's crypto.getHashes(): later is stronger. Algorithms not
# listed (blake2b512, sm3, …) are valid but rank below everything, like ssri's indexOf() == -1.
_PRIORITY: dict[str, int] = {
    name: rank for rank, name in enumerate(("md5", "sha1", "sha224", "sha256", "sha384", "sha512"))
}

# node's crypto.getHashes() names that can match ssri's `[a-z0-9]+` algorithm group, mapped to
# hashlib constructors (name, digest length for the XOFs node gives a default length to).
_NODE_HASHES: dict[str, tuple[str, int | None]] = {
    "blake2b512": ("blake2b", None),
    "blake2s256": ("blake2s", None),
    "md5": ("md5", None),
    "ripemd": ("ripemd160", None),
    "ripemd160": ("ripemd160", None),
    "rmd160": ("ripemd160", None),
    "sha1": ("sha1", None),
    "sha224": ("sha224", None),
    "sha256": ("sha256", None),
    "sha384": ("sha384", None),
    "sha512": ("sha512", None),
    "shake128": ("shake_128", 16),
    "shake256": ("shake_256", 32),
    "sm3": ("sm3", None),
}

_SRI_RE = re.compile(r"^([a-z0-9]+)-([^?]+)(\?[?\S*]*)?$")
_STRICT_SRI_RE = re.compile(r"^([a-z0-9]+)-([A-Za-z0-9+/=]{44,88})(\?[\x21-\x7E]*)?$")
_VCHAR_RE = re.compile(r"^[\x21-\x7E]+$")
_WHITESPACE_RE = re.compile(r"\s+")
_NON_WHITESPACE_RE = re.compile(r"\S+")
_NOT_BASE64_CHAR_RE = re.compile(r"[^A-Za-z0-9+/]")
_HEX_PREFIX_RE = re.compile(r"^(?:[0-9a-fA-F]{2})*")


class _HashObject(Protocol):
    def update(self, data: bytes | bytearray | memoryview, /) -> None: ...
    def copy(self) -> _HashObject: ...


def _new_hash(algorithm: str) -> _HashObject:
    name, _ = _NODE_HASHES[algorithm]
    obj: _HashObject = hashlib.new(name)
    return obj


def _digest_b64(algorithm: str, obj: _HashObject) -> str:
    """Finish a copy of `obj` so the running hash can keep going."""
    _, length = _NODE_HASHES[algorithm]
    finished = obj.copy()
    if length is None:
        raw: bytes = finished.digest()  # type: ignore[attr-defined]
    else:  # node gives its extendable-output hashes a fixed default length
        raw = finished.digest(length)  # type: ignore[attr-defined]
    return base64.b64encode(raw).decode("ascii")


def _option_string(options: Iterable[str]) -> str:
    opts = tuple(options)
    return "?" + "?".join(opts) if opts else ""


def _priority(algorithm: str) -> int:
    return _PRIORITY.get(algorithm.lower(), -1)


# compiled on first use: most runs never need it, and compiling costs start-up time
@functools.cache
def _base64_re() -> re.Pattern[str]:
    return re.compile(r"^[a-z0-9+/]+(?:=?=?)$", re.IGNORECASE)


def _b64_to_bytes(text: str) -> bytes:
    """Decode like node's Buffer.from(text, 'base64'): url-safe letters allowed, junk skipped."""
    text = text.split("=", 1)[0].replace("-", "+").replace("_", "/")
    text = _NOT_BASE64_CHAR_RE.sub("", text)
    if len(text) % 4 == 1:  # a dangling sextet carries no whole byte
        text = text[:-1]
    return base64.b64decode(text + "=" * (-len(text) % 4))


class Hash(msgspec.Struct, frozen=True):
    """One `algorithm-digest?opt?opt` entry. `digest` is the base64 text exactly as written."""

    algorithm: str
    digest: str
    options: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str, *, strict: bool = False) -> Hash | None:
        """One entry, or None where ssri would leave an empty Hash (unknown algorithm, bad form)."""
        source = text.strip()
        m = (_STRICT_SRI_RE if strict else _SRI_RE).match(source)
        if m is None:
            return None
        algorithm, digest, raw_opts = m.group(1), m.group(2), m.group(3)
        if strict and algorithm not in SPEC_ALGORITHMS:
            return None
        if algorithm not in _NODE_HASHES:
            return None
        options = tuple(raw_opts[1:].split("?")) if raw_opts else ()
        return cls(algorithm, digest, options)

    def hex(self) -> str:
        """The digest as lowercase hex (ssri's hexDigest)."""
        return _b64_to_bytes(self.digest).hex() if self.digest else ""

    def to_string(self, *, strict: bool = False) -> str:
        """ssri's Hash#toString: strict mode renders '' for anything outside the SRI grammar."""
        if strict and not (
            self.algorithm in SPEC_ALGORITHMS
            and _base64_re().match(self.digest)
            and all(_VCHAR_RE.match(opt) for opt in self.options)
        ):
            return ""
        return f"{self.algorithm}-{self.digest}{_option_string(self.options)}"

    def __str__(self) -> str:
        return self.to_string()

    def match(self, other: Integrity | Hash | str) -> Hash | None:
        """The entry of `other` with the same algorithm and digest as this one, else None."""
        parsed = Integrity.parse(other)
        algorithm = parsed.pick_algorithm((self.algorithm,))
        if algorithm is None:
            return None
        for candidate in parsed[algorithm]:
            if candidate.digest == self.digest:
                return candidate
        return None


class Integrity(Record, Mapping[str, tuple[Hash, ...]]):
    """A whole SRI string: hashes grouped by algorithm in first-seen order.

    Use `Integrity.parse(text)`; an Integrity with no hashes is falsy (ssri would return null).
    Equal when the groups are (Record's equality, not Mapping's).
    """

    _FIELDS = ("groups",)
    __slots__ = _FIELDS

    def __init__(self, groups: tuple[tuple[str, tuple[Hash, ...]], ...] = ()) -> None:
        self.groups: Final = groups

    @classmethod
    def parse(cls, text: Integrity | Hash | str | None, *, strict: bool = False) -> Integrity:
        """Parse an SRI string; unknown/malformed entries are dropped like ssri does."""
        if text is None:
            return _EMPTY
        if isinstance(text, Integrity):
            if not strict:
                return text
            text = text.to_string(strict=True)
        elif isinstance(text, Hash):
            text = text.to_string(strict=strict)
        return _parse_cached(text, strict)

    @classmethod
    def from_hashes(cls, hashes: Iterable[Hash]) -> Integrity:
        grouped: dict[str, list[Hash]] = {}
        for h in hashes:
            grouped.setdefault(h.algorithm, []).append(h)
        return cls(tuple((algo, tuple(hs)) for algo, hs in grouped.items()))

    # Mapping protocol: integrity["sha512"] -> the sha512 hashes.
    def __getitem__(self, algorithm: str) -> tuple[Hash, ...]:
        for algo, hashes in self.groups:
            if algo == algorithm:
                return hashes
        raise KeyError(algorithm)

    def __iter__(self) -> Iterator[str]:
        return (algo for algo, _ in self.groups)

    def __len__(self) -> int:
        return len(self.groups)

    def __bool__(self) -> bool:
        return bool(self.groups)

    def __contains__(self, algorithm: object) -> bool:
        return any(algo == algorithm for algo, _ in self.groups)

    @property
    def hashes(self) -> tuple[Hash, ...]:
        """Every entry, in serialisation order."""
        return tuple(h for _, hs in self.groups for h in hs)

    def is_empty(self) -> bool:
        return not self.groups

    def pick_algorithm(self, among: Iterable[str] | None = None) -> str | None:
        """The strongest algorithm present (optionally limited to `among`); ties keep the first."""
        keys = [algo for algo, _ in self.groups]
        if among is not None:
            allowed = tuple(among)
            if allowed:
                keys = [k for k in keys if k in allowed]
        if not keys:
            return None
        best = keys[0]
        for algo in keys[1:]:
            if _priority(best) < _priority(algo):
                best = algo
        return best

    def strongest(self) -> Hash:
        """The first hash of the strongest algorithm (sha512 > sha384 > sha256 > sha1 > …)."""
        algorithm = self.pick_algorithm()
        if algorithm is None:
            raise IntegrityError("No valid integrity hashes to check against", code="EINTEGRITY")
        return self[algorithm][0]

    def to_string(self, *, sep: str = " ", strict: bool = False) -> str:
        """ssri's Integrity#toString; strict keeps only spec algorithms, strongest first."""
        if strict:
            sep = _NON_WHITESPACE_RE.sub(" ", sep)
            groups = [(a, self[a]) for a in SPEC_ALGORITHMS if a in self]
        else:
            groups = list(self.groups)
        parts = [s for _, hs in groups for h in hs if (s := h.to_string(strict=strict))]
        return sep.join(parts)

    def __str__(self) -> str:
        return self.to_string()

    def __repr__(self) -> str:
        return f"Integrity({self.to_string()!r})"

    def hex(self) -> str:
        """Hex digest of the first entry (ssri's Integrity#hexDigest on a single-hash value)."""
        return self.hashes[0].hex() if self.groups else ""

    def match(self, other: Integrity | Hash | str) -> Hash | None:
        """The hash of this value that `other` confirms, using `other`'s strongest shared algorithm."""
        parsed = Integrity.parse(other)
        if not parsed:
            return None
        algorithm = parsed.pick_algorithm(tuple(self))
        if algorithm is None or algorithm not in self:
            return None
        wanted = {h.digest for h in parsed[algorithm]}
        for h in self[algorithm]:
            if h.digest in wanted:
                return h
        return None

    def concat(self, other: Integrity | Hash | str) -> Integrity:
        other_text = other if isinstance(other, str) else other.to_string()
        return Integrity.parse(f"{self.to_string()} {other_text}")

    def merge(self, other: Integrity | Hash | str) -> Integrity:
        """Add the algorithms of `other` not present here; a conflicting digest is an error."""
        parsed = Integrity.parse(other)
        groups = dict(self.groups)
        for algorithm, hashes in parsed.groups:
            if algorithm in groups:
                mine = {h.digest for h in groups[algorithm]}
                if not any(h.digest in mine for h in hashes):
                    raise IntegrityError("hashes do not match, cannot update integrity", code="EINTEGRITY")
            else:
                groups[algorithm] = hashes
        return Integrity(tuple(groups.items()))


_EMPTY = Integrity()


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str, strict: bool) -> Integrity:
    # Pure and returning immutable values; lockfiles and packuments repeat the same strings.
    hashes = [h for part in _WHITESPACE_RE.split(text.strip()) if (h := Hash.parse(part, strict=strict))]
    return Integrity.from_hashes(hashes) if hashes else _EMPTY


class Hasher:
    """Streaming computation (ssri's `create()` / integrity stream): update() chunks, then digest().

    With `expected`, the strongest expected algorithm is also computed (as ssri's integrity stream
    does) so that `verify()` can check it after the last chunk.
    """

    __slots__ = ("_algorithms", "_expected", "_expected_size", "_hashes", "_options", "size")

    def __init__(
        self,
        algorithms: Iterable[str] = DEFAULT_ALGORITHMS,
        *,
        expected: Integrity | Hash | str | None = None,
        size: int | None = None,
        options: Iterable[str] = (),
    ) -> None:
        algos = list(algorithms)
        self._expected = Integrity.parse(expected) if expected is not None else None
        if self._expected:
            wanted = self._expected.pick_algorithm()
            if wanted is not None and wanted not in algos:
                algos.append(wanted)
        unknown = [a for a in algos if a not in _NODE_HASHES]
        if unknown:
            raise IntegrityError(
                f"Digest method not supported: {unknown[0]}", code="ERR_CRYPTO_INVALID_DIGEST"
            )
        self._algorithms = tuple(algos)
        self._hashes = [_new_hash(a) for a in algos]
        self._options = tuple(options)
        self._expected_size = size
        self.size = 0

    def update(self, chunk: bytes | bytearray | memoryview) -> Self:
        view = memoryview(chunk)
        self.size += view.nbytes
        for h in self._hashes:
            h.update(view)
        return self

    def digest(self) -> Integrity:
        """The integrity of everything fed so far (the hasher may keep being updated)."""
        opts = self._options
        hashes = (
            Hash(algo, _digest_b64(algo, h), opts)
            for algo, h in zip(self._algorithms, self._hashes, strict=True)
        )
        return Integrity.from_hashes(hashes)

    def verify(self) -> Hash:
        """Check the data fed so far against `expected`; raise EINTEGRITY/EBADSIZE like ssri."""
        if self._expected is None or not self._expected:
            raise IntegrityError("No valid integrity hashes to check against", code="EINTEGRITY")
        return _check_computed(self.digest(), self._expected, self.size, self._expected_size)


def _check_computed(computed: Integrity, expected: Integrity, size: int, expected_size: int | None) -> Hash:
    match = computed.match(expected)
    if expected_size is not None and size != expected_size:
        raise IntegrityError(
            f"stream size mismatch when checking {expected}.\n  Wanted: {expected_size}\n  Found: {size}",
            code="EBADSIZE",
            expected=str(expected_size),
            found=str(size),
        )
    if match is None:
        algorithm = expected.pick_algorithm() or ""
        # ssri interpolates the array of expected hashes, which JavaScript joins with commas.
        wanted = ",".join(str(h) for h in expected[algorithm]) if algorithm else ""
        raise IntegrityError(
            f"{expected} integrity checksum failed when using {algorithm}: "
            f"wanted {wanted} but got {computed}. ({size} bytes)",
            code="EINTEGRITY",
            expected=wanted,
            found=str(computed),
        )
    return match


def compute(
    data: bytes | bytearray | memoryview,
    algorithms: Iterable[str] = DEFAULT_ALGORITHMS,
    *,
    options: Iterable[str] = (),
) -> Integrity:
    """ssri.fromData: the integrity of `data` for each algorithm (sha512 by default)."""
    return Hasher(algorithms, options=options).update(data).digest()


def from_hex(hex_digest: str, algorithm: str, *, options: Iterable[str] = ()) -> Integrity:
    """ssri.fromHex: e.g. a packument's `shasum` → `sha1-…`. Stops at the first non-hex pair like node."""
    raw = _HEX_PREFIX_RE.match(hex_digest)
    data = binascii.unhexlify(raw.group(0)) if raw else b""
    digest = base64.b64encode(data).decode("ascii")
    return Integrity.parse(f"{algorithm}-{digest}{_option_string(options)}")


def to_hex(value: Integrity | Hash | str) -> str:
    """The hex digest of a single-hash value (e.g. `sha1-…` → the packument `shasum`)."""
    if isinstance(value, Hash):
        return value.hex()
    return Integrity.parse(value).hex()


def check(data: bytes | bytearray | memoryview, integrity: Integrity | Hash | str) -> Hash | None:
    """ssri.checkData without `error`: the matching hash, or None."""
    expected = Integrity.parse(integrity)
    algorithm = expected.pick_algorithm()
    if algorithm is None:
        return None
    return compute(data, (algorithm,)).match(expected)


def verify(
    data: bytes | bytearray | memoryview,
    integrity: Integrity | Hash | str,
    *,
    size: int | None = None,
) -> Hash:
    """Check `data` against `integrity` (its strongest algorithm); return the matching Hash.

    Raises IntegrityError EINTEGRITY (or EBADSIZE when `size` is given and differs) with the
    message npm prints for a corrupt tarball.
    """
    return Hasher(expected=integrity, size=size).update(data).verify()
