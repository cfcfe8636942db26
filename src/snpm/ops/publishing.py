"""`npm publish`: lib/commands/publish.js and libnpmpublish's publish.js.

The order is npm's, because users see it: read the manifest (fix + prepare) → `prepublishOnly` →
pack (prepack, prepare, postpack; nothing written) → read the manifest again (scripts may have
changed it) → the prerelease-needs-a-tag check → the tarball report → credentials → the
"already published" checks against the registry's packument → `Publishing to …` → the PUT →
`publish` → `postpublish`.

The upload goes through `snpm.ops.auth_flow.otplease`, as npm's goes through lib/utils/auth.js: an
OTP challenge on a terminal is answered with a prompt, or, when the registry names `authUrl` and
`doneUrl` (npm 11's web OTP), with the token of a browser round trip.

`publishConfig` overrides any setting except the ones given on the command line; it is flattened
with npm's own flatteners (`registry`, `@scope:registry`, credentials, `access`, `tag`, `otp`, …).
npm's quirk is kept: the `Publishing to … with tag X` notice names the configured tag even when
publishConfig's tag is the one used.

Provenance needs a sigstore signature from a CI identity. As npm, snpm refuses `--provenance`
outside a supported CI with npm's EUSAGE messages; inside one it refuses with ENOTSUP, because
snpm does not sign provenance statements.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from functools import cmp_to_key
from pathlib import Path
from typing import cast

import msgspec
from msgspec.structs import replace

from snpm import semver
from snpm.config import Config, get_credentials_by_uri
from snpm.config.ci import detect_ci
from snpm.config.definitions import DEFINITIONS
from snpm.config.flatten import FLATTENERS, Flat, LayerView
from snpm.config.layer import Layer
from snpm.config.values import UNDEFINED, ConfigValue
from snpm.ecmascript.strings import trim
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.ops.auth_flow import otplease
from snpm.ops.context import client_settings
from snpm.ops.interaction import Interaction
from snpm.ops.package_scripts import ScriptRunner, run_lifecycle
from snpm.ops.packaging import PackageSource, PackOptions, pack_spec
from snpm.ops.publish_manifest import fix_name, fixed_manifest, prepared_manifest
from snpm.ops.tarball_report import TarballContents, tarball_contents
from snpm.redact import redact_log
from snpm.registry_client import ClientSettings, RegistryClient, fetch_packument
from snpm.registry_client.auth import pick_registry
from snpm.spec import DirectorySpec, PackageSpec, escape_name, parse_spec, scope_of
from snpm.spec.whatwg_url import parse as parse_url

__all__ = [
    "PublishHooks",
    "PublishOptions",
    "RegistryOptions",
    "publish",
    "registry_options",
]

LogFn = Callable[..., None]


# ── publishConfig and the options it changes ──────────────────────────────────────────────────────
class RegistryOptions(msgspec.Struct, frozen=True):
    """The flatOptions slice publish, unpublish and libnpmpublish read, after publishConfig."""

    flat: Mapping[str, object]
    settings: ClientSettings

    @property
    def access(self) -> str | None:
        value = self.flat.get("access")
        return value if isinstance(value, str) else None

    @property
    def default_tag(self) -> str:
        return str(self.flat.get("defaultTag") or "latest")

    def registry_for(self, name: str) -> str:
        return pick_registry(self.settings, name)


def _flatten_publish_config(config: Config, publish_config: Mapping[str, JsonValue], flat: Flat) -> None:
    """@npmcli/config definitions' `flatten(obj, flat)` over publishConfig's keys."""
    layer = Layer("publishConfig", lambda: UNDEFINED)
    for key, value in publish_config.items():
        layer.put(key, cast(ConfigValue, value))
    view = LayerView([layer], 0)
    context = config.flatten_context()
    for key, value in publish_config.items():
        definition = DEFINITIONS.get(key)
        if definition is not None and definition.flatten is not None:
            try:
                FLATTENERS[definition.flatten](key, view, flat, context)
            except (TypeError, ValueError, AttributeError):
                continue  # npm's flattener would have produced nonsense too; the value is skipped
        elif (key.startswith("@") and key.lower().endswith(":registry")) or key.startswith("//"):
            flat[key] = value


def registry_options(
    config: Config,
    command: str,
    publish_config: JsonValue = None,
    *,
    warn_unknown: Callable[[str], None] | None = None,
) -> RegistryOptions:
    """npm's `{...flatOptions}` with publishConfig flattened over it (CLI flags keep priority).

    `warn_unknown(key)` is called for each publishConfig key, for npm's `checkUnknown` warning."""
    flat: Flat = dict(config.flat)
    if isinstance(publish_config, dict):
        cli_keys = set(config.layer("cli").raw)
        filtered = {k: v for k, v in publish_config.items() if k not in cli_keys}
        if warn_unknown is not None:
            for key in filtered:
                warn_unknown(key)
        _flatten_publish_config(config, filtered, flat)
    settings = client_settings(config, command)
    scoped = dict(settings.scoped_registries)
    credentials = dict(settings.credentials)
    for key, value in flat.items():
        if key.startswith("@") and key.lower().endswith(":registry"):
            scoped[key.split(":", 1)[0]] = str(value)
        elif key.startswith("//"):
            credentials[key] = str(value)
    otp = flat.get("otp")
    settings = replace(
        settings,
        registry=str(flat.get("registry") or settings.registry),
        scoped_registries=scoped,
        credentials=credentials,
        otp=otp if isinstance(otp, str) and otp else None,
    )
    return RegistryOptions(flat=flat, settings=settings)


# ── publish ────────────────────────────────────────────────────────────────────────────────────────
class PublishOptions(msgspec.Struct, frozen=True):
    dry_run: bool = False
    force: bool = False
    json: bool = False
    node_version: str = ""  # process.versions.node (no "v")
    npm_version: str = ""
    prefix: Path | None = None
    workspaces: tuple[Path, ...] = ()


class PublishHooks(msgspec.Struct, frozen=True):
    """How publish talks to its front end. `show_contents` is npm's logPkg (the notice block, not
    called under --json); `published` runs after a successful upload (--json output); `io`
    answers an OTP challenge (a prompt, or the browser for a web OTP) when it is interactive."""

    log: LogFn
    show_contents: Callable[[TarballContents], None]
    published: Callable[[TarballContents], None]
    make_client: Callable[[ClientSettings], RegistryClient]
    io: Interaction
    environ: Mapping[str, str] = msgspec.field(default_factory=dict)


def _check_tag(tag: str) -> None:
    if semver.valid_range(tag) is not None:
        raise SnpmError("Tag name must not be a valid SemVer range: " + trim(tag))


async def _read_manifest(
    source: PackageSource, spec: PackageSpec, log: LogFn, *, log_warnings: bool
) -> JsonObject:
    """publish.js #getManifest (publishConfig is applied by the caller)."""
    if isinstance(spec, DirectorySpec):
        folder = Path(spec.fetch_spec or ".")
        fixed = fixed_manifest(folder, log)
        if fixed.changes and log_warnings:
            log(
                "warn",
                "publish",
                'npm auto-corrected some errors in your package.json when publishing.  Please run "npm pkg fix" to address these errors.',
            )
            log("warn", "publish", "errors corrected:\n" + "\n".join(fixed.changes))
        return prepared_manifest(fixed.content, folder, log)
    return await source.manifest(spec, full=True)


async def _registry_versions(
    client: RegistryClient, name: str, registry: str
) -> tuple[list[str], str | None]:
    """Published non-prerelease, non-deprecated versions, highest first (any error: none)."""
    try:
        packument = await fetch_packument(client, name, registry=registry, cache_mode="no-cache")
    except SnpmError:
        return [], None
    versions = packument.get("versions")
    if not isinstance(versions, dict):
        return [], None
    ordered: list[semver.Version] = []
    for key, doc in versions.items():
        parsed = semver.parse(key)
        if parsed is None or parsed.prerelease or (isinstance(doc, dict) and doc.get("deprecated")):
            continue
        ordered.append(parsed)
    ordered.sort(key=cmp_to_key(semver.compare), reverse=True)
    found = [v.version for v in ordered]
    return found, found[0] if found else None


def _ensure_provenance(environ: Mapping[str, str], provenance: bool, provenance_file: object) -> None:
    """libnpmpublish ensureProvenanceGeneration, up to where snpm stops (it cannot sign)."""
    if provenance:
        ci = detect_ci(environ)
        if ci.github_actions:
            if not environ.get("ACTIONS_ID_TOKEN_REQUEST_URL"):
                raise SnpmError(
                    'Provenance generation in GitHub Actions requires "write" access to the "id-token" permission',
                    code="EUSAGE",
                )
        elif ci.name == "GitLab CI":
            if not environ.get("SIGSTORE_ID_TOKEN"):
                raise SnpmError(
                    'Provenance generation in GitLab CI requires "SIGSTORE_ID_TOKEN" with "sigstore" audience to be '
                    'present in "id_tokens". For more info see:\n'
                    "https://docs.gitlab.com/ee/ci/secrets/id_token_authentication.html",
                    code="EUSAGE",
                )
        else:
            raise SnpmError(
                f"Automatic provenance generation not supported for provider: {ci.name or 'null'}",
                code="EUSAGE",
            )
        raise SnpmError(
            "snpm cannot generate provenance statements (sigstore signing); publish with npm to attach provenance.",
            code="ENOTSUP",
        )
    if provenance_file:
        raise SnpmError(
            "snpm cannot verify provenance bundles (--provenance-file); publish with npm to attach one.",
            code="ENOTSUP",
        )


def publish_document(
    manifest: JsonObject, tarball: bytes, *, registry: str, access: str | None, default_tag: str
) -> JsonObject:
    """libnpmpublish buildMetadata: the document PUT to `/<escaped name>`."""
    name = str(manifest["name"])
    version = str(manifest["version"])
    tag = manifest.get("tag") or default_tag
    tarball_name = f"{name}-{version}.tgz"
    sha512 = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode("ascii")
    manifest["_id"] = f"{name}@{version}"
    dist = manifest.get("dist")
    new_dist: JsonObject = dict(dist) if isinstance(dist, dict) else {}
    new_dist["integrity"] = sha512
    new_dist["shasum"] = hashlib.sha1(tarball).hexdigest()
    url = parse_url(f"{name}/-/{tarball_name}", registry)
    href = url.href if url is not None else f"{registry.rstrip('/')}/{name}/-/{tarball_name}"
    new_dist["tarball"] = "http://" + href[len("https://") :] if href.startswith("https://") else href
    manifest["dist"] = new_dist
    return {
        "_id": name,
        "name": name,
        **({"description": manifest["description"]} if "description" in manifest else {}),
        "dist-tags": {str(tag): version},
        "versions": {version: manifest},
        "access": access,
        "_attachments": {
            tarball_name: {
                "content_type": "application/octet-stream",
                "data": base64.b64encode(tarball).decode("ascii"),
                "length": len(tarball),
            }
        },
    }


def _patch_manifest(manifest: JsonObject, options: PublishOptions, log: LogFn) -> JsonObject:
    """libnpmpublish patchManifest: fixName, _nodeVersion, _npmVersion, a clean version."""
    patched: JsonObject = dict(manifest)
    patched["_nodeVersion"] = options.node_version
    if options.npm_version:
        patched["_npmVersion"] = options.npm_version
    fix_name(patched, None, log, builtin_warning=True)
    version = patched.get("version")
    cleaned = semver.clean(version, loose=False) if isinstance(version, str) else None
    if not cleaned:
        raise SnpmError(f"invalid semver: {version}", code="EBADSEMVER")
    patched["version"] = cleaned
    return patched


async def publish(
    arg: str,
    *,
    config: Config,
    source: PackageSource,
    runner: ScriptRunner,
    options: PublishOptions,
    hooks: PublishHooks,
    workspace: str | None = None,
) -> TarballContents:
    """publish.js #publish for one spec (a folder, a tarball, …); returns the tarball report."""
    log = hooks.log
    log("verbose", "publish", redact_log(str([arg])))
    default_tag = str(config.get("tag"))
    _check_tag(default_tag)
    spec = source.parse(arg)
    folder = Path(spec.fetch_spec or ".") if isinstance(spec, DirectorySpec) else None
    manifest = await _read_manifest(source, spec, log, log_warnings=False)
    if folder is not None:
        await run_lifecycle(runner, "prepublishOnly", path=str(folder), pkg=manifest)
    pack_manifest = await source.manifest(spec) if folder is not None else manifest
    pack_options = PackOptions(dry_run=True, prefix=options.prefix, workspaces=options.workspaces, log=log)
    tarball = await pack_spec(source, spec, pack_manifest, pack_options, runner)
    contents = tarball_contents(manifest, tarball)

    manifest = await _read_manifest(source, spec, log, log_warnings=True)
    publish_config = manifest.get("publishConfig")

    def warn_unknown(key: str) -> None:
        mark = config.log_mark()
        config.check_unknown("publishConfig", key, queue=False)
        for entry in config.take_since(mark):
            log(entry.level, entry.title, entry.message)

    opts = registry_options(config, "publish", publish_config, warn_unknown=warn_unknown)
    is_default_tag = config.is_default("tag") and not (
        isinstance(publish_config, dict) and publish_config.get("tag")
    )
    version = str(manifest.get("version") or "")
    if not options.force:
        parsed = semver.parse(version)
        if parsed is not None and parsed.prerelease and is_default_tag:
            raise SnpmError("You must specify a tag using --tag when publishing a prerelease version.")
    if not options.json:
        hooks.show_contents(contents)
    name = str(manifest.get("name") or "")
    parse_spec(f"{name}@{default_tag}", str(source.where))  # an invalid tag fails like npm's npa
    registry = opts.registry_for(name)
    credentials = get_credentials_by_uri(config, registry)
    if workspace and manifest.get("private"):
        raise SnpmError(
            "This package has been marked as private\n  Remove the 'private' field from the package.json to publish it.",
            code="EPRIVATE",
        )
    client = hooks.make_client(opts.settings)
    try:
        if not (credentials.token or credentials.username or (credentials.certfile and credentials.keyfile)):
            message = f"This command requires you to be logged in to {redact_log(registry)}"
            if not options.dry_run:
                raise SnpmError(message, code="ENEEDAUTH")
            log("warn", "publish", f"{message} (dry-run)")
        if not options.force:
            versions, highest = await _registry_versions(client, name, registry)
            if version in versions:
                raise SnpmError(f"You cannot publish over the previously published versions: {version}.")
            if highest is not None and semver.gte(highest, version) and is_default_tag:
                raise SnpmError(
                    f'Cannot implicitly apply the "latest" tag because previously published version {highest} '
                    f"is higher than the new version {version}. You must specify a tag using --tag."
                )
        access = opts.access
        notice = (
            f"Publishing to {redact_log(registry)} with tag {default_tag} and {access or 'default'} access"
        )
        log("notice", "", notice + (" (dry-run)" if options.dry_run else ""))
        if not options.dry_run:

            async def upload(otp: str | None) -> None:
                await _upload(client, manifest, tarball, opts, options, hooks, otp)

            await otplease(hooks.io, client, upload)
    finally:
        await client.close()
    hooks.published(contents)
    if folder is not None:
        await run_lifecycle(runner, "publish", path=str(folder), pkg=manifest)
        await run_lifecycle(runner, "postpublish", path=str(folder), pkg=manifest)
    return contents


async def _upload(
    client: RegistryClient,
    manifest: JsonObject,
    tarball: bytes,
    opts: RegistryOptions,
    options: PublishOptions,
    hooks: PublishHooks,
    otp: str | None,
) -> None:
    """libnpmpublish publish(): EPRIVATE, patchManifest, EUNSCOPED, provenance, the PUT."""
    if manifest.get("private"):
        raise SnpmError(
            "This package has been marked as private\nRemove the 'private' field from the package.json to publish it.",
            code="EPRIVATE",
        )
    name = str(manifest.get("name") or "")
    registry = opts.registry_for(name)
    patched = _patch_manifest(manifest, options, hooks.log)
    access = opts.access
    if scope_of(name) is None and access == "restricted":
        raise SnpmError("Can't restrict access to unscoped packages.", code="EUNSCOPED")
    _ensure_provenance(hooks.environ, bool(opts.flat.get("provenance")), opts.flat.get("provenanceFile"))
    document = publish_document(
        patched, tarball, registry=registry, access=access, default_tag=opts.default_tag
    )
    pkgid = f"{name}@{patched.get('version')}"
    if otp:
        await client.put(
            escape_name(name), document, registry=registry, pkgid=pkgid, otp=otp, otp_prompt=None
        )
    else:
        await client.put(escape_name(name), document, registry=registry, pkgid=pkgid, otp_prompt=None)
