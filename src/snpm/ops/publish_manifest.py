"""The manifest `npm publish` sends for a folder: publish.js `#getManifest` and libnpmpublish's
`patchManifest`, i.e. @npmcli/package-json's `fix()` then `prepare()`, then `fixName` again.

`snpm.manifest.normalize` has the file-reading and pure steps; the steps it leaves out (they need
semver and hosted-git-info, which that layer does not import) are here, in npm's order:
fixName (name checks and trimming, the Node.js built-in warning), fixVersionField (clean the
version, loosely), fixRepositoryField (string → object, hosted URLs in their canonical form),
fixDependencies (string/array dependency lists → objects, hosted git specs normalised) and
normalize-package-data's fixers (description from the readme, files/man/bugs/keywords/homepage,
people as objects). `bin` entries that point nowhere are warned about (`binRefs`) with the
`name@version` the package had when that step started, as npm does.

`fix()` collects its change notes: publish prints them as "npm auto-corrected some errors …".
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Final

import msgspec

from snpm import semver
from snpm.ecmascript.strings import trim
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.manifest import PREPARE_STEPS, normalize, read_package_json
from snpm.spec.git_hosts import from_url
from snpm.spec.whatwg_url import parse as parse_url

__all__ = ["PublishManifest", "fix_name", "fixed_manifest", "prepared_manifest"]

Warn = Callable[..., None]

# node 20's require('node:module').builtinModules
NODE_BUILTINS: Final = frozenset(
    (
        "_http_agent", "_http_client", "_http_common", "_http_incoming", "_http_outgoing", "_http_server",
        "_stream_duplex", "_stream_passthrough", "_stream_readable", "_stream_transform", "_stream_wrap",
        "_stream_writable", "_tls_common", "_tls_wrap", "assert", "assert/strict", "async_hooks", "buffer",
        "child_process", "cluster", "console", "constants", "crypto", "dgram", "diagnostics_channel",
        "dns", "dns/promises", "domain", "events", "fs", "fs/promises", "http", "http2", "https",
        "inspector", "inspector/promises", "module", "net", "os", "path", "path/posix", "path/win32",
        "perf_hooks", "process", "punycode", "querystring", "readline", "readline/promises", "repl",
        "stream", "stream/consumers", "stream/promises", "stream/web", "string_decoder", "sys", "timers",
        "timers/promises", "tls", "trace_events", "tty", "url", "util", "util/types", "v8", "vm", "wasi",
        "worker_threads", "zlib",
    )
)  # fmt: skip
_FIX_STEPS: Final = ("bundleDependencies", "scriptpath")
_NO_README: Final = "ERROR: No README data found!"
_TYPOS: Final = {
    "dependancies": "dependencies", "dependecies": "dependencies", "depdenencies": "dependencies",
    "devEependencies": "devDependencies", "depends": "dependencies",
    "dev-dependencies": "devDependencies", "devDependences": "devDependencies",
    "devDepenencies": "devDependencies", "devdependencies": "devDependencies",
    "repostitory": "repository", "repo": "repository", "prefereGlobal": "preferGlobal",
    "hompage": "homepage", "hampage": "homepage", "autohr": "author", "autor": "author",
    "contributers": "contributors", "publicationConfig": "publishConfig", "script": "scripts",
}  # fmt: skip
_ENCODE_SAFE = re.compile(r"^[A-Za-z0-9\-_.!~*'()]*$")
_DEP_SPLIT = re.compile(r"(:?[@\s><=])")


class PublishManifest(msgspec.Struct, frozen=True):
    content: JsonObject
    changes: tuple[str, ...]  # what fix() corrected, in its words


def _pkg_id(data: JsonObject) -> str:
    name, version = data.get("name"), data.get("version")
    return f"{'' if name is None else _js(name)}@{'' if version is None else _js(version)}"


def _js(value: JsonValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _template(data: JsonObject, key: str) -> str:
    """`${data[key]}` in a JavaScript template string."""
    if key not in data:
        return "undefined"
    value = data[key]
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, list):
        return ",".join("" if v is None else _js(v) for v in value)
    return _js(value)


def _encoded(text: str) -> bool:
    return bool(_ENCODE_SAFE.match(text))


def _valid_scoped(name: str) -> bool:
    if not name.startswith("@"):
        return False
    rest = name[1:].split("/")
    return len(rest) == 2 and bool(rest[0]) and bool(rest[1]) and _encoded(rest[0]) and _encoded(rest[1])


def fix_name(
    data: JsonObject, changes: list[str] | None, warn: Warn | None, *, builtin_warning: bool
) -> None:
    """The fixName step: a missing name becomes "", whitespace is trimmed, bad names are refused."""
    pkg_id = _pkg_id(data)
    name = data.get("name")
    if not name:
        if changes is not None:
            changes.append('Missing "name" field was set to an empty string')
        data["name"] = ""
    else:
        if not isinstance(name, str):
            raise SnpmError("name field must be a string.")
        trimmed = trim(name)
        if trimmed != name:
            if changes is not None:
                changes.append('Whitespace was trimmed from "name"')
            data["name"] = name = trimmed
        if (
            name.startswith(".")
            or not (_valid_scoped(name) or (not re.search(r"[/@\s+%:]", name) and _encoded(name)))
            or name.lower() in ("node_modules", "favicon.ico")
        ):
            import json

            raise SnpmError("Invalid name: " + json.dumps(name))
    if builtin_warning and warn is not None and data.get("name") in NODE_BUILTINS:
        warn(
            "warn",
            "package-json",
            pkg_id,
            f'Package name "{data["name"]}" conflicts with a Node.js built-in module name',
        )


def _fix_version(data: JsonObject, changes: list[str] | None) -> None:
    version = data.get("version")
    if not version:
        data["version"] = ""
        return
    if not isinstance(version, str) or semver.valid(version, loose=True) is None:
        raise SnpmError(f'Invalid version: "{_js(version)}"')
    cleaned = semver.clean(version, loose=True)
    if cleaned != version:
        if changes is not None:
            changes.append(f'"version" was cleaned and set to "{cleaned}"')
        data["version"] = cleaned


def _fix_repository(data: JsonObject, changes: list[str] | None) -> None:
    repositories = data.get("repositories")
    if repositories:
        if changes is not None:
            changes.append(
                f'"repository" was set to the first entry in "repositories" ({_template(data, "repository")})'
            )
        if isinstance(repositories, list) and repositories:
            data["repository"] = repositories[0]
        else:  # `undefined` in JavaScript: JSON.stringify leaves the key out
            data.pop("repository", None)
    repository = data.get("repository")
    if not repository:
        return
    if isinstance(repository, str):
        if changes is not None:
            changes.append('"repository" was changed from a string to an object')
        repository = data["repository"] = {"type": "git", "url": repository}
    if isinstance(repository, dict) and isinstance(repository.get("url"), str) and repository["url"]:
        url = str(repository["url"])
        hosted = from_url(url)
        if hosted is not None:
            rendered = hosted.https() if hosted.default == "shortcut" else hosted.to_string()
            if rendered is not None and rendered != url:
                if changes is not None:
                    changes.append(f'"repository.url" was normalized to "{rendered}"')
                repository["url"] = rendered


def _fix_dependencies(data: JsonObject, changes: list[str] | None) -> None:
    for dep_type in ("dependencies", "devDependencies", "optionalDependencies"):
        value = data.get(dep_type)
        if not value:
            continue
        second_warning = True
        if isinstance(value, str):
            if changes is not None:
                changes.append(f'"{dep_type}" was converted from a string into an object')
            value = re.split(r"[\n\r\s\t ,]+", value.strip())
            second_warning = False
        if isinstance(value, list):
            if second_warning and changes is not None:
                changes.append(f'"{dep_type}" was converted from an array into an object')
            converted: JsonObject = {}
            for item in value:
                if isinstance(item, str):
                    parts = _DEP_SPLIT.split(item.strip())
                    converted[parts[0]] = re.sub(r"^@", "", "".join(parts[1:])).strip()
            value = converted
        data[dep_type] = value
    for dep_type in ("dependencies", "devDependencies"):
        if dep_type not in data:
            continue
        deps = data[dep_type]
        if not isinstance(deps, dict):
            if changes is not None:
                changes.append(f'Removed invalid "{dep_type}"')
            del data[dep_type]
            continue
        for name in list(deps):
            spec = deps[name]
            if not isinstance(spec, str):
                if changes is not None:
                    changes.append(f'Removed invalid "{dep_type}.{name}"')
                del deps[name]
                continue
            hosted = from_url(spec)
            rendered = hosted.to_string() if hosted is not None else None
            if rendered and rendered != spec:
                if changes is not None:
                    changes.append(f'Normalized git reference to "{dep_type}.{name}"')
                deps[name] = rendered


def _extract_description(readme: str) -> str:
    lines = readme.strip().split("\n")
    start = 0
    while start < len(lines) and re.match(r"^(#|$)", lines[start].strip()):
        start += 1
    end = start + 1
    while end < len(lines) and lines[end].strip():
        end += 1
    return " ".join(lines[start:end]).strip()


def _is_email(text: str) -> bool:
    return "@" in text and text.index("@") < text.rfind(".")


def _person(person: JsonValue) -> JsonObject:
    if isinstance(person, dict):
        name = person.get("name") or ""
        url = person.get("url") or person.get("web")
        email = person.get("email") or person.get("mail")
        person = f"{_js(name)}{f' <{_js(email)}>' if email else ''}{f' ({_js(url)})' if url else ''}"
    text = _js(person) if person is not None else "null"
    parsed: JsonObject = {}
    name_match = re.match(r"^([^(<]+)", text)
    if name_match and name_match.group(0).strip():
        parsed["name"] = name_match.group(0).strip()
    email_match = re.search(r"<([^<>]+)>", text)
    if email_match:
        parsed["email"] = email_match.group(1)
    url_match = re.search(r"\(([^()]+)\)", text)
    if url_match:
        parsed["url"] = url_match.group(1)
    return parsed


def _normalize_data(data: JsonObject) -> None:
    """normalize-package-data's fixers as @npmcli/package-json runs them (no change notes)."""
    description = data.get("description")
    if description and not isinstance(description, str):
        del data["description"]
    readme = data.get("readme")
    if readme and not data.get("description") and readme != _NO_README:
        data["description"] = _extract_description(str(readme))
    data.pop("modules", None)
    files = data.get("files")
    if files and not isinstance(files, list):
        del data["files"]
    elif isinstance(files, list):
        data["files"] = [f for f in files if f and isinstance(f, str)]
    if isinstance(data.get("man"), str) and data["man"]:
        data["man"] = [data["man"]]
    repository = data.get("repository")
    repo_url = repository.get("url") if isinstance(repository, dict) else None
    bugs = data.get("bugs")
    if not bugs and repo_url:
        hosted = from_url(str(repo_url))
        if hosted is not None and hosted.bugs():
            data["bugs"] = {"url": hosted.bugs()}
    elif bugs:
        if isinstance(bugs, str):
            if _is_email(bugs):
                data["bugs"] = {"email": bugs}
            elif parse_url(bugs) is not None:
                data["bugs"] = {"url": bugs}
        else:
            old = dict(bugs) if isinstance(bugs, dict) else {}
            for key in [k for k in old if k in ("web", "name")]:
                old["url"] = old.pop(key)
            fixed: JsonObject = {}
            if old.get("url") and isinstance(old["url"], str) and parse_url(old["url"]) is not None:
                fixed["url"] = old["url"]
            if old.get("email") and isinstance(old["email"], str) and _is_email(old["email"]):
                fixed["email"] = old["email"]
            data["bugs"] = fixed
        current = data.get("bugs")
        if not isinstance(current, dict) or (not current.get("email") and not current.get("url")):
            del data["bugs"]
    keywords = data.get("keywords")
    if isinstance(keywords, str):
        keywords = data["keywords"] = re.split(r",\s+", keywords)
    if keywords and not isinstance(keywords, list):
        del data["keywords"]
    elif isinstance(keywords, list):
        data["keywords"] = [k for k in keywords if isinstance(k, str) and k]
    if data.get("bundledDependencies") and not data.get("bundleDependencies"):
        data["bundleDependencies"] = data.pop("bundledDependencies")
    bundled = data.get("bundleDependencies")
    if bundled and not isinstance(bundled, list):
        del data["bundleDependencies"]
    elif isinstance(bundled, list):
        kept: list[JsonValue] = []
        for item in bundled:
            if not item or not isinstance(item, str):
                continue
            deps = data.get("dependencies")
            if not isinstance(deps, dict):
                deps = data["dependencies"] = {}
            deps.setdefault(item, "*")
            kept.append(item)
        data["bundleDependencies"] = kept
    if not data.get("homepage") and repo_url:
        hosted = from_url(str(repo_url))
        if hosted is not None:
            data["homepage"] = hosted.docs()
    homepage = data.get("homepage")
    if homepage:
        if not isinstance(homepage, str):
            del data["homepage"]
        elif parse_url(homepage) is None:
            data["homepage"] = "http://" + homepage
    if not data.get("readme"):
        data["readme"] = _NO_README
    if data.get("author"):
        data["author"] = _person(data["author"])
    for key in ("maintainers", "contributors"):
        people = data.get(key)
        if isinstance(people, list):
            data[key] = [_person(p) for p in people]


def _bin_ref_warnings(data: JsonObject, folder: Path, pkg_id: str, warn: Warn | None) -> None:
    bins = data.get("bin")
    if warn is None or not isinstance(bins, dict):
        return
    for target in bins.values():
        if not os.path.exists(os.path.join(folder, str(target))):
            warn("warn", "package-json", pkg_id, f"No bin file found at {_js(target)}")


def _fix(raw: JsonObject, folder: Path, changes: list[str], warn: Warn | None) -> JsonObject:
    """PackageJson.fix(): binRefs, bundleDependencies, fixName, fixVersionField,
    fixRepositoryField, fixDependencies, scriptpath."""
    pkg_id = _pkg_id(raw)
    data = normalize(raw, steps=("binRefs",), path=folder, changes=changes)
    _bin_ref_warnings(data, folder, pkg_id, warn)
    fix_name(data, changes, warn, builtin_warning=True)
    _fix_version(data, changes)
    data = normalize(data, steps=_FIX_STEPS, changes=changes)
    _fix_repository(data, changes)
    _fix_dependencies(data, changes)
    return data


def prepared_manifest(content: JsonObject, folder: Path, warn: Warn | None) -> JsonObject:
    """PackageJson.prepare() on already-read content: the file steps, the pure steps, binRefs
    warnings, then normalizeData (name, version, repository, dependencies and the fixers)."""
    pkg_id = _pkg_id(content)
    data = normalize(content, steps=PREPARE_STEPS, path=folder)
    _bin_ref_warnings(data, folder, pkg_id, warn)
    fix_name(data, None, None, builtin_warning=False)
    _fix_version(data, None)
    _fix_repository(data, None)
    _fix_dependencies(data, None)
    _normalize_data(data)
    return data


def fixed_manifest(folder: Path, warn: Warn | None) -> PublishManifest:
    """`pkgJson.fix(folder, {changes})`: package.json with npm pkg fix's corrections, and their notes.

    publish logs the notes, then reads the result with `prepared_manifest` (npm's `pkg.prepare()`)."""
    raw = dict(read_package_json(folder).content)
    changes: list[str] = []
    fixed = _fix(raw, folder, changes, warn)
    return PublishManifest(fixed, tuple(changes))
