"""git specs: pacote's GitFetcher over `snpm.git`.

Resolving: the committish (`#v1.0.0`, `#main`, a sha, `#semver:^1` picked from the version-like
tags with npm-pick-manifest, or HEAD) is looked up in `git ls-remote` (hosted repositories over
https first, then ssh unless the URL carries auth). A ref ls-remote does not advertise (`HEAD~1`)
needs a full clone to resolve. A full 40–64 hex committish needs no lookup at all.

What is recorded, exactly as pacote: `_from` is the hosted shortcut with the committish
(`github:u/r#v1`) or the spec's saveSpec; `_resolved` is `git+ssh://git@github.com/u/r.git#<sha>`
for hosted repositories (`git+https://…` when the URL has credentials) and the spec with its
committish replaced by the sha otherwise (a `::path:` part is dropped, as pacote's addGitSha does).
No `_integrity`: npm records none for git dependencies (npm/rfcs#525), and a caller's is ignored
with pacote's warning.

Getting the files: a hosted repository at a known sha comes as the host's tarball (hosted-git-info's
`tarball()`, codeload-style), downloaded through the registry client and its HTTP cache; an HTTP
error there falls back to cloning, as pacote does. Other repositories are cloned at the sha. The
package tarball is the checkout (or its `#path:` subfolder) packed like `npm pack`, after the
lifecycle engine's prepare hook ran when the package needs preparing (install scripts, prepare,
prepack, build, or workspaces: pacote runs `npm install --force` there). Its bytes are indexed as
`pacote:tarball:<from>`; when `from` pins a sha, a later run finds the packed tarball through that
entry and needs neither git nor the network.
"""

from __future__ import annotations

import re
from pathlib import Path

import msgspec.structs

from snpm.cache import index
from snpm.errors import HttpError, SnpmError
from snpm.fetch.base import ResolvedManifest
from snpm.fetch.context import FetchContext
from snpm.fetch.directory import read_folder_manifest
from snpm.fetch.pick_manifest import PickOptions, pick_manifest
from snpm.fetch.remote import RemoteFetcher
from snpm.fetch.store import empty_folder
from snpm.fetch.tarballs import Tarball, tarball_cache_key, tarball_stream
from snpm.git import GitPathspecError, RevDoc, Revs, resolve_ref
from snpm.json_types import JsonObject
from snpm.spec import GitSpec, HostedGit, parse_spec
from snpm.tarball import extract, pack_directory

__all__ = ["GitFetcher", "add_git_sha", "needs_git_prepare", "repo_url"]

_FULL_SHA = re.compile(r"^[a-f0-9]{40,64}$")
_GIT_PLUS = re.compile(r"^(git\+)+")
_PREPARE_SCRIPTS = ("postinstall", "build", "preinstall", "install", "prepack", "prepare")


def _add_git_plus(url: str | None) -> str | None:
    return _GIT_PLUS.sub("git+", f"git+{url}") if url else None


def repo_url(hosted: HostedGit, *, no_committish: bool = False) -> str | None:
    """pacote's repoUrl: the ssh URL unless the https one carries auth (ssh would drop it)."""
    if not hosted.auth:
        ssh = _add_git_plus(hosted.sshurl(no_committish=no_committish))
        if ssh:
            return ssh
    return _add_git_plus(hosted.https(no_committish=no_committish))


def add_git_sha(spec: GitSpec, sha: str) -> str:
    """pacote's addGitSha: the spec as written, with its committish replaced by `sha`."""
    hosted = spec.hosted
    if hosted is not None:
        base = hosted.https(no_committish=True) if hosted.auth else hosted.shortcut(no_committish=True)
        return f"{base}#{sha}"
    return f"{spec.raw_spec.partition('#')[0]}#{sha}"


def needs_git_prepare(manifest: JsonObject) -> bool:
    """GitFetcher#prepareDir's condition for installing the clone's dependencies before packing."""
    scripts = manifest.get("scripts")
    has_script = isinstance(scripts, dict) and any(scripts.get(s) for s in _PREPARE_SCRIPTS)
    return bool(manifest.get("workspaces")) or has_script


def _revs_packument(revs: Revs) -> JsonObject:
    # pacote's resolution of a git range goes through @npmcli/git's clone(), which hands
    # npm-pick-manifest the revs document without a name: npm's ETARGET says "undefined@<range>"
    return {
        "name": "undefined",
        "dist-tags": dict(revs.dist_tags),
        "versions": {
            version: {"sha": doc.sha, "ref": doc.ref, "rawRef": doc.raw_ref, "type": doc.type}
            for version, doc in revs.versions.items()
        },
    }


class GitFetcher:
    cache_fetches = True
    may_prepare = True  # runs the prepare hook, which may fetch (and need a slot) itself

    def __init__(
        self,
        ctx: FetchContext,
        spec: GitSpec,
        *,
        resolved: str | None = None,
        integrity: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.spec = spec
        self.hosted = spec.hosted
        if integrity:
            ctx.emit("warn", "", f"skipping integrity check for git dependency {spec.fetch_spec}")
        shortcut = self.hosted.shortcut(no_committish=False) if self.hosted is not None else None
        self.from_spec = shortcut or spec.save_spec
        self.resolved = resolved or None
        self.resolved_sha = ""
        committish = spec.git_committish or ""
        if _FULL_SHA.match(committish):
            self.resolved_sha = committish
            self.resolved = (repo_url(self.hosted) if self.hosted is not None else None) or spec.raw_spec
        elif self.resolved:
            # a lockfile's resolved pins the commit (pacote would check out the committish again)
            pinned = self.resolved.rpartition("#")[2]
            self.resolved_sha = pinned if _FULL_SHA.match(pinned) else ""
        self._folder: Path | None = None
        self._manifest: ResolvedManifest | None = None
        self._tarball: Tarball | None = None

    # ── resolving ──

    def _remotes(self) -> list[str]:
        """The URLs to try, in pacote's order."""
        if self.hosted is None:
            return [self.spec.fetch_spec or ""]
        urls = [self.hosted.https(no_committish=True)]
        if not self.hosted.auth:
            urls.append(self.hosted.sshurl(no_committish=True))
        return [u for u in urls if u]

    async def _revs(self) -> tuple[str, Revs]:
        remotes = self._remotes()
        for number, remote in enumerate(remotes):
            try:
                return remote, await self.ctx.git.revs(remote)
            except SnpmError as err:
                if isinstance(err, GitPathspecError) or number == len(remotes) - 1:
                    raise
        raise SnpmError(f"No git url for {self.spec}")

    def _pick(self, revs: Revs) -> RevDoc | None:
        if self.resolved_sha:
            return resolve_ref(revs, self.resolved_sha)
        if self.spec.git_range:
            picked = pick_manifest(
                _revs_packument(revs),
                self.spec.git_range,
                PickOptions(default_tag=self.ctx.options.default_tag, before_ms=self.ctx.options.before_ms),
            ).manifest
            return RevDoc(
                sha=str(picked["sha"]),
                ref=str(picked["ref"]),
                raw_ref=str(picked["rawRef"]),
                type=str(picked["type"]),
            )
        return resolve_ref(revs, self.spec.git_committish)

    def _set_sha(self, sha: str) -> None:
        self.resolved_sha = sha
        with_sha = add_git_sha(self.spec, sha)
        if self.hosted is None:
            self.resolved = with_sha
            return
        hosted = parse_spec(with_sha)
        url = repo_url(hosted.hosted) if isinstance(hosted, GitSpec) and hosted.hosted is not None else None
        self.resolved = url or with_sha

    async def _resolve_by_revs(self) -> bool:
        """Find the commit in ls-remote's answer; False when the ref is not advertised there."""
        _, revs = await self._revs()
        doc = self._pick(revs)
        if doc is None:
            return False
        self._set_sha(doc.sha)
        return True

    async def resolve(self) -> str:
        """`_resolved`: from the spec or the caller when they pin a commit, else ls-remote, else a clone."""
        if not self.resolved_sha:
            if not await self._resolve_by_revs():
                await self._checkout()
        elif not self.resolved:
            self._set_sha(self.resolved_sha)
        return self.resolved or ""

    # ── files ──

    def _hosted_tarball_url(self) -> str | None:
        if self.hosted is None or not self.resolved_sha:
            return None
        return msgspec.structs.replace(self.hosted, committish=self.resolved_sha).tarball()

    async def _checkout(self) -> Path:
        """The repository's files at the resolved commit, in a folder of this run."""
        if self._folder is not None:
            return self._folder
        if not self.resolved_sha:
            await self._resolve_by_revs()
        elif not self.resolved:
            self._set_sha(self.resolved_sha)
        target = self.ctx.temp_dir("git-clone")
        url = self._hosted_tarball_url()
        if url is None or not await self._download_hosted(url, target):
            await self._clone(target)
        self._folder = Path(f"{target}{self.spec.git_subdir or ''}")
        return self._folder

    async def _download_hosted(self, url: str, target: Path) -> bool:
        name_at = f"{self.spec.name}@" if self.spec.name else ""
        remote = RemoteFetcher(self.ctx, url, pkgid=f"git:{name_at}{self.resolved}", label=str(self.spec))
        try:
            data, _ = await remote.download(None)
        except HttpError:
            return False  # pacote falls back to a clone when the host answers with an HTTP error
        await self.ctx.cpu(extract, data, target, umask=self.ctx.options.umask, allow_gitignore=True)
        return True

    async def _clone(self, target: Path) -> None:
        remotes = self._remotes()
        ref = self.resolved_sha or self.spec.git_committish
        sha = ""
        for number, remote in enumerate(remotes):
            try:
                revs = await self.ctx.git.revs(remote)
                doc = self._pick(revs)
                sha = await self.ctx.git.clone(remote, ref, target, rev_doc=doc)
                break
            except SnpmError as err:
                if isinstance(err, GitPathspecError) or number == len(remotes) - 1:
                    raise
                await self.ctx.cpu(empty_folder, target)  # a failed clone may leave files behind
        if self.resolved_sha and self.resolved_sha != sha:
            raise SnpmError(
                f"Commit mismatch: expected SHA {self.resolved_sha} and cloned HEAD {sha}",
                code="EGITCHECKOUT",
                extra={"sha": self.resolved_sha, "head": sha},
            )
        if not self.resolved:
            self._set_sha(sha)
        self.resolved_sha = sha

    # ── pacote's API ──

    async def manifest(self) -> ResolvedManifest:
        if self._manifest is None:
            folder = await self._checkout()
            mani = await self.ctx.cpu(read_folder_manifest, folder)
            mani.update(_resolved=self.resolved, _from=self.from_spec)
            self._manifest = ResolvedManifest(mani, self.resolved, None, self.from_spec)
        return self._manifest

    @property
    def integrity(self) -> str | None:
        """The integrity of this commit's packed tarball from an earlier run, when `from` pins a sha
        (pacote checks no integrity for git; this only lets the store and the cache answer)."""
        if self._tarball is not None:
            return self._tarball.integrity
        if self.ctx.cache_dir is None or not _FULL_SHA.match(self.spec.git_committish or ""):
            return None
        entry = index.find(self.ctx.cache_dir, tarball_cache_key(self.from_spec))
        return entry.integrity if entry is not None else None

    async def _prepare_and_pack(self, expected: str | None) -> tuple[bytes, str | None]:
        folder = await self._checkout()
        manifest = await self.ctx.cpu(read_folder_manifest, folder)
        if self.ctx.prepare is not None and needs_git_prepare(manifest):
            # `_resolved` names the repository for the prepare chain (`_PACOTE_NO_PREPARE_`)
            await self.ctx.prepare(folder, {**manifest, "_resolved": self.resolved}, kind="git")
        packed = await self.ctx.cpu(pack_directory, folder)
        return packed.tarball, str(packed.integrity)

    async def tarball(self) -> Tarball:
        if self._tarball is None:
            known = self.integrity
            await self.resolve()
            self._tarball = await tarball_stream(
                self.ctx,
                label=str(self.spec),
                from_spec=self.from_spec,
                integrity=known,
                resolved=self.resolved,
                from_resolved=self._prepare_and_pack,
                cache_fetches=self.cache_fetches,
            )
        return self._tarball
