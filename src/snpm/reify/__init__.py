"""reify: turn an ideal tree into node_modules on disk, safely (arborist reify.js, diff.js).

nodes      the protocol of a tree node as reify reads it (the tree engine's Node satisfies it;
           engines are independent layers, so reify never imports snpm.tree)
plan       diff(actual, ideal) → ReifyPlan: what to add, change, remove and keep; no I/O
hooks      ApplyOptions and ReifyHooks: what the caller provides (extraction, builds, bundles)
apply      the only code that changes node_modules: retire, create, unpack, move back, build,
           and roll everything back on failure or a signal
retire     retire paths (`.name-hash` beside a folder), and the journal that survives kill -9
signals    the first SIGINT/SIGTERM/SIGHUP lets the step finish, then reify rolls back
contents   what a package folder holds; which folders mkdir -p creates
optional   which nodes go when an optional dependency fails
save       files written atomically, with their previous bytes kept for a rollback
bin_links  node_modules/.bin links and man pages (the lifecycle engine's part)
"""
