"""The 2FA QR code: qrcode-terminal's drawing, cell for cell (its vendored library's mask choice)."""

from __future__ import annotations

import json
import os
import random
import shutil
import string
import subprocess

import pytest

from snpm.cli.qrcode_terminal import qr_matrix, render_qr
from support.node import npm_root

pytest.importorskip("qrcode")

BLACK = "\x1b[40m  \x1b[0m"
WHITE = "\x1b[47m  \x1b[0m"


def test_drawing_has_a_white_border_and_two_columns_per_module() -> None:
    matrix = qr_matrix("otpauth://totp/r:alice?secret=JBSWY3DPEHPK3PXP")
    lines = render_qr("otpauth://totp/r:alice?secret=JBSWY3DPEHPK3PXP").split("\n")
    assert len(lines) == len(matrix) + 2
    assert lines[0] == lines[-1] == WHITE * (len(matrix) + 2)
    assert lines[1] == WHITE + "".join(BLACK if c else WHITE for c in matrix[0]) + WHITE
    # a finder pattern in the top-left corner
    assert matrix[0][:7] == [True] * 7 and matrix[1][:7] == [True, False, False, False, False, False, True]


def test_short_text_picks_the_vendored_mask() -> None:
    # the `qrcode` package alone would choose another mask for this text (its penalty rules differ);
    # row 8 holds the format information, which encodes the mask (values from qrcode-terminal)
    matrix = qr_matrix("x")
    assert len(matrix) == 21
    assert matrix[8][:9] == [True, True, False, False, True, True, True, False, False]
    assert matrix[8][12:] == [False, False, False, True, False, True, True, True, True]


@pytest.mark.e2e
def test_matches_qrcode_terminal() -> None:
    node = shutil.which("node")
    module = str(npm_root() / "node_modules" / "qrcode-terminal")
    if node is None or not os.path.isdir(module):
        pytest.skip("node with npm's qrcode-terminal is needed")
    rng = random.Random(7)
    letters, base32 = string.ascii_lowercase, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    texts = ["x", "otpauth://totp/npm:alice?secret=JBSWY3DPEHPK3PXP&issuer=npm"]
    for _ in range(30):
        name = "".join(rng.choices(letters, k=rng.randint(3, 12)))
        texts.append(f"otpauth://totp/r:{name}?secret={''.join(rng.choices(base32, k=32))}")
    script = (
        f"const q=require({json.dumps(module)});const t=JSON.parse(require('fs').readFileSync(0,'utf8'));"
        "const r=[];for(const s of t){q.generate(s,c=>r.push(c))};console.log(JSON.stringify(r))"
    )
    done = subprocess.run(
        [node, "-e", script], input=json.dumps(texts), capture_output=True, text=True, check=True
    )
    expected = json.loads(done.stdout)
    matching = sum(render_qr(t) == e for t, e in zip(texts, expected, strict=True))
    print(f"qrcode-terminal: {matching}/{len(texts)} drawings identical")
    assert matching == len(texts)
