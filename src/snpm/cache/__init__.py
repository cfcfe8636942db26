"""npm's on-disk cache, shared with npm itself, plus snpm's store of extracted package files.

Every function takes `cache_dir`: npm's `cache` setting (default ~/.npm), never `<cache>/_cacache`.

- `content`: blobs by integrity in cacache's `_cacache/content-v2/` (read verifies, write is atomic)
- `index`: key → entry buckets in `_cacache/index-v5/` (append-only lines, last write wins)
- `http_cache`: make-fetch-happen's HTTP caching policy on top of `index` and `content`
- `store`: extracted files by content hash in `_snpm/store-v2/`, materialised by hard link
- `maintenance`: `cache verify`, `cache clean`, `cache ls`

Submodules are imported explicitly (`from snpm.cache import content`), so importing this package
stays cheap.
"""

from __future__ import annotations
