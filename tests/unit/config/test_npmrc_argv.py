"""The .npmrc dialect (snpm.config.npmrc) and nopt parsing (snpm.config.argv)."""

from __future__ import annotations

from snpm.config.argv import abbrev, parse_argv
from snpm.config.definitions import SHORTHANDS, TYPE_KEYS, type_of
from snpm.config.npmrc import decode, encode, safe, unsafe
from snpm.config.values import ConfigValue


def test_decode_comments_quotes_and_escapes() -> None:
    text = (
        "; comment\n# comment\na = x ; c\nb = x#y\nc = \"q;r\" ; z\nd = 's;t'\ne=x=y\nf = x\\;y\n"
        'g="a\\"b"\nflag\nt=true\nn=null\n'
    )
    assert decode(text) == {
        "a": "x",
        "b": "x",
        "c": '"q',
        "d": "s;t",
        "e": "x=y",
        "f": "x;y",
        "g": 'a"b',
        "flag": True,
        "t": True,
        "n": None,
    }


def test_decode_arrays_and_sections() -> None:
    assert decode("ca[]=A\nca[]=B\n") == {"ca": ["A", "B"]}
    assert decode("ca=A\nca[]=B\n") == {"ca": ["A", "B"]}
    assert decode("[s]\nx=1\n[a.b]\ny=2\n") == {"s": {"x": "1"}, "a": {"b": {"y": "2"}}}
    assert decode("[__proto__]\nx=1\n__proto__=1\n") == {}
    assert decode("n='123'\n") == {"n": 123}


def test_encode_round_trip() -> None:
    obj: dict[str, ConfigValue] = {
        "tag": "beta",
        "ca": ["A", "B"],
        "empty": [],
        "msg": "a;b#c",
        "q": '"x"',
        "s": {"x": "1"},
    }
    text = encode(obj)
    assert text == 'tag=beta\nca[]=A\nca[]=B\nmsg=a\\;b\\#c\nq="\\"x\\""\n\n[s]\nx=1\n'
    assert decode(text)["msg"] == "a;b#c"
    assert safe(" padded") == '" padded"'
    assert unsafe("'raw'") == "raw"


def _parse(*args: str) -> tuple[dict[str, object], list[str], list[tuple[str, ...]]]:
    events: list[tuple[str, ...]] = []
    parsed = parse_argv(
        list(args),
        type_of,
        TYPE_KEYS,
        SHORTHANDS,
        on_abbrev=lambda s, long: events.append(("abbrev", s, long)),
        on_unknown=lambda k, nxt: events.append(("unknown", k, nxt or "")),
    )
    return dict(parsed.data), parsed.remain, events


def test_shorthands_and_singles() -> None:
    data, remain, _ = _parse("-gpld")
    assert data == {"global": True, "parseable": True, "long": True, "loglevel": "info"}
    assert _parse("-dd")[0] == {"loglevel": "verbose"}
    data, remain, _ = _parse("-gws")
    assert data == {"global": True, "workspace": ["--loglevel"]} and remain == ["silent"]


def test_booleans_strings_and_arrays() -> None:
    assert _parse("--no-no-save")[0] == {"save": True}
    assert _parse("--no-json", "false")[0] == {"json": True}
    data, remain, _ = _parse("--json=foo")
    assert data == {"json": True} and remain == ["foo"]
    assert _parse("--tag")[0] == {"tag": ""}
    data, remain, _ = _parse("--tag", "-g", "x")
    assert data == {"tag": "", "global": True} and remain == ["x"]
    assert _parse("-w", "a", "-w", "b")[0] == {"workspace": ["a", "b"]}
    assert _parse("--", "--foo", "-g")[1] == ["--foo", "-g"]


def test_abbreviations_and_unknown_flags() -> None:
    data, _, events = _parse("--par")
    assert data == {"parseable": True} and events == [("abbrev", "par", "parseable")]
    data, _, events = _parse("--lo")
    assert data == {"global": False} and ("abbrev", "lo", "local") in events
    data, remain, events = _parse("--foo", "bar")
    assert data == {"foo": True} and remain == ["bar"] and events == [("unknown", "foo", "bar")]


def test_abbrev() -> None:
    table = abbrev(("save", "save-dev", "scope"))
    assert table["sc"] == "scope"
    assert table["save"] == "save"
    assert "sav" not in table
