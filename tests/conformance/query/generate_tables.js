// Generates data/selectors.generated.json: how @npmcli/query (npm 11.19.1's bundled copy, over
// postcss-selector-parser) parses and pre-digests each selector of SELECTORS.
//   node tests/conformance/query/generate_tables.js [path to npm]
// Each case is {query, ast} or {query, error: {message, code}}; an AST node is
// {type, value, str, nodes?, nested?, lookup?, matcher?, semver?, typeValue?, pathValue?,
// outdatedKind?, vulns?} (absent keys: the property is undefined).
'use strict'
const path = require('node:path')
const fs = require('node:fs')
const npmRoot = process.argv[2] || '/usr/lib/node_modules/npm'
const req = (m) => require(path.join(npmRoot, 'node_modules', m))
const { parser, arrayDelimiter } = req('@npmcli/query')
const npmVersion = require(path.join(npmRoot, 'package.json')).version
const queryVersion = require(path.join(npmRoot, 'node_modules/@npmcli/query/package.json')).version

const SELECTORS = [
  '', '*', ':root', '#a', '#@scope/name', '#a.b', '.prod', '.dev', '.optional', '.peer',
  '.workspace', '.bundled', '.prod.dev', ':root > *', ':root > .prod', '#a > #b', '#a #b',
  '#a ~ #b', '#a + #b', '#a>#b', '#a  >  #b', '*, #a', '#a,#b, #c', '[name]', '[name=a]',
  '[name="a"]', "[name='a b']", '[name=@s/f]', '[name^=a]', '[name$=a]', '[name*=a]',
  '[name~=a]', '[name|=a]', '[license=mit i]', '[license="MIT" i]', '[license=MIT I]',
  '[repository.url^="https://github"]', '[a|b=c]', '[*|b=c]', '[|b]', '[name=a$]',
  ':attr(scripts, [test~=tap])', ':attr(engines, [node])', ':attr([name=a])',
  ':attr(contributors, :attr([name=x]))', ':attr(a, b, c, [d])', ':attr(funding, [url^=https])',
  ':is(#a, #b)', ':not(#a)', ':has(#a)', ':has(> #a)', ':is(.prod, :not(.dev))',
  ':not(:is(#a, #b))', ':semver(1.0.0)', ':semver(^1.0.0)', ':semver(~1.2)', ':semver(>=1.0.0)',
  ':semver(>=1.0.0 <2.0.0)', ':semver(1.x)', ':semver(*)', ':semver(1.0.0 - 2.0.0)',
  ':semver(^1 || ^2)', ':semver(1.0.0, [version], gt)', ':semver(2.0.0, [version], "lt")',
  ':semver([version], 1.0.0)', ':semver(^1.0.0, :attr(engines, [node]))',
  ':semver(1.0.0, [version], intersects)', ':semver()', ':semver', ':path(packages/*)',
  ':path(node_modules/a/**)', ':path(/abs/path)', ':path()', ':path', ':type(git)',
  ':type(registry)', ':type(alias)', ':type()', ':outdated', ':outdated(major)',
  ':outdated(in-range)', ':vuln', ':vuln([severity=high])', ':vuln([severity=high], [cwe=79])',
  ':vuln([cwe])', ':missing', ':extraneous', ':invalid', ':link', ':deduped', ':overridden',
  ':private', ':empty', ':scope', '.workspace > :link', ':root > .workspace:path(packages/a)',
  '#a:not(.dev) > #b', '*:has(#a)', '#a\\.b', '#a\\:b', 'a', "'a'", '&', '/* c */ #a',
  '#a /* c */ > #b', ':', '[', ']', 'a)', '(a)', '#a:semver(', ':is(#a', 'a;b', '[name=]',
  '["a"]', '[=a]', '[name=a=b]', ':attr(foo)', ':attr()', ':semver(1.0.0, 2.0.0)',
  ':semver(a, b, c)', ':semver([a], [b])', ':semver(1.0.0, [version], #x)',
  ':vuln(#a)', ':vuln([name=x])', ':vuln([severity^=high])', '::before', ':is(#a)(#b)',
  '#a|#b', '#a || #b', '.a#b.c', '[name="a\\"b"]', '"unclosed', '#a\\', ':foo(bar)',
]

const plain = (value) => {
  if (value === undefined) return { $type: 'undefined' }
  if (value === arrayDelimiter) return { $type: 'arrayDelimiter' }
  return value
}

const dump = (node) => {
  const out = { type: node.type, value: plain(node.value), str: String(node) }
  if (node.nodes && node.nodes.length) out.nodes = node.nodes.map(dump)
  if (node.nestedNode) out.nested = dump(node.nestedNode)
  if (node.lookupProperties) out.lookup = node.lookupProperties.map(plain)
  if (node.attributeMatcher) {
    const m = node.attributeMatcher
    out.matcher = {
      qualifiedAttribute: plain(m.qualifiedAttribute),
      operator: plain(m.operator),
      value: plain(m.value),
      insensitive: !!m.insensitive,
    }
  }
  if ('semverValue' in node || 'semverFunc' in node) {
    out.semver = { value: plain(node.semverValue), func: plain(node.semverFunc), position: plain(node.semverPosition) }
  }
  if ('typeValue' in node) out.typeValue = plain(node.typeValue)
  if ('pathValue' in node) out.pathValue = plain(node.pathValue)
  if ('outdatedKind' in node) out.outdatedKind = plain(node.outdatedKind)
  if ('vulns' in node) out.vulns = plain(node.vulns)
  if (node.type === 'attribute') {
    out.attribute = { qualified: node.qualifiedAttribute, operator: plain(node.operator), value: plain(node.value), insensitive: !!node.insensitive }
  }
  return out
}

const cases = SELECTORS.map((query) => {
  try {
    const ast = parser(query)
    return { query, ast: Array.isArray(ast) ? null : dump(ast) }
  } catch (err) {
    return { query, error: { message: err.message, code: plain(err.code) } }
  }
})

const file = path.join(__dirname, 'data', 'selectors.generated.json')
fs.writeFileSync(file, JSON.stringify({ generated_with: { npm: npmVersion, '@npmcli/query': queryVersion, node: process.version }, cases }, null, 2) + '\n')
console.log(`${cases.length} cases → ${file}`)
