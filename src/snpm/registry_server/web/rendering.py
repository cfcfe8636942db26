"""Turning a template and its values into a safe HTML response, and serving the site's own files.

Every page leaves with the same guard headers: a Content-Security-Policy that allows no script at
all, styles and images only from the site itself, forms only to the site, and no framing
(`frame-ancestors 'none'` plus `X-Frame-Options: DENY` for older browsers). Jinja2 autoescapes
every value; the only markup passed through unescaped is what `readme` sanitised and the QR code
this server drew. Pages with a form, a secret or a person's account are `no-store`; public pages
may be revalidated (`no-cache`) and vary by the session cookie.

Links are built by `Links`, which knows the path prefix the site is served under (a proxy's
`X-Forwarded-Prefix` or the configured public URL), so the site works below a sub-path.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from urllib.parse import quote, urlencode

import msgspec
from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from snpm.packument import parse_time

__all__ = [
    "GUARD_HEADERS",
    "Links",
    "StaticFiles",
    "Templates",
    "html_response",
    "package_path",
]

_HERE = Path(__file__).parent
TEMPLATE_DIR = _HERE / "templates"
STATIC_DIR = _HERE / "static"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
GUARD_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def package_path(name: str) -> str:
    """A package name as a URL path: scoped names keep their readable `@scope/name` form."""
    return quote(name, safe="@/")


def _segment(text: str) -> str:
    return quote(text, safe="@")


class Links(msgspec.Struct, frozen=True):
    """Every URL of the site, below `prefix` (`""` or a proxy's sub-path such as `/npm`)."""

    prefix: str
    static_versions: Mapping[str, str]

    @property
    def root(self) -> str:
        return self.prefix + "/"

    def web(self, path: str) -> str:
        return f"{self.prefix}/-/web/{path}"

    def static(self, name: str) -> str:
        version = self.static_versions.get(name, "")
        return self.web(f"static/{name}") + (f"?v={version}" if version else "")

    def search(self, text: str, page: int = 1) -> str:
        query: dict[str, str | int] = {"q": text}
        if page > 1:
            query["page"] = page
        return self.web("search") + "?" + urlencode(query)

    def package(self, name: str) -> str:
        return self.web(f"package/{package_path(name)}")

    def version(self, name: str, version: str) -> str:
        return self.web(f"package/{package_path(name)}/v/{_segment(version)}")

    def user(self, name: str) -> str:
        return self.web(f"user/{_segment(name)}")

    def org(self, name: str) -> str:
        return self.web(f"org/{_segment(name)}")

    def team(self, org: str, team: str) -> str:
        return self.web(f"org/{_segment(org)}/team/{_segment(team)}")

    def sign_in(self, next_path: str | None = None) -> str:
        target = self.web("login")
        return target + "?" + urlencode({"next": next_path}) if next_path else target

    def account(self, page: str = "") -> str:
        return self.web("account" + (f"/{page}" if page else ""))


def _date(value: object) -> str:
    """An ISO time as a calendar date (`2024-05-01`), or "" when it is not a time."""
    moment = parse_time(value) if isinstance(value, str) else None
    return moment.strftime("%Y-%m-%d") if isinstance(moment, datetime) else ""


def _size(value: object) -> str:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return ""
    size = float(value)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return ""  # pragma: no cover - the loop always returns


def _shown_url(value: object) -> str:
    """A link's text: the URL without its scheme (`https://github.com/a/b` → `github.com/a/b`)."""
    text = str(value)
    for scheme in ("https://", "http://"):
        if text.startswith(scheme):
            return text[len(scheme) :].rstrip("/")
    return text


class Templates:
    """The Jinja2 environment: autoescaping on, undefined names are errors, compiled once."""

    def __init__(self) -> None:
        self._env = Environment(
            loader=FileSystemLoader(TEMPLATE_DIR),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self._env.filters["date"] = _date
        self._env.filters["size"] = _size
        self._env.filters["shown_url"] = _shown_url

    def render(self, template: str, values: Mapping[str, object]) -> str:
        return self._env.get_template(template).render(values)


def html_response(
    text: str,
    status: int = 200,
    *,
    private: bool = True,
    referrer: str = "same-origin",
) -> web.Response:
    headers = dict(GUARD_HEADERS)
    headers["Referrer-Policy"] = referrer
    if private:
        headers["Cache-Control"] = "no-store"
    else:
        # `private`: a shared cache must never hand one visitor's cookies to another
        headers["Cache-Control"] = "private, no-cache"
        headers["Vary"] = "Cookie"
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8", headers=headers)


class StaticFile(msgspec.Struct, frozen=True):
    body: bytes
    content_type: str
    version: str


class StaticFiles:
    """The site's own stylesheet and icon, read once; a `?v=<hash>` URL may be cached for a year."""

    def __init__(self, folder: Path = STATIC_DIR) -> None:
        files: dict[str, StaticFile] = {}
        for path in sorted(folder.iterdir()):
            if not path.is_file() or path.name.startswith("."):
                continue
            body = path.read_bytes()
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            files[path.name] = StaticFile(body, kind, hashlib.sha256(body).hexdigest()[:12])
        self._files = files

    @property
    def versions(self) -> dict[str, str]:
        return {name: file.version for name, file in self._files.items()}

    def response(self, name: str, version: str | None) -> web.Response | None:
        found = self._files.get(name)
        if found is None:
            return None
        headers = dict(GUARD_HEADERS)
        headers["Cache-Control"] = (
            "public, max-age=31536000, immutable" if version == found.version else "no-cache"
        )
        headers["ETag"] = f'"{found.version}"'
        charset = "utf-8" if found.content_type.startswith("text/") else None
        return web.Response(
            body=found.body, content_type=found.content_type, charset=charset, headers=headers
        )
