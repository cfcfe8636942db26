"""snpm.ops.ecdsa_p256 against signatures node's crypto made (npm verifies registry signatures with
crypto.verify), and against the test signer."""

from __future__ import annotations

import base64

import pytest

from snpm.ops.ecdsa_p256 import load_public_key, verify
from support.ecdsa_signer import SigningKey

# made with node 20: crypto.generateKeyPairSync('ec', {namedCurve: 'prime256v1'}) and crypto.sign('sha256', …)
NODE_VECTORS = [
    {
        "key": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEpxRfPuveO2kfB2e+lF7J31FQj9dSVw3i/9uTdnJHrOR9bRvw78QMq9dV5CpTNSR40tbPS0kZDt+9TNNEL1OHaA==",
        "msg": "pkg0@1.0.0:sha512-W3dPECN8KIvQbrgXpY3+rc9JwSrhA1ma5L/YGAs9JtDK6VQPZSMlkL+bhudzQibzmXX2sRQE0LD0tsPvI5A0Xw==",
        "sig": "MEUCIQCWrBglDq2vhfW8lOoUw6+GnBy58p+vLvVeNHhbnCuzOQIgMBDIbkcs6tpzn8IB+hE1FtsAYQjuEci+o8wdLhZVEYw=",
    },
    {
        "key": "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEBOmVtcO1U3wUH+sfI6C5gP3DKLAc\n28yg/xHPuY0elj1/TXFkuFa9iDl14ZEuHL/IMyVB/QcCd0tDKkP2sEU/cg==\n-----END PUBLIC KEY-----\n",
        "msg": "pkg1@1.0.1:sha512-5pVVhq6UkEVJqSbXua3lTG8+lvsrHuDIiD8TBtUQlTSttt3rJcznKcQVVgGeGhRc/00EyYZ4MCozgm7gVkYo/A==",
        "sig": "MEUCIFwtywZp1u3JgNv6I98CJ3XO0LOVSV40uGlNKN0FTC1YAiEAzqGg5HnvGEEK218YikpzMcrjf/GfoYw74nypYeEfRfY=",
    },
    {
        "key": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEvelkqsjwrUM7VoriIB+YLTiz8TX13DarvAf+D27G/Ny/U2vvNcENU+hjOftV/qYnCEyI5LiHnk2FhxWn/OiObA==",
        "msg": "pkg2@1.0.2:sha512-lQ+fqWXsh+KjjxQqG4fdPQVTvGPlQtb366ih20DVdEFFiBNnjvhRkTBaqYUrODxWU74k74tzb94naBIVHRItPg==",
        "sig": "MEYCIQDJzjR08lb6RGr5H5K8xd7RSzQOFsXqBZ9S6TyPuQhGWAIhAJaaY1w0f9H39vK67jRvPK0umYJqunLl6YVQIeiLdh6o",
    },
]


@pytest.mark.parametrize("vector", NODE_VECTORS)
def test_node_signatures_verify(vector: dict[str, str]) -> None:
    key = load_public_key(vector["key"])
    sig = base64.b64decode(vector["sig"])
    assert verify(key, vector["msg"].encode(), sig)
    assert not verify(key, (vector["msg"] + "x").encode(), sig)


def test_a_signature_of_another_key_fails() -> None:
    first, second = (load_public_key(v["key"]) for v in NODE_VECTORS[:2])
    sig = base64.b64decode(NODE_VECTORS[0]["sig"])
    assert verify(first, NODE_VECTORS[0]["msg"].encode(), sig)
    assert not verify(second, NODE_VECTORS[0]["msg"].encode(), sig)


def test_round_trip_with_the_test_signer() -> None:
    signer = SigningKey.generate()
    key = load_public_key(signer.pem)
    assert key == load_public_key(signer.spki) == load_public_key(signer.spki_base64)
    sig = signer.sign(b"hello")
    assert verify(key, b"hello", sig)
    assert not verify(key, b"hellO", sig)


def test_malformed_input() -> None:
    key = load_public_key(NODE_VECTORS[0]["key"])
    assert not verify(key, b"x", b"")
    assert not verify(key, b"x", b"\x30\x02\x02\x00")
    with pytest.raises(ValueError):
        load_public_key("bm90IGEga2V5")
    # a point off the curve
    raw = bytearray(base64.b64decode(NODE_VECTORS[0]["key"]))
    raw[-1] ^= 1
    with pytest.raises(ValueError):
        load_public_key(bytes(raw))
