"""`npm query`'s selector engine: what `tree.querySelectorAll(selector)` does in arborist.

- tokenize, escapes, ast, parser, attribute: postcss-selector-parser 7 in lossy mode (as
  @npmcli/query calls it)
- transform: @npmcli/query (slashes escaped; `:attr`/`:semver`/`:path`/`:type`/`:outdated`/`:vuln`
  arguments pre-digested; `:is/:not/:has` selector lists kept as nested roots)
- select: @npmcli/arborist query-selector-all.js, evaluating the AST over a tree
- matching: its attribute matching, `:attr` lookups and `:semver`
- registry_pseudos: its `:outdated` and `:vuln` (the registry is asked through callables)

Use: `nodes = await query_selector_all(tree, ":root > .prod:not(#a)", context)`.
"""

from __future__ import annotations

from snpm.ops.query_engine.select import QueryContext, query_selector_all
from snpm.ops.query_engine.transform import parse_query

__all__ = ["QueryContext", "parse_query", "query_selector_all"]
