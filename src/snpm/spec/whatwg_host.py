"""WHATWG URL host parsing (domains, IPv4, IPv6, opaque hosts) and the percent-encoding it shares.

Part of the `new URL()` port in `snpm.spec.whatwg_url`, matching node 20's ada 2.9.
Known gap: domains with non-ASCII characters go through an approximation of UTS #46 (case fold that
keeps the deviation characters, NFKC, punycode, a validity check), without its bidi and joiner rules.
"""

from __future__ import annotations

import unicodedata

ASCII_DIGITS = frozenset("0123456789")
_ASCII_HEX = frozenset("0123456789abcdefABCDEF")
_FORBIDDEN_HOST = frozenset("\x00\t\n\r #/:<>?@[\\]^|")
_FORBIDDEN_DOMAIN = _FORBIDDEN_HOST | frozenset(chr(c) for c in range(0x20)) | frozenset("%\x7f")
# The C0 control percent-encode set has no extra ASCII characters: controls and non-ASCII only.
C0_SET: frozenset[str] = frozenset()
_EOF = ""


def percent_encode(ch: str, extra: frozenset[str]) -> str:
    """UTF-8 percent-encode `ch` if it is in the C0 control set or in `extra`."""
    code = ord(ch)
    if 0x20 <= code <= 0x7E and ch not in extra:
        return ch
    if 0xD800 <= code <= 0xDFFF:
        ch = "\ufffd"  # a lone surrogate is encoded as U+FFFD, like any USVString conversion
    return "".join(f"%{byte:02X}" for byte in ch.encode("utf-8"))


def percent_encode_all(text: str, extra: frozenset[str]) -> str:
    return "".join(percent_encode(ch, extra) for ch in text)


def _percent_decode(text: str) -> bytes:
    data = text.encode("utf-8", "surrogatepass")
    if b"%" not in data:
        return data
    out = bytearray()
    i = 0
    while i < len(data):
        byte = data[i]
        if (
            byte == 0x25
            and i + 2 < len(data)
            and chr(data[i + 1]) in _ASCII_HEX
            and chr(data[i + 2]) in _ASCII_HEX
        ):
            out.append(int(data[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(byte)
            i += 1
    return bytes(out)


def parse_host(text: str, *, is_opaque: bool) -> str | None:
    """The host parser: the serialised host, or None on failure."""
    if text.startswith("["):
        if not text.endswith("]"):
            return None
        address = _parse_ipv6(text[1:-1])
        return None if address is None else f"[{_serialize_ipv6(address)}]"
    if is_opaque:
        if any(ch in _FORBIDDEN_HOST for ch in text):
            return None
        return percent_encode_all(text, C0_SET)
    domain = _percent_decode(text).decode("utf-8", "replace")
    ascii_domain = _domain_to_ascii(domain)
    if ascii_domain is None or any(ch in _FORBIDDEN_DOMAIN for ch in ascii_domain):
        return None
    if _ends_in_a_number(ascii_domain):
        return _parse_ipv4(ascii_domain)
    return ascii_domain


def _domain_to_ascii(domain: str) -> str | None:
    if domain.isascii():
        mapped = domain.lower()
        if "xn--" not in mapped:
            return mapped or None
    else:
        mapped = _uts46_map(domain).replace("\u3002", ".")
    labels: list[str] = []
    for label in mapped.split("."):
        if label.startswith("xn--"):
            if not label.isascii():
                return None
            try:
                decoded = label[4:].encode("ascii").decode("punycode")
            except (UnicodeError, ValueError):
                return None
            if not decoded or not _is_valid_label(decoded):
                return None
            labels.append(label)
        elif label.isascii():
            labels.append(label)
        elif not _is_valid_label(label):
            return None
        else:
            labels.append("xn--" + label.encode("punycode").decode("ascii"))
    result = ".".join(labels)
    return result or None


def _uts46_map(text: str) -> str:
    """UTS #46 non-transitional mapping, approximated: case fold except the deviation characters, NFKC."""
    folded = "".join(ch if ch in "ßς\u200c\u200d" else ch.casefold() for ch in text)
    return unicodedata.normalize("NFKC", folded)


_INVALID_LABEL_CATEGORIES = frozenset({"Cc", "Cn", "Co", "Cs", "Zs", "Zl", "Zp"})


def _is_valid_label(label: str) -> bool:
    """UTS #46 label validity, approximated: already mapped, no leading mark, controls, spaces or U+FFFD."""
    if unicodedata.category(label[0]).startswith("M") or _uts46_map(label) != label:
        return False
    return all(ch != "\ufffd" and unicodedata.category(ch) not in _INVALID_LABEL_CATEGORIES for ch in label)


def _ends_in_a_number(text: str) -> bool:
    parts = text.split(".")
    if parts[-1] == "":
        if len(parts) == 1:
            return False
        parts.pop()
    last = parts[-1]
    if last and all(ch in ASCII_DIGITS for ch in last):
        return True
    return _parse_ipv4_number(last) is not None


def _parse_ipv4_number(text: str) -> int | None:
    if text == "":
        return None
    radix = 10
    if len(text) >= 2 and text[:2] in ("0x", "0X"):
        text = text[2:]
        radix = 16
    elif len(text) >= 2 and text[0] == "0":
        text = text[1:]
        radix = 8
    if text == "":
        return 0
    digits = {10: ASCII_DIGITS, 16: _ASCII_HEX, 8: frozenset("01234567")}[radix]
    if any(ch not in digits for ch in text):
        return None
    return int(text, radix)


def _parse_ipv4(text: str) -> str | None:
    parts = text.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        return None
    numbers: list[int] = []
    for part in parts:
        number = _parse_ipv4_number(part)
        if number is None:
            return None
        numbers.append(number)
    if any(n > 255 for n in numbers[:-1]):
        return None
    if numbers[-1] >= 256 ** (5 - len(numbers)):
        return None
    address = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        address += number * 256 ** (3 - index)
    return ".".join(str((address >> shift) & 0xFF) for shift in (24, 16, 8, 0))


def _parse_ipv6(text: str) -> list[int] | None:
    address = [0] * 8
    piece_index = 0
    compress: int | None = None
    pointer = 0
    end = len(text)

    def at(i: int) -> str:
        return text[i] if i < end else _EOF

    if at(pointer) == ":":
        if at(pointer + 1) != ":":
            return None
        pointer += 2
        piece_index += 1
        compress = piece_index
    while at(pointer) != _EOF:
        if piece_index == 8:
            return None
        if at(pointer) == ":":
            if compress is not None:
                return None
            pointer += 1
            piece_index += 1
            compress = piece_index
            continue
        value = length = 0
        while length < 4 and at(pointer) != _EOF and at(pointer) in _ASCII_HEX:
            value = value * 0x10 + int(at(pointer), 16)
            pointer += 1
            length += 1
        if at(pointer) == ".":
            if length == 0:
                return None
            pointer -= length
            if piece_index > 6:
                return None
            numbers_seen = 0
            while at(pointer) != _EOF:
                ipv4_piece: int | None = None
                if numbers_seen > 0:
                    if at(pointer) == "." and numbers_seen < 4:
                        pointer += 1
                    else:
                        return None
                if at(pointer) == _EOF or at(pointer) not in ASCII_DIGITS:
                    return None
                while at(pointer) != _EOF and at(pointer) in ASCII_DIGITS:
                    number = int(at(pointer))
                    if ipv4_piece is None:
                        ipv4_piece = number
                    elif ipv4_piece == 0:
                        return None
                    else:
                        ipv4_piece = ipv4_piece * 10 + number
                    if ipv4_piece > 255:
                        return None
                    pointer += 1
                assert ipv4_piece is not None
                address[piece_index] = address[piece_index] * 0x100 + ipv4_piece
                numbers_seen += 1
                if numbers_seen in (2, 4):
                    piece_index += 1
            if numbers_seen != 4:
                return None
            break
        if at(pointer) == ":":
            pointer += 1
            if at(pointer) == _EOF:
                return None
        elif at(pointer) != _EOF:
            return None
        address[piece_index] = value
        piece_index += 1
    if compress is not None:
        swaps = piece_index - compress
        piece_index = 7
        while piece_index != 0 and swaps > 0:
            address[piece_index], address[compress + swaps - 1] = (
                address[compress + swaps - 1],
                address[piece_index],
            )
            piece_index -= 1
            swaps -= 1
    elif piece_index != 8:
        return None
    return address


def _serialize_ipv6(address: list[int]) -> str:
    # compress the first longest run of two or more zero pieces
    best_start, best_len = -1, 1
    index = 0
    while index < 8:
        if address[index] == 0:
            run_end = index
            while run_end < 8 and address[run_end] == 0:
                run_end += 1
            if run_end - index > best_len:
                best_start, best_len = index, run_end - index
            index = run_end
        else:
            index += 1
    out = ""
    ignore0 = False
    for index, piece in enumerate(address):
        if ignore0 and piece == 0:
            continue
        ignore0 = False
        if index == best_start:
            out += "::" if index == 0 else ":"
            ignore0 = True
            continue
        out += f"{piece:x}"
        if index != 7:
            out += ":"
    return out
