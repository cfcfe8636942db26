"""Which files of a package folder go into its tarball: a port of npm-packlist 10.0.4.

npm-packlist is a subclass of ignore-walk 8 whose rules are minimatch 10 globs
(`snpm.manifest.ignore_glob`). This module is the walk:

- rule sources per directory, in precedence order: npm's defaults (.git, .DS_Store, *.orig, …),
  `files` from package.json (root only), `.npmignore`, `.gitignore` (only when there is no
  .npmignore; no .npmignore/.gitignore at all when `files` is set) and the strict rules
  (package.json, README*, LICENSE*/LICENCE*, COPYING*, main, browser, bins always in;
  /.git, /node_modules, .npmrc and lockfiles always out);
- nested .npmignore/.gitignore files apply inside their directory, also under `files`;
- symlinks and anything not a file or directory are never packed, nor names containing `*`;
- bundled dependencies are walked from node_modules by node's resolution (only `package.json`
  and strict rules apply to a non-linked bundled package's top level);
- the output order is npm's "compressibility" sort: extension, then basename, then the path,
  each with `localeCompare(…, 'en')` (`snpm.ecmascript.collation`).

The manifest reading it relies on lives in `snpm.manifest.pack_manifest`; `read_manifest`,
`normalize_bins`, `normalize_bundle_dependencies` and `locale_compare_key` are re-exported here
for the callers that import them from this module. Pure apart from reading the package folder.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

import msgspec

from snpm.ecmascript.collation import locale_compare_key
from snpm.ecmascript.strings import trim
from snpm.ecmascript.values import to_string
from snpm.errors import SnpmError, from_os_error
from snpm.json_types import JsonObject, JsonValue
from snpm.manifest.ignore_glob import Glob, cached_glob
from snpm.manifest.pack_manifest import normalize_bins, normalize_bundle_dependencies, read_manifest

__all__ = [
    "locale_compare_key",
    "normalize_bins",
    "normalize_bundle_dependencies",
    "packlist",
    "read_manifest",
]

# npm-packlist's default rules, applied to everything except the top of a non-linked bundled dep.
DEFAULT_RULES: tuple[str, ...] = (
    ".npmignore",
    ".gitignore",
    "**/.git",
    "**/.svn",
    "**/.hg",
    "**/CVS",
    "**/.git/**",
    "**/.svn/**",
    "**/.hg/**",
    "**/CVS/**",
    "/.lock-wscript",
    "/.wafpickle-*",
    "/build/config.gypi",
    "npm-debug.log",
    "**/.npmrc",
    ".*.swp",
    ".DS_Store",
    "**/.DS_Store/**",
    "._*",
    "**/._*/**",
    "*.orig",
    "/archived-packages/**",
)
STRICT_DEFAULTS: tuple[str, ...] = ("/.git",)
# Synthetic rule-set names (ignore-walk keys rule sets by file name; NUL cannot be in one).
_DEFAULT_KEY = "\0default"
_STRICT_KEY = "\0strict"
_ROOT_IGNORE_FILES = (_DEFAULT_KEY, "package.json", ".npmignore", ".gitignore", _STRICT_KEY)
_CHILD_IGNORE_FILES = (_DEFAULT_KEY, ".npmignore", ".gitignore", _STRICT_KEY)


def _node_extname(base: str) -> str:
    idx = base.rfind(".")
    if idx <= 0 or base == "..":
        return ""
    return base[idx:]


def _pack_sort_key(path: str) -> tuple[object, ...]:
    """npm-packlist's sort: extension, then basename (both lowercased), then the whole path."""
    base = path.rstrip("/").rsplit("/", 1)[-1]
    return (
        locale_compare_key(_node_extname(base).lower()),
        locale_compare_key(base.lower()),
        locale_compare_key(path),
        path,
    )


class _Package(msgspec.Struct):
    """What npm-packlist needs of an arborist node: where it is and its package.json."""

    path: str  # where it is reached (a link's own location for linked deps)
    realpath: str
    manifest: JsonObject
    is_root: bool = False
    is_link: bool = False
    workspaces: tuple[str, ...] = ()

    def edge_type(self, name: str) -> str | None:
        """arborist Node#loadDeps: peer, then prod, then optional, then dev (top only); last wins."""
        kind: str | None = None
        peer = self.manifest.get("peerDependencies")
        if isinstance(peer, dict) and name in peer:
            kind = "peer"
        for group, label in (("dependencies", "prod"), ("optionalDependencies", "optional")):
            deps = self.manifest.get(group)
            if isinstance(deps, dict) and name in deps:
                kind = label
        dev = self.manifest.get("devDependencies")
        if self.is_root and isinstance(dev, dict) and name in dev:
            kind = "dev"
        return kind

    def resolve(self, name: str, top: str) -> _Package | None:
        """Node's module resolution from this package upwards, staying inside `top`."""
        start = self.realpath if self.is_link else self.path
        current = start
        while True:
            candidate = posixpath.join(current, "node_modules", name)
            if os.path.isdir(candidate):
                real = os.path.realpath(candidate).replace("\\", "/")
                try:
                    manifest = read_manifest(Path(candidate))
                except SnpmError:
                    manifest = {}
                return _Package(candidate, real, manifest, is_link=os.path.islink(candidate))
            if current == top or not current.startswith(top + "/"):
                return None
            # climb out of node_modules (and a scope folder) to the package that holds it
            current = posixpath.dirname(current)
            while posixpath.basename(current) == "node_modules" or (
                posixpath.basename(current).startswith("@")
                and posixpath.basename(posixpath.dirname(current)) == "node_modules"
            ):
                current = posixpath.dirname(current)


class _Context(msgspec.Struct):
    """Shared by every walker of one packlist() call (npm-packlist passes `seen` along)."""

    top: str  # the package being packed; dependency resolution never leaves it
    seen: set[str]
    warnings: list[str] | None


class _Walker:
    """One directory of the walk; `parent` chains rule evaluation up to the package root."""

    def __init__(
        self,
        package: _Package,
        path: str,
        *,
        context: _Context,
        parent: _Walker | None = None,
        ignore_files: Sequence[str] = _ROOT_IGNORE_FILES,
        is_package: bool = False,
        required_files: Sequence[str] = (),
        exact: bool | None = None,
        extra_defaults: Sequence[str] = (),
    ) -> None:
        self.package = package
        self.path = path
        self.basename = posixpath.basename(path)
        self.context = context
        self.parent = parent
        self.root: str = parent.root if parent else path
        self.result: dict[str, None] = parent.result if parent else {}
        self.ignore_files = tuple(ignore_files)
        self.is_package = is_package
        self.required_files = list(required_files)
        self.exact = exact
        self.rules: dict[str, list[Glob] | None] = {}
        self._inject(_DEFAULT_KEY, [*DEFAULT_RULES, *extra_defaults])
        if not is_package:
            self._inject(_STRICT_KEY, [*STRICT_DEFAULTS, *(f"!{f}" for f in self.required_files)])

    def _inject(self, key: str, rules: Iterable[str]) -> None:
        self._on_read_ignore_file(key, "\n".join(rules) + "\n")

    def _on_read_ignore_file(self, key: str, data: str) -> None:
        lines = (trim(line) for line in re.split(r"\r?\n", data))
        self.rules[key] = [cached_glob(line) for line in lines if line and not line.startswith("#")]

    def walk(self) -> None:
        try:
            entries = sorted(os.listdir(self.path))
        except OSError as err:
            raise from_os_error(err, "scandir") from err
        if not entries:
            return
        for entry in entries:
            if entry in self.ignore_files:
                self._add_ignore_file(entry)
        self._filter_entries(entries)

    def _add_ignore_file(self, name: str) -> None:
        if name == "package.json" and self.is_package:
            self._process_package()
            return
        full = f"{self.path}/{name}"
        try:
            with open(full, encoding="utf-8", errors="replace") as handle:
                data = handle.read()
        except OSError as err:
            raise from_os_error(err, "open") from err
        self._on_read_ignore_file(name, data)

    def _process_package(self) -> None:
        manifest = self.package.manifest
        ignores: list[str] = []
        strict = [
            *STRICT_DEFAULTS,
            "!/package.json",
            "!/readme{,.*[^~$]}",
            "!/copying{,.*[^~$]}",
            "!/license{,.*[^~$]}",
            "!/licence{,.*[^~$]}",
            "/.git",
            "/node_modules",
            ".npmrc",
            "/package-lock.json",
            "/yarn.lock",
            "/pnpm-lock.yaml",
            "/bun.lockb",
        ]
        files = manifest.get("files")
        if files is not None and files is not False and files != "" and files != 0:
            items: Iterable[JsonValue] = files if isinstance(files, (list, str)) else ()
            for item in items:
                if not isinstance(item, str):
                    continue
                file = item[1:] if item.startswith("./") else item
                if file.endswith("/*"):
                    file += "*"
                inverse = f"!{file}"
                # node's path.join: a leading "/" in the entry does not make it absolute
                target = posixpath.normpath(f"{self.path}/{file.lstrip('!')}")
                try:
                    st = os.lstat(target)
                except OSError:
                    ignores.append(inverse)
                    continue
                if stat.S_ISREG(st.st_mode):
                    strict.insert(0, inverse)
                    self.required_files.append(file[1:] if file.startswith("/") else file)
                elif stat.S_ISDIR(st.st_mode):
                    ignores.extend((inverse, f"{inverse}/**"))
            self._inject("package.json", ["*", *ignores])
        browser = manifest.get("browser")
        if browser:
            strict.append(f"!/{to_string(browser)}")
        main = manifest.get("main")
        if main:
            strict.append(f"!/{to_string(main)}")
        for target in normalize_bins(manifest, Path(self.package.realpath)).values():
            strict.append(f"!/{target}")
        self._inject(_STRICT_KEY, strict)

    def _filter_entries(self, entries: list[str]) -> None:
        rules = self.rules
        if rules.get("package.json") is not None:
            rules[".npmignore"] = None
            rules[".gitignore"] = None
        elif rules.get(".npmignore") is not None:
            rules[".gitignore"] = None
        elif (
            rules.get(".gitignore") is not None and self.parent is None and self.context.warnings is not None
        ):
            self.context.warnings.append(
                "gitignore-fallback No .npmignore file found, using .gitignore for file exclusion. "
                "Consider creating a .npmignore file to explicitly control published files."
            )
        for entry in entries:
            pass_file = self.filter_entry(entry)
            pass_dir = self.filter_entry(entry, partial=True)
            if not (pass_file or pass_dir):
                continue
            if "*" in entry:  # npm-packlist: a name node-tar cannot write on Windows
                continue
            full = f"{self.path}/{entry}"
            try:
                st = os.lstat(full)
            except OSError as err:
                raise from_os_error(err, "lstat") from err
            if stat.S_ISREG(st.st_mode):
                if pass_file:
                    self.result[full[len(self.root) + 1 :]] = None
            elif stat.S_ISDIR(st.st_mode) and pass_dir:
                exact = pass_file or self.filter_entry(entry + "/")
                self._child(entry, exact).walk()

    def _child(self, entry: str, exact: bool) -> _Walker:
        if self.package.workspaces:
            # npm-packlist: with workspaces every subfolder (workspace or not) is walked with
            # the root's rule files, so a nested package.json is read as an ignore file.
            ignore_files: Sequence[str] = _ROOT_IGNORE_FILES
        else:
            ignore_files = _CHILD_IGNORE_FILES
        required = [
            posixpath.basename(norm)
            for f in self.required_files
            if posixpath.dirname(norm := posixpath.normpath(f)) == posixpath.normpath(entry)
        ]
        return _Walker(
            self.package,
            f"{self.path}/{entry}",
            context=self.context,
            parent=self,
            ignore_files=ignore_files,
            required_files=required,
            exact=exact,
        )

    def filter_entry(self, entry: str, partial: bool = False, entry_basename: str | None = None) -> bool:
        included = True
        if self.parent is not None:
            included = self.parent.filter_entry(f"{self.basename}/{entry}", partial, entry_basename or entry)
            if not included and not self.exact:
                return False
        lowered = entry.lower()
        for key in self.ignore_files:
            rules = self.rules.get(key)
            if not rules:
                continue
            for rule in rules:
                if rule.negate == included:
                    continue
                # Every form tried below is `entry` or a piece of it plus slashes, and a
                # non-negated rule is only matched whole: skip it when its text is absent.
                if not rule.negate and rule.required and rule.required not in lowered:
                    continue
                if _rule_matches(rule, entry, partial, entry_basename):
                    included = rule.negate
        return included

    def finish(self) -> list[str]:
        """npm-packlist's done: gather bundled deps, then sort (names starting "@" get "./")."""
        if self.is_package:
            self._gather_bundles()
        listed = [f"./{p}" if p.startswith("@") else p for p in self.result]
        return sorted(listed, key=_pack_sort_key)

    def _gather_bundles(self) -> None:
        key = self.package.realpath
        if key in self.context.seen:
            return
        self.context.seen.add(key)
        manifest = self.package.manifest
        if self.package.is_root:
            to_bundle = normalize_bundle_dependencies(manifest)
        else:
            to_bundle = [
                name
                for group in ("dependencies", "optionalDependencies")
                if isinstance(deps := manifest.get(group), dict)
                for name in deps
            ]
        top = self.context.top
        for dep in to_bundle:
            kind = self.package.edge_type(dep)
            if kind not in ("prod", "optional"):
                continue
            node = self.package.resolve(dep, top)
            if node is None:
                continue
            ignore_files: list[str] = []
            if node.is_link:
                ignore_files.append(_DEFAULT_KEY)
            ignore_files.append("package.json")
            if node.is_link:
                ignore_files += [".npmignore", ".gitignore"]
            ignore_files.append(_STRICT_KEY)
            walker = _Walker(
                node, node.path, context=self.context, ignore_files=ignore_files, is_package=True
            )
            walker.walk()
            relative_from = posixpath.relpath(walker.path, self.root)
            for file in walker.finish():
                self.result[posixpath.normpath(posixpath.join(relative_from, file))] = None


def _rule_matches(rule: Glob, entry: str, partial: bool, entry_basename: str | None) -> bool:
    """ignore-walk's filterEntry match: /entry, entry, then the partial and basename forms."""
    if rule.match("/" + entry) or rule.match(entry):
        return True
    if not partial:
        return False
    if rule.match("/" + entry + "/") or rule.match(entry + "/"):
        return True
    if rule.negate and (rule.match("/" + entry, True) or rule.match(entry, True)):
        return True
    is_relative = bool(entry_basename) and any(
        len(part) <= (1 if part[-1] else 2) for part in rule.glob_parts
    )
    if not is_relative or entry_basename is None:
        return False
    if rule.match("/" + entry_basename + "/") or rule.match(entry_basename + "/"):
        return True
    return rule.negate and (rule.match("/" + entry_basename, True) or rule.match(entry_basename, True))


def _workspace_dirs(root: str, manifest: JsonObject) -> tuple[str, ...]:
    """@npmcli/map-workspaces, simplified: folders matching `workspaces` that hold a package.json."""
    spec = manifest.get("workspaces")
    patterns: list[str] = []
    if isinstance(spec, list):
        patterns = [p for p in spec if isinstance(p, str)]
    elif isinstance(spec, dict) and isinstance(spec.get("packages"), list):
        patterns = [p for p in spec["packages"] if isinstance(p, str)]  # type: ignore[union-attr]
    if not patterns:
        return ()
    globs = [Glob(posixpath.normpath(p.strip("/")), nocase=False, match_base=False) for p in patterns]
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "node_modules" and not d.startswith("."))
        rel = posixpath.relpath(dirpath.replace("\\", "/"), root)
        if rel == "." or "package.json" not in filenames:
            continue
        if any(g.match(rel) for g in globs if not g.negate) and not any(
            g.match(rel) for g in globs if g.negate
        ):
            found.append(f"{root}/{rel}")
    return tuple(found)


def _out_of_tree_ignores(root: str, rel: str) -> list[str]:
    """npm-packlist readOutOfTreeIgnoreFiles: ignore files between the workspace root and a workspace."""
    result: list[str] = []
    while True:
        for name in (".npmignore", ".gitignore"):
            try:
                with open(posixpath.join(root, name), encoding="utf-8") as handle:
                    result.append(handle.read())
                break
            except FileNotFoundError:
                continue
            except OSError as err:
                raise from_os_error(err, "open") from err
        if not rel or rel == ".":
            return result
        first = rel.split("/", 1)[0]
        new_root = posixpath.join(root, first)
        rel = posixpath.relpath(posixpath.join(root, rel), new_root)
        root = new_root


def packlist(
    directory: Path,
    manifest: JsonObject | None = None,
    *,
    prefix: Path | None = None,
    workspaces: Collection[Path] | None = None,
    warnings: list[str] | None = None,
) -> list[str]:
    """The files `npm pack` puts in the tarball: posix paths relative to `directory`, npm's order.

    `prefix` and `workspaces` are npm's --prefix and the selected workspace folders (npm pack
    -w): packing a workspace then also honours ignore files between the root and the workspace.
    """
    root = os.path.abspath(os.fspath(directory)).replace("\\", "/")
    if manifest is None:
        manifest = read_manifest(Path(root))
    package = _Package(
        path=root,
        realpath=root,
        manifest=manifest,
        is_root=True,
        workspaces=_workspace_dirs(root, manifest),
    )
    extra: list[str] = []
    if prefix is not None and workspaces:
        prefix_path = os.path.abspath(os.fspath(prefix)).replace("\\", "/")
        workspace_paths = [os.path.abspath(os.fspath(w)).replace("\\", "/") for w in workspaces]
        if root != prefix_path and root in workspace_paths:
            rel = posixpath.relpath(posixpath.dirname(root), prefix_path)
            extra += _out_of_tree_ignores(prefix_path, "" if rel == "." else rel)
        elif root == prefix_path:
            extra += [posixpath.relpath(w, root) for w in workspace_paths]
    context = _Context(top=root, seen=set(), warnings=warnings)
    walker = _Walker(package, root, context=context, is_package=True, extra_defaults=extra)
    walker.walk()
    return walker.finish()
