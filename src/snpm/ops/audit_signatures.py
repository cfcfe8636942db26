"""`npm audit signatures`: npm's lib/utils/verify-signatures.js (and the signature check of pacote's
RegistryFetcher.manifest with `verifySignatures`).

    edges       every dependency edge of the installed tree (only the chosen workspaces'), with
                the registry each one resolves from; none: `found no installed dependencies to audit`
    keys        per registry, from Sigstore's TUF repository (`<host><path>/keys.json`), else from
                the registry's `/-/npm/v1/keys` (npm warns first); a 404/400 there means no keys
    verify      each installed registry package's full packument: every `dist.signatures` entry
                must name a known key (EMISSINGSIGNATUREKEY), that key must not have expired before
                the version was published (EEXPIREDSIGNATUREKEY), and the ECDSA signature of
                `<name>@<version>:<integrity>` must hold (else it is listed as invalid); a package
                without signatures from a registry that has keys is listed as missing
    report      `audited N packages in Xs`, the verified counts, the missing and invalid ones;
                exit 1 when any is missing or invalid; no package from a registry with keys:
                `found no dependencies to audit that were installed from a supported registry`

Provenance attestations (`dist.attestations`, Sigstore bundles) are not verified by snpm: they are
neither counted as verified nor reported.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Collection
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import msgspec

from snpm.ecmascript.collation import locale_compare_key
from snpm.errors import HttpError, SnpmError
from snpm.fetch.pick_manifest import PickOptions, pick_manifest
from snpm.json_types import JsonObject, JsonValue
from snpm.ops.ecdsa_p256 import load_public_key, verify
from snpm.ops.inspect.chalk import Chalk
from snpm.ops.sigstore_tuf import DEFAULT_MIRROR, TufClient, TufError, tuf_client_settings
from snpm.registry_client import RegistryClient
from snpm.spec import AliasSpec, PackageSpec, parse_spec
from snpm.tree.edge import Edge
from snpm.tree.node import Node

if TYPE_CHECKING:
    from snpm.ops.install import InstallContext
    from snpm.ops.reify_session import ReifySession

__all__ = ["SignaturesResult", "result_json", "result_lines", "verify_signatures"]

# pacote: versions published before this date carry no `time` entry to compare key expiry with
_MISSING_TIME_CUTOFF = "2015-04-01T00:00:00.000Z"
_CONCURRENCY = 20


class SignaturesResult(msgspec.Struct):
    audited_with_keys: int = 0
    verified_signatures: int = 0
    invalid: list[JsonObject] = msgspec.field(default_factory=list)
    missing: list[JsonObject] = msgspec.field(default_factory=list)
    elapsed_s: float = 0.0


class _Key(msgspec.Struct, frozen=True):
    keyid: str
    expires: str | None
    pemkey: str


def _edge_spec(edge: Edge) -> PackageSpec | None:
    """verify-signatures.js getEdgeSpec: `name@spec`, the alias target's name for `npm:` specs."""
    name = edge.name
    try:
        parsed = parse_spec(edge.spec)
        if isinstance(parsed, AliasSpec) and parsed.sub_spec.name:
            name = parsed.sub_spec.name
    except (SnpmError, ValueError):
        pass
    try:
        return parse_spec(f"{name}@{edge.spec}")
    except (SnpmError, ValueError):
        return None


def _edge_type(edge: Edge) -> str:
    return (
        "optionalDependencies"
        if edge.optional
        else "peerDependencies"
        if edge.peer
        else "devDependencies"
        if edge.dev
        else "dependencies"
    )


def _ms(text: str) -> float | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000
    except ValueError:
        return None


class _Verifier:
    def __init__(self, session: ReifySession, filter_set: Collection[Node] | None) -> None:
        self.session = session
        self.filter_set = filter_set
        self.keys: dict[str, list[_Key]] = {}
        self.checked: set[str] = set()
        self.result = SignaturesResult()
        omit = session.flat.get("omit")
        self.omit = tuple(str(o) for o in omit) if isinstance(omit, list) else ()

    def registry_of(self, spec: PackageSpec) -> str:
        return self.session.client.registry_for(spec.name)

    def edges(self, tree: Node) -> tuple[list[Edge], list[str]]:
        edges: dict[Edge, None] = {}
        registries: dict[str, None] = {}
        for node in tree.inventory.values():
            for edge in node.edges_out.values():
                source = edge.from_
                if source is not None and self.filter_set and source.target not in self.filter_set:
                    continue
                spec = _edge_spec(edge)
                if spec is not None:
                    registries[self.registry_of(spec)] = None
                edges[edge] = None
        return list(edges), list(registries)

    async def set_keys(self, registry: str, tuf: TufClient) -> None:
        parts = urlsplit(registry)
        target = f"{parts.netloc}{parts.path.rstrip('/')}/keys.json"
        keys: list[_Key] | None
        try:
            doc = _loads(await tuf.get_target(target))
            keys = [
                _Key(
                    str(k.get("keyId")),
                    _str(_obj(_obj(k.get("publicKey")).get("validFor")).get("end")),
                    str(_obj(k.get("publicKey")).get("rawBytes")),
                )
                for k in map(_obj, _list(doc.get("keys")))
            ]
        except TufError as err:
            if err.code != "TUF_FIND_TARGET_ERROR":
                raise
            keys = None
        if keys is None:
            self.session.io.log(
                "warn",
                "",
                f"Fetching verification keys using TUF failed.  Fetching directly from {registry}.",
            )
            try:
                answer = await self.session.client.get_json("/-/npm/v1/keys", registry=registry)
                keys = [
                    _Key(str(k.get("keyid")), _str(k.get("expires")), str(k.get("key")))
                    for k in map(_obj, _list(_obj(answer).get("keys")))
                ]
            except HttpError as err:
                if err.code not in ("E404", "E400"):
                    raise
                keys = None
        if keys is not None:
            self.keys[registry] = keys

    def package_info(self, edge: Edge) -> JsonObject | None:
        kind = _edge_type(edge)
        if edge.error == "MISSING" and kind != "dependencies":
            return None
        spec = _edge_spec(edge)
        node = edge.to
        if spec is None or node is None:
            return None
        version = node.package.get("version")
        if node.is_workspace or not version or not spec.registry:
            return None
        for omit_type in self.omit:
            if omit_type in ("dev", "optional", "peer") and getattr(node, omit_type):
                return None
        return {
            "name": spec.name,
            "version": version,
            "type": kind,
            "location": node.location,
            "registry": self.registry_of(spec),
        }

    async def check(self, edge: Edge) -> None:
        info = self.package_info(edge)
        if info is None:
            return
        location = str(info["location"])
        if location in self.checked:
            return
        self.checked.add(location)
        registry = str(info["registry"])
        keys = self.keys.get(registry) or []
        if keys:
            self.result.audited_with_keys += 1
        name, version = str(info["name"]), str(info["version"])
        packument = await self.session.source.packument(name, full=True)
        manifest = pick_manifest(packument, version, PickOptions()).manifest
        dist = _obj(manifest.get("dist"))
        integrity = _str(dist.get("integrity"))
        if integrity is None and isinstance(dist.get("shasum"), str):
            integrity = "sha1-" + base64.b64encode(bytes.fromhex(str(dist["shasum"]))).decode()
        resolved = _str(dist.get("tarball"))
        signatures = _list(dist.get("signatures")) if integrity else []
        problem = self.verify_signatures(f"{name}@{version}", integrity or "", signatures, keys, packument)
        if problem is not None:
            self.result.invalid.append(
                {
                    "code": "EINTEGRITYSIGNATURE",
                    "message": problem[0],
                    "integrity": integrity,
                    "keyid": problem[1],
                    "location": location,
                    "name": name,
                    "registry": registry,
                    "resolved": resolved,
                    "signature": problem[2],
                    "type": info["type"],
                    "version": version,
                }
            )
            return
        if signatures:
            self.result.verified_signatures += 1
        elif keys:
            self.result.missing.append(
                {
                    "integrity": integrity,
                    "location": location,
                    "name": name,
                    "registry": registry,
                    "resolved": resolved,
                    "version": version,
                }
            )

    def verify_signatures(
        self, pkgid: str, integrity: str, signatures: list[JsonValue], keys: list[_Key], packument: JsonObject
    ) -> tuple[str, str, str] | None:
        """pacote's check: raises for unknown or expired keys, returns (message, keyid, sig) when a
        signature does not verify."""
        message = f"{pkgid}:{integrity}".encode()
        version = pkgid.rpartition("@")[2]
        published = _str(_obj(packument.get("time")).get(version)) or _MISSING_TIME_CUTOFF
        for entry in signatures:
            signature = _obj(entry)
            keyid = str(signature.get("keyid"))
            sig = str(signature.get("sig"))
            key = next((k for k in keys if k.keyid == keyid), None)
            if key is None:
                raise SnpmError(
                    f"{pkgid} has a registry signature with keyid: {keyid} but no corresponding public key can be found",
                    code="EMISSINGSIGNATUREKEY",
                )
            published_ms, expires_ms = _ms(published), _ms(key.expires) if key.expires else None
            if expires_ms is not None and not (published_ms is not None and published_ms < expires_ms):
                raise SnpmError(
                    f"{pkgid} has a registry signature with keyid: {keyid} but the corresponding public key "
                    f"has expired {key.expires}",
                    code="EEXPIREDSIGNATUREKEY",
                )
            try:
                valid = verify(load_public_key(key.pemkey), message, base64.b64decode(sig))
            except ValueError:
                valid = False
            if not valid:
                return (
                    f"{pkgid} has an invalid registry signature with keyid: {keyid} and signature: {sig}",
                    keyid,
                    sig,
                )
        return None


def _obj(value: JsonValue) -> JsonObject:
    return value if isinstance(value, dict) else {}


def _list(value: JsonValue) -> list[JsonValue]:
    return value if isinstance(value, list) else []


def _str(value: JsonValue) -> str | None:
    return value if isinstance(value, str) and value else None


def _loads(text: str) -> JsonObject:
    import json

    value = json.loads(text)
    return value if isinstance(value, dict) else {}


async def verify_signatures(ctx: InstallContext, *, tuf_mirror: str = DEFAULT_MIRROR) -> SignaturesResult:
    """Load the installed tree and check every registry package's signatures (`tuf_mirror`: the
    TUF repository asked for keys first; npm's is Sigstore's)."""
    from snpm.ops.inspect.loading import exclude_workspaces_dependency_set, workspace_dependency_set

    config = ctx.config
    ctx.io.log("verbose", "audit", "loading installed dependencies")
    async with ctx.session() as session:
        tree = await session.load_actual()
        filter_set: dict[Node, None] | None = None
        flat = session.flat
        if session.workspaces:
            filter_set = workspace_dependency_set(
                tree,
                session.workspaces,
                lambda title, message: ctx.io.log("warn", title, message),
                bool(flat.get("includeWorkspaceRoot")),
            )
        elif flat.get("workspacesEnabled") is False:
            filter_set = exclude_workspaces_dependency_set(tree)
        verifier = _Verifier(session, filter_set)
        started = time.monotonic()
        edges, registries = verifier.edges(tree)
        if not edges:
            raise SnpmError("found no installed dependencies to audit")
        tuf_http = RegistryClient(tuf_client_settings(session.client.settings, tuf_mirror))
        try:
            tuf = TufClient(tuf_http, Path(str(config.get("cache"))) / "_tuf", mirror=tuf_mirror)
            await tuf.refresh()
            await asyncio.gather(*(verifier.set_keys(registry, tuf) for registry in registries))
        finally:
            await tuf_http.close()
        ctx.io.log("verbose", "verifying registry signatures", "")
        semaphore = asyncio.Semaphore(_CONCURRENCY)

        async def limited(edge: Edge) -> None:
            async with semaphore:
                await verifier.check(edge)

        await asyncio.gather(*(limited(edge) for edge in edges))
        result = verifier.result
        if not result.audited_with_keys:
            raise SnpmError("found no dependencies to audit that were installed from a supported registry")
        result.invalid.sort(key=lambda item: locale_compare_key(str(item.get("name"))))
        result.missing.sort(key=lambda item: locale_compare_key(str(item.get("name"))))
        result.elapsed_s = time.monotonic() - started
        return result


def result_json(result: SignaturesResult, *, include_attestations: bool = False) -> JsonObject:
    out: JsonObject = {"invalid": list[JsonValue](result.invalid), "missing": list[JsonValue](result.missing)}
    if include_attestations:
        out["verified"] = []
    return out


def result_lines(result: SignaturesResult, chalk: Chalk) -> list[str]:
    """What npm prints on stdout for the verification."""
    audited = result.audited_with_keys
    lines = [f"audited {audited} package{'s' if audited > 1 else ''} in {int(result.elapsed_s)}s", ""]
    verified = chalk.style("verified", "bold")
    count = result.verified_signatures
    if count:
        lines.append(
            f"{count} package has a {verified} registry signature"
            if count == 1
            else f"{count} packages have {verified} registry signatures"
        )
        lines.append("")
    missing, invalid = result.missing, result.invalid
    if missing:
        word = _red_bright(chalk, "missing")
        lines.append(
            f"1 package has a {word} registry signature but the registry is providing signing keys:"
            if len(missing) == 1
            else f"{len(missing)} packages have {word} registry signatures but the registry is providing signing keys:"
        )
        lines.append("")
        lines += [_listed(chalk, m) for m in missing]
    if invalid:
        if missing:
            lines.append("")
        word = _red_bright(chalk, "invalid")
        lines.append(
            f"1 package has an {word} registry signature:"
            if len(invalid) == 1
            else f"{len(invalid)} packages have {word} registry signatures:"
        )
        lines.append("")
        lines += [_listed(chalk, i) for i in invalid]
        lines.append("")
        lines.append(
            "Someone might have tampered with this package since it was published on the registry!"
            if len(invalid) == 1
            else "Someone might have tampered with these packages since they were published on the registry!"
        )
        lines.append("")
    return lines


def _listed(chalk: Chalk, item: JsonObject) -> str:
    pkgid = f"{item.get('name')}@{item.get('version')}"
    return f"{chalk.style(pkgid, 'red')} ({item.get('registry')})"


def _red_bright(chalk: Chalk, text: str) -> str:
    return f"\x1b[91m{text}\x1b[39m" if chalk.enabled else text
