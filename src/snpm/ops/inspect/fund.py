"""`npm fund`: libnpmfund 7's funding tree and npm 11.19's lib/commands/fund.js around it.

`read_tree` is libnpmfund's readTree: the root's dependencies, depth first, each package name and
version once (the first edge to reach it wins, all of a node's direct edges before any recursion),
a package kept when its `funding` is valid and otherwise its funded dependencies hoisted into its
parent ("trailing dependencies"). `human_tree` is fund.js's printHuman: one archy node per funding
URL, with every package funded at that URL listed on its label. `funding_sources` and
`pick_source` are what `npm fund <pkg>` needs to open (or list) a package's URLs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import urlsplit

import msgspec

from snpm.ecmascript.strings import trim
from snpm.json_types import JsonObject, JsonValue
from snpm.ops.inspect.archy import ArchyNode, archy
from snpm.ops.inspect.chalk import Chalk
from snpm.ops.inspect.loading import Warn, workspace_dependency_set
from snpm.tree import Node

__all__ = [
    "FundSource",
    "encode_uri",
    "funding_sources",
    "human_tree",
    "is_valid_funding",
    "normalize_funding",
    "read_tree",
]

# WHATWG URL parsing strips leading/trailing C0 controls and spaces, and drops tabs and newlines
_URL_STRIP: Final = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
_URL_REMOVE: Final = re.compile(r"[\t\n\r]")
_URI_KEEP: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789;,/?:@&=+$-_.!~*'()#"
)


def normalize_funding(funding: JsonValue) -> JsonValue:
    """Strings become `{url}`; an array stays an array, anything else gives its one source."""
    items = funding if isinstance(funding, list) else ([] if _falsy(funding) else [funding])
    sources: list[JsonValue] = [{"url": item} if isinstance(item, str) else item for item in items]
    if isinstance(funding, list):
        return sources
    return sources[0] if sources else None


def is_valid_funding(funding: JsonValue) -> bool:
    """A funding value npm can show: an http(s) URL with a host (or an array of only such)."""
    if _falsy(funding):
        return False
    if isinstance(funding, list):
        return all(not isinstance(f, list) and is_valid_funding(f) for f in funding)
    url: JsonValue = funding.get("url") if isinstance(funding, dict) else None
    candidate = url if not _falsy(url) else funding
    if not isinstance(candidate, str):
        return False
    return _http_url_host(candidate)


def _http_url_host(text: str) -> bool:
    text = _URL_REMOVE.sub("", _URL_STRIP.sub("", text))
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return False
    if parts.netloc:
        host = parts.netloc.rpartition("@")[2]
        host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return bool(host)
    # special schemes treat `https:host/path` (no slashes) as the authority too
    rest = text[len(parts.scheme) + 1 :].lstrip("/\\")
    return bool(re.split(r"[/?#\\:@]", rest, maxsplit=1)[0])


def _falsy(value: JsonValue) -> bool:
    return value is None or value is False or value == "" or (isinstance(value, int | float) and value == 0)


def encode_uri(text: str) -> str:
    """JavaScript's encodeURI."""
    out: list[str] = []
    for ch in text:
        if ch in _URI_KEEP:
            out.append(ch)
        else:
            out.extend(f"%{byte:02X}" for byte in ch.encode("utf-8", "surrogatepass"))
    return "".join(out)


class _Deps:
    """A libnpmfund dependencies object: named entries plus the hoisted trailing ones."""

    __slots__ = ("named", "trailing")

    def __init__(self) -> None:
        self.named: dict[str, JsonObject] = {}
        self.trailing: dict[str, JsonObject] | None = None

    def has(self) -> bool:
        return bool(self.named) or self.trailing is not None

    def merged(self) -> dict[str, JsonObject]:
        if self.trailing is None:
            return self.named
        return {**self.named, **self.trailing}


def read_tree(tree: Node, workspaces: Iterable[str] = (), warn: Warn | None = None) -> JsonObject:
    """libnpmfund readTree: `{length, name, version?, funding?, dependencies}`."""
    names = tuple(workspaces)
    filter_set = workspace_dependency_set(tree, names, warn or (lambda _t, _m: None)) if names else None
    seen: set[str] = set()
    count = 0

    def dependencies_of(node: Node) -> _Deps:
        nonlocal count
        direct: list[tuple[Node, JsonObject]] = []
        for edge in node.edges_out.values():
            if edge.to is None:
                continue
            dep = edge.to.target
            if filter_set and dep not in filter_set:
                continue
            pkg = dep.package
            key = _js_string(pkg.get("name")) + _js_string(pkg.get("version"))
            if key in seen:
                continue
            seen.add(key)
            item: JsonObject = {}
            version = pkg.get("version")
            if not _falsy(version):
                item["version"] = version
            funding = pkg.get("funding")
            if not _falsy(funding) and is_valid_funding(funding):
                item["funding"] = normalize_funding(funding)
                count += 1
            direct.append((dep, item))
        result = _Deps()
        for dep, item in direct:
            transitive = dependencies_of(dep) if len(dep.edges_out) else None
            item_deps = transitive.merged() if transitive is not None and transitive.has() else None
            if item_deps is not None:
                item["dependencies"] = dict(item_deps)
            if is_valid_funding(item.get("funding")):
                result.named[_js_string(dep.package.get("name"))] = item
            elif item_deps:
                result.trailing = {**(result.trailing or {}), **item_deps}
        return result

    dependencies = dependencies_of(tree).merged()
    out: JsonObject = {"length": count}
    name = tree.package.get("name") or tree.name
    out["name"] = name or tree.path
    version = tree.package.get("version")
    if not _falsy(version):
        out["version"] = version
    funding = tree.package.get("funding")
    if not _falsy(funding):
        out["funding"] = normalize_funding(funding)
    out["dependencies"] = dict(dependencies)
    return out


def _js_string(value: JsonValue) -> str:
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _first_url(funding: JsonValue) -> str | None:
    normalized = normalize_funding(funding)
    sources = normalized if isinstance(normalized, list) else [normalized]
    for source in sources:
        if is_valid_funding(source):
            url = source.get("url") if isinstance(source, dict) else None
            return url if isinstance(url, str) and url else None
    return None


def human_tree(info: JsonObject, chalk: Chalk, *, unicode: bool) -> str:
    """fund.js printHuman over `read_tree`'s result."""
    seen_urls: dict[str, ArchyNode] = {}

    def visit(name: str, data: JsonObject) -> ArchyNode | None:
        version = data.get("version")
        pkg_ref = f"{name}@{_js_string(version)}" if not _falsy(version) else name
        url = _first_url(data.get("funding"))
        node: ArchyNode | None
        if not url:
            node = ArchyNode(pkg_ref)
        elif url in seen_urls:
            # listed on the first package's label; its dependencies are still visited (and dropped)
            seen_urls[url].label += f"{chalk.dim(',')} {pkg_ref}"
            node = None
        else:
            node = ArchyNode(trim(archy(ArchyNode(chalk.blue(url), [pkg_ref]), "", unicode=unicode)))
            seen_urls[url] = node
        deps = data.get("dependencies")
        kids = (
            [visit(key, value if isinstance(value, dict) else {}) for key, value in deps.items()]
            if isinstance(deps, dict)
            else []
        )
        if node is not None:
            node.nodes = [kid for kid in kids if kid is not None]
        return node

    root = visit(_js_string(info.get("name")), info)
    assert root is not None
    return archy(root, "", unicode=unicode)


class FundSource(msgspec.Struct, frozen=True):
    url: str
    type: str | None

    def message(self) -> str:
        prefix = f"{self.type} funding" if self.type else "Funding"
        return f"{prefix} available at the following URL"


def funding_sources(funding: JsonValue) -> list[FundSource]:
    """`[].concat(normalizeFunding(funding)).filter(isValidFunding)`."""
    normalized = normalize_funding(funding)
    items = normalized if isinstance(normalized, list) else ([normalized] if normalized is not None else [])
    sources: list[FundSource] = []
    for item in items:
        if not is_valid_funding(item) or not isinstance(item, dict):
            continue
        url, kind = item.get("url"), item.get("type")
        sources.append(FundSource(_js_string(url), _js_string(kind) if not _falsy(kind) else None))
    return sources
