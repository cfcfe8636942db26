"""ECDSA P-256 signing for tests only (snpm itself only verifies): keys, signatures and DER
SubjectPublicKeyInfo built with snpm.ops.ecdsa_p256's curve arithmetic."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass

from snpm.ops import ecdsa_p256 as curve

_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")


def _der_int(value: int) -> bytes:
    raw = value.to_bytes((value.bit_length() + 8) // 8 or 1, "big")
    return b"\x02" + bytes([len(raw)]) + raw


@dataclass(frozen=True)
class SigningKey:
    secret: int
    x: int
    y: int

    @classmethod
    def generate(cls) -> SigningKey:
        secret = secrets.randbelow(curve._N - 1) + 1
        point = curve._twin_multiply(secret, curve._G, 0, curve._G)
        assert point is not None
        return cls(secret, point[0], point[1])

    @property
    def spki(self) -> bytes:
        return _SPKI_PREFIX + b"\x04" + self.x.to_bytes(32, "big") + self.y.to_bytes(32, "big")

    @property
    def spki_base64(self) -> str:
        return base64.b64encode(self.spki).decode()

    @property
    def pem(self) -> str:
        body = self.spki_base64
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"

    def sign(self, message: bytes) -> bytes:
        """A DER signature of SHA-256(message)."""
        e = int.from_bytes(hashlib.sha256(message).digest(), "big")
        while True:
            k = secrets.randbelow(curve._N - 1) + 1
            point = curve._twin_multiply(k, curve._G, 0, curve._G)
            assert point is not None
            r = point[0] % curve._N
            s = pow(k, -1, curve._N) * (e + r * self.secret) % curve._N
            if r and s:
                body = _der_int(r) + _der_int(s)
                return b"\x30" + bytes([len(body)]) + body
