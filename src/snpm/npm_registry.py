"""npm's public registry: its address, written once in the whole code base.

It is the default of the client's `registry` setting (snpm.config.definitions, as in npm) and the
default uplink of snpm-registry, which may import only the vocabulary; so it lives at the bottom layer.
"""

from __future__ import annotations

from typing import Final

__all__ = ["NPM_PUBLIC_REGISTRY"]

NPM_PUBLIC_REGISTRY: Final = "https://registry.npmjs.org/"
