"""The public pages: home, search results, a package, one of its versions, a person.

Everything shown goes through the services as the visitor (`Visit.actor`, None when signed out):
a restricted package the visitor may not read is the same 404 page as one that does not exist,
and it is left out of every list (recent packages, search results, dependents, a person's
packages).

    GET /                                        home: search box, recently updated packages
    GET /-/web/search?q=<text>&page=<n>          results, 20 a page (the server's search service)
    GET /-/web/package/<name>                    package page (latest version)
    GET /-/web/package/<name>/v/<version>        version page
    GET /-/web/user/<name>                       a person's packages (an org's name goes to its page)
"""

from __future__ import annotations

from aiohttp import web

from snpm.json_types import JsonValue
from snpm.registry_server.api.router import RequestContext, Router
from snpm.registry_server.services.errors import not_found
from snpm.registry_server.web.package_view import http_url, package_view
from snpm.registry_server.web.sessions import Visit
from snpm.registry_server.web.site import Site
from snpm.spec import scope_of

__all__ = ["BrowsePages"]

PAGE_SIZE = 20
MAX_PAGE = 500
MAX_VERSIONS_SHOWN = 100
_MAX_QUERY = 256


def _page_number(raw: str | None) -> int:
    try:
        value = int(raw or "1")
    except ValueError:
        return 1
    return min(max(value, 1), MAX_PAGE)


class BrowsePages:
    def __init__(self, site: Site) -> None:
        self._site = site
        self._registry = site.registry

    def register(self, router: Router) -> None:
        site = self._site
        site.page(router, "/", self.home)
        site.page(router, "/-/web/search", self.search)
        site.page(router, "/-/web/package/{pkg}", self.package)
        site.page(router, "/-/web/package/{pkg}/v/{version}", self.version)
        site.page(router, "/-/web/user/{name}", self.user)

    async def home(self, request: web.Request, ctx: RequestContext, visit: Visit) -> web.StreamResponse:
        catalog = self._site.catalog
        return self._site.render(
            visit,
            "home.html",
            private=False,
            title="Home",
            hide_top_search=True,
            recent=await catalog.recent(visit.actor),
            package_count=await catalog.count(visit.actor),
            notice=self._site.notice(request),
        )

    async def search(self, request: web.Request, ctx: RequestContext, visit: Visit) -> web.StreamResponse:
        query = request.query.get("q", "").strip()[:_MAX_QUERY]
        page = _page_number(request.query.get("page"))
        results: list[JsonValue] = []
        total = 0
        if query:
            found = await self._registry.search.search(
                visit.actor, {"text": query, "size": str(PAGE_SIZE), "from": str((page - 1) * PAGE_SIZE)}
            )
            objects = found.get("objects")
            results = objects if isinstance(objects, list) else []
            raw_total = found.get("total")
            total = raw_total if isinstance(raw_total, int) else 0
        pages = max(1, -(-total // PAGE_SIZE))
        return self._site.render(
            visit,
            "search.html",
            private=False,
            title=f"Search: {query}" if query else "Search",
            query=query,
            results=results,
            total=total,
            page=min(page, pages),
            pages=pages,
        )

    async def _package_page(self, visit: Visit, name: str, version: str | None) -> web.StreamResponse:
        registry = self._registry
        package = await registry.packages.readable(visit.actor, name)
        view = package_view(package, version)
        if view is None:
            raise not_found()
        readme = None
        if view.is_latest or version is None:
            text = package.document.get("readme")
            filename = package.document.get("readmeFilename")
            readme = self._site.readme.render(
                text if isinstance(text, str) else "", filename if isinstance(filename, str) else None
            )
        scope = scope_of(name)
        scope_org = None
        if scope is not None and await registry.storage.get_org(scope[1:]) is not None:
            scope_org = scope[1:]
        tarball = view.dist.tarball
        tarball_url = http_url(tarball) or (visit.registry_url + tarball.lstrip("/") if tarball else "")
        return self._site.render(
            visit,
            "package.html",
            private=view.restricted,
            title=f"{name} {view.version}" if version else name,
            view=view,
            readme=readme,
            version_page=version is not None,
            dependents=await self._site.catalog.dependents(visit.actor, name),
            scope_org=scope_org,
            tarball_url=tarball_url,
            max_versions=MAX_VERSIONS_SHOWN,
        )

    async def package(self, request: web.Request, ctx: RequestContext, visit: Visit) -> web.StreamResponse:
        return await self._package_page(visit, ctx.params["pkg"], None)

    async def version(self, request: web.Request, ctx: RequestContext, visit: Visit) -> web.StreamResponse:
        return await self._package_page(visit, ctx.params["pkg"], ctx.params["version"])

    async def user(self, request: web.Request, ctx: RequestContext, visit: Visit) -> web.StreamResponse:
        registry = self._registry
        name = ctx.params["name"].removeprefix("@")
        person = await registry.accounts.get_user(name)
        if person is None:
            if await registry.storage.get_org(name) is not None:
                return self._site.redirect(visit.links.org(name))
            raise not_found()
        maintained = await registry.storage.maintained_by(person.name)
        readable = await registry.access.readable_names(
            visit.actor, {n: access == "restricted" for n, access in maintained}
        )
        packages = [n for n, _ in maintained if n in readable]
        own = visit.user is not None and visit.user.name == person.name
        orgs = sorted((await registry.storage.orgs_of(person.name)).items()) if own else None
        return self._site.render(
            visit,
            "user.html",
            private=own,
            title=person.name,
            person=person,
            homepage=http_url(person.homepage),
            packages=packages,
            entries=await self._site.catalog.entries(visit.actor, packages),
            orgs=orgs,
        )
