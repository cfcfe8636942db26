"""The tree-inspection commands: `ls`, `outdated`, `explain`, `fund`, `query`, `find-dupes`.

One module per command, each a port of npm 11.19's lib/commands/<cmd>.js with the libraries it uses:

    loading      the tree a command reads (node_modules, or the lockfile with --package-lock-only),
                 and arborist's workspace filters (workspaceNodes, workspaceDependencySet, ...)
    chalk        chalk 5's styles as npm's `npm.chalk` applies them (line breaks, nesting)
    archy        archy's tree drawing (unicode and ascii)
    text_table   text-table's column layout (outdated)
    ls           `npm ls` / `npm ll`: the treeverse walk, human / --json / --parseable outputs
    explain      `npm explain`: which nodes an argument names, and their explanations
    fund         libnpmfund's funding tree and `npm fund`'s human tree
    package_lookup  a package's manifest by spec: in the tree, else from the registry (`fund <pkg>`)
    outdated     `npm outdated`: current / wanted / latest per dependency edge
    query        `npm query`: the JSON items for the nodes a selector picks (`snpm.ops.query_engine`)

Each returns data (and the text npm would print, given a `Chalk`); the CLI only writes it.
`find-dupes` needs nothing here: it is `dedupe --dry-run` (snpm.cli.commands.find_dupes).
"""

from __future__ import annotations
