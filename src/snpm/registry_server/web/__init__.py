"""The registry's website: server-rendered pages for people, beside the npm protocol.

Search, package and version pages, people and organizations, and a signed-in person's account
(profile, password, access tokens, two-factor authentication, org and team management), plus the
page npm opens for `npm login`. Jinja2 templates (autoescaped), README Markdown sanitised with nh3,
one hand-written stylesheet, no JavaScript and nothing loaded from elsewhere.

`register(router, registry)` mounts every page on the registry's router (app.py calls it once).
Modules: `site` (the frame around every page: sessions, forms, errors), `sessions`, `rendering`,
`readme`, `catalog`, `package_view`, and the pages: `browse`, `account`, `security`, `org_pages`,
`web_login_page`, `web_otp_page`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from snpm.registry_server.api.router import Router
from snpm.registry_server.web.account import AccountPages
from snpm.registry_server.web.browse import BrowsePages
from snpm.registry_server.web.org_pages import OrgPages
from snpm.registry_server.web.security import SecurityPages
from snpm.registry_server.web.site import Site
from snpm.registry_server.web.web_login_page import WebLoginPage
from snpm.registry_server.web.web_otp_page import WebOtpPage

if TYPE_CHECKING:  # app.py imports this package to mount it
    from snpm.registry_server.app import Registry

__all__ = ["register"]


def register(router: Router, registry: Registry) -> None:
    """Mount the website's pages on `router`: `/`, everything under `/-/web/`, and the pages npm
    opens, `/-/v1/login/<id>` and `/-/v1/otp/<id>` (whose JSON halves stay in `api.web_login`)."""
    site = Site(registry)
    site.register_static(router)
    WebLoginPage(site).register(router)
    WebOtpPage(site).register(router)
    BrowsePages(site).register(router)
    AccountPages(site).register(router)
    SecurityPages(site).register(router)
    OrgPages(site).register(router)
