"""Sending hook deliveries: a background loop in every worker, signed POSTs, a timeout and retries.

Package changes queue their deliveries in the storage's outbox (`storage.hooks`), inside the
change's own transaction, so a publish never waits for (or fails because of) a hook endpoint. Each
worker runs one `HookDeliverer`: it claims due deliveries (a claim is exclusive across workers and
hosts, see the backends), sends them, and records the outcome on the hook (`last_delivery`,
`response_code`). It wakes when its own worker answered a write (`nudge`) and polls otherwise, so
deliveries queued by another worker or an admin command, and retries, are sent too.

What is sent is what the npm registry sent (docs/hooks/hooks-payload.md): a JSON body
`{event, name, type: "package", version: "1.0.0" (the envelope's version), hookOwner: {username},
payload: <the package document after the change>, change, time: <Unix ms>}` with
`x-npm-signature: sha256=<HMAC-SHA256 of the body, hex, keyed with the hook's secret>`. Tarball
URLs in the document are made absolute with the registry's public URL (else the address this
worker was reached at). A restricted package is sent only to hooks whose owner may read it.

A 2xx answer is a success; a timeout, a network error, 408, 429 or 5xx is tried again after each of
`DeliveryPolicy.retry_delays`; any other answer ends the delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

import msgspec

from snpm import __version__
from snpm.json_types import JsonObject
from snpm.packument import format_time, object_field
from snpm.registry_server.services.packuments import absolute_version
from snpm.registry_server.services.permissions import Action, Actor, PackageFacts, can
from snpm.registry_server.storage.base import Storage
from snpm.registry_server.storage.hooks import HookDelivery

__all__ = [
    "DeliveryPolicy",
    "HookDeliverer",
    "WebhookSender",
    "delivery_body",
    "signature",
]

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()
_log = logging.getLogger("snpm.registry_server")
# the version of the envelope, as the npm registry numbered it
ENVELOPE_VERSION = "1.0.0"
_RETRY_STATUSES = frozenset({0, 408, 429})
# how long stopping waits for the deliveries under way
_STOP_GRACE = 5.0


class DeliveryPolicy(msgspec.Struct, frozen=True):
    # seconds one POST may take (connecting included)
    timeout: float = 10.0
    # wait before the 2nd, 3rd, … attempt; after the last one the delivery is dropped
    retry_delays: tuple[float, ...] = (10.0, 60.0, 300.0)
    # how often an idle worker looks for deliveries queued elsewhere (or due for a retry)
    poll_interval: float = 2.0
    # a claimed delivery comes back if its worker has not finished it by then (it died)
    lease: float = 120.0
    # deliveries claimed at a time, and sent at once (one hook's in order)
    batch: int = 32
    concurrency: int = 8


class WebhookSender(Protocol):
    async def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        """POST `body`; the response status, or 0 when no answer came (refused, reset, timed out)."""
        ...

    async def close(self) -> None: ...


def signature(secret: str, body: bytes) -> str:
    """The `x-npm-signature` header: `sha256=` and the body's HMAC-SHA256 (hex) with the hook's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery_body(delivery: HookDelivery, base_url: str | None) -> bytes:
    """The JSON body of one delivery (its bytes are what the signature covers)."""
    payload = _decoder.decode(delivery.payload)
    if isinstance(payload, dict) and base_url:
        found = object_field(payload, "versions")
        if found:
            payload["versions"] = {
                version: absolute_version(doc, base_url) if isinstance(doc, dict) else doc
                for version, doc in found.items()
            }
    body: JsonObject = {
        "event": delivery.event,
        "name": delivery.package,
        "type": "package",
        "version": ENVELOPE_VERSION,
        "hookOwner": {"username": delivery.hook.owner},
        "payload": payload,
        "change": delivery.change,
        "time": delivery.time,
    }
    return _encoder.encode(body)


class HookDeliverer:
    """One worker's delivery loop. `start()` inside the running loop, `stop()` at shutdown."""

    def __init__(
        self,
        storage: Storage,
        sender: Callable[[], WebhookSender],
        now: Callable[[], datetime],
        *,
        public_url: str | None = None,
        policy: DeliveryPolicy | None = None,
    ) -> None:
        self._storage = storage
        self._make_sender = sender
        self._sender: WebhookSender | None = None
        self._now = now
        self._public_url = public_url.rstrip("/") if public_url else None
        self.policy = policy or DeliveryPolicy()
        self._seen_base_url: str | None = None
        self._listening_url: str | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def base_url(self) -> str | None:
        """Where tarball URLs point: the public URL, else how a client last reached this worker,
        else the address it listens on."""
        return self._public_url or self._seen_base_url or self._listening_url

    def listening(self, url: str) -> None:
        self._listening_url = url.rstrip("/")

    def nudge(self, base_url: str | None = None) -> None:
        """A write was answered here: look for new deliveries now."""
        if base_url:
            self._seen_base_url = base_url.rstrip("/")
        if self._wake is not None:
            self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="snpm-hook-deliveries")

    async def stop(self) -> None:
        """Let the deliveries under way finish (for a few seconds at most), then stop. One cut off
        stays claimed until its lease runs out, then another worker (or the next start) sends it."""
        task, self._task = self._task, None
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        if task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), _STOP_GRACE)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        sender, self._sender = self._sender, None
        if sender is not None:
            await sender.close()

    async def _run(self) -> None:
        wake = self._wake
        assert wake is not None
        while not self._stopping:
            wake.clear()  # before claiming: a nudge that comes meanwhile is not lost
            try:
                handled = await self.run_once()
            except Exception:  # the loop must outlive a bad delivery or a storage hiccup
                _log.exception("hook deliveries failed")
                handled = 0
            if handled or self._stopping:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self.policy.poll_interval)

    async def run_once(self) -> int:
        """Claim one batch of due deliveries and send them; how many were claimed."""
        policy = self.policy
        claimed = await self._storage.claim_hook_deliveries(time.time(), policy.lease, policy.batch)
        if not claimed:
            return 0
        by_hook: dict[str, list[HookDelivery]] = {}
        for delivery in claimed:
            by_hook.setdefault(delivery.hook.id, []).append(delivery)
        gate = asyncio.Semaphore(policy.concurrency)

        async def send_in_order(deliveries: Sequence[HookDelivery]) -> None:
            async with gate:
                for delivery in deliveries:
                    try:
                        await self.attempt(delivery)
                    except Exception:
                        _log.exception("hook %s: delivery %s failed", delivery.hook.id, delivery.id)

        await asyncio.gather(*(send_in_order(group) for group in by_hook.values()))
        return len(claimed)

    async def _may_see(self, delivery: HookDelivery) -> bool:
        if delivery.access != "restricted":
            return True
        document = _decoder.decode(delivery.payload)
        owner = delivery.hook.owner
        grants = await self._storage.grants(owner, delivery.package)
        facts = PackageFacts.of(
            delivery.package, document if isinstance(document, dict) else {}, delivery.access, grants
        )
        return can(Actor(owner, ""), Action.READ, facts)

    async def attempt(self, delivery: HookDelivery) -> int | None:
        """Send one claimed delivery and record the outcome; the status (None: not sent)."""
        if not await self._may_see(delivery):
            await self._storage.finish_hook_delivery(delivery.id, delivery.hook.id, None, 0, None)
            return None
        body = delivery_body(delivery, self.base_url)
        headers = {
            "content-type": "application/json",
            "user-agent": f"snpm-registry/{__version__}",
            "x-npm-signature": signature(delivery.hook.secret, body),
        }
        if self._sender is None:
            self._sender = self._make_sender()
        status = await self._sender.post(delivery.hook.endpoint, body, headers, self.policy.timeout)
        retry_at: float | None = None
        delays = self.policy.retry_delays
        if (status in _RETRY_STATUSES or status >= 500) and delivery.attempt <= len(delays):
            retry_at = time.time() + delays[delivery.attempt - 1]
        await self._storage.finish_hook_delivery(
            delivery.id, delivery.hook.id, format_time(self._now()), status, retry_at
        )
        return status
