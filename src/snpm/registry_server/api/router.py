"""The registry's URL router: npm's paths, package names in every spelling, and each route's access rule.

aiohttp's router cannot match a package name that is sometimes one path segment (`foo`,
`@scope%2ffoo`, `@scope%2Ffoo`) and sometimes two (`@scope/foo`, as in tarball URLs and the
single-version unpublish DELETE), so the app hands every request to this router, which matches on
the raw path's segments. Patterns are written like `/-/package/{pkg}/dist-tags/{tag}`: `{pkg}` takes
a package name (one or two segments), `{x}` one percent-decoded segment, and a segment may start
with a literal (`org.couchdb.user:{username}`). Each route declares its `Access` beside it, so one
glance at the route table shows what a request needs, and its `Otp` rule: when the dispatcher asks
an account with two-factor authentication for a one-time password (`services.two_factor`).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from urllib.parse import unquote

import msgspec
from aiohttp import web

from snpm.registry_server.services.permissions import Actor

__all__ = ["Access", "Handler", "Otp", "RequestContext", "Route", "RouteMatch", "Router"]


class Access(enum.Enum):
    # credentials are not looked at (ping, login, logout: a stale token must not block them)
    NONE = "none"
    # anyone may read (unless the registry requires login for reads); bad credentials are a 401
    READ = "read"
    # a logged-in user
    USER = "user"
    # a logged-in user whose credential may write (a read-only token is refused with 403)
    WRITE = "write"


class Otp(enum.Enum):
    # WRITE routes ask in auth-and-writes mode; other routes never
    DEFAULT = "default"
    # asked in both modes (creating a token)
    LOGIN = "login"
    # the handler decides from the body (star/unstar and non-latest dist-tags are exempt)
    HANDLER = "handler"


class RequestContext(msgspec.Struct, frozen=True):
    actor: Actor | None
    params: dict[str, str]
    base_url: str
    client_ip: str | None
    # the `npm-otp` header: a one-time password (or recovery code) npm sends with --otp or on retry
    otp: str | None = None
    # the dispatcher already accepted `otp` for this request (a recovery code works only once)
    otp_verified: bool = False


Handler = Callable[[web.Request, RequestContext], Awaitable[web.StreamResponse]]


class _Segment(msgspec.Struct, frozen=True):
    literal: str  # the whole segment, or the literal prefix of a variable segment
    variable: str | None = None  # name of the captured value
    package: bool = False


class Route(msgspec.Struct, frozen=True):
    method: str
    pattern: str
    handler: Handler
    access: Access
    segments: tuple[_Segment, ...] = ()
    otp: Otp = Otp.DEFAULT


class RouteMatch(msgspec.Struct, frozen=True):
    route: Route
    params: dict[str, str]


def _compile(pattern: str) -> tuple[_Segment, ...]:
    out: list[_Segment] = []
    for part in pattern.strip("/").split("/"):
        if part == "{pkg}":
            out.append(_Segment("", "pkg", package=True))
        elif "{" in part and part.endswith("}"):
            prefix, _, rest = part.partition("{")
            out.append(_Segment(prefix, rest[:-1]))
        else:
            out.append(_Segment(part))
    return tuple(out)


def split_raw_path(raw_path: str) -> list[str]:
    """The raw path's segments, still percent-encoded (so `%2f` is told apart from `/`)."""
    path = raw_path.split("?", 1)[0]
    return path[1:].split("/") if path.startswith("/") else path.split("/")


def _take_package(raw: list[str], decoded: list[str], at: int) -> tuple[str, int] | None:
    """A package name starting at raw[at]: (name, segments used), or None."""
    if at >= len(raw):
        return None
    first = decoded[at]
    if not first or first == "-" or first.startswith("-/"):
        return None
    if first.startswith("@"):
        if "/" in first:
            return first, 1  # @scope%2fname
        if at + 1 < len(raw) and raw[at + 1] and raw[at + 1] != "-":
            return f"{first}/{decoded[at + 1]}", 2  # @scope/name
        return None
    if "/" in first:
        return None
    return first, 1


def _match(segments: tuple[_Segment, ...], raw: list[str], decoded: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    at = 0
    for segment in segments:
        if segment.package:
            taken = _take_package(raw, decoded, at)
            if taken is None:
                return None
            params["pkg"], used = taken
            at += used
            continue
        if at >= len(raw):
            return None
        text = decoded[at]
        if segment.variable is None:
            if text != segment.literal:
                return None
        else:
            if not text.startswith(segment.literal) or len(text) == len(segment.literal):
                return None
            params[segment.variable] = text[len(segment.literal) :]
        at += 1
    return params if at == len(raw) else None


def _first_literal(route: Route) -> str | None:
    """The route's first segment when it is a plain literal (else None: it may match anything)."""
    first = route.segments[0] if route.segments else None
    if first is None or first.variable is not None or first.package:
        return None
    return first.literal


class Router:
    def __init__(self) -> None:
        self._routes: list[Route] = []
        # routes that may match a path, by its first segment (built on first use; None: any other)
        self._by_head: dict[str | None, tuple[Route, ...]] | None = None

    def add(
        self, method: str, pattern: str, handler: Handler, *, access: Access, otp: Otp = Otp.DEFAULT
    ) -> None:
        self._routes.append(Route(method.upper(), pattern, handler, access, _compile(pattern), otp))
        self._by_head = None

    def get(self, pattern: str, handler: Handler, *, access: Access, otp: Otp = Otp.DEFAULT) -> None:
        self.add("GET", pattern, handler, access=access, otp=otp)

    def put(self, pattern: str, handler: Handler, *, access: Access, otp: Otp = Otp.DEFAULT) -> None:
        self.add("PUT", pattern, handler, access=access, otp=otp)

    def post(self, pattern: str, handler: Handler, *, access: Access, otp: Otp = Otp.DEFAULT) -> None:
        self.add("POST", pattern, handler, access=access, otp=otp)

    def delete(self, pattern: str, handler: Handler, *, access: Access, otp: Otp = Otp.DEFAULT) -> None:
        self.add("DELETE", pattern, handler, access=access, otp=otp)

    @property
    def routes(self) -> tuple[Route, ...]:
        return tuple(self._routes)

    def _candidates(self, head: str) -> tuple[Route, ...]:
        """The routes, in order, that can match a path starting with segment `head`: those starting
        with that literal and those starting with a variable (most routes start with `-`; package
        paths never do, so a packument GET tries only the few package routes)."""
        if self._by_head is None:
            heads = {_first_literal(r) for r in self._routes}
            self._by_head = {
                key: tuple(r for r in self._routes if _first_literal(r) in (key, None)) for key in heads
            }
        found = self._by_head.get(head)
        return found if found is not None else self._by_head.get(None, ())

    def match(self, method: str, raw_path: str) -> RouteMatch | set[str] | None:
        """The route for this request; else the methods the path allows (for a 405); else None."""
        raw = split_raw_path(raw_path)
        decoded = [unquote(part) if "%" in part else part for part in raw]  # each segment once
        wanted = "GET" if method.upper() == "HEAD" else method.upper()
        allowed: set[str] = set()
        for route in self._candidates(decoded[0] if decoded else ""):
            params = _match(route.segments, raw, decoded)
            if params is None:
                continue
            if route.method == wanted:
                return RouteMatch(route, params)
            allowed.add(route.method)
        return allowed or None
