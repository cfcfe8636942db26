"""reify: turn an ideal tree into node_modules on disk, safely (arborist reify.js, diff.js).

nodes      the protocol of a tree node as reify reads it (the tree engine's Node satisfies it;
           engines are independent layers, so reify never imports snpm.tree)
plan       diff(actual, ideal) → ReifyPlan: what to add, change, remove and keep; no I/O
retire     retire paths (`.name-hash` beside a folder), the journal that survives kill -9
apply      the only code that touches node_modules: retire, create, unpack, move back, build,
           and roll everything back on failure or a signal
save       package.json dependency edits and lockfile text written atomically
bin_links  node_modules/.bin links and man pages (the lifecycle engine's part)
"""
