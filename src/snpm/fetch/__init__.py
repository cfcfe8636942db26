"""Fetchers: a spec to its manifest and tarball (pacote's shape), and package folders from the store.

    base          ManifestSource / ResolvedManifest: the seam the tree builder uses
    source        FetchSource: the real ManifestSource; THE switch from spec kind to fetcher;
                  manifest / tarball / extract (through the store)
    options       FetchOptions (pacote's slice of npm's settings) and fetch_options(config)
    registry      registry specs and aliases (packument → pick_manifest → `_resolved`/`_integrity`)
    remote        tarball URLs; replace-registry-host rules
    file          local tarballs
    directory     local folders (packed like `npm pack`; prepare through a hook)
    git           git repositories (ls-remote, `#semver:`, hosted tarball fast path, clone + pack)
    packuments    the in-run packument cache that folds concurrent requests into one
    tarballs      tarball bytes: content cache by integrity, else fetch; `pacote:tarball:` entries
    unpack        a tarball parsed once: modes, bins, package.json, into the store
    store         package folders as hard links from the store
    store_workers worker processes that add tarballs to the store (store_worker: their loop)
    budget        ByteBudget: the bytes unpacked at once
    context       what the fetchers of one run share (client, cache, pool, git, log, prepare hook)
    pick_manifest npm-pick-manifest

Submodules are imported explicitly; importing this package stays cheap.
"""

from __future__ import annotations
