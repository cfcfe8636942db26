"""The QR code `npm profile enable-2fa` prints: qrcode-terminal's default (large) rendering.

The matrix comes from the `qrcode` package in 8-bit byte mode with error level L, like the
QRCode library qrcode-terminal vendors; that library picks the mask with its own (older) penalty
score, which is reproduced here so the drawing is cell for cell the one npm prints. Each module is
two spaces on a black or white ANSI background, with a one-module white border.
"""

from __future__ import annotations

__all__ = ["qr_matrix", "render_qr"]

_BLACK = "\x1b[40m  \x1b[0m"
_WHITE = "\x1b[47m  \x1b[0m"


def _lost_point(modules: list[list[bool]]) -> float:
    """QRUtil.getLostPoint of the vendored library."""
    count = len(modules)
    lost = 0.0
    for row in range(count):
        for col in range(count):
            same = 0
            dark = modules[row][col]
            for r in (-1, 0, 1):
                if not 0 <= row + r < count:
                    continue
                for c in (-1, 0, 1):
                    if not 0 <= col + c < count or (r == 0 and c == 0):
                        continue
                    if modules[row + r][col + c] == dark:
                        same += 1
            if same > 5:
                lost += 3 + same - 5
    for row in range(count - 1):
        for col in range(count - 1):
            dark_cells = (
                modules[row][col] + modules[row + 1][col] + modules[row][col + 1] + modules[row + 1][col + 1]
            )
            if dark_cells in (0, 4):
                lost += 3
    pattern = (True, False, True, True, True, False, True)
    for row in range(count):
        for col in range(count - 6):
            if tuple(modules[row][col : col + 7]) == pattern:
                lost += 40
    for col in range(count):
        column = [modules[row][col] for row in range(count)]
        for row in range(count - 6):
            if tuple(column[row : row + 7]) == pattern:
                lost += 40
    dark_count = sum(sum(row) for row in modules)
    ratio = abs(100 * dark_count / count / count - 50) / 5
    return lost + ratio * 10


def qr_matrix(text: str) -> list[list[bool]]:
    """The modules qrcode-terminal draws for `text` (True is dark)."""
    import qrcode  # type: ignore[import-untyped]
    from qrcode.util import MODE_8BIT_BYTE, QRData  # type: ignore[import-untyped]

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, border=0)
    code.add_data(QRData(text.encode("utf-8"), mode=MODE_8BIT_BYTE))
    code.best_fit()
    best_mask, best_lost = 0, 0.0
    for mask in range(8):
        code.makeImpl(True, mask)
        lost = _lost_point([[bool(cell) for cell in row] for row in code.modules])
        if mask == 0 or best_lost > lost:
            best_mask, best_lost = mask, lost
    code.makeImpl(False, best_mask)
    return [[bool(cell) for cell in row] for row in code.modules]


def render_qr(text: str) -> str:
    """qrcode-terminal's `generate(text, cb)` output (no trailing newline)."""
    modules = qr_matrix(text)
    border = _WHITE * (len(modules) + 2)
    rows = [border]
    rows += [_WHITE + "".join(_BLACK if cell else _WHITE for cell in row) + _WHITE for row in modules]
    rows.append(border)
    return "\n".join(rows)
