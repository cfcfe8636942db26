"""snpm.ecmascript against node itself: whitespace and trim over the whole BMP, UTF-16 length and the
URI component functions on random text, Number() on random numeric-looking strings, Number#toString
on random doubles, JS object key order, and `localeCompare(…, 'en')` (with Intl.Collator's numeric
and sensitivity options) on random strings from the alphabets the collation is exact for."""

from __future__ import annotations

import math
import random
import struct

import pytest

from snpm.ecmascript.collation import locale_compare_key
from snpm.ecmascript.json import key_order
from snpm.ecmascript.numbers import number_to_string, to_number
from snpm.ecmascript.strings import (
    WHITESPACE,
    WHITESPACE_RE,
    URIError,
    decode_uri_component,
    encode_uri_component,
    split_whitespace,
    trim,
    utf16_length,
)
from support.node import node_json

pytestmark = pytest.mark.e2e


def test_whitespace_matches_node_over_the_bmp() -> None:
    script = """
    const out = []
    for (let c = 0; c < 0x10000; c++) {
      const s = String.fromCharCode(c)
      if (s.trim() === '' || /\\s/.test(s) || Number(s + '1' + s) === 1) out.push(c)
    }
    console.log(JSON.stringify(out))
    """
    expected = node_json(script, None)
    assert expected == [ord(ch) for ch in WHITESPACE]
    python_side = [
        code
        for code in range(0x10000)
        if not trim(chr(code))
        or WHITESPACE_RE.match(chr(code))
        or to_number(chr(code) + "1" + chr(code)) == 1
    ]
    assert python_side == expected


def _random_text(rng: random.Random) -> str:
    pieces = ["a", "Z", "0", " ", "%", "%2", "%41", "%e9", "%C3%A9", "%E2%82%AC", "%F0%9F%98%80", "%ED%A0%80"]
    pieces += ["%C0%80", "é", "€", "\U0001f600", "\u2028", "\ufeff", "\xa0", "\x1c", "-_.!~*'()", "@/", "#?"]
    return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))


def test_string_functions_match_node() -> None:
    rng = random.Random(20260101)
    texts = sorted({_random_text(rng) for _ in range(3000)})
    script = """
    const tryIt = f => { try { return f() } catch (e) { return e instanceof URIError ? 'URIError' : String(e) } }
    console.log(JSON.stringify(input.map(s => [
      s.trim(), s.split(/\\s+/), s.length, tryIt(() => encodeURIComponent(s)), tryIt(() => decodeURIComponent(s)),
    ])))
    """
    expected = node_json(script, texts)
    assert isinstance(expected, list)

    def attempt(function: object, text: str) -> str:
        try:
            return function(text)  # type: ignore[operator, no-any-return]
        except URIError:
            return "URIError"

    failures = []
    for text, want in zip(texts, expected, strict=True):
        got = [
            trim(text),
            split_whitespace(text),
            utf16_length(text),
            attempt(encode_uri_component, text),
            attempt(decode_uri_component, text),
        ]
        if got != want:
            failures.append((text, got, want))
    print(
        f"trim/split/length/encode/decodeURIComponent: {len(texts) - len(failures)}/{len(texts)} strings equal"
    )
    assert not failures


def _number_js(value: float) -> str:
    return "-0" if value == 0 and math.copysign(1, value) < 0 else number_to_string(value)


def test_number_from_strings_matches_node() -> None:
    rng = random.Random(3)
    pieces = ["", " ", "\xa0", "\ufeff", "\u2028", "\x85", "+", "-", "0", "1", "9", ".", "e", "E", "x", "X"]
    pieces += ["0x", "0b", "0o", "f", "Infinity", "infinity", "NaN", "_", "١", "1e400", "n"]
    texts = sorted({"".join(rng.choice(pieces) for _ in range(rng.randint(0, 5))) for _ in range(20000)})
    texts += ["0x" + "f" * 300, "0x20000000000001", "0b" + "1" * 60, "00012", "1_0", "0.0000001", "-0"]
    script = "console.log(JSON.stringify(input.map(s => { const n = Number(s); return Object.is(n, -0) ? '-0' : String(n) })))"
    expected = node_json(script, texts)
    assert isinstance(expected, list)
    failures = [
        (t, _number_js(to_number(t)), w)
        for t, w in zip(texts, expected, strict=True)
        if _number_js(to_number(t)) != w
    ]
    print(f"Number(string): {len(texts) - len(failures)}/{len(texts)} strings equal")
    assert not failures


def test_number_to_string_matches_node() -> None:
    rng = random.Random(4)
    doubles = [struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0] for _ in range(20000)]
    doubles += [m * 10.0**e for e in range(-25, 26) for m in (1, -1.5, 9.999999, 123456789, 0.1)]
    doubles = [d for d in doubles if math.isfinite(d)] + [5e-324, 1.7976931348623157e308, 2.0**53, 1e21]
    ints = [rng.getrandbits(rng.randint(1, 90)) * rng.choice((1, -1)) for _ in range(3000)]
    script = """
    const [doubles, ints] = input
    console.log(JSON.stringify([doubles.map(String), ints.map(s => String(Number(s)))]))
    """
    expected = node_json(script, [doubles, [str(i) for i in ints]])
    assert isinstance(expected, list)
    got = [[number_to_string(d) for d in doubles], [number_to_string(i) for i in ints]]
    equal = sum(g == w for g, w in zip(got[0] + got[1], expected[0] + expected[1], strict=True))
    print(f"Number#toString: {equal}/{len(doubles) + len(ints)} numbers equal")
    assert got == expected


def test_key_order_matches_node() -> None:
    rng = random.Random(5)
    keys = [
        "0",
        "1",
        "2",
        "10",
        "01",
        "-1",
        "1.5",
        "4294967294",
        "4294967295",
        "a",
        "b",
        "B",
        "_",
        " 1",
        "1e3",
    ]
    objects = [rng.sample(keys, rng.randint(0, len(keys))) for _ in range(500)]
    script = (
        "console.log(JSON.stringify(input.map(ks => Object.keys(Object.fromEntries(ks.map(k => [k, 0]))))))"
    )
    expected = node_json(script, objects)
    assert [list(key_order(ks)) for ks in objects] == expected


# the alphabets the collation is exact for; accented Latin beyond single letters and most symbols
# outside ASCII are approximations (see the module docstring)
_ALPHABETS = {
    "ascii": "".join(map(chr, range(128))),
    "npm names": "abcdefghijklmnopqrstuvwxyz0123456789-._~@/",
    "digits": "a1٣² 0x9",
    "scripts": "aяЖжΩω中日한ファ1 ",
}
_OPTIONS = [
    ({}, {}),
    ({"numeric": True}, {"numeric": True}),
    ({"accents": False}, {"sensitivity": "case"}),
    ({"numeric": True, "accents": False}, {"numeric": True, "sensitivity": "case"}),
]

COLLATE_SCRIPT = """
const results = input.map(([strings, options]) => {
  const collator = new Intl.Collator('en', options)
  const order = strings.map((_, i) => i).sort((a, b) => collator.compare(strings[a], strings[b]))
  const ties = order.slice(1).map((i, k) => collator.compare(strings[order[k]], strings[i]) === 0)
  return [order, ties]
})
console.log(JSON.stringify(results))
"""


@pytest.mark.parametrize("alphabet", sorted(_ALPHABETS))
def test_locale_compare_matches_node(alphabet: str) -> None:
    rng = random.Random(alphabet)
    chars = _ALPHABETS[alphabet]
    strings = sorted({"".join(rng.choice(chars) for _ in range(rng.randint(0, 6))) for _ in range(6000)})
    cases = _OPTIONS
    expected = node_json(COLLATE_SCRIPT, [[strings, options] for _, options in cases])
    assert isinstance(expected, list)
    failures = []
    for (opts, options), (order, ties) in zip(cases, expected, strict=True):
        keys = [locale_compare_key(s, **opts) for s in strings]
        for k, (i, j) in enumerate(zip(order[:-1], order[1:], strict=True)):
            if not (keys[i] == keys[j] if ties[k] else keys[i] < keys[j]):
                failures.append((options, strings[i], strings[j], "tie" if ties[k] else "before"))
    pairs = len(cases) * (len(strings) - 1)
    print(f"localeCompare ({alphabet}): {pairs - len(failures)}/{pairs} neighbouring pairs ordered as node")
    assert not failures
