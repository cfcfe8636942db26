"""The ideal tree: what node_modules should look like (arborist buildIdealTree).

build        the driver: init, user requests, the work queue, flags, failed optionals, checks
options      IdealTreeOptions (npm's flat options for the builder)
resolve      edge → candidate node with its peer set, in a virtual root
manifests    the concurrent, memoised manifest fetcher
placement    PlaceDep: where a candidate goes, replacing and pruning
can_place    CanPlaceDep: can it go here (OK / KEEP / REPLACE / CONFLICT)
peers        peer entry sets and the ERESOLVE error
overrides    package.json `overrides` rules
checks       engines and platform (npm-install-checks)
queue        the depth-then-path work queue
"""

from __future__ import annotations
