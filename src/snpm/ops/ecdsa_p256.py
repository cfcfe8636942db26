"""ECDSA over NIST P-256 with SHA-256: verification only, for npm's registry signatures
(`dist.signatures`, signed `<name>@<version>:<integrity>`) and Sigstore's TUF metadata.

snpm's dependencies carry no crypto library, and node's `crypto.verify` is all npm uses, so this is
the textbook algorithm (SEC 1 §4.1.4) in Jacobian coordinates. The generator and each key get a
table of fixed-base windows on first use (a few milliseconds), after which a verification costs
about a millisecond. Keys are DER SubjectPublicKeyInfo (base64, or PEM), signatures DER
`SEQUENCE { r, s }`. Only public data is handled, so constant time does not matter here.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from typing import Final

import msgspec

__all__ = ["PublicKey", "load_public_key", "verify"]

_P: Final = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_A: Final = _P - 3
_B: Final = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
_N: Final = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_G: Final = (
    0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
)
# id-ecPublicKey and prime256v1, DER-encoded
_EC_PUBLIC_KEY: Final = bytes.fromhex("2a8648ce3d0201")
_PRIME256V1: Final = bytes.fromhex("2a8648ce3d030107")
_PEM: Final = re.compile(r"-----BEGIN PUBLIC KEY-----(.*?)-----END PUBLIC KEY-----", re.S)

_Jacobian = tuple[int, int, int]
_INFINITY: Final[_Jacobian] = (1, 1, 0)


class PublicKey(msgspec.Struct, frozen=True):
    x: int
    y: int


def _der(data: bytes, offset: int) -> tuple[int, int, int]:
    """(tag, content start, content end) of the DER element at `offset`."""
    if offset + 2 > len(data):
        raise ValueError("truncated DER")
    tag = data[offset]
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or start + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, start, end


def _on_curve(x: int, y: int) -> bool:
    return 0 <= x < _P and 0 <= y < _P and (y * y - (x * x * x + _A * x + _B)) % _P == 0


def _point(encoded: bytes) -> PublicKey:
    if len(encoded) == 65 and encoded[0] == 4:
        x = int.from_bytes(encoded[1:33], "big")
        y = int.from_bytes(encoded[33:], "big")
    elif len(encoded) == 33 and encoded[0] in (2, 3):
        x = int.from_bytes(encoded[1:], "big")
        y = pow((x * x * x + _A * x + _B) % _P, (_P + 1) // 4, _P)
        if y & 1 != encoded[0] & 1:
            y = _P - y
    else:
        raise ValueError("not a P-256 point")
    if not _on_curve(x, y):
        raise ValueError("the point is not on P-256")
    return PublicKey(x, y)


def load_public_key(key: str | bytes) -> PublicKey:
    """A P-256 public key from DER SubjectPublicKeyInfo (raw, base64 or PEM). ValueError otherwise."""
    if isinstance(key, str):
        pem = _PEM.search(key)
        key = base64.b64decode("".join((pem.group(1) if pem else key).split()))
    tag, start, end = _der(key, 0)
    if tag != 0x30:
        raise ValueError("not a SubjectPublicKeyInfo")
    tag, alg_start, alg_end = _der(key, start)
    if tag != 0x30:
        raise ValueError("not a SubjectPublicKeyInfo")
    tag, oid_start, oid_end = _der(key, alg_start)
    if tag != 0x06 or key[oid_start:oid_end] != _EC_PUBLIC_KEY:
        raise ValueError("not an EC public key")
    tag, curve_start, curve_end = _der(key, oid_end)
    if tag != 0x06 or key[curve_start:curve_end] != _PRIME256V1:
        raise ValueError("not a P-256 key")
    tag, bits_start, bits_end = _der(key, alg_end)
    if tag != 0x03 or bits_start >= bits_end or key[bits_start] != 0:
        raise ValueError("bad public key bits")
    return _point(key[bits_start + 1 : bits_end])


def _signature(sig: bytes) -> tuple[int, int]:
    tag, start, end = _der(sig, 0)
    if tag != 0x30 or end != len(sig):
        raise ValueError("not a DER signature")
    tag, r_start, r_end = _der(sig, start)
    if tag != 0x02:
        raise ValueError("not a DER signature")
    tag, s_start, s_end = _der(sig, r_end)
    if tag != 0x02 or s_end != end:
        raise ValueError("not a DER signature")
    return int.from_bytes(sig[r_start:r_end], "big"), int.from_bytes(sig[s_start:s_end], "big")


def _double(p: _Jacobian) -> _Jacobian:
    x, y, z = p
    if z == 0 or y == 0:
        return _INFINITY
    yy = y * y % _P
    s = 4 * x * yy % _P
    zz = z * z % _P
    m = 3 * (x - zz) * (x + zz) % _P  # a = -3
    x3 = (m * m - 2 * s) % _P
    y3 = (m * (s - x3) - 8 * yy * yy) % _P
    z3 = 2 * y * z % _P
    return x3, y3, z3


def _add(p: _Jacobian, q: _Jacobian) -> _Jacobian:
    if p[2] == 0:
        return q
    if q[2] == 0:
        return p
    x1, y1, z1 = p
    x2, y2, z2 = q
    z1z1 = z1 * z1 % _P
    z2z2 = z2 * z2 % _P
    u1 = x1 * z2z2 % _P
    u2 = x2 * z1z1 % _P
    s1 = y1 * z2 * z2z2 % _P
    s2 = y2 * z1 * z1z1 % _P
    if u1 == u2:
        return _double(p) if s1 == s2 else _INFINITY
    h = (u2 - u1) % _P
    r = (s2 - s1) % _P
    hh = h * h % _P
    hhh = h * hh % _P
    v = u1 * hh % _P
    x3 = (r * r - hhh - 2 * v) % _P
    y3 = (r * (v - x3) - s1 * hhh) % _P
    z3 = h * z1 * z2 % _P
    return x3, y3, z3


@functools.lru_cache(maxsize=64)
def _table(x: int, y: int) -> tuple[tuple[_Jacobian, ...], ...]:
    """Fixed-base windows of a point P: row i holds j·16^i·P for j in 0..15. Registry keys and the
    generator are used again and again, so a scalar product becomes 64 additions, no doublings."""
    rows: list[tuple[_Jacobian, ...]] = []
    base: _Jacobian = (x, y, 1)
    for _ in range(64):
        row = [_INFINITY, base]
        for _j in range(14):
            row.append(_add(row[-1], base))
        rows.append(tuple(row))
        for _d in range(4):
            base = _double(base)
    return tuple(rows)


def _twin_multiply(a: int, p: tuple[int, int], b: int, q: tuple[int, int]) -> tuple[int, int] | None:
    """a·P + b·Q with both points' window tables, in affine coordinates (None at infinity)."""
    acc = _INFINITY
    for scalar, point in ((a, p), (b, q)):
        table = _table(*point)
        for row in table:
            digit = scalar & 15
            if digit:
                acc = _add(acc, row[digit])
            scalar >>= 4
            if not scalar:
                break
    x, y, z = acc
    if z == 0:
        return None
    z_inv = pow(z, -1, _P)
    zz = z_inv * z_inv % _P
    return x * zz % _P, y * zz * z_inv % _P


def verify(key: PublicKey, message: bytes, signature: bytes) -> bool:
    """Whether `signature` (DER) is `key`'s ECDSA signature of SHA-256(`message`)."""
    try:
        r, s = _signature(signature)
    except ValueError:
        return False
    if not (0 < r < _N and 0 < s < _N):
        return False
    e = int.from_bytes(hashlib.sha256(message).digest(), "big")
    w = pow(s, -1, _N)
    found = _twin_multiply(e * w % _N, _G, r * w % _N, (key.x, key.y))
    return found is not None and found[0] % _N == r
