"""git as a subprocess, the way @npmcli/git 7 drives it: ls-remote → refs, and clone at a committish.

- `lines_to_revs`: `git ls-remote` output → `Revs`, a packument-like view of a repository's refs
  (lines-to-revs.js): tags that look like versions (`v1.2.3`, `release-1.2.3`) become `versions`,
  annotated tags are peeled to the commit they point at, `dist-tags.latest` is the version on the
  `latest` branch, else on HEAD. `#semver:` ranges are picked from it by the caller (snpm.fetch.git
  uses npm-pick-manifest's rules, which live a layer up).
- `Git.revs(repo)`: ls-remote, cached per `Git` for the run; concurrent requests share one process
  (@npmcli/git keeps a 5-minute LRU per process).
- `Git.clone(repo, ref, target, rev_doc=...)`: clone.js's four strategies. A ref that is HEAD's commit
  is a plain clone, a tag or branch a `clone -b`, another advertised ref (`pull/1`) an init + fetch
  + checkout, and a ref ls-remote does not list (`HEAD~1`, a short sha) a `--mirror` clone + checkout.
  Shallow (`--depth=1`) only for github, gitlab and bitbucket, as @npmcli/git decides.

Every command runs as `git --no-replace-objects …` with GIT_ASKPASS=echo and an ssh command that
accepts new host keys, unless the user's environment or ~/.gitconfig already sets them (opts.js).
Failures become GitError subclasses with @npmcli/git's messages and the exit status as `code`
(npm prints `code 128` / `An unknown git error occurred`); connection errors are retried.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

from snpm import semver
from snpm.errors import SnpmError

__all__ = [
    "Git",
    "GitConnectionError",
    "GitError",
    "GitPathspecError",
    "GitUnknownError",
    "RevDoc",
    "Revs",
    "git_env",
    "lines_to_revs",
    "resolve_ref",
]

# hosts @npmcli/git trusts with shallow clones (a failed shallow fetch costs more than a full one)
_SHALLOW_HOSTS = frozenset({"github.com", "gist.github.com", "gitlab.com", "bitbucket.com", "bitbucket.org"})
_TAG_VERSION = re.compile(r"v?(\d+\.\d+\.\d+(?:[-+].+)?)$")
_CONNECTION_ERROR = re.compile(
    "|".join(
        (
            "remote error: Internal Server Error",
            "The remote end hung up unexpectedly",
            "Connection timed out",
            "Operation timed out",
            "Failed to connect to .* Timed out",
            "Connection reset by peer",
            "SSL_ERROR_SYSCALL",
            "The requested URL returned error: 503",
        )
    )
)
_MISSING_PATHSPEC = re.compile(r"pathspec .* did not match any file\(s\) known to git")
_MAX_TRIES = 3  # GitConnectionError.shouldRetry: attempt number < 3


class GitError(SnpmError):
    """A failed git command. `code` is the exit status (or the signal name), like promise-spawn's."""

    name = "GitError"
    default_message = "A git error occurred"

    def __init__(self, *, status: int | str | None, args: Sequence[str], stdout: str, stderr: str) -> None:
        super().__init__(
            self.default_message,
            code=status,
            extra={"cmd": "git", "args": list(args), "stdout": stdout, "stderr": stderr, "status": status},
        )
        self.args_list = list(args)
        self.stdout = stdout
        self.stderr = stderr

    def should_retry(self, attempt: int) -> bool:
        return False


class GitConnectionError(GitError):
    name = "GitConnectionError"
    default_message = "A git connection error occurred"

    def should_retry(self, attempt: int) -> bool:
        return attempt < _MAX_TRIES


class GitPathspecError(GitError):
    name = "GitPathspecError"
    default_message = "The git reference could not be found"


class GitUnknownError(GitError):
    name = "GitUnknownError"
    default_message = "An unknown git error occurred"


def _make_error(status: int | str | None, args: Sequence[str], stdout: str, stderr: str) -> GitError:
    """make-error.js: the class is chosen from what git printed on stderr."""
    if _CONNECTION_ERROR.search(stderr):
        return GitConnectionError(status=status, args=args, stdout=stdout, stderr=stderr)
    if _MISSING_PATHSPEC.search(stderr):
        return GitPathspecError(status=status, args=args, stdout=stdout, stderr=stderr)
    return GitUnknownError(status=status, args=args, stdout=stdout, stderr=stderr)


# ── refs ──────────────────────────────────────────────────────────────────────────────────────────


class RevDoc(msgspec.Struct, frozen=True):
    """One advertised ref: `ref` is the short name (`v1.0.0`, `main`, `pull/1`, `HEAD`)."""

    sha: str
    ref: str
    raw_ref: str
    type: str  # tag, branch, pull, head, other


class Revs(msgspec.Struct, frozen=True):
    """lines-to-revs.js's document: `refs` by short and raw name, `shas` → ref names, `versions` from
    version-like tags, and `dist_tags` (latest, HEAD)."""

    versions: Mapping[str, RevDoc] = msgspec.field(default_factory=dict)
    dist_tags: Mapping[str, str] = msgspec.field(default_factory=dict)
    refs: Mapping[str, RevDoc] = msgspec.field(default_factory=dict)
    shas: Mapping[str, tuple[str, ...]] = msgspec.field(default_factory=dict)

    @property
    def head(self) -> RevDoc | None:
        return self.refs.get("HEAD")


def _ref_type(raw_ref: str) -> str:
    if raw_ref.startswith("refs/tags/"):
        return "tag"
    if raw_ref.startswith("refs/heads/"):
        return "branch"
    if raw_ref.startswith("refs/pull/"):
        return "pull"
    return "head" if raw_ref == "HEAD" else "other"


def _short_ref(raw_ref: str, kind: str) -> str:
    if kind == "tag":
        return raw_ref[len("refs/tags/") :]
    if kind == "branch":
        return raw_ref[len("refs/heads/") :]
    if kind == "pull":
        short = raw_ref[len("refs/") :]
        return short[: -len("/head")] if short.endswith("/head") else short
    return "HEAD" if kind == "head" else raw_ref


def lines_to_revs(lines: Sequence[str]) -> Revs:
    """Parse `git ls-remote` lines (`<sha>\\t<ref>`) into a Revs document."""
    # Mutable records first: peeling changes a tag's sha wherever the record is referenced.
    refs: dict[str, list[str]] = {}
    versions: dict[str, list[str]] = {}
    for line in lines:
        parts = line.split()[:2]
        if len(parts) < 2:
            continue
        sha, raw_ref = parts
        kind = _ref_type(raw_ref)
        ref = _short_ref(raw_ref, kind)
        doc = [sha, ref, raw_ref, kind]
        refs[ref] = doc
        refs[raw_ref] = doc
        if kind == "tag" and not ref.endswith("^{}"):
            match = _TAG_VERSION.search(ref)
            if match and semver.valid(match.group(1), loose=True):
                cleaned = semver.clean(match.group(1), loose=True)
                if cleaned is not None:
                    versions[cleaned] = doc
    for name in [n for n in refs if n.endswith("^{}")]:
        unpeeled = refs.get(name[:-3])
        if unpeeled is not None:
            unpeeled[0] = refs[name][0]
            del refs[name]
    frozen: dict[int, RevDoc] = {}

    def freeze(doc: list[str]) -> RevDoc:
        key = id(doc)
        if key not in frozen:
            frozen[key] = RevDoc(sha=doc[0], ref=doc[1], raw_ref=doc[2], type=doc[3])
        return frozen[key]

    out_refs = {name: freeze(doc) for name, doc in refs.items()}
    shas: dict[str, list[str]] = {}
    for name, rev in out_refs.items():
        shas.setdefault(rev.sha, []).append(name)
    out_versions = {ver: freeze(doc) for ver, doc in versions.items()}
    dist_tags: dict[str, str] = {}
    head = out_refs.get("HEAD")
    latest = out_refs.get("latest")
    for ver, rev in out_versions.items():
        if latest is not None and rev.sha == latest.sha:
            dist_tags["latest"] = ver
        elif head is not None and rev.sha == head.sha:
            dist_tags["HEAD"] = ver
            if latest is None:
                dist_tags["latest"] = ver
    return Revs(
        versions=out_versions,
        dist_tags=dist_tags,
        refs=out_refs,
        shas={sha: tuple(names) for sha, names in shas.items()},
    )


def resolve_ref(revs: Revs, ref: str | None) -> RevDoc | None:
    """clone.js resolveRef without a range: HEAD for no ref, a ref by name, or a full sha's first ref."""
    if not ref:
        return revs.head
    if ref in revs.refs:
        return revs.refs[ref]
    names = revs.shas.get(ref)
    return revs.refs[names[0]] if names else None


# ── environment ───────────────────────────────────────────────────────────────────────────────────

_GITCONFIG_KEY = re.compile(r"^\s*([A-Za-z][A-Za-z0-9-]*)\s*(=|$)")
_GITCONFIG_SECTION = re.compile(r"^\s*\[\s*([^\]\s\"]+)")


def _gitconfig_core_keys(home: str | None) -> set[str]:
    """The `[core]` keys of ~/.gitconfig, lower-cased (opts.js reads it with ini)."""
    if not home:
        return set()
    try:
        text = Path(home, ".gitconfig").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    keys: set[str] = set()
    section = ""
    for line in text.splitlines():
        header = _GITCONFIG_SECTION.match(line)
        if header:
            section = header.group(1).lower()
            continue
        key = _GITCONFIG_KEY.match(line)
        if key and section == "core":
            keys.add(key.group(1).lower())
    return keys


def git_env(environ: Mapping[str, str]) -> dict[str, str]:
    """opts.js: the environment git runs in. Prompts are answered by `echo` and new ssh host keys are
    accepted, unless the user configured their own askpass / ssh command."""
    core = _gitconfig_core_keys(environ.get("HOME"))
    defaults: dict[str, str] = {}
    if "GIT_ASKPASS" not in environ and "askpass" not in core:
        defaults["GIT_ASKPASS"] = "echo"
    if "GIT_SSH_COMMAND" not in environ and "sshcommand" not in core:
        defaults["GIT_SSH_COMMAND"] = "ssh -oStrictHostKeyChecking=accept-new"
    return {**defaults, **environ}


# ── the runner ────────────────────────────────────────────────────────────────────────────────────


def _retry_delays(retries: int, factor: float, min_ms: int, max_ms: int) -> list[float]:
    return [min(min_ms * factor**i, max_ms) / 1000 for i in range(retries)]


class Git:
    """Runs git for one snpm process. `max_processes` bounds concurrent git children."""

    def __init__(
        self,
        *,
        git: str = "git",
        env: Mapping[str, str] | None = None,
        shallow: bool | None = None,
        retries: int = 2,
        retry_factor: float = 10,
        retry_min_ms: int = 1000,
        retry_max_ms: int = 60_000,
        max_processes: int = 8,
    ) -> None:
        self._git = git
        self._env = git_env(os.environ if env is None else env)
        self._shallow = shallow
        self._delays = _retry_delays(max(retries, 0), retry_factor, retry_min_ms, retry_max_ms)
        self._slots = asyncio.Semaphore(max_processes)
        self._revs: dict[str, asyncio.Future[Revs]] = {}

    def _binary(self) -> str:
        found = shutil.which(self._git, path=self._env.get("PATH"))
        if found is None:
            raise SnpmError("No git binary found in $PATH", code="ENOGIT")
        return found

    async def run(self, args: Sequence[str], *, cwd: Path | None = None) -> str:
        """`git --no-replace-objects <args>`; stdout on success, a GitError otherwise (retried when
        it was a connection error)."""
        full = list(args) if args and args[0] == "--no-replace-objects" else ["--no-replace-objects", *args]
        binary = self._binary()
        attempt = 1
        while True:
            async with self._slots:
                status, stdout, stderr = await self._spawn(binary, full, cwd)
            if status == 0:
                return stdout
            error = _make_error(status, full, stdout, stderr)
            if not error.should_retry(attempt) or attempt > len(self._delays):
                raise error
            await asyncio.sleep(self._delays[attempt - 1])
            attempt += 1

    async def _spawn(self, binary: str, args: list[str], cwd: Path | None) -> tuple[int | str, str, str]:
        try:
            process = await asyncio.create_subprocess_exec(
                binary,
                *args,
                cwd=cwd,
                env=self._env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as err:
            raise SnpmError(f"spawn {binary} {err.strerror}", code="ENOGIT") from None
        out, err_out = await process.communicate()
        code = process.returncode
        status: int | str = code if code is not None and code >= 0 else f"SIG{-(code or 0)}"
        return status, out.decode("utf-8", "replace"), err_out.decode("utf-8", "replace")

    async def revs(self, repo: str) -> Revs:
        """The refs of `repo` (ls-remote), once per repository per run."""
        pending = self._revs.get(repo)
        if pending is None:
            pending = asyncio.ensure_future(self._ls_remote(repo))
            self._revs[repo] = pending

            def forget_failure(done: asyncio.Future[Revs]) -> None:
                # a failure is not remembered: the next caller tries again
                if done.cancelled() or done.exception() is not None:
                    self._revs.pop(repo, None)

            pending.add_done_callback(forget_failure)
        return await asyncio.shield(pending)

    async def _ls_remote(self, repo: str) -> Revs:
        stdout = await self.run(["ls-remote", repo])
        return lines_to_revs(stdout.strip().split("\n"))

    def is_shallow(self, repo: str) -> bool:
        if self._shallow is not None:
            return self._shallow
        host = urlsplit(repo).netloc.rpartition("@")[2]
        return host in _SHALLOW_HOSTS

    async def clone(self, repo: str, ref: str | None, target: Path, *, rev_doc: RevDoc | None) -> str:
        """Check out `repo` at `ref` in `target` (which must not exist or be empty); the commit sha.

        `rev_doc` is what the ref resolved to in `revs(repo)` (None when it is not advertised)."""
        revs = await self.revs(repo)
        if rev_doc is None:
            return await self._unresolved(repo, ref or "HEAD", target)
        head = revs.head
        depth = ["--depth=1"] if self.is_shallow(repo) else []
        if head is not None and rev_doc.sha == head.sha:
            await self.run(["clone", repo, str(target), "--recurse-submodules", *depth])
        elif rev_doc.type in ("tag", "branch"):
            await self.run(["clone", "-b", rev_doc.ref, repo, str(target), "--recurse-submodules", *depth])
        else:
            target.mkdir(parents=True, exist_ok=True)
            await self.run(["init"], cwd=target)
            await self.run(["remote", "add", "origin", repo], cwd=target)
            await self.run(["fetch", "origin", rev_doc.raw_ref, *depth], cwd=target)
            await self.run(["checkout", rev_doc.sha], cwd=target)
            await self._update_submodules(target)
        return rev_doc.sha

    async def _unresolved(self, repo: str, ref: str, target: Path) -> str:
        # not advertised, so not shallow; a mirror avoids checking the working tree out twice
        target.mkdir(parents=True, exist_ok=True)
        await self.run(["clone", "--mirror", "-q", repo, str(target / ".git")], cwd=target)
        await self.run(["init"], cwd=target)
        await self.run(["checkout", ref], cwd=target)
        await self._update_submodules(target)
        return (await self.run(["rev-parse", "--revs-only", "HEAD"], cwd=target)).strip()

    async def _update_submodules(self, target: Path) -> None:
        if (target / ".gitmodules").exists():
            await self.run(["submodule", "update", "-q", "--init", "--recursive"], cwd=target)
