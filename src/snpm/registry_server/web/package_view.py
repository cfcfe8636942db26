"""What a package page and a version page show, read from a stored packument (pure; no I/O).

Fields come from the shown version's document, falling back to the packument's top level (where
the registry hoists the `latest` version's description, repository and friends). Every URL a page
turns into a link passes `http_url`: only absolute `http(s)` URLs become links; anything else
(`javascript:`, `data:`, relative paths, text) is shown as text or dropped. Repository fields are
read like npm does (`hosted-git-info`: `github:user/repo`, `git+https://…git` → a browse URL).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from urllib.parse import urlsplit

import msgspec

from snpm import semver
from snpm.errors import SnpmError
from snpm.json_types import JsonValue
from snpm.packument import Dist, Person, dist_tags, maintainers, object_field, time_map, versions
from snpm.registry_server.storage.base import StoredPackage
from snpm.spec import HostedGit, from_manifest, from_url

__all__ = ["DependencyRow", "PackageView", "VersionRow", "http_url", "package_view"]


def http_url(value: object) -> str | None:
    """`value` when it is an absolute http(s) URL safe to put in an href, else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 2048 or any(ord(c) <= 32 or c == "\x7f" for c in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return text


class VersionRow(msgspec.Struct, frozen=True):
    version: str
    published: str  # ISO time, or ""
    tags: tuple[str, ...]
    deprecated: bool


class DependencyRow(msgspec.Struct, frozen=True):
    name: str
    spec: str
    kind: str  # dependencies / optionalDependencies / peerDependencies / devDependencies


class PackageView(msgspec.Struct, frozen=True):
    name: str
    version: str  # the version shown (the latest on the package page)
    latest: str | None
    is_latest: bool
    description: str
    keywords: tuple[str, ...]
    license: str
    author: str
    homepage: str | None
    repository: str | None
    repository_text: str
    bugs: str | None
    maintainers: tuple[Person, ...]
    publisher: str
    dist_tags: tuple[tuple[str, str], ...]
    versions: tuple[VersionRow, ...]
    dependencies: tuple[DependencyRow, ...]
    deprecated: str
    published: str
    created: str
    modified: str
    dist: Dist
    engines: tuple[tuple[str, str], ...]
    has_install_script: bool
    restricted: bool

    @property
    def install_command(self) -> str:
        return f"npm i {self.name}" if self.is_latest else f"npm i {self.name}@{self.version}"

    @property
    def runtime_dependency_count(self) -> int:
        return sum(1 for d in self.dependencies if d.kind == "dependencies")


def _text(value: JsonValue) -> str:
    return value.strip() if isinstance(value, str) else ""


def _person(value: JsonValue) -> str:
    if isinstance(value, dict):
        return _text(value.get("name"))
    return _text(value).split("<", 1)[0].split("(", 1)[0].strip()


def _license(value: JsonValue) -> str:
    if isinstance(value, dict):  # the old `{type, url}` form
        return _text(value.get("type"))
    return _text(value)


def _keywords(value: JsonValue) -> tuple[str, ...]:
    words: list[JsonValue]
    if isinstance(value, str):
        words = list(value.replace(",", " ").split())
    elif isinstance(value, list):
        words = value
    else:
        return ()
    seen: dict[str, None] = {}
    for word in words:
        if isinstance(word, str) and word.strip():
            seen.setdefault(word.strip(), None)
    return tuple(seen)


def _repository(doc: Mapping[str, JsonValue]) -> tuple[str | None, str]:
    """(browse URL or None, the text to show) for a version's `repository`."""
    raw = doc.get("repository")
    shown = _text(raw.get("url")) if isinstance(raw, dict) else _text(raw)
    if not shown:
        return None, ""
    try:
        found = from_manifest(dict(doc))
    except SnpmError:
        found = None
    if isinstance(found, HostedGit):
        return http_url(found.browse()), shown
    return http_url(found), shown


def _bugs(doc: Mapping[str, JsonValue]) -> str | None:
    raw = doc.get("bugs")
    url = raw.get("url") if isinstance(raw, dict) else raw
    found = http_url(url)
    if found is not None:
        return found
    repository = doc.get("repository")
    repo_url = repository.get("url") if isinstance(repository, dict) else repository
    hosted = from_url(repo_url) if isinstance(repo_url, str) and repo_url else None
    return http_url(hosted.bugs()) if hosted is not None else None


def _version_order(left: str, right: str) -> int:
    a, b = semver.parse(left, loose=True), semver.parse(right, loose=True)
    if a is not None and b is not None:
        return b.compare(a)
    return (a is None) - (b is None) or (left > right) - (left < right)


def _sorted_versions(names: list[str]) -> list[str]:
    return sorted(names, key=functools.cmp_to_key(_version_order))


def _dependencies(doc: Mapping[str, JsonValue]) -> tuple[DependencyRow, ...]:
    rows: list[DependencyRow] = []
    for kind in ("dependencies", "peerDependencies", "optionalDependencies", "devDependencies"):
        for name, spec in sorted(object_field(doc, kind).items()):
            rows.append(DependencyRow(name, spec if isinstance(spec, str) else "", kind))
    return tuple(rows)


def package_view(package: StoredPackage, version: str | None = None) -> PackageView | None:
    """The view of `version` (default: the latest) of a package; None when there is no such version."""
    document = package.document
    docs = versions(document)
    tags = dist_tags(document)
    latest = tags.get("latest") if tags.get("latest") in docs else None
    ordered = _sorted_versions(list(docs))
    shown = version if version is not None else (latest or (ordered[0] if ordered else None))
    if shown is None or shown not in docs:
        return None
    doc = docs[shown]
    top = document

    def field(key: str) -> JsonValue:
        value = doc.get(key)
        return value if value is not None else top.get(key)

    times = time_map(document)
    tags_by_version: dict[str, list[str]] = {}
    for tag, tagged in sorted(tags.items()):
        tags_by_version.setdefault(tagged, []).append(tag)
    rows = tuple(
        VersionRow(
            v, times.get(v, ""), tuple(tags_by_version.get(v, ())), bool(_text(docs[v].get("deprecated")))
        )
        for v in ordered
    )
    repository, repository_text = _repository({**top, **doc} if "repository" not in doc else doc)
    npm_user = object_field(doc, "_npmUser")
    engines = tuple((k, v) for k, v in sorted(object_field(doc, "engines").items()) if isinstance(v, str))
    scripts = object_field(doc, "scripts")
    return PackageView(
        name=package.name,
        version=shown,
        latest=latest,
        is_latest=shown == latest,
        description=_text(field("description")),
        keywords=_keywords(field("keywords")),
        license=_license(field("license")),
        author=_person(field("author")),
        homepage=http_url(field("homepage")),
        repository=repository,
        repository_text=repository_text,
        bugs=_bugs(doc) or _bugs(top),
        maintainers=tuple(maintainers(document)),
        publisher=_text(npm_user.get("name")),
        dist_tags=tuple(sorted(tags.items(), key=lambda item: (item[0] != "latest", item[0]))),
        versions=rows,
        dependencies=_dependencies(doc),
        deprecated=_text(doc.get("deprecated")),
        published=times.get(shown, ""),
        created=times.get("created", ""),
        modified=times.get("modified", ""),
        dist=Dist.from_json(doc.get("dist")),
        engines=engines,
        has_install_script=doc.get("hasInstallScript") is True
        or any(isinstance(scripts.get(s), str) for s in ("preinstall", "install", "postinstall")),
        restricted=package.restricted,
    )
