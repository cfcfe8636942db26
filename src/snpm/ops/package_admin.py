"""Changing a published package's metadata: `npm dist-tag`, `npm deprecate`/`undeprecate`, and
`npm star`/`unstar`/`stars` (lib/commands/{dist-tag,deprecate,star,stars}.js).

Every change reads the current document first and checks locally what npm checks locally (a tag that
is a semver range, a tag already set, no matching version), so the registry sees exactly npm's
requests. Writes go through otplease, except stars (npm does not wrap them).
"""

from __future__ import annotations

import msgspec

from snpm import semver
from snpm.config import Config
from snpm.errors import SnpmError, UsageError
from snpm.json_types import JsonObject, JsonValue
from snpm.ops.account import get_identity
from snpm.ops.auth_flow import otplease, with_otp
from snpm.ops.context import registry_client
from snpm.ops.interaction import Interaction
from snpm.registry_client import RegistryClient
from snpm.spec import AliasSpec, PackageSpec, RegistrySpec, parse_spec

__all__ = [
    "DistTagChange",
    "deprecate",
    "dist_tag_add",
    "dist_tag_ls",
    "dist_tag_rm",
    "star",
    "stars",
]


def _spec(pkg: str, config: Config) -> PackageSpec:
    return parse_spec(pkg, str(config.local_prefix))


def _quote(text: str) -> str:
    """node's string quoting in util.inspect (single quotes unless the text has one)."""
    if "'" not in text:
        return "'" + text.replace("\\", "\\\\").replace("\n", "\\n") + "'"
    if '"' not in text:
        return '"' + text.replace("\\", "\\\\").replace("\n", "\\n") + '"'
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def describe_spec(spec: PackageSpec, indent: str = "") -> str:
    """util.inspect of an npa Result, as npm's log shows the spec object it was given."""
    if not isinstance(spec, RegistrySpec | AliasSpec):
        return str(spec)

    def text(value: str | None, *, null: bool = False) -> str:
        if value is None:
            return "null" if null else "undefined"
        return _quote(value)

    fields = [
        ("type", _quote(spec.type)),
        ("registry", "true"),
        ("where", "undefined"),
        ("raw", _quote(spec.raw)),
        ("name", text(spec.name)),
        ("escapedName", text(spec.escaped_name)),
        ("scope", text(spec.scope)),
        ("rawSpec", _quote(spec.raw_spec)),
        ("saveSpec", "null"),
        ("fetchSpec", text(spec.fetch_spec, null=True)),
        ("gitRange", "undefined"),
        ("gitCommittish", "undefined"),
        ("gitSubdir", "undefined"),
        ("hosted", "undefined"),
    ]
    if isinstance(spec, AliasSpec):
        fields.append(("subSpec", describe_spec(spec.sub_spec, indent + "  ")))
    inner = ",\n".join(f"{indent}  {key}: {value}" for key, value in fields)
    return f"Result {{\n{inner}\n{indent}}}"


async def _fetch_tags(client: RegistryClient, spec: PackageSpec) -> dict[str, JsonValue]:
    registry = client.registry_for(spec.name)
    data = await client.get_json(
        f"/-/package/{spec.escaped_name}/dist-tags", registry=registry, pkgid=str(spec)
    )
    tags = dict(data) if isinstance(data, dict) else {}
    tags.pop("_etag", None)
    if not tags:
        raise SnpmError(f"No dist-tags found for {spec.name}")
    return tags


async def dist_tag_ls(config: Config, io: Interaction, pkg: str) -> dict[str, JsonValue]:
    spec = _spec(pkg, config)
    try:
        async with registry_client(config, "dist-tag", log=io.log) as client:
            return await _fetch_tags(client, spec)
    except SnpmError:
        io.log("error", "dist-tag ls", f"Couldn't get dist-tag data for {describe_spec(spec)}")
        raise


class DistTagChange(msgspec.Struct, frozen=True):
    tag: str
    name: str
    version: str
    # False when the tag already pointed there (npm warns and sends nothing)
    changed: bool = True


async def dist_tag_add(config: Config, io: Interaction, pkg: str, tag: str | None) -> DistTagChange:
    spec = _spec(pkg, config)
    version = spec.raw_spec
    default_tag = tag or str(config.get("tag") or "")
    io.log("verbose", "dist-tag add", f"{default_tag} to {spec.name}@{version}")
    # the tag must make a valid spec too (npa throws EINVALIDTAGNAME otherwise)
    parse_spec(f"{spec.name}@{default_tag}", str(config.local_prefix))
    if not spec.name or not version or not default_tag:
        raise UsageError("must provide a spec with a name and version, and a tag to add")
    wanted = default_tag.strip()
    if semver.valid_range(wanted):
        raise SnpmError(f"Tag name must not be a valid SemVer range: {wanted}")
    async with registry_client(config, "dist-tag", log=io.log) as client:
        tags = await _fetch_tags(client, spec)
        if tags.get(wanted) == version:
            io.log("warn", "dist-tag add", f"{wanted} is already set to version {version}")
            return DistTagChange(wanted, spec.name, version, changed=False)
        url = f"/-/package/{spec.escaped_name}/dist-tags/{_encode(wanted)}"
        registry = client.registry_for(spec.name)
        body = _json_text(version)
        await otplease(
            io,
            client,
            lambda otp: client.put(
                url,
                body=body,
                **with_otp(
                    otp, registry=registry, pkgid=str(spec), headers={"content-type": "application/json"}
                ),
            ),
        )
    return DistTagChange(wanted, spec.name, version)


async def dist_tag_rm(config: Config, io: Interaction, pkg: str, tag: str | None) -> DistTagChange:
    spec = _spec(pkg, config)
    shown_tag = "undefined" if tag is None else tag
    io.log("verbose", "dist-tag del", f"{shown_tag} from {spec.name}")
    if not spec.name:
        raise UsageError("")
    async with registry_client(config, "dist-tag", log=io.log) as client:
        tags = await _fetch_tags(client, spec)
        current = tags.get(shown_tag)
        if not current:
            io.log("info", "dist-tag del", f"{shown_tag} is not a dist-tag on {spec.name}")
            raise SnpmError(f"{shown_tag} is not a dist-tag on {spec.name}")
        url = f"/-/package/{spec.escaped_name}/dist-tags/{_encode(shown_tag)}"
        registry = client.registry_for(spec.name)
        await otplease(
            io, client, lambda otp: client.delete(url, **with_otp(otp, registry=registry, pkgid=str(spec)))
        )
    return DistTagChange(shown_tag, spec.name, _text(current))


def _encode(text: str) -> str:
    from snpm.ecmascript.strings import encode_uri_component

    return encode_uri_component(text)


def _json_text(value: str) -> bytes:
    from snpm.ecmascript.json import stringify

    return stringify(value, indent=0).encode()


def _text(value: JsonValue) -> str:
    from snpm.ecmascript.values import to_string

    return to_string(value)


async def deprecate(config: Config, io: Interaction, pkg: str, message: str) -> None:
    """Set (or with "" clear) `deprecated` on every version the spec's range matches."""
    spec = _spec(pkg, config)
    fetch_spec = getattr(spec, "fetch_spec", None)
    wanted = "*" if spec.raw_spec == "*" else (fetch_spec if isinstance(fetch_spec, str) else "undefined")
    if semver.valid_range(wanted, loose=True) is None:
        raise SnpmError(f"invalid version range: {wanted}")
    uri = f"/{spec.escaped_name}"
    async with registry_client(config, "deprecate", log=io.log) as client:
        registry = client.registry_for(spec.name)
        found = await client.get_json(uri, registry=registry, pkgid=str(spec), query={"write": "true"})
        packument: JsonObject = dict(found) if isinstance(found, dict) else {}
        versions = packument.get("versions")
        matching = [
            v
            for v in (versions if isinstance(versions, dict) else {})
            if semver.satisfies(v, wanted, include_prerelease=True)
        ]
        if not matching:
            io.log("warn", "deprecate", f"No version found for {spec.raw_spec}")
            return
        assert isinstance(versions, dict)
        name = _text(packument["name"]) if "name" in packument else "undefined"
        for v in matching:
            document = versions[v]
            if isinstance(document, dict):
                document["deprecated"] = message
            if message:
                io.log("notice", f'deprecating {name}@{v} with message "{message}"', "")
            else:
                io.log("notice", f"undeprecating {name}@{v}", "")
        if config.get("dry-run"):
            return
        await otplease(
            io,
            client,
            lambda otp: client.put(uri, json=packument, **with_otp(otp, registry=registry, pkgid=str(spec))),
        )


async def star(config: Config, io: Interaction, pkgs: list[str], *, starring: bool) -> str | None:
    """star.js: whoami, then GET ?write=true and PUT `users` with the caller added or removed.

    Like npm, only the first package is changed (star.js returns inside its loop); its name is
    returned for the `★  <name>` line."""
    specs = [_spec(p, config) for p in pkgs]
    async with registry_client(config, "star" if starring else "unstar", log=io.log) as client:
        username = await get_identity(config, client)
        for spec in specs:
            registry = client.registry_for(spec.name)
            full = await client.get_json(
                spec.escaped_name or "",
                registry=registry,
                pkgid=str(spec),
                query={"write": "true"},
                cache_mode="no-cache",
            )
            doc = full if isinstance(full, dict) else {}
            users = doc.get("users")
            body: JsonObject = {key: doc[key] for key in ("_id", "_rev") if key in doc}
            starred: JsonObject = dict(users) if isinstance(users, dict) else {}
            body["users"] = starred
            shown_id = _text(doc["_id"]) if "_id" in doc else "undefined"
            if starring:
                io.log("info", "star", f"starring {shown_id}")
                starred[username] = True
                io.log("verbose", "star", f"starring {body}")
            else:
                starred.pop(username, None)
                io.log("info", "unstar", f"unstarring {shown_id}")
                io.log("verbose", "unstar", f"unstarring {body}")
            data = (
                await client.put(spec.escaped_name or "", json=body, registry=registry, pkgid=str(spec))
            ).json()
            io.log("verbose", "star", str(data))
            return spec.name or ""
    return None


async def stars(config: Config, io: Interaction, user: str | None) -> list[str]:
    """The names a user starred (GET /-/_view/starredByUser?key="<user>")."""
    try:
        async with registry_client(config, "stars", log=io.log) as client:
            if not user:
                user = await get_identity(config, client)
            result = await client.get_json("/-/_view/starredByUser", query={"key": f'"{user}"'})
    except SnpmError as err:
        if err.code == "ENEEDAUTH":
            io.log("warn", "stars", "auth is required to look up your username")
        raise
    rows = result.get("rows") if isinstance(result, dict) else None
    if not isinstance(rows, list):
        raise SnpmError("Cannot read properties of undefined (reading 'length')")
    if not rows:
        io.log("warn", "stars", "user has not starred any packages")
    return [_text(row.get("value")) if isinstance(row, dict) else "undefined" for row in rows]
