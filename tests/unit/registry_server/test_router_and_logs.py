"""The URL router (package names in every spelling, 404/405) and access-log redaction."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from snpm.registry_server.api.access_log import ACTOR_KEY, JsonAccessLogger, redacted_path
from snpm.registry_server.api.router import Access, RequestContext, RouteMatch, Router


async def _handler(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
    return web.Response()


def _router() -> Router:
    router = Router()
    router.get("/-/ping", _handler, access=Access.NONE)
    router.put("/-/user/org.couchdb.user:{username}", _handler, access=Access.NONE)
    router.get("/-/package/{pkg}/dist-tags", _handler, access=Access.READ)
    router.put("/-/package/{pkg}/dist-tags/{tag}", _handler, access=Access.WRITE)
    router.get("/{pkg}/-/{file}", _handler, access=Access.READ)
    router.delete("/{pkg}/-/{file}/-rev/{rev}", _handler, access=Access.WRITE)
    router.put("/{pkg}/-rev/{rev}", _handler, access=Access.WRITE)
    router.get("/{pkg}", _handler, access=Access.READ)
    router.put("/{pkg}", _handler, access=Access.WRITE)
    router.get("/{pkg}/{version}", _handler, access=Access.READ)
    return router


@pytest.mark.parametrize(
    ("method", "path", "pattern", "params"),
    [
        ("GET", "/lodash", "/{pkg}", {"pkg": "lodash"}),
        ("GET", "/@demo%2ffoo", "/{pkg}", {"pkg": "@demo/foo"}),
        ("GET", "/@demo%2Ffoo", "/{pkg}", {"pkg": "@demo/foo"}),
        ("GET", "/@demo/foo", "/{pkg}", {"pkg": "@demo/foo"}),
        ("HEAD", "/@demo/foo?write=true", "/{pkg}", {"pkg": "@demo/foo"}),
        ("GET", "/@demo/foo/1.0.0", "/{pkg}/{version}", {"pkg": "@demo/foo", "version": "1.0.0"}),
        ("GET", "/@demo%2ffoo/latest", "/{pkg}/{version}", {"pkg": "@demo/foo", "version": "latest"}),
        (
            "GET",
            "/@demo/foo/-/foo-1.0.0.tgz",
            "/{pkg}/-/{file}",
            {"pkg": "@demo/foo", "file": "foo-1.0.0.tgz"},
        ),
        ("GET", "/foo/-/foo-1.0.0.tgz", "/{pkg}/-/{file}", {"pkg": "foo", "file": "foo-1.0.0.tgz"}),
        (
            "DELETE",
            "/@demo/foo/-/foo-1.0.1.tgz/-rev/8-c",
            "/{pkg}/-/{file}/-rev/{rev}",
            {"pkg": "@demo/foo", "file": "foo-1.0.1.tgz", "rev": "8-c"},
        ),
        ("PUT", "/@demo%2ffoo/-rev/3-b", "/{pkg}/-rev/{rev}", {"pkg": "@demo/foo", "rev": "3-b"}),
        ("GET", "/-/package/@demo%2ffoo/dist-tags", "/-/package/{pkg}/dist-tags", {"pkg": "@demo/foo"}),
        (
            "PUT",
            "/-/package/foo/dist-tags/beta%20x",
            "/-/package/{pkg}/dist-tags/{tag}",
            {"pkg": "foo", "tag": "beta x"},
        ),
        (
            "PUT",
            "/-/user/org.couchdb.user:alice",
            "/-/user/org.couchdb.user:{username}",
            {"username": "alice"},
        ),
        ("GET", "/-/ping?write=true", "/-/ping", {}),
    ],
)
def test_routes_match_every_spelling_npm_uses(
    method: str, path: str, pattern: str, params: dict[str, str]
) -> None:
    match = _router().match(method, path)
    assert isinstance(match, RouteMatch)
    assert (match.route.pattern, match.params) == (pattern, params)


@pytest.mark.parametrize(
    "path", ["/-/nothing", "/-", "/", "/@scope", "/a/b/c/d", "/-/user/org.couchdb.user:"]
)
def test_unknown_paths_do_not_match(path: str) -> None:
    assert _router().match("GET", path) is None


def test_a_known_path_with_another_method_lists_what_is_allowed() -> None:
    assert _router().match("DELETE", "/foo") == {"GET", "PUT"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/-/user/token/npm_abcdefghijklmnopqrstuvwxyz0123456789AB", "/-/user/token/***"),
        ("/-/user/token/anything-at-all", "/-/user/token/***"),
        ("/-/npm/v1/tokens/token/0123abcd", "/-/npm/v1/tokens/token/***"),
        ("/foo?token=npm_abcdefghijklmnopqrstuvwxyz0123456789AB", "/foo?token=npm_***"),
        ("/@demo%2ffoo", "/@demo%2ffoo"),
    ],
)
def test_logged_paths_never_carry_tokens(raw: str, expected: str) -> None:
    assert redacted_path(raw) == expected


def test_access_log_lines_are_json_without_credentials(caplog: pytest.LogCaptureFixture) -> None:
    secret = "npm_abcdefghijklmnopqrstuvwxyz0123456789AB"
    request = make_mocked_request(
        "DELETE",
        f"/-/user/token/{secret}",
        headers={"Authorization": f"Bearer {secret}", "User-Agent": "npm/11.19.1", "npm-command": "logout"},
    )
    request[ACTOR_KEY] = "alice"
    logger = logging.getLogger("test.snpm.access")
    with caplog.at_level(logging.INFO, logger="test.snpm.access"):
        JsonAccessLogger(logger, "").log(request, web.Response(status=200), 0.0123)
    import json

    (record,) = caplog.records
    line: dict[str, Any] = json.loads(record.getMessage())
    assert secret not in record.getMessage()
    assert line["path"] == "/-/user/token/***" and line["user"] == "alice" and line["status"] == 200
    assert line["npm_command"] == "logout" and "Authorization" not in record.getMessage()
