"""`npm unpublish`: lib/commands/unpublish.js and libnpmpublish's unpublish.js.

npm's policy, before anything is sent: only a single version or the whole package (`name@*` or a
bare name, both needing --force); without an argument, the version in the local package.json;
the last remaining version only with --force. Then the registry conversation of libnpmpublish:

- the whole package (no version, `*`, or the only version): `GET /<pkg>?write=true`, then
  `DELETE /<pkg>/-rev/<rev>`;
- one version of several: the document without that version (dist-tags pointing at it removed,
  `latest` moved to the highest remaining version), `PUT /<pkg>/-rev/<rev>`, a fresh GET for the
  new rev, and `DELETE <tarball path>/-rev/<rev>`.

A version the registry does not have counts as already unpublished, and any E404 on the way counts
as success, as in npm. The result is the line npm prints: `- name@version` (or `- name`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cmp_to_key
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

from snpm import semver
from snpm.config import Config
from snpm.errors import SnpmError, UsageError
from snpm.json_types import JsonObject
from snpm.manifest import read_package_json
from snpm.ops.auth_flow import otplease
from snpm.ops.interaction import Interaction
from snpm.ops.publish_manifest import prepared_manifest
from snpm.ops.publishing import RegistryOptions, registry_options
from snpm.registry_client import ClientSettings, RegistryClient, RequestOptions, fetch_packument
from snpm.spec import PackageSpec, RegistrySpec, parse_spec, resolve

__all__ = ["LAST_REMAINING_VERSION_ERROR", "UnpublishHooks", "UnpublishOptions", "unpublish"]

LAST_REMAINING_VERSION_ERROR = (
    "Refusing to delete the last version of the package. It will block from republishing a new version for "
    "24 hours.\nRun with --force to do this."
)
_WHOLE_PROJECT = "Refusing to delete entire project.\nRun with --force to do this."

LogFn = Callable[..., None]


class UnpublishOptions(msgspec.Struct, frozen=True):
    force: bool = False
    dry_run: bool = False


class UnpublishHooks(msgspec.Struct, frozen=True):
    log: LogFn
    make_client: Callable[[ClientSettings], RegistryClient]
    # raises the command's usage error (its text is the CLI's business)
    usage_error: Callable[[str], UsageError]
    # answers an OTP challenge (npm's otplease: a prompt, or the browser for a web OTP)
    io: Interaction


def _local_manifest(folder: Path, log: LogFn) -> JsonObject | None:
    """`pkgJson.prepare(localPrefix)`: None when there is no package.json there."""
    try:
        content = read_package_json(folder).content
    except SnpmError as err:
        if err.code in ("ENOENT", "ENOTDIR"):
            return None
        raise
    return prepared_manifest(dict(content), folder, log)


async def _versions(client: RegistryClient, name: str, registry: str) -> list[str]:
    """Unpublish.getKeysOfVersions: the version keys of the packument read for writing."""
    packument = await fetch_packument(
        client, name, registry=registry, query={"write": "true"}, pkgid=str(parse_spec(name, "/"))
    )
    versions = packument.get("versions")
    return list(versions) if isinstance(versions, dict) else []


def _tarball_path(tarball: str, registry: str) -> str:
    """libnpmpublish getPathname: the tarball URL's path without the registry's path prefix."""
    registry_path = urlsplit(registry).path[1:]
    path = urlsplit(tarball).path[1:]
    return path[len(registry_path) :] if registry_path else path


async def _unpublish_from_registry(
    client: RegistryClient, spec: PackageSpec, opts: RegistryOptions, otp: str | None
) -> None:
    """libnpmpublish unpublish(spec, opts)."""
    name = spec.name or ""
    registry = opts.registry_for(name)
    escaped = spec.escaped_name or name
    base: RequestOptions = {"registry": registry, "otp_prompt": None}
    if otp:
        base["otp"] = otp
    for_write: RequestOptions = {**base, "query": {"write": "true"}}
    try:
        doc = await client.get_json(escaped, **for_write)
        if not isinstance(doc, dict):
            return
        version = spec.raw_spec
        all_versions_value = doc.get("versions")
        all_versions: JsonObject = all_versions_value if isinstance(all_versions_value, dict) else {}
        raw_specs = not version or version == "*"
        only_version = len(all_versions) == 1
        no_versions = not all_versions
        if version not in all_versions and not raw_specs and not no_versions:
            return  # already gone
        if raw_specs or only_version or no_versions:
            await client.delete(f"{escaped}/-rev/{doc.get('_rev')}", **base)
            return
        version_doc = all_versions.pop(version)
        dist = version_doc.get("dist") if isinstance(version_doc, dict) else None
        tags_value = doc.get("dist-tags")
        tags: JsonObject = tags_value if isinstance(tags_value, dict) else {}
        latest = tags.get("latest")
        for tag in [t for t, v in tags.items() if v == version]:
            del tags[tag]
        if latest == version:
            tags["latest"] = sorted(all_versions, key=cmp_to_key(semver.compare_loose))[-1]
        doc.pop("_revisions", None)
        doc.pop("_attachments", None)
        await client.put(f"{escaped}/-rev/{doc.get('_rev')}", doc, **base)
        fresh = await client.get_json(escaped, **for_write)
        rev = fresh.get("_rev") if isinstance(fresh, dict) else None
        tarball = dist.get("tarball") if isinstance(dist, dict) else None
        path = _tarball_path(str(tarball), opts.settings.registry)
        await client.delete(f"{path}/-rev/{rev}", **base)
    except SnpmError as err:
        if err.code != "E404":
            raise


async def unpublish(
    arg: str | None, *, config: Config, local_prefix: Path, options: UnpublishOptions, hooks: UnpublishHooks
) -> str:
    """unpublish.js exec() for one package folder; returns `- name[@version]`."""
    spec: PackageSpec | None = None
    if arg is not None:
        spec = parse_spec(arg, str(local_prefix))
        if getattr(spec, "type", None) != "version" and spec.raw_spec != "*":
            raise hooks.usage_error(
                "Can only unpublish a single version, or the entire project.\nTags and ranges are not supported."
            )
    hooks.log("silly", "unpublish", f"args[0] {arg}")
    hooks.log("silly", "unpublish", f"spec {spec}")
    if spec is not None and spec.raw_spec == "*" and not options.force:
        raise hooks.usage_error(_WHOLE_PROJECT)
    manifest = _local_manifest(local_prefix, hooks.log)
    if manifest is None and spec is None:
        raise hooks.usage_error("")
    if spec is not None:
        pkg_version = f"@{spec.raw_spec}" if isinstance(spec, RegistrySpec) and spec.type == "version" else ""
    else:
        assert manifest is not None
        name, version = manifest.get("name"), manifest.get("version")
        spec = resolve(str(name or ""), str(version or ""), str(local_prefix))
        hooks.log("verbose", "unpublish", str(manifest))
        pkg_version = f"@{version}" if version else ""
        if not version and not options.force:
            raise hooks.usage_error(_WHOLE_PROJECT)
    publish_config = manifest.get("publishConfig") if manifest and manifest.get("name") == spec.name else None

    def warn_unknown(key: str) -> None:
        mark = config.log_mark()
        config.check_unknown("publishConfig", key, queue=False)
        for entry in config.take_since(mark):
            hooks.log(entry.level, entry.title, entry.message)

    opts = registry_options(config, "unpublish", publish_config, warn_unknown=warn_unknown)
    name = spec.name or ""
    client = hooks.make_client(opts.settings)
    try:
        versions = await _versions(client, name, opts.registry_for(name))
        if len(versions) == 1 and spec.raw_spec == versions[0] and not options.force:
            raise hooks.usage_error(LAST_REMAINING_VERSION_ERROR)
        if len(versions) == 1:
            pkg_version = ""
        if not options.dry_run:
            target = spec

            async def run(otp: str | None) -> None:
                await _unpublish_from_registry(client, target, opts, otp)

            await otplease(hooks.io, client, run)
    finally:
        await client.close()
    return f"- {name}{pkg_version}"
