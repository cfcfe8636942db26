"""Structured access logs: one JSON object per request, with secrets kept out.

Never logged: request headers (so no Authorization), bodies (so no passwords). Secrets that travel
in URLs (`DELETE /-/user/token/<token>` on logout, `DELETE /-/npm/v1/tokens/token/<key|token>`, the
web-login page and poll ids `/-/v1/login/<id>`, `/-/v1/done/<id>`, the web-OTP page `/-/v1/otp/<id>`)
are replaced by `***`, and the rest of the path and query goes through `snpm.redact` (npm tokens, URL
passwords, UUIDs) like npm's own logs. `pid` names the worker process that answered (`--workers`).
"""

from __future__ import annotations

import logging
import os
import time

import msgspec
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

from snpm.redact import REPLACE, redact_log

__all__ = ["ACTOR_KEY", "CLIENT_IP_KEY", "JsonAccessLogger", "redacted_path"]

ACTOR_KEY = web.RequestKey("snpm.actor", str)
CLIENT_IP_KEY = web.RequestKey("snpm.client_ip", str)
_SECRET_PATHS = ("/-/user/token/", "/-/npm/v1/tokens/token/", "/-/v1/login/", "/-/v1/done/", "/-/v1/otp/")
_encoder = msgspec.json.Encoder()


def redacted_path(raw_path: str) -> str:
    """The request path and query as safe to log."""
    path, sep, query = raw_path.partition("?")
    for prefix in _SECRET_PATHS:
        if path.startswith(prefix) and len(path) > len(prefix):
            path = prefix + REPLACE
            break
    return redact_log(path + sep + query)


class JsonAccessLogger(AbstractAccessLogger):
    def log(self, request: BaseRequest, response: StreamResponse, time_taken: float) -> None:
        actor = request.get(ACTOR_KEY)
        remote = request.get(CLIENT_IP_KEY) or request.remote
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "remote": remote,
            "method": request.method,
            "path": redacted_path(request.rel_url.raw_path_qs),
            "status": response.status,
            "bytes": response.body_length,
            "ms": round(time_taken * 1000, 2),
            "user": actor if isinstance(actor, str) else None,
            "agent": redact_log(request.headers.get("User-Agent", "")),
            "npm_command": request.headers.get("npm-command"),
            "pid": os.getpid(),
        }
        self.logger.info(_encoder.encode(entry).decode())


def access_logger() -> logging.Logger:
    return logging.getLogger("snpm.registry_server.access")
