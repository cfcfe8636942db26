"""Registry hooks as stored: the hook records, the deliveries waiting to be sent, and the events a
package change raises (pure; both backends call `package_events` inside the package's transaction).

The npm registry derived hook events from its changes feed by comparing a package document with
its previous revision; the same comparison here turns every `update_package` into events, whatever
route or admin tool made the change. Event names and `change` keys are the registry's
(npm/registry docs/hooks/hooks-payload.md):

| event | change |
| --- | --- |
| `package:publish` | `{version}` plus `dist-tag` when the publish moved a tag to it |
| `package:unpublish` | `{version}` (one event per version; a whole-package unpublish too) |
| `package:dist-tag` / `package:dist-tag-rm` | `{dist-tag}` (tags an (un)publish moved are part of it) |
| `package:deprecated` / `package:undeprecated` | `{deprecated: <version>}` |
| `package:owner` / `package:owner-rm` | `{maintainer}` |
| `package:star` / `package:unstar` | `{user}` |
| `package:change` | `{}`: the document changed in some other way |

A hook watches a package (`type` package, `name` the package), a scope (`scope`, `@scope`) or the
packages a user maintains (`owner`, the user's name, before or after the change). Secrets are kept
as given: the registry signs each delivery with them (HMAC), so they cannot be hashed.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from snpm.json_types import JsonObject, JsonValue
from snpm.packument import dist_tags, maintainers, object_field, versions

__all__ = [
    "HOOK_TYPES",
    "HookDelivery",
    "HookEvent",
    "HookPage",
    "HookRecord",
    "HookTargets",
    "hook_targets",
    "package_events",
    "tombstone",
]

HOOK_TYPES: tuple[str, ...] = ("package", "scope", "owner")


class HookRecord(msgspec.Struct, frozen=True):
    """A hook. `last_delivery` (an ISO time) and `response_code` describe the latest attempt."""

    id: str
    owner: str
    type: str
    name: str
    endpoint: str
    secret: str
    created: str
    updated: str
    last_delivery: str | None = None
    response_code: int = 0


class HookPage(msgspec.Struct, frozen=True):
    hooks: tuple[HookRecord, ...]
    total: int


class HookEvent(msgspec.Struct, frozen=True):
    event: str
    change: JsonObject

    def to_json(self) -> JsonObject:
        return {"event": self.event, "change": self.change}


class HookDelivery(msgspec.Struct, frozen=True):
    """One event for one hook, claimed by a worker for one attempt (`attempt` counts from 1).

    `payload` is the package document as it was after the change (`_id`, `_rev`, then the stored
    document, tarball paths relative to the registry), as JSON; `time` the change's Unix time in ms.
    """

    id: int
    attempt: int
    hook: HookRecord
    package: str
    access: str
    event: str
    change: JsonObject
    time: int
    payload: bytes


class HookTargets(msgspec.Struct, frozen=True):
    """What a change to one package is watched through: its name, its scope, its maintainers."""

    package: str
    scope: str | None
    owners: tuple[str, ...]


def hook_targets(
    name: str, before: Mapping[str, JsonValue] | None, after: Mapping[str, JsonValue] | None
) -> HookTargets:
    scope = name.split("/", 1)[0] if name.startswith("@") and "/" in name else None
    owners: dict[str, None] = {}
    for document in (before, after):
        if document is not None:
            owners.update(dict.fromkeys(p.name for p in maintainers(document)))
    return HookTargets(name, scope, tuple(owners))


def _deprecation(document: Mapping[str, JsonValue]) -> str | None:
    value = document.get("deprecated")
    return value if isinstance(value, str) and value else None


def _stars(document: Mapping[str, JsonValue]) -> list[str]:
    return [user for user, starred in object_field(document, "users").items() if starred]


def _added(before: list[str], after: list[str]) -> list[str]:
    seen = set(before)
    return [item for item in after if item not in seen]


def package_events(
    before: Mapping[str, JsonValue] | None, after: Mapping[str, JsonValue] | None
) -> list[HookEvent]:
    """The events that turn document `before` into `after` (None: no package), in a fixed order:
    publishes, unpublishes, tags, deprecations, owners, stars; `package:change` when the document
    changed in none of those ways. A new package raises only its publish; a deleted one only its
    unpublishes."""
    old_versions = versions(before) if before is not None else {}
    new_versions = versions(after) if after is not None else {}
    old_tags = dist_tags(before) if before is not None else {}
    new_tags = dist_tags(after) if after is not None else {}
    published = _added(list(old_versions), list(new_versions))
    unpublished = _added(list(new_versions), list(old_versions))
    events: list[HookEvent] = []
    for version in published:
        change: JsonObject = {"version": version}
        moved = [
            tag for tag, target in new_tags.items() if target == version and old_tags.get(tag) != version
        ]
        if moved:  # the tag the publish asked for comes first (a new package's `latest` follows it)
            change["dist-tag"] = moved[0]
        events.append(HookEvent("package:publish", change))
    events += [HookEvent("package:unpublish", {"version": version}) for version in unpublished]
    if after is None:
        return events
    gone = set(unpublished)
    new = set(published)
    for tag, target in new_tags.items():
        if old_tags.get(tag) != target and target not in new and old_tags.get(tag) not in gone:
            events.append(HookEvent("package:dist-tag", {"dist-tag": tag}))
    for tag, target in old_tags.items():
        if tag not in new_tags and target not in gone:
            events.append(HookEvent("package:dist-tag-rm", {"dist-tag": tag}))
    for version, document in new_versions.items():
        old = old_versions.get(version)
        if old is None:
            continue
        was, now = _deprecation(old), _deprecation(document)
        if now is not None and now != was:
            events.append(HookEvent("package:deprecated", {"deprecated": version}))
        elif now is None and was is not None:
            events.append(HookEvent("package:undeprecated", {"deprecated": version}))
    if before is not None:
        old_people = [p.name for p in maintainers(before)]
        new_people = [p.name for p in maintainers(after)]
        events += [HookEvent("package:owner", {"maintainer": n}) for n in _added(old_people, new_people)]
        events += [HookEvent("package:owner-rm", {"maintainer": n}) for n in _added(new_people, old_people)]
        old_stars, new_stars = _stars(before), _stars(after)
        events += [HookEvent("package:star", {"user": u}) for u in _added(old_stars, new_stars)]
        events += [HookEvent("package:unstar", {"user": u}) for u in _added(new_stars, old_stars)]
    if not events and before is not None:
        events.append(HookEvent("package:change", {}))
    return events


def tombstone(name: str, before: Mapping[str, JsonValue], unpublished: str) -> JsonObject:
    """What the registry serves for a package unpublished as a whole (npmjs's shape): its times, and
    `time.unpublished` naming when and which versions went."""
    times: JsonObject = {k: v for k, v in object_field(before, "time").items() if k != "unpublished"}
    times["unpublished"] = {"time": unpublished, "versions": list(object_field(before, "versions"))}
    return {"_id": name, "name": name, "time": times}
