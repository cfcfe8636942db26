"""Builds the registry: storage, services and routes from `ServerSettings`, as an aiohttp application.

The one place the object graph is wired (no module-level state): `build_registry` makes the
services, `build_app` mounts every route module on a `Router` behind one catch-all aiohttp route,
and `serve` runs it until SIGINT/SIGTERM. Tests build several isolated registries in one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import msgspec
from aiohttp import web
from argon2 import PasswordHasher

from snpm.registry_server.api.access import AccessRoutes
from snpm.registry_server.api.access_log import JsonAccessLogger
from snpm.registry_server.api.audit import AuditRoutes
from snpm.registry_server.api.dispatch import Dispatcher, base_url
from snpm.registry_server.api.dist_tags import DistTagRoutes
from snpm.registry_server.api.hooks import HookRoutes
from snpm.registry_server.api.orgs import OrgRoutes
from snpm.registry_server.api.packuments import PackumentRoutes
from snpm.registry_server.api.ping import PingRoutes
from snpm.registry_server.api.profile import ProfileRoutes
from snpm.registry_server.api.publishing import PublishingRoutes
from snpm.registry_server.api.responses import error_middleware
from snpm.registry_server.api.router import Router
from snpm.registry_server.api.search import SearchRoutes
from snpm.registry_server.api.stars import StarRoutes
from snpm.registry_server.api.tarballs import TarballRoutes
from snpm.registry_server.api.teams import TeamRoutes
from snpm.registry_server.api.tokens import TokenRoutes
from snpm.registry_server.api.users import UserRoutes
from snpm.registry_server.api.web_login import WebLoginRoutes
from snpm.registry_server.services.accounts import AccountService
from snpm.registry_server.services.advisories import AdvisoryService
from snpm.registry_server.services.hook_delivery import HookDeliverer, WebhookSender
from snpm.registry_server.services.hooks import HookService
from snpm.registry_server.services.login_limits import LoginRateLimiter
from snpm.registry_server.services.orgs import OrgService
from snpm.registry_server.services.package_access import PackageAccessService
from snpm.registry_server.services.packages import PackageService
from snpm.registry_server.services.packuments import PackumentRenderer
from snpm.registry_server.services.profiles import ProfileService
from snpm.registry_server.services.search_index import SearchService
from snpm.registry_server.services.tokens import TokenService
from snpm.registry_server.services.uplink_cache import UplinkCache
from snpm.registry_server.services.uploads import UploadLimits
from snpm.registry_server.services.web_login import WebLoginService
from snpm.registry_server.settings import ServerSettings
from snpm.registry_server.storage.base import Storage
from snpm.registry_server.storage.sqlite import SqliteStorage
from snpm.registry_server.web import register as register_website

__all__ = [
    "REGISTRY_KEY",
    "Registry",
    "build_app",
    "build_registry",
    "build_router",
    "open_storage",
    "open_uplink",
    "serve",
]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Registry(msgspec.Struct, frozen=True):
    """Everything a running registry holds; services take what they need from here."""

    settings: ServerSettings
    storage: Storage
    tokens: TokenService
    accounts: AccountService
    packages: PackageService
    renderer: PackumentRenderer
    orgs: OrgService
    access: PackageAccessService
    profiles: ProfileService
    web_logins: WebLoginService
    advisories: AdvisoryService
    search: SearchService
    hooks: HookService
    # this process's sender of hook deliveries (started and stopped with the app)
    hook_delivery: HookDeliverer
    # packages not held here, from the uplink (None: local only)
    uplink: UplinkCache | None = None


REGISTRY_KEY = web.AppKey("snpm.registry", Registry)


def open_storage(settings: ServerSettings) -> Storage:
    """The storage backend the settings name: SQLite (default) or PostgreSQL, tarballs in the data folder."""
    if settings.uses_postgres:
        from snpm.registry_server.storage.postgres import PostgresStorage  # asyncpg only when used

        assert settings.database is not None
        return PostgresStorage(
            settings.database, settings.tarball_root, cache_root=settings.uplink_tarball_root
        )
    return SqliteStorage(
        settings.database_path, settings.tarball_root, cache_root=settings.uplink_tarball_root
    )


def open_uplink(settings: ServerSettings, storage: Storage) -> UplinkCache | None:
    """The caching uplink the settings ask for (its HTTP session opens on first use)."""
    if settings.uplink is None:
        return None
    from snpm.registry_server.uplink_client import HttpUplink

    return UplinkCache(
        storage,
        HttpUplink(settings.uplink, timeout=settings.uplink_timeout),
        max_age=settings.uplink_max_age,
        local_scopes=settings.local_scopes,
        max_tarball_size=settings.max_unpacked_size,
    )


def _webhook_sender() -> WebhookSender:
    from snpm.registry_server.hook_client import HttpWebhookSender  # aiohttp's client only when used

    return HttpWebhookSender()


def build_registry(
    settings: ServerSettings,
    storage: Storage | None = None,
    *,
    now: Callable[[], datetime] = utc_now,
) -> Registry:
    storage = storage if storage is not None else open_storage(settings)
    tokens = TokenService(storage, now)
    hashing = settings.password_hashing
    accounts = AccountService(
        storage,
        tokens,
        LoginRateLimiter(settings.login_limits),
        now,
        allow_signup=settings.allow_signup,
        hasher=PasswordHasher(
            time_cost=hashing.time_cost, memory_cost=hashing.memory_cost_kib, parallelism=hashing.parallelism
        ),
    )
    limits = UploadLimits(
        max_tarball_size=settings.max_body_size, max_unpacked_size=settings.max_unpacked_size
    )
    packages = PackageService(storage, accounts, limits, now)
    orgs = OrgService(storage, now)
    access = PackageAccessService(storage, packages, orgs)
    advisories = AdvisoryService(
        storage, now, Path(settings.advisories_file).expanduser() if settings.advisories_file else None
    )
    return Registry(
        settings,
        storage,
        tokens,
        accounts,
        packages,
        PackumentRenderer(),
        orgs,
        access,
        ProfileService(storage, accounts, now),
        WebLoginService(storage, accounts, now),
        advisories,
        SearchService(storage, access, advisories, now),
        HookService(storage, now),
        HookDeliverer(storage, _webhook_sender, now, public_url=settings.public_url),
        open_uplink(settings, storage),
    )


def build_router(registry: Registry) -> Router:
    """Every route, in match order (the `/-/` namespace first; package routes last)."""
    router = Router()
    two_factor = registry.accounts.two_factor
    PingRoutes().register(router)
    UserRoutes(registry.accounts).register(router)
    WebLoginRoutes(registry.web_logins, enabled=registry.settings.web_login).register(router)
    register_website(router, registry)  # `/`, `/-/web/…` and npm's login page
    TokenRoutes(registry.accounts).register(router)
    HookRoutes(registry.hooks).register(router)
    ProfileRoutes(registry.profiles).register(router)
    OrgRoutes(registry.orgs, registry.access).register(router)
    TeamRoutes(registry.orgs, registry.access).register(router)
    AccessRoutes(registry.access).register(router)
    StarRoutes(registry.access).register(router)
    SearchRoutes(registry.search).register(router)
    AuditRoutes(registry.advisories, registry.settings.max_body_size).register(router)
    DistTagRoutes(registry.packages, two_factor, registry.uplink).register(router)
    TarballRoutes(registry.packages, registry.uplink).register(router)
    PublishingRoutes(registry.packages, two_factor).register(router)
    PackumentRoutes(registry.packages, registry.renderer, registry.uplink).register(router)
    return router


def build_app(registry: Registry) -> web.Application:
    app = web.Application(client_max_size=registry.settings.max_body_size, middlewares=[error_middleware])
    app[REGISTRY_KEY] = registry
    dispatcher = Dispatcher(build_router(registry), registry.accounts, registry.settings)
    app.router.add_route("*", "/{tail:.*}", dispatcher.handle)

    async def open_store(_: web.Application) -> None:
        await registry.storage.open()
        registry.hook_delivery.start()

    async def wake_hook_delivery(request: web.Request, response: web.StreamResponse) -> None:
        # a write may have queued hook deliveries (in its own transaction, already committed)
        if request.method not in ("GET", "HEAD") and response.status < 400:
            registry.hook_delivery.nudge(base_url(request, registry.settings))

    async def close_store(_: web.Application) -> None:
        await registry.hook_delivery.stop()
        if registry.uplink is not None:
            await registry.uplink.close()
        await registry.storage.close()

    app.on_startup.append(open_store)
    app.on_response_prepare.append(wake_hook_delivery)
    app.on_cleanup.append(close_store)
    return app


async def serve(
    settings: ServerSettings,
    *,
    access_logger: logging.Logger | None,
    ready: Callable[[str], None],
    stop: asyncio.Event | None = None,
    sock: socket.socket | None = None,
) -> None:
    """Run the registry until SIGINT/SIGTERM (or `stop` is set); `ready` gets the listening URL.
    With `sock` it serves on that listening socket (a worker process; see `workers`)."""
    registry = build_registry(settings)
    app = build_app(registry)
    runner = web.AppRunner(
        app,
        access_log=access_logger,
        access_log_class=JsonAccessLogger,
        handle_signals=False,
    )
    await runner.setup()
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        site = (
            web.SockSite(runner, sock)
            if sock is not None
            else web.TCPSite(runner, settings.host, settings.port)
        )
        await site.start()
        host, port = runner.addresses[0][:2]
        shown = f"[{host}]" if ":" in str(host) else str(host)
        registry.hook_delivery.listening(f"http://{shown}:{port}")
        ready(f"http://{shown}:{port}/")
        await stop.wait()
    finally:
        await runner.cleanup()
