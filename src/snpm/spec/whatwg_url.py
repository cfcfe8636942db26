"""The WHATWG URL parser, as node's `new URL(input, base)` (ada 2.9) runs it.

npm-package-arg and hosted-git-info classify specs by whether `new URL()` accepts them and by what it
makes of them (`git+ssh://git@host:user/repo` fails on its port and gets rewritten; `github:user/repo`
is an opaque path; `file:` specs are resolved against a base). `urllib.parse` never fails and
normalises differently, so the state machine of https://url.spec.whatwg.org/#concept-basic-url-parser
is ported here: schemes, special schemes, userinfo, opaque and domain hosts, IPv4/IPv6, ports,
dot segments, Windows drive letters in file URLs, percent-encode sets and serialisation.
Hosts (domains, IPv4, IPv6, opaque hosts) are parsed in `snpm.spec.whatwg_host`.

Checked against node 20 on some 45,000 generated inputs. One known divergence: ada resolves a relative
input against a base with an opaque path (`new URL("x", "sc:op")`), which the spec and this port
refuse; npm never uses such a base.

Size: one state machine (the basic URL parser); its states share the buffer and the pointer, and
split apart they would pass their whole context around.
"""

from __future__ import annotations

import msgspec

from snpm.spec.whatwg_host import ASCII_DIGITS, C0_SET, parse_host, percent_encode, percent_encode_all

SPECIAL_SCHEMES: dict[str, int | None] = {
    "ftp": 21,
    "file": None,
    "http": 80,
    "https": 443,
    "ws": 80,
    "wss": 443,
}

_ASCII_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_SCHEME_CHARS = _ASCII_ALPHA | ASCII_DIGITS | frozenset("+-.")

# Percent-encode sets, as "extra ASCII characters" on top of the C0 control set (all code points
# below U+0020 and above U+007E). ada 2.9 does not yet encode `^` in paths.
_FRAGMENT_SET = frozenset(' "<>`')
_QUERY_SET = frozenset(' "#<>')
_SPECIAL_QUERY_SET = _QUERY_SET | frozenset("'")
_PATH_SET = _QUERY_SET | frozenset("?`{}")
_USERINFO_SET = _PATH_SET | frozenset("/:;=@[\\]^|")

_EOF = ""
_C0_CONTROL_OR_SPACE = "".join(chr(code) for code in range(0x21))


class WhatwgUrl(msgspec.Struct, frozen=True):
    """A parsed URL record with the getters of node's `URL` (`protocol`, `pathname`, `href`, ...)."""

    scheme: str
    username: str
    password: str
    host: str | None  # serialised host: domain, dotted IPv4, "[v6]", opaque host, or "" (empty host)
    port: int | None
    path: tuple[str, ...] | str  # a tuple of segments, or an opaque path string
    query: str | None
    fragment: str | None

    @property
    def is_special(self) -> bool:
        return self.scheme in SPECIAL_SCHEMES

    @property
    def protocol(self) -> str:
        return self.scheme + ":"

    @property
    def hostname(self) -> str:
        return self.host or ""

    @property
    def host_and_port(self) -> str:
        """node's `url.host`."""
        if self.host is None:
            return ""
        return self.host if self.port is None else f"{self.host}:{self.port}"

    @property
    def port_string(self) -> str:
        return "" if self.port is None else str(self.port)

    @property
    def pathname(self) -> str:
        if isinstance(self.path, str):
            return self.path
        return "".join("/" + segment for segment in self.path)

    @property
    def search(self) -> str:
        return f"?{self.query}" if self.query else ""

    @property
    def hash(self) -> str:
        return f"#{self.fragment}" if self.fragment else ""

    @property
    def href(self) -> str:
        out = [self.scheme, ":"]
        if self.host is not None:
            out.append("//")
            if self.username or self.password:
                out.append(self.username)
                if self.password:
                    out.append(":" + self.password)
                out.append("@")
            out.append(self.host)
            if self.port is not None:
                out.append(f":{self.port}")
        elif not isinstance(self.path, str) and len(self.path) > 1 and self.path[0] == "":
            out.append("/.")
        out.append(self.pathname)
        if self.query is not None:
            out.append("?" + self.query)
        if self.fragment is not None:
            out.append("#" + self.fragment)
        return "".join(out)

    def without_fragment(self) -> WhatwgUrl:
        """The effect of `url.hash = ''`: no fragment, and an opaque path loses trailing spaces."""
        path = self.path
        if isinstance(path, str) and self.query is None:
            path = path.rstrip(" ")
        return WhatwgUrl(
            self.scheme, self.username, self.password, self.host, self.port, path, self.query, None
        )

    def __str__(self) -> str:
        return self.href


def parse(text: str, base: str | WhatwgUrl | None = None) -> WhatwgUrl | None:
    """`new URL(text, base)`; None where node throws ERR_INVALID_URL."""
    base_url: WhatwgUrl | None
    if isinstance(base, str):
        base_url = _Parser(base, None).run()
        if base_url is None:
            return None
    else:
        base_url = base
    if base_url is None and ":" not in text:
        return None  # without a base, an input needs a scheme, and a scheme ends at ':'
    return _Parser(text, base_url).run()


def _is_windows_drive_letter(text: str, *, normalized: bool = False) -> bool:
    if len(text) != 2 or text[0] not in _ASCII_ALPHA:
        return False
    return text[1] == ":" if normalized else text[1] in ":|"


def _starts_with_windows_drive_letter(chars: str, at: int) -> bool:
    rest = chars[at:]
    if len(rest) < 2 or not _is_windows_drive_letter(rest[:2]):
        return False
    return len(rest) == 2 or rest[2] in "/\\?#"


_DOUBLE_DOT = frozenset({"..", ".%2e", "%2e.", "%2e%2e"})
_SINGLE_DOT = frozenset({".", "%2e"})


class _Parser:
    """One run of the basic URL parser (no state override); mutable only while it runs."""

    def __init__(self, text: str, base: WhatwgUrl | None) -> None:
        text = text.strip(_C0_CONTROL_OR_SPACE)
        if "\t" in text or "\n" in text or "\r" in text:
            text = text.replace("\t", "").replace("\n", "").replace("\r", "")
        self.chars = text
        self.base = base
        self.scheme = ""
        self.username = ""
        self.password = ""
        self.host: str | None = None
        self.port: int | None = None
        self.path: list[str] = []
        self.opaque_path: str | None = None
        self.query: str | None = None
        self.fragment: str | None = None

    @property
    def special(self) -> bool:
        return self.scheme in SPECIAL_SCHEMES

    def _shorten_path(self) -> None:
        path = self.path
        if self.scheme == "file" and len(path) == 1 and _is_windows_drive_letter(path[0], normalized=True):
            return
        if path:
            path.pop()

    def _result(self) -> WhatwgUrl:
        path: tuple[str, ...] | str = self.opaque_path if self.opaque_path is not None else tuple(self.path)
        return WhatwgUrl(
            self.scheme, self.username, self.password, self.host, self.port, path, self.query, self.fragment
        )

    def _copy_base_path(self, base: WhatwgUrl) -> None:
        if isinstance(base.path, str):
            self.opaque_path = base.path
        else:
            self.path = list(base.path)

    def run(self) -> WhatwgUrl | None:
        chars = self.chars
        end = len(chars)
        base = self.base
        state = "scheme start"
        buffer = ""
        at_sign_seen = False
        inside_brackets = False
        password_token_seen = False
        pointer = 0
        while True:
            c = chars[pointer] if pointer < end else _EOF
            if state == "scheme start":
                if c and c in _ASCII_ALPHA:
                    buffer += c.lower()
                    state = "scheme"
                else:
                    state = "no scheme"
                    pointer -= 1
            elif state == "scheme":
                if c and c in _SCHEME_CHARS:
                    buffer += c.lower()
                elif c == ":":
                    self.scheme = buffer
                    buffer = ""
                    if self.scheme == "file":
                        state = "file"
                    elif self.special and base is not None and base.scheme == self.scheme:
                        state = "special relative or authority"
                    elif self.special:
                        state = "special authority slashes"
                    elif pointer + 1 < end and chars[pointer + 1] == "/":
                        state = "path or authority"
                        pointer += 1
                    else:
                        self.opaque_path = ""
                        state = "opaque path"
                else:
                    buffer = ""
                    state = "no scheme"
                    pointer = -1
            elif state == "no scheme":
                if base is None or (isinstance(base.path, str) and c != "#"):
                    return None
                if isinstance(base.path, str) and c == "#":
                    self.scheme = base.scheme
                    self.opaque_path = base.path
                    self.query = base.query
                    self.fragment = ""
                    state = "fragment"
                elif base.scheme != "file":
                    state = "relative"
                    pointer -= 1
                else:
                    state = "file"
                    pointer -= 1
            elif state == "special relative or authority":
                if c == "/" and pointer + 1 < end and chars[pointer + 1] == "/":
                    state = "special authority ignore slashes"
                    pointer += 1
                else:
                    state = "relative"
                    pointer -= 1
            elif state == "path or authority":
                if c == "/":
                    state = "authority"
                else:
                    state = "path"
                    pointer -= 1
            elif state == "relative":
                assert base is not None
                self.scheme = base.scheme
                if c == "/" or (self.special and c == "\\"):
                    state = "relative slash"
                else:
                    self.username, self.password = base.username, base.password
                    self.host, self.port = base.host, base.port
                    self._copy_base_path(base)
                    self.query = base.query
                    if c == "?":
                        self.query = ""
                        state = "query"
                    elif c == "#":
                        self.fragment = ""
                        state = "fragment"
                    elif c != _EOF:
                        self.query = None
                        self._shorten_path()
                        state = "path"
                        pointer -= 1
            elif state == "relative slash":
                assert base is not None
                if self.special and c in ("/", "\\"):
                    state = "special authority ignore slashes"
                elif c == "/":
                    state = "authority"
                else:
                    self.username, self.password = base.username, base.password
                    self.host, self.port = base.host, base.port
                    state = "path"
                    pointer -= 1
            elif state == "special authority slashes":
                if c == "/" and pointer + 1 < end and chars[pointer + 1] == "/":
                    pointer += 1
                else:
                    pointer -= 1
                state = "special authority ignore slashes"
            elif state == "special authority ignore slashes":
                if c not in ("/", "\\") or c == _EOF:
                    state = "authority"
                    pointer -= 1
            elif state == "authority":
                if c == "@":
                    if at_sign_seen:
                        buffer = "%40" + buffer
                    at_sign_seen = True
                    for code_point in buffer:
                        if code_point == ":" and not password_token_seen:
                            password_token_seen = True
                            continue
                        encoded = percent_encode(code_point, _USERINFO_SET)
                        if password_token_seen:
                            self.password += encoded
                        else:
                            self.username += encoded
                    buffer = ""
                elif c in (_EOF, "/", "?", "#") or (self.special and c == "\\"):
                    if at_sign_seen and buffer == "":
                        return None
                    pointer -= len(buffer) + 1
                    buffer = ""
                    state = "host"
                else:
                    buffer += c
            elif state == "host":
                if c == ":" and not inside_brackets:
                    if buffer == "":
                        return None
                    host = parse_host(buffer, is_opaque=not self.special)
                    if host is None:
                        return None
                    self.host = host
                    buffer = ""
                    state = "port"
                elif c in (_EOF, "/", "?", "#") or (self.special and c == "\\"):
                    pointer -= 1
                    if self.special and buffer == "":
                        return None
                    host = parse_host(buffer, is_opaque=not self.special)
                    if host is None:
                        return None
                    self.host = host
                    buffer = ""
                    state = "path start"
                else:
                    if c == "[":
                        inside_brackets = True
                    elif c == "]":
                        inside_brackets = False
                    buffer += c
            elif state == "port":
                if c and c in ASCII_DIGITS:
                    buffer += c
                elif c in (_EOF, "/", "?", "#") or (self.special and c == "\\"):
                    if buffer != "":
                        port = int(buffer)
                        if port > 65535:
                            return None
                        self.port = None if SPECIAL_SCHEMES.get(self.scheme, -1) == port else port
                        buffer = ""
                    state = "path start"
                    pointer -= 1
                else:
                    return None
            elif state == "file":
                self.scheme = "file"
                self.host = ""
                if c in ("/", "\\") and c != _EOF:
                    state = "file slash"
                elif base is not None and base.scheme == "file":
                    self.host = base.host
                    self._copy_base_path(base)
                    self.query = base.query
                    if c == "?":
                        self.query = ""
                        state = "query"
                    elif c == "#":
                        self.fragment = ""
                        state = "fragment"
                    elif c != _EOF:
                        self.query = None
                        if not _starts_with_windows_drive_letter(chars, pointer):
                            self._shorten_path()
                        else:
                            self.path = []
                        state = "path"
                        pointer -= 1
                else:
                    state = "path"
                    pointer -= 1
            elif state == "file slash":
                if c in ("/", "\\") and c != _EOF:
                    state = "file host"
                else:
                    if base is not None and base.scheme == "file":
                        self.host = base.host
                        if (
                            not _starts_with_windows_drive_letter(chars, pointer)
                            and not isinstance(base.path, str)
                            and base.path
                            and _is_windows_drive_letter(base.path[0], normalized=True)
                        ):
                            self.path.append(base.path[0])
                    state = "path"
                    pointer -= 1
            elif state == "file host":
                if c in (_EOF, "/", "\\", "?", "#"):
                    pointer -= 1
                    if _is_windows_drive_letter(buffer):
                        state = "path"  # the buffer is kept: it becomes the first path segment
                    elif buffer == "":
                        self.host = ""
                        state = "path start"
                    else:
                        host = parse_host(buffer, is_opaque=not self.special)
                        if host is None:
                            return None
                        self.host = "" if host == "localhost" else host
                        buffer = ""
                        state = "path start"
                else:
                    buffer += c
            elif state == "path start":
                if self.special:
                    state = "path"
                    if c not in ("/", "\\") or c == _EOF:
                        pointer -= 1
                elif c == "?":
                    self.query = ""
                    state = "query"
                elif c == "#":
                    self.fragment = ""
                    state = "fragment"
                elif c != _EOF:
                    state = "path"
                    if c != "/":
                        pointer -= 1
            elif state == "path":
                slash_like = c == "/" or (self.special and c == "\\")
                if c == _EOF or slash_like or c in ("?", "#"):
                    lowered = buffer.lower()
                    if lowered in _DOUBLE_DOT:
                        # ada quirk: `foo:/..` keeps an empty path (href `foo:`), where the spec's path is [""]
                        keeps_empty = not self.path and not self.special
                        self._shorten_path()
                        if not slash_like and not keeps_empty:
                            self.path.append("")
                    elif lowered in _SINGLE_DOT:
                        if not slash_like:
                            self.path.append("")
                    else:
                        if self.scheme == "file" and not self.path and _is_windows_drive_letter(buffer):
                            buffer = buffer[0] + ":"
                        self.path.append(buffer)
                    buffer = ""
                    if c == "?":
                        self.query = ""
                        state = "query"
                    elif c == "#":
                        self.fragment = ""
                        state = "fragment"
                else:
                    buffer += percent_encode(c, _PATH_SET)
            elif state == "opaque path":
                if c == "?":
                    self.query = ""
                    state = "query"
                elif c == "#":
                    self.fragment = ""
                    state = "fragment"
                elif c != _EOF:
                    self.opaque_path = (self.opaque_path or "") + percent_encode(c, C0_SET)
            elif state == "query":
                if c in ("#", _EOF):
                    encode_set = _SPECIAL_QUERY_SET if self.special else _QUERY_SET
                    self.query = (self.query or "") + percent_encode_all(buffer, encode_set)
                    buffer = ""
                    if c == "#":
                        self.fragment = ""
                        state = "fragment"
                else:
                    buffer += c
            elif state == "fragment" and c != _EOF:
                self.fragment = (self.fragment or "") + percent_encode(c, _FRAGMENT_SET)
            # the spec: stop once a run leaves the pointer on EOF; a state that stepped back re-runs it
            if pointer >= end:
                break
            pointer += 1
        return self._result()
