"""Organization and team pages, and the forms org owners and admins manage them with.

    GET  /-/web/org/<org>                                packages (as far as the visitor may see
                                                         them); members and teams for members
    POST /-/web/org/<org>/members                        add a member / change a role
    POST /-/web/org/<org>/members/remove                 remove a member (or leave)
    POST /-/web/org/<org>/teams                          create a team
    GET  /-/web/org/<org>/team/<team>                    a team's members and package grants
    POST /-/web/org/<org>/team/<team>/delete             delete a team
    POST /-/web/org/<org>/team/<team>/members[/remove]   add / remove a team member
    POST /-/web/org/<org>/team/<team>/packages[/revoke]  grant / revoke a package permission

The rules are `OrgService`'s and `PackageAccessService`'s, the same ones `npm org`, `npm team` and
`npm access` meet: only members see the roster and teams, only owners and admins change them, only
owners make owners, an org keeps one owner, and the `developers` team stays. Orgs are created by
the registry's administrator (`snpm-registry org create`): npm has no command for it, and the
server has no rule for who may create one. Every change asks for a one-time password from people
whose two-factor mode is auth-and-writes, as the API does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from snpm.registry_server.api.router import RequestContext, Router
from snpm.registry_server.services.errors import RegistryError
from snpm.registry_server.services.two_factor import Need
from snpm.registry_server.web.sessions import Visit
from snpm.registry_server.web.site import Form, Site

__all__ = ["OrgPages"]

_MANAGERS = ("owner", "admin")
# one change a form makes; answers where to go afterwards (None: back to the page it came from)
_Change = Callable[[], Awaitable[str | None]]


def _status(err: RegistryError) -> int:
    return err.status if err.status >= 400 else 400


class OrgPages:
    def __init__(self, site: Site) -> None:
        self._site = site
        self._registry = site.registry

    def register(self, router: Router) -> None:
        site = self._site
        site.page(router, "/-/web/org/{org}", self.org_page)
        site.form(router, "/-/web/org/{org}/members", self.set_member)
        site.form(router, "/-/web/org/{org}/members/remove", self.remove_member)
        site.form(router, "/-/web/org/{org}/teams", self.create_team)
        site.page(router, "/-/web/org/{org}/team/{team}", self.team_page)
        site.form(router, "/-/web/org/{org}/team/{team}/delete", self.remove_team)
        site.form(router, "/-/web/org/{org}/team/{team}/members", self.add_team_member)
        site.form(router, "/-/web/org/{org}/team/{team}/members/remove", self.remove_team_member)
        site.form(router, "/-/web/org/{org}/team/{team}/packages", self.grant)
        site.form(router, "/-/web/org/{org}/team/{team}/packages/revoke", self.revoke)

    # ── pages ──

    async def _org(
        self,
        visit: Visit,
        org_name: str,
        *,
        error: str | None = None,
        notice: str | None = None,
        status: int = 200,
    ) -> web.Response:
        registry = self._registry
        org = await registry.orgs.require_org(org_name)
        actor = visit.actor
        role = await registry.orgs.role_of(org.name, actor.name) if actor is not None else None
        packages = sorted(await registry.access.org_packages(actor, org.name))
        members = teams = None
        if actor is not None and role is not None:
            members = sorted((await registry.orgs.members(actor, org.name)).items())
            teams = await registry.orgs.teams(actor, org.name)
        return self._site.render(
            visit,
            "org.html",
            status=status,
            private=True,
            title=f"@{org.name}",
            org=org,
            role=role,
            manager=role in _MANAGERS,
            packages=packages,
            entries=await self._site.catalog.entries(actor, packages),
            members=members,
            teams=teams or [],
            error=error,
            notice=notice,
        )

    async def org_page(self, request: web.Request, ctx: RequestContext, visit: Visit) -> web.StreamResponse:
        return await self._org(visit, ctx.params["org"], notice=self._site.notice(request))

    async def _team(
        self,
        visit: Visit,
        org_name: str,
        team_name: str,
        *,
        error: str | None = None,
        notice: str | None = None,
        status: int = 200,
    ) -> web.Response:
        registry = self._registry
        org = await registry.orgs.require_org(org_name)
        team = await registry.orgs.require_team(org.name, team_name)
        actor = visit.actor
        if actor is None:
            raise RegistryError(403, f"Teams are visible to members of @{org.name}: sign in first.")
        members = await registry.orgs.team_members(actor, org.name, team.name)  # 403 for non-members
        role = await registry.orgs.role_of(org.name, actor.name)
        packages = sorted((await registry.access.team_packages(actor, org.name, team.name)).items())
        return self._site.render(
            visit,
            "team.html",
            status=status,
            title=f"{org.name}:{team.name}",
            org=org,
            team=team,
            manager=role in _MANAGERS,
            members=sorted(members),
            packages=packages,
            error=error,
            notice=notice,
        )

    async def team_page(self, request: web.Request, ctx: RequestContext, visit: Visit) -> web.StreamResponse:
        return await self._team(
            visit, ctx.params["org"], ctx.params["team"], notice=self._site.notice(request)
        )

    # ── org forms ──

    async def _org_change(
        self, visit: Visit, ctx: RequestContext, form: Form, done: str, change: _Change
    ) -> web.Response:
        org = ctx.params["org"]
        try:
            await self._site.require_otp(visit, form, Need.WRITE)
            target = await change()
        except RegistryError as err:
            return await self._org(visit, org, error=self._site.message(err), status=_status(err))
        return self._site.redirect(target or visit.links.org(org), done)

    async def set_member(
        self, request: web.Request, ctx: RequestContext, visit: Visit, form: Form
    ) -> web.StreamResponse:
        async def change() -> str | None:
            await self._registry.orgs.set_member(
                visit.actor, ctx.params["org"], form.text("user"), form.text("role") or None
            )
            return None

        return await self._org_change(visit, ctx, form, "member", change)

    async def remove_member(
        self, request: web.Request, ctx: RequestContext, visit: Visit, form: Form
    ) -> web.StreamResponse:
        actor = visit.actor
        assert actor is not None
        user = form.text("user").removeprefix("@")
        leaving = user == actor.name

        async def change() -> str | None:
            await self._registry.orgs.remove_member(actor, ctx.params["org"], user)
            return visit.links.account() if leaving else None

        return await self._org_change(visit, ctx, form, "left" if leaving else "member-removed", change)

    async def create_team(
        self, request: web.Request, ctx: RequestContext, visit: Visit, form: Form
    ) -> web.StreamResponse:
        actor = visit.actor
        assert actor is not None

        async def change() -> str | None:
            team = await self._registry.orgs.create_team(
                actor, ctx.params["org"], form.text("name"), form.text("description")
            )
            return visit.links.team(team.org, team.name)

        return await self._org_change(visit, ctx, form, "team-created", change)

    # ── team forms ──

    async def _team_change(
        self, visit: Visit, ctx: RequestContext, form: Form, done: str, change: _Change
    ) -> web.Response:
        org, team = ctx.params["org"], ctx.params["team"]
        try:
            await self._site.require_otp(visit, form, Need.WRITE)
            target = await change()
        except RegistryError as err:
            return await self._team(visit, org, team, error=self._site.message(err), status=_status(err))
        return self._site.redirect(target or visit.links.team(org, team), done)

    async def remove_team(
        self, request: web.Request, ctx: RequestContext, visit: Visit, form: Form
    ) -> web.StreamResponse:
        actor = visit.actor
        assert actor is not None

        async def change() -> str | None:
            await self._registry.orgs.remove_team(actor, ctx.params["org"], ctx.params["team"])
            return visit.links.org(ctx.params["org"])

        return await self._team_change(visit, ctx, form, "team-removed", change)

    async def add_team_member(
        self, request: web.Request, ctx: RequestContext, visit: Visit, form: Form
    ) -> web.StreamResponse:
        actor = visit.actor
        assert actor is not None

        async def change() -> str | None:
            await self._registry.orgs.add_team_member(
                actor, ctx.params["org"], ctx.params["team"], form.text("user")
            )
            return None

        return await self._team_change(visit, ctx, form, "team-member", change)

    async def remove_team_member(
        self, request: web.Request, ctx: RequestContext, visit: Visit, form: Form
    ) -> web.StreamResponse:
        actor = visit.actor
        assert actor is not None

        async def change() -> str | None:
            await self._registry.orgs.remove_team_member(
                actor, ctx.params["org"], ctx.params["team"], form.text("user")
            )
            return None

        return await self._team_change(visit, ctx, form, "team-member-removed", change)

    async def grant(
        self, request: web.Request, ctx: RequestContext, visit: Visit, form: Form
    ) -> web.StreamResponse:
        actor = visit.actor
        assert actor is not None

        async def change() -> str | None:
            await self._registry.access.grant(
                actor, ctx.params["org"], ctx.params["team"], form.text("package"), form.text("permission")
            )
            return None

        return await self._team_change(visit, ctx, form, "granted", change)

    async def revoke(
        self, request: web.Request, ctx: RequestContext, visit: Visit, form: Form
    ) -> web.StreamResponse:
        actor = visit.actor
        assert actor is not None

        async def change() -> str | None:
            await self._registry.access.revoke(
                actor, ctx.params["org"], ctx.params["team"], form.text("package")
            )
            return None

        return await self._team_change(visit, ctx, form, "revoked", change)
