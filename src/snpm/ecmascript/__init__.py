"""What JavaScript does, where Python does it differently: the one home of those semantics in snpm.

npm is JavaScript, and its output depends on JavaScript's built-ins at their edges: which characters
`trim()` and `\\s` know, UTF-16 string lengths, `Number("0x10")`, `String(1e21)`, `JSON.stringify`'s
key order and number text, `localeCompare(other, 'en')`. Every package that needs one of these
imports it from here instead of re-implementing it.

    strings    whitespace, trim, split on `/\\s+/`, UTF-16 length, JS `.`, encode/decodeURIComponent
    numbers    Number(value), isNaN, Number#toString
    values     Boolean(value) (truthiness), String(value), typeof
    json       JSON.parse (json-parse-even-better-errors: BOM, indent and newline), JSON.stringify,
               json-stringify-nice, the property order of JS objects
    json_errors
               the SyntaxError messages of V8's JSON.parse (node 20)
    even_better_errors
               json-parse-even-better-errors' rewording of them (`… while parsing "…"`)
    collation  `localeCompare(other, 'en')` as a sort key (ICU's `en` collation), with Intl.Collator's
               `numeric` and accent-insensitive options

Layer 0: imports nothing from snpm (so any package may use it), and raises JavaScript's own errors
(`URIError`, `JSONParseError`) as Python exceptions; each caller decides which npm error they become.
This `__init__` imports nothing, so importing one module does not load the others.
"""
