// Generates the audit conformance tables from npm 11.19.1's own code:
//   node tests/conformance/audit/generate_tables.js [path to npm]
//
// data/advisories.generated.json: @npmcli/metavuln-calculator's Advisory over seeded random
//   packuments. A case is {name, source, packument, dependency?} → {versions, vulnerableVersions,
//   range, type, title, severity}; with `dependency` ({name, source, packument}) the case is a
//   metavuln of that dependency's advisory. Also `tests`: testVersion/testSpec answers.
// data/reports.generated.json: npm-audit-report over hand-shaped report objects → the detail and
//   install reports (chalk level 0 and 1) and the exit code per audit level.
'use strict'
const path = require('node:path')
const fs = require('node:fs')
const npmRoot = process.argv[2] || '/usr/lib/node_modules/npm'
const req = (m) => require(path.join(npmRoot, 'node_modules', m))
const Advisory = req('@npmcli/metavuln-calculator/lib/advisory.js')
const npmAuditReport = req('npm-audit-report')
const npmVersion = require(path.join(npmRoot, 'package.json')).version
const calculatorVersion = req('@npmcli/metavuln-calculator/package.json').version
const reportVersion = req('npm-audit-report/package.json').version

// a small deterministic PRNG (mulberry32)
const rng = (seed) => () => {
  seed |= 0
  seed = seed + 0x6D2B79F5 | 0
  let t = Math.imul(seed ^ seed >>> 15, 1 | seed)
  t = t + Math.imul(t ^ t >>> 7, 61 | t) ^ t
  return ((t ^ t >>> 14) >>> 0) / 4294967296
}
const rand = rng(20240501)
const pick = (list) => list[Math.floor(rand() * list.length)]

const randomVersions = () => {
  const out = new Set()
  const majors = 1 + Math.floor(rand() * 3)
  for (let M = 0; M < majors; M++) {
    const minors = 1 + Math.floor(rand() * 4)
    for (let m = 0; m < minors; m++) {
      const patches = 1 + Math.floor(rand() * 4)
      for (let p = 0; p < patches; p++) {
        if (rand() < 0.15) {
          out.add(`${M}.${m}.${p}-beta.${Math.floor(rand() * 3)}`)
        }
        out.add(`${M}.${m}.${p}`)
      }
    }
  }
  return [...out]
}

const RANGES = ['<1.0.2', '>=1.1.0 <2.0.0', '*', '<0.1.0', '>=2.0.0', '1.0.0', '<1.2.0 || >=2.1.0',
  '>=0.1.1 <0.3.0', '<=1.0.0', '>=1.0.0-beta.0 <1.0.1', '<3', '>=0.0.0']
const SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical', undefined]

const packumentOf = (name, versions, depFor) => ({
  name,
  versions: Object.fromEntries(versions.map(v => [v, { name, version: v, ...(depFor ? depFor(v) : {}) }])),
})

const SPECS = ['^1.0.0', '~1.0.0', '1.0.0', '>=1.0.1', '^0.1.0', '*', '^2.0.0', '1.x', 'latest',
  'git+https://example.test/x.git', 'file:../x', '^1.1.0 || ^2.0.0', '~0.2.0', '<1.0.2']

const advisoryCases = []
let id = 5000
for (let i = 0; i < 60; i++) {
  const depVersions = randomVersions()
  const source = {
    id: id++,
    title: `Problem ${i}`,
    url: `https://example.test/advisories/${i}`,
    severity: pick(SEVERITIES),
    vulnerable_versions: rand() < 0.1 ? undefined : pick(RANGES),
    cwe: ['CWE-1'],
    cvss: { score: 5.5, vectorString: null },
  }
  if (source.severity === undefined) {
    delete source.severity
  }
  if (source.vulnerable_versions === undefined) {
    delete source.vulnerable_versions
  }
  const depPackument = packumentOf('dep', depVersions)
  const dep = new Advisory('dep', { ...source })
  dep.load({}, depPackument)
  const depLoaded = {
    type: dep.type,
    title: dep.title,
    severity: dep.severity,
    range: dep.range,
    versions: [...dep.versions],
    vulnerableVersions: [...dep.vulnerableVersions],
    json: JSON.parse(JSON.stringify({ ...dep, versions: undefined, vulnerableVersions: undefined, id: undefined })),
  }
  const tests = {
    versions: depVersions.slice(0, 5).concat(['9.9.9', '0.0.0-pre']).map(v => [v, dep.testVersion(v)]),
    specs: SPECS.filter(s => /^[~^<>=*\d]/.test(s)).map(s => [s, dep.testSpec(s)]),
  }
  advisoryCases.push({
    name: 'dep',
    source,
    packument: depPackument,
    expected: { ...depLoaded, tests },
  })
  // a dependent of `dep`: each version depends on dep with some spec (sometimes bundled, sometimes none)
  const parentVersions = randomVersions()
  const parentPackument = packumentOf('parent', parentVersions, () => {
    const r = rand()
    if (r < 0.1) {
      return {}
    }
    const spec = pick(SPECS)
    const where = r < 0.2 ? 'optionalDependencies' : r < 0.25 ? 'peerDependencies' : 'dependencies'
    const extra = rand() < 0.1 ? { bundleDependencies: ['dep'] } : {}
    return { [where]: { dep: spec }, ...extra }
  })
  // the metavuln is calculated against a freshly loaded dependency advisory, as in a run
  const depAgain = new Advisory('dep', { ...source })
  depAgain.load({}, depPackument)
  const meta = new Advisory('parent', depAgain)
  meta.load({}, parentPackument)
  const metaLoaded = {
    type: meta.type,
    title: meta.title,
    severity: meta.severity,
    range: meta.range,
    versions: [...meta.versions],
    vulnerableVersions: [...meta.vulnerableVersions],
    json: JSON.parse(JSON.stringify({ ...meta, versions: undefined, vulnerableVersions: undefined, id: undefined })),
  }
  advisoryCases.push({
    name: 'parent',
    source,
    packument: parentPackument,
    dependency: { name: 'dep', packument: depPackument },
    expected: {
      ...metaLoaded,
      tests: {
        versions: parentVersions.slice(0, 5).concat(['7.7.7']).map(v => [v, meta.testVersion(v, '^1.0.0')]),
        specs: [],
      },
    },
  })
}

// ── reports ──

const advisoryVia = (n, title, severity, range) => ({
  source: n, name: title.split(' ')[0], dependency: title.split(' ')[0], title, url: `https://example.test/${n}`,
  severity, cwe: [], cvss: { score: 0, vectorString: null }, range,
})

const vuln = (name, severity, via, { effects = [], range = '*', nodes = [`node_modules/${name}`], fixAvailable = true, isDirect = false } = {}) =>
  ({ name, severity, isDirect, via, effects, range, nodes, fixAvailable })

const meta = (counts, deps = 10) => ({
  vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, ...counts, total: Object.values(counts).reduce((a, b) => a + b, 0) },
  dependencies: { prod: deps, dev: 0, optional: 0, peer: 0, peerOptional: 0, total: deps - 1 },
})

const REPORTS = [
  { name: 'none', data: { auditReportVersion: 2, vulnerabilities: {}, metadata: meta({}) } },
  {
    name: 'one-low-fixable',
    data: { auditReportVersion: 2, vulnerabilities: { a: vuln('a', 'low', [advisoryVia(1, 'a is bad', 'low', '<1.0.1')], { range: '1.0.0' }) }, metadata: meta({ low: 1 }) },
  },
  {
    name: 'two-high',
    data: {
      auditReportVersion: 2,
      vulnerabilities: {
        a: vuln('a', 'high', [advisoryVia(1, 'a is bad', 'high', '<2.0.0')], { effects: ['b'], range: '<2.0.0', fixAvailable: { name: 'b', version: '3.0.0', isSemVerMajor: true } }),
        b: vuln('b', 'high', ['a'], { range: '1.0.0 - 2.0.0', fixAvailable: { name: 'b', version: '3.0.0', isSemVerMajor: true }, isDirect: true }),
      },
      metadata: meta({ high: 2 }),
    },
  },
  {
    name: 'mixed',
    data: {
      auditReportVersion: 2,
      vulnerabilities: {
        a: vuln('a', 'critical', [advisoryVia(1, 'a is bad', 'critical', '*')], { fixAvailable: false, nodes: ['node_modules/a', 'node_modules/x/node_modules/a'] }),
        b: vuln('b', 'moderate', [advisoryVia(2, 'b leaks', 'moderate', '<1.2.0'), 'c'], { effects: ['d'], range: '<1.2.0', fixAvailable: { name: 'b', version: '1.2.0', isSemVerMajor: false } }),
        c: vuln('c', 'low', [advisoryVia(3, 'c is slow', 'low', '<=1.1.0')], { effects: ['b'], range: '<=1.1.0' }),
        d: vuln('d', 'moderate', ['b'], { range: '*', nodes: [''] }),
        e: vuln('e', 'info', [advisoryVia(4, 'e informs', 'info', '*')], { range: '*' }),
      },
      metadata: meta({ critical: 1, moderate: 2, low: 1, info: 1 }),
    },
  },
  {
    name: 'force-not-major',
    data: {
      auditReportVersion: 2,
      vulnerabilities: {
        a: vuln('a', 'moderate', [advisoryVia(1, 'a is bad', 'moderate', '<1.0.1')], { range: '1.0.0', fixAvailable: { name: 'a', version: '1.0.1', isSemVerMajor: false } }),
        z: vuln('z', 'moderate', [advisoryVia(9, 'z is bad', 'moderate', '<1.0.1')], { range: '1.0.0', fixAvailable: { name: 'z', version: '1.0.1' } }),
      },
      metadata: meta({ moderate: 2 }),
    },
  },
  {
    name: 'unfixable-only',
    data: {
      auditReportVersion: 2,
      vulnerabilities: { a: vuln('a', 'high', [advisoryVia(1, 'a is bad', 'high', '*')], { fixAvailable: false }) },
      metadata: meta({ high: 1 }),
    },
  },
]

const main = async () => {
  const { Chalk } = await import(path.join(npmRoot, 'node_modules/chalk/source/index.js'))
  const plain = new Chalk({ level: 0 })
  const color = new Chalk({ level: 1 })
  const levels = ['info', 'low', 'moderate', 'high', 'critical', 'none', null]
  const reportCases = REPORTS.map(({ name, data }) => {
    const out = { name, data, detail: {}, install: {}, exitCodes: {} }
    for (const [key, chalk] of [['plain', plain], ['color', color]]) {
      for (const reporter of ['detail', 'install']) {
        try {
          out[reporter][key] = npmAuditReport(data, { reporter, chalk }).report
        } catch (e) {
          out[reporter][key] = { error: e.message }
        }
      }
    }
    for (const level of levels) {
      out.exitCodes[String(level)] = npmAuditReport(data, { reporter: 'quiet', chalk: plain, auditLevel: level }).exitCode
    }
    out.json = npmAuditReport(data, { reporter: 'json', chalk: plain }).report
    return out
  })
  const dir = path.join(__dirname, 'data')
  fs.mkdirSync(dir, { recursive: true })
  const header = { generated_with: { npm: npmVersion, 'metavuln-calculator': calculatorVersion, 'npm-audit-report': reportVersion, node: process.version } }
  // one case per line
  const write = (file, cases) => fs.writeFileSync(path.join(dir, file),
    `{"generated_with": ${JSON.stringify(header.generated_with)},\n "cases": [\n` +
    cases.map(c => JSON.stringify(c)).join(',\n') + '\n]}\n')
  write('advisories.generated.json', advisoryCases)
  write('reports.generated.json', reportCases)
  console.log(`advisories: ${advisoryCases.length} cases, reports: ${reportCases.length} cases`)
}
main()
