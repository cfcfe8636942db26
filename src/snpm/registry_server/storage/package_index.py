"""Rows derived from a package's document, which a backend rewrites with every write of it: the
search entry (a summary of the `latest` version plus the text that is searched), the maintainer
names (for `/-/user/{name}/package`) and the stargazers (for `npm stars`).

Pure, so every backend derives exactly the same rows, and a migration can backfill them.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from snpm.json_types import JsonObject, JsonValue
from snpm.packument import dist_tags, latest_version, maintainers, object_field, time_map
from snpm.spec import scope_of

__all__ = ["PackageIndex", "index_package"]


class PackageIndex(msgspec.Struct, frozen=True):
    scope: str | None  # without the `@`
    summary: JsonObject
    # the searched text, column by column (an FTS index weighs them) and as one lowercase string
    name_text: str
    keywords_text: str
    description: str
    people: str
    maintainers: tuple[str, ...]
    stars: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join((self.name_text, self.keywords_text, self.description, self.people)).lower()


def _string(value: JsonValue) -> str:
    return value if isinstance(value, str) else ""


def _keywords(value: JsonValue) -> list[str]:
    if isinstance(value, list):
        return [k.strip() for k in value if isinstance(k, str) and k.strip()]
    if isinstance(value, str):
        return [k for k in value.replace(",", " ").split() if k]
    return []


def _url(value: JsonValue) -> str:
    """A repository/bugs field as a browsable URL (`git+https://x/y.git` → `https://x/y`)."""
    raw = value.get("url") if isinstance(value, dict) else value
    url = _string(raw).strip()
    url = url.removeprefix("git+")
    if url.startswith("git://"):
        url = "https://" + url[len("git://") :]
    return url.removesuffix(".git") if url.startswith(("http://", "https://")) else ""


def _person_name(value: JsonValue) -> str:
    if isinstance(value, dict):
        return _string(value.get("name"))
    text = _string(value)
    return text.split("<", 1)[0].strip()


def _links(version: Mapping[str, JsonValue]) -> JsonObject:
    links: JsonObject = {}
    homepage = _string(version.get("homepage"))
    if homepage.startswith(("http://", "https://")):
        links["homepage"] = homepage
    repository = _url(version.get("repository"))
    if repository:
        links["repository"] = repository
    bugs = _url(version.get("bugs"))
    if bugs:
        links["bugs"] = bugs
    return links


def index_package(name: str, document: Mapping[str, JsonValue]) -> PackageIndex:
    latest = latest_version(document)
    tags = dist_tags(document)
    version_doc = object_field(object_field(document, "versions"), latest) if latest else {}
    times = time_map(document)
    people = maintainers(document)
    npm_user = object_field(version_doc, "_npmUser")
    publisher = _string(npm_user.get("name"))
    keywords = _keywords(version_doc.get("keywords", document.get("keywords")))
    description = _string(version_doc.get("description", document.get("description")))
    author = _person_name(version_doc.get("author", document.get("author")))
    scope = scope_of(name)
    stars_raw = object_field(document, "users")
    stars = tuple(sorted(user for user, starred in stars_raw.items() if starred is True))
    summary: JsonObject = {
        "name": name,
        "scope": scope[1:] if scope else "unscoped",
        "version": latest or tags.get("latest", ""),
        "description": description,
        "keywords": list(keywords),
        "date": times.get(latest or "", times.get("modified", "")),
        "links": _links(version_doc),
        "author": author,
        "publisher": {"username": publisher, "email": _string(npm_user.get("email"))} if publisher else None,
        "maintainers": [{"username": p.name, "email": p.email} for p in people],
        "license": _string(version_doc.get("license")),
        "deprecated": _string(version_doc.get("deprecated")),
        "has_readme": bool(_string(document.get("readme")).strip()),
        "stars": len(stars),
        "versions": len(object_field(document, "versions")),
        "created": times.get("created", ""),
        "modified": times.get("modified", ""),
    }
    names = {p.name for p in people}
    people_text = " ".join(sorted(names | {n for n in (publisher, author) if n}))
    return PackageIndex(
        scope=scope[1:] if scope else None,
        summary=summary,
        name_text=name,
        keywords_text=" ".join(keywords),
        description=description,
        people=people_text,
        maintainers=tuple(sorted(names)),
        stars=stars,
    )
