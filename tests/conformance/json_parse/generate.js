// Generates the JSON.parse error tables from the real thing:
//   data/v8_messages.generated.json     {input, message}: node's JSON.parse(input) SyntaxError
//                                       message, or null when it parses
//   data/even_better_errors.generated.json
//                                       {input, error: {name, code, message, position} | null}:
//                                       json-parse-even-better-errors (npm's bundled copy) on a
//                                       string, and {value, error: {name, code, message}} on a
//                                       non-string value (its TypeError branch)
// Run: node tests/conformance/json_parse/generate.js [path to npm]
// The inputs are built here, deterministically (a seeded generator, no clock): hand-written cases for
// every V8 message, every prefix of a few documents, single-character damage at every position,
// control characters, escapes, numbers, unicode (astral, BMP, lone surrogates, U+2028), long texts
// where both libraries shorten their snippets, BOMs, empty and whitespace-only texts.
'use strict'
const fs = require('node:fs')
const path = require('node:path')

const npmRoot = process.argv[2] || '/usr/lib/node_modules/npm'
const jpebePath = path.join(npmRoot, 'node_modules', 'json-parse-even-better-errors')
const parseJson = require(jpebePath)
const jpebeVersion = require(path.join(jpebePath, 'package.json')).version
const npmVersion = require(path.join(npmRoot, 'package.json')).version

// a small LCG: the same inputs on every run
let seed = 20240611
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed / 2147483648
}
const pick = (list) => list[Math.floor(random() * list.length)]

const inputs = []
const add = (...texts) => {
  for (const text of texts) inputs.push(text)
}

// ── hand-written: one or more per V8 message and per branch of its parser ──
add(
  '', ' ', '\n', '\t\r\n ', '{', '[', '"', '-', '{ bad', '{bad}', "{'a': 1}", '{"a" 1}', '{"a"}',
  '{"a":}', '{"a":1', '{"a":1 "b":2}', '{"a":1,}', '{"a":1,"b" 2}', '{"a":1,"b"}', '{"a":1,"b" x}',
  '{"a":1,"b" "c"}', '{"a":1,1}', '{"a":1,"b":"c","d"}', '{"a":1}}', '{"a":1}]', '{,}', '{:}',
  '{"a"::1}', '{"a":1,,"b":2}', '[1', '[1,', '[1 2]', '[1,]', '[,1]', '[1,,2]', '[1}', '{"a":[1}',
  '[{"a":1]', '[]]', '[[]', '[][]', '{}{}', '{} x', '1 2', '"a" "b"', 'true false', 'true x',
  'tru', 'trux', 'tRue', 'fals', 'falsy', 'nul', 'nulx', 'null1', 'nil', 't', 'f', 'n', 't"', 't1',
  't{', 't ', 'true', 'false', 'null', '01', '00', '-01', '-', '-a', '--1', '+1', '.5', '1.',
  '1.e', '1.5e', '1e', '1E', '1e+', '1e-', '1ex', '1e+x', '1e5x', '0x10', '1_000', '0-', '0+',
  '-0', '-0.0', '0.0e0', '1.2.3', '1e5.5', '123456789', '1234567890', '12345678901234567890',
  '-1234567890.5e-10', '[01]', '{"a":01}', '[-]', '[1.]', '[1e]', '"abc', '"abc\\', '"\\',
  '"a\\x"', '"\\u12g4"', '"\\u12', '"\\u"', '"\\uZZZZ"', '"\\U0041"', '"\\u00e9"', '"\\ud800"',
  '"\\udc00\\ud800"', '"\\\'"', '"\\a"', '"\\0"', '"\\/"', '"a\u0001"', '"a\tb"', '"a\nb"',
  '"\u007f"', 'undefined', 'NaN', 'Infinity', '-Infinity', '[object Object]', 'undefinedx',
  'NaN ', ' NaN', 'nan', 'x', 'abcdefghijklmnopqrstuvwxyz', '{"aaaaaaaaaaaaaaaaaaaaa": x}',
  '{"a": 1} 123456789012345678901234567890', '\u2028', '\u2029', '[\u2028]', '"\u2028"',
  '["\\u00e9" , tx]', '\\', "'", '$', '{"a":$}', '["\'"]', '[\'\']', '{"a": x position 5}',
  '{"a": 1, "b": POSITION 12}', '{"a": x position\n3}', 'x position 99999999999999999999',
  '<<<<<<< HEAD\n{"a":1}\n=======\n{"a":2}\n>>>>>>> other\n', '// comment\n{}', '/* c */ {}',
  '{"a":1} // trailing', '{"a":1,/*x*/"b":2}', 'module.exports = {}', '{a: 1}', '{"a": .5}',
  '{"a": +1}', '{"a": Infinity}', '{"a": NaN}', '{"a": undefined}', '{"a": True}', '{"a": None}',
  '{"a": "b"\n"c": "d"}', '{\n  "name": "x",\n  "version": "1.0.0",\n}\n',
  '{\n  "name": "x"\n  "version": "1.0.0"\n}\n', '{\n  "dependencies": {\n    "a": "^1"\n  \n',
  '{\n\t"a": 1,\n\t"b": [1, 2,]\n}', '\ufeff{}', '\ufeff{', '\ufeff', '\ufeff\ufeff{}', '{}\ufeff',
  ' \ufeff{}', '\ufeff{"a":\ufeff1}', '\ufeffx', '\u00a0{}', '{}\u00a0', '\u3000[]', '\u000b{}',
  '\u000c{}', '\u0000', '{"a":1}\u0000', '\u0100', '"\\\u0100"', '{"\u0100": \u0100}', '\u00ff',
  '\u00e9', '[\u00e9]', '😀', '[😀]', '"😀', '{"😀":😀}', '"\\😀"', '\ud83d', '\ude00', '[\ud83d]',
  '"\ud83d"', '"a\ud83d', '\ude00\ud83d', '{"a": "😀😀😀😀😀😀😀😀😀😀😀😀😀😀"} x',
)

// every control character, inside a string and outside
for (let code = 0; code < 0x20; code++) {
  const ch = String.fromCharCode(code)
  add(`"${ch}"`, `[1,${ch}2]`, `${ch}`)
}
// every printable ASCII character after a backslash, and as a bare value
for (let code = 0x20; code < 0x7f; code++) {
  const ch = String.fromCharCode(code)
  add(`"\\${ch}"`, `${ch}`, `[${ch}]`, `{"k":${ch}}`, `{"k"${ch}}`)
}
// bad \u escapes at each of the four digits and cut off after each
for (let i = 0; i < 4; i++) {
  add(`"\\u${'0'.repeat(i)}g${'0'.repeat(3 - i)}"`, `"\\u${'a'.repeat(i)}`, `{"\\u${'0'.repeat(i)}"`)
}
// numbers in every container position
const NUMBERS = ['-', '01', '1.', '1e', '1e+', '-x', '1.5.5', '0x1', '00.5', '-.5', '1ee5', '1e5e5']
for (const n of NUMBERS) add(`[${n}]`, `{"a":${n}}`, `{"a":1,"b":${n}}`, `[1,${n},3]`, `${n} `)

// ── every prefix of a few documents ──
const DOCS = [
  '{"name":"a","version":"1.0.0","dependencies":{"b":"^1.0.0"}}',
  '{\n  "name": "pkg",\n  "version": "1.2.3",\n  "scripts": {\n    "test": "echo \\"ok\\""\n  },\n  "files": [\n    "lib/",\n    "bin/"\n  ],\n  "private": true,\n  "n": -1.5e-3,\n  "x": null\n}\n',
  '[1, -2.5e10, true, false, null, "\\u00e9\\n", {"a": []}, [[]]]',
  '{"é": "ü", "😀": ["\\ud83d\\ude00", "\\/"], "k": 0}',
  '{\n  "lockfileVersion": 3,\n  "requires": true,\n  "packages": {\n    "": {\n      "name": "x"\n    }\n  }\n}\n',
]
for (const doc of DOCS) {
  for (let i = 0; i <= doc.length; i++) add(doc.slice(0, i))
}

// ── single-character damage at every position of the documents (seeded choice of damage) ──
const DAMAGE = [',', ':', '}', ']', '{', '[', '"', "'", 'x', '0', '-', '.', 'e', ' ', '\\', '\u0001',
  '\n', '\u00e9', '\u0100', '😀', '\ud83d', '\u2028', '\ufeff', '/', '$']
for (const doc of DOCS) {
  for (let i = 0; i < doc.length; i++) {
    const ch = pick(DAMAGE)
    const how = Math.floor(random() * 3)
    if (how === 0) add(doc.slice(0, i) + ch + doc.slice(i + 1)) // replace
    else if (how === 1) add(doc.slice(0, i) + ch + doc.slice(i)) // insert
    else add(doc.slice(0, i) + doc.slice(i + 1)) // delete
  }
}

// ── long texts: V8's 10-unit window (from 21 units) and the library's 20-unit window ──
const filler = (n) => 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(n / 36)).slice(0, n)
for (const length of [19, 20, 21, 22, 30, 40, 41, 42, 60, 200]) {
  for (const at of [0, 1, 9, 10, 11, 19, 20, 21, 22, length - 12, length - 11, length - 10,
    length - 9, length - 2, length - 1]) {
    if (at < 0 || at >= length) continue
    // a valid string literal of `length` units with one bad character (an unquoted x) at `at`
    const text = `"${filler(length - 2)}"`
    if (at === 0) {
      add('x' + text.slice(1))
    } else if (at === length - 1) {
      add(text.slice(0, -1) + 'x')
    } else {
      add(`[${'1,'.repeat(Math.floor((at - 1) / 2))}${(at - 1) % 2 ? ' ' : ''}x${' '.repeat(Math.max(0, length - at - 2))}]`)
    }
  }
  add(`{"k": "${filler(length)}`, `{"k": "${filler(length)}",}`, `[${'1,'.repeat(length)}]`,
    `${'['.repeat(length)}`, `{"k": ${filler(length)}}`, `${' '.repeat(length)}x`)
}
// astral characters around the window edges, so the snippets may cut a surrogate pair
for (let k = 0; k < 14; k++) {
  add(`[${'"😀",'.repeat(k)}x${',"😀"'.repeat(14 - k)}]`)
  add(`{"${'😀'.repeat(k)}": ${'é'.repeat(k)}x}`)
  add(`[${'😀'.repeat(k)}]`)
}
// deep but valid nesting, and a large document with one error at its end
add('['.repeat(500) + ']'.repeat(500), '['.repeat(500) + ']'.repeat(499), '{"a":'.repeat(200) + '1' + '}'.repeat(200))
add('{' + Array.from({ length: 300 }, (_, i) => `"k${i}": [${i}, "v${i}"]`).join(', ') + ', }')

// ── valid documents (both must accept them) ──
add('{}', '[]', '{}\n', '[]\r\n', ' {} ', '0', '-0', '1.5', '-1e-7', '1E+2', '""', '"\\ud800"',
  '"\\udc00"', '"\\ud83d\\ude00"', '{"a":[1,{"b":null}]}', '\t\r\n[1]\t\r\n', '"\u2028\u2029"',
  '"😀"', '{"😀":"é"}', '123456789012345678901234567890', '1e400', '{"__proto__": 1}', '{"a":1,"a":2}')

const seen = new Set()
const unique = inputs.filter((text) => (seen.has(text) ? false : (seen.add(text), true)))

const v8 = unique.map((input) => {
  try {
    JSON.parse(input)
    return { input, message: null }
  } catch (err) {
    return { input, message: err.message }
  }
})

const describe = (err) => ({ name: err.name, code: err.code, message: err.message, position: err.position })
const better = unique.map((input) => {
  try {
    parseJson(input)
    return { input, error: null }
  } catch (err) {
    return { input, error: describe(err) }
  }
})
// the TypeError branch: a value that is neither a string nor a Buffer
const VALUES = [null, true, false, 0, 12, -1.5, 1e21, [], [1], [1, 2], ['a'], [[]], [null], [''],
  ['{'], {}, { a: 1 }, 'skip']
for (const value of VALUES) {
  if (value === 'skip') continue
  try {
    parseJson(value)
    better.push({ value, error: null })
  } catch (err) {
    better.push({ value, error: { name: err.name, code: err.code, message: err.message } })
  }
}

const header = {
  generator: 'tests/conformance/json_parse/generate.js',
  node: process.version,
  v8: process.versions.v8,
  npm: npmVersion,
  'json-parse-even-better-errors': jpebeVersion,
}
// one row per line: small, and a regenerated table diffs row by row
const table = (rows) => {
  const head = JSON.stringify(header, null, 2).slice(0, -2)
  return `${head},\n  "rows": [\n${rows.map((row) => `    ${JSON.stringify(row)}`).join(',\n')}\n  ]\n}\n`
}
const out = path.join(__dirname, 'data')
fs.mkdirSync(out, { recursive: true })
fs.writeFileSync(path.join(out, 'v8_messages.generated.json'), table(v8))
fs.writeFileSync(path.join(out, 'even_better_errors.generated.json'), table(better))
console.log(`v8: ${v8.length} rows (${v8.filter((r) => r.message === null).length} valid); ` +
  `even-better-errors: ${better.length} rows`)
