// Regenerates tests/conformance/config/data/*.generated.json from the npm that ships with node.
// Run: node tests/conformance/config/generate_tables.js   (never run by the tests themselves)
// Every case loads the real @npmcli/config in a scratch world (its own HOME, PREFIX, cwd) and
// records what it produced; scratch paths are written as <ROOT>. The public registry's host name
// is replaced by <REGISTRY-HOST> so that its address appears nowhere in the repository.
'use strict'
const fs = require('fs')
const os = require('os')
const path = require('path')
const { execPath } = process
const NPM = path.resolve(path.dirname(fs.realpathSync(execPath)), '..', 'lib', 'node_modules', 'npm')
const req = (m) => require(path.join(NPM, 'node_modules', m))
const Config = req('@npmcli/config')
const defs = req('@npmcli/config/lib/definitions')
const parseField = req('@npmcli/config/lib/parse-field.js')
const envReplace = req('@npmcli/config/lib/env-replace.js')
const nerfDart = req('@npmcli/config/lib/nerf-dart.js')
const ini = req('ini')
const localeCompare = req('@isaacs/string-locale-compare')('en')
const { version: npmVersion } = require(path.join(NPM, 'package.json'))
const REGISTRY_HOST = new URL(defs.definitions.registry.default).host

const OUT = path.join(__dirname, 'data')
const scrub = (s) => s.split(REGISTRY_HOST).join('<REGISTRY-HOST>').split(NPM).join('<NPM>')

const enc = (v, root) => {
  if (v === undefined) return { $type: 'undefined' }
  if (v instanceof Date) return { $type: 'Date', iso: isNaN(v) ? null : v.toISOString() }
  if (typeof v === 'number' && !Number.isFinite(v)) return { $type: 'number', value: String(v) }
  if (typeof v === 'string') return root ? scrub(v.split(root).join('<ROOT>')) : scrub(v)
  if (Array.isArray(v)) return v.map(x => enc(x, root))
  if (v && typeof v === 'object') {
    const o = {}
    for (const [k, x] of Object.entries(v)) o[root ? k.split(root).join('<ROOT>') : k] = enc(x, root)
    return o
  }
  return v
}

// a scratch world: HOME, PREFIX (so the global config is <prefix>/etc/npmrc), project folder
const world = (files = {}) => {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'snpm-cfg-')))
  for (const d of ['home', 'prefix/etc', 'project']) fs.mkdirSync(path.join(root, d), { recursive: true })
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
    fs.writeFileSync(path.join(root, rel), text)
  }
  return root
}

const logs = []
process.on('log', (level, ...args) => {
  if (level === 'warn' || level === 'error') logs.push([level, ...args.map(a => String(a))])
})

const load = async ({ argv = [], env = {}, files = {}, cwd = 'project' }) => {
  const root = world(files)
  const fullEnv = { HOME: path.join(root, 'home'), PREFIX: path.join(root, 'prefix'), ...env }
  for (const [k, v] of Object.entries(fullEnv)) fullEnv[k] = v.split('<ROOT>').join(root)
  const prevCwd = process.cwd()
  const prevHome = process.env.HOME
  process.chdir(path.join(root, cwd))
  process.env.HOME = fullEnv.HOME // nopt expands ~/ with os.homedir(), which reads $HOME
  logs.length = 0
  const config = new Config({
    npmPath: NPM, definitions: defs.definitions, shorthands: defs.shorthands, flatten: defs.flatten,
    nerfDarts: defs.nerfDarts, argv: [execPath, 'npm', ...argv], env: fullEnv, cwd: path.join(root, cwd),
    execPath, platform: 'linux', warn: false,
  })
  let error = null
  try {
    await config.load()
    config.flat // npm flattens right after loading
    try { config.validate() } catch (e) { error = { code: e.code, message: e.message } }
    config.logWarnings()
  } catch (e) {
    error = { code: e.code || null, message: e.message }
  }
  process.chdir(prevCwd)
  process.env.HOME = prevHome
  const layers = {}
  for (const [where, { data, source }] of config.data.entries()) {
    if (where === 'default') continue
    layers[where] = { source: source ? scrub(source.split(root).join('<ROOT>')) : null, data: enc({ ...Object.fromEntries(Object.entries(data)) }, root) }
  }
  const result = {
    layers,
    remain: config.parsedArgv ? config.parsedArgv.remain : null,
    logs: logs.map(l => l.map(x => scrub(x.split(root).join('<ROOT>')))),
    error: error && { code: error.code, message: scrub(error.message.split(root).join('<ROOT>')) },
  }
  if (config.loaded) {
    result.localPrefix = config.localPrefix.split(root).join('<ROOT>')
    result.env = {}
    for (const [k, v] of Object.entries(fullEnv)) {
      if (/^npm_config_/.test(k) && !(k in env) && typeof v === 'string') result.env[k] = scrub(v.split(root).join('<ROOT>'))
    }
  }
  fs.rmSync(root, { recursive: true, force: true })
  return result
}

const write = (name, cases) => {
  fs.writeFileSync(path.join(OUT, name), JSON.stringify({ generated_with: `npm@${npmVersion} node@${process.version}`, count: cases.length, cases }, null, 1) + '\n')
}

const ARGV = [
  ['-gpld'], ['-dd'], ['-ddd'], ['--verbose'], ['-sq'], ['-q', '-s'], ['--no-save'], ['--no-no-save'], ['--no-json=true'],
  ['--no-json', 'false'], ['--json=foo'], ['--global=0'], ['--tag'], ['--tag', '-g', 'x'], ['-gws'], ['--depth=abc'],
  ['--workspace=a,b'], ['--omit', 'dev,peer'], ['--omit', 'dev', '--omit=peer'], ['--loglevel', 'bogus'], ['--registry'],
  ['--prefix=rel/dir'], ['--before', '2020-01-01'], ['--umask', '022'], ['--save-dev=false', '-D'], ['--foo', 'bar'],
  ['--foo=1'], ['--par'], ['--lo'], ['--', '--foo', '-g'], ['-w=ws1'], ['-gfoo'], ['-Dx'], ['-reg', 'http://x.example.com'],
  ['--depth'], ['--depth', '--foo'], ['--depth='], ['--no-otp'], ['--no-tag'], ['--color', 'always'], ['--no-color'],
  ['--init-version', 'v1.2.3'], ['--access=private'], ['--yes', 'false'], ['-y'], ['-n'], ['--no'], ['--usage'], ['-h'],
  ['--lockfile-version', '2'], ['--proxy=false'], ['--fetch-retries', '0x10'], ['--message'], ['-m', 'hi'],
  ['--location=global'], ['-L', 'project'], ['--local'], ['-c', 'echo'], ['--call=x'], ['--save-dev', '--save-prod'],
  ['--save-optional', '-P'], ['--dev'], ['--cache-min=5'], ['--ws'], ['--iwr'], ['--desc'], ['--enjoy-by=2021-02-03'],
  ['--umask=0'], ['--umask=1000'], ['--before=garbage'], ['--json', 'true', 'x'], ['--foo', '--bar'], ['--foo', 'true'],
  ['--foo', '-x'], ['--scope=myorg'], ['--init.version=1'], ['-?'], ['-H'], ['--loglevel=silent'], ['install', 'a', '-D', 'b'],
  ['--tag=${HOME}'], ['--cache=~/c'], ['--userconfig', '~/u'], ['--omit=dev', '--include=dev'], ['--no-include'],
  ['--diff', 'a', '--diff', 'b'], ['--ca', 'x', '--ca=y'], ['--node-options=--max-old-space-size=1'], ['--otp', '123456'],
  ['--searchlimit=1.5'], ['--searchlimit=-0'], ['--fetch-timeout=1e3'], ['--maxsockets', 'Infinity'], ['--which'],
  ['--expect-results', '--expect-result-count=1'], ['--provenance', '--provenance-file=x'], ['--no-no-no-global'],
  ['---'], ['--=x'], ['-'], ['--no-foo'], ['--foo', '--foo'], ['--foo=a', '--foo=b'], ['--Global'], ['--GLOBAL=true'],
  ['--sav'], ['--save-pr'], ['--i'], ['--ver'], ['--desc=false'], ['--browser'], ['--browser', 'firefox'], ['--browser=false'],
  ['--global-style'], ['--legacy-bundling'], ['--also=dev'], ['--only=prod'], ['--production'], ['--optional=false'],
  ['--install-strategy', 'linked'], ['--auth-type=legacy'], ['--sbom-format', 'spdx'], ['--local-address', '127.0.0.1'],
  ['--init-author-url', 'http://a.example.com'], ['--init-author-url='], ['--https-proxy', 'http://p.example.com:3128'],
  ['--proxy', 'null'], ['--cafile', 'relative/ca.pem'], ['--logs-dir', '/tmp/logs'], ['--script-shell', '/bin/bash'],
]

const NPMRC = [
  'tag = beta\n', 'a = x ; c\nb = x#y\nc = "q;r" ; z\nd = \'s;t\'\ne=x=y\nf = x\\;y\ng=x\\#y\nh="a\\"b"\n',
  '; comment\n# comment\n   ; indented comment\ntag=v1\n', 'ca[]=AAA\nca[]=BBB\n', 'ca=AAA\nca[]=BBB\n', 'tag[]=a\ntag[]=b\n',
  '[section]\nx=1\n[a.b]\ny=2\n[a\\.c]\nz=3\n', 'tag=${SNPM_T}\nmessage=${UNSET_X}\npreid=${UNSET_X?}\ngit=\\${HOME}\n',
  '${SNPM_T}=1\n//r.example.com/:_authToken=${SNPM_T}\n', 'json\nsave-exact\n', 'json=\nsave=\n', 'depth=abc\nloglevel=bogus\n',
  'fetch-retries=0x10\nsearchlimit=1e2\nmaxsockets=Infinity\n', 'umask=022\n', 'umask=0\n', 'umask=1000\n', 'umask=bogus\n',
  'before=2020-01-01\n', 'before=garbage\n', 'init-version=v1.2.3\n', 'init-version=nope\n', 'registry=HTTP://R.Example.COM\n',
  'registry=not-a-url\n', 'cache=~/cache\nuserconfig=rel/rc\nprefix=/x/../y\n', 'json=undefined\ntag=undefined\n',
  'json=null\ntag=null\nlogs-dir=null\n', "tag='123'\nsearchlimit='7'\njson='true'\n", 'tag="123"\n',
  'omit=dev\ninclude=dev\n', 'omit[]=dev\nomit[]=bogus\n', 'save-dev=true\n', '@scope:registry=https://s.example.com/\n',
  '//r.example.com/:weird=1\n//r.example.com/:_password=x\n//r.example.com/:username=u\n//r.example.com/:email=e\n',
  'foo=bar\nfoo:bar=1\n', '_authToken=x\n_auth=y\nusername=u\n_password=p\n', 'username=u\n', '_password=p\n',
  '_authtoken=a\n-authtoken=b\n', 'email=a@b.c\n', 'cache-min=1\ninit.module=x\ndev=true\n', ' tag = spaced value \n',
  'tag=a\r\nmessage=b\r\n', '=novalue\n', '[__proto__]\nx=1\n__proto__=1\n', 'local-address=127.0.0.1\n',
  'local-address=10.99.99.99\n', 'proxy=false\nhttps-proxy=false\n', 'access=private\naudit-level=bogus\n', 'color=always\n',
  'lockfile-version=2\n', 'browser=false\n', 'otp=123\n', 'global-style=true\n', 'shrinkwrap=false\n', 'save-exact=true\n',
  'production=true\n', 'production=false\n', 'optional=false\n', 'also=dev\n', 'only=prod\n',
]

const ENVS = [
  { npm_config_json: 'true' }, { NPM_CONFIG_SAVE_EXACT: 'true' }, { npm_config_Registry: 'http://r.example.com' },
  { npm_config__auth: 'x' }, { 'npm_config_//r.example.com/:_authToken': 'abc' }, { npm_config_omit: 'dev\n\noptional' },
  { npm_config_foo_bar: 'x' }, { npm_config_empty: '' }, { npm_config_fetch_retries: '7' }, { npm_config_depth: 'Infinity' },
  { npm_config_before: '2020-06-01T10:00:00Z' }, { npm_config_save_dev: 'true', npm_config_save_prod: 'true' },
  { npm_config_global: 'true' }, { npm_config_location: 'global' }, { npm_config_userconfig: '<ROOT>/alt' },
  { npm_config_prefix: 'rel' }, { npm_config_tag: '  spaced  ' }, { npm_config_init_version: 'nope' }, { npm_config_dev: 'true' },
  { npm_config_ca: 'A\n\nB' }, { npm_config_umask: '0777' }, { npm_config_cache: '~/c' },
  // NODE_ENV, NO_COLOR, LANG, EDITOR… act through definitions.js at require time (process.env), not through
  // the env given to Config, so they are covered by tests/e2e/test_config_differential.py instead
]

const FIELDS = []
for (const key of ['tag', 'json', 'depth', 'cache', 'umask', 'before', 'ca', 'omit', 'browser', 'init-version', 'registry', 'workspace', 'foo', 'proxy', 'lockfile-version', 'otp']) {
  for (const value of ['', 'true', 'false', 'null', 'undefined', ' 12 ', '0x10', '~/x', 'rel/x', '022', '2020-01-01', 'a\n\nb', '${SNPM_T}', '\\${SNPM_T}', 'v1.2.3', 'http://x.example.com']) {
    FIELDS.push([key, value])
  }
}

;(async () => {
  const argvCases = []
  for (const argv of ARGV) argvCases.push({ argv, ...(await load({ argv })) })
  write('argv.generated.json', argvCases)

  const npmrcCases = []
  for (const text of NPMRC) {
    const parsed = ini.parse(text)
    npmrcCases.push({ text, parsed: enc(parsed), stringified: ini.stringify(parsed), load: await load({ files: { 'home/.npmrc': text }, env: { SNPM_T: 'tv' } }) })
  }
  write('npmrc.generated.json', npmrcCases)

  const envCases = []
  for (const env of ENVS) envCases.push({ ...(await load({ env })), input_env: env })
  write('env.generated.json', envCases)

  const fieldCases = []
  const opts = { platform: 'linux', types: Object.fromEntries(Object.entries(defs.definitions).map(([k, d]) => [k, d.type])), home: '/home/u', env: { SNPM_T: 'tv' } }
  const cwd = process.cwd()
  for (const [key, value] of FIELDS) {
    let out = parseField(value, key, opts)
    if (typeof out === 'string') out = out.split(cwd).join('<CWD>')
    if (Array.isArray(out)) out = out.map(x => typeof x === 'string' ? x.split(cwd).join('<CWD>') : x)
    fieldCases.push({ key, value, parsed: enc(out) })
  }
  write('fields.generated.json', fieldCases)

  const misc = {
    envReplace: ['${A}', '${A?}', '\\${A}', '\\\\${A}', '\\\\\\${A}', '${B}', '${B?}', 'x${A}y${B}z', '${A', '$A', '${}', '${A?x}'].map(s => [s, envReplace(s, { A: 'va' })]),
    nerfDart: ['https://r.example.com/npm/', 'https://r.example.com/a/b', 'HTTPS://R.Example.COM:443/x/', 'http://r.example.com:8080',
      'http://u:p@r.example.com/path/?q=1#f', 'https://r.example.com/a/./b/../c/d', 'http://r.example.com', 'http://[::1]:4873/x'].map(u => [u, nerfDart(u)]),
    collation: ['_auth', '@s:registry', '//x/:_auth', 'a', 'A', 'a b', 'a_b', 'a-b', 'a:b', 'a.b', 'a1', 'ab', 'aB', 'Ab', 'AB', 'b', 'ca',
      'init-module', 'init.module', 'initm', 'save', 'save_prefix', 'save-exact', 'save-prefix', 'saveexact', 'x', 'x-', 'x10', 'x9', '~', '$x', '#x', 'Z', 'z'].sort(localeCompare),
    numbers: ['', ' 12 ', '0x10', '0o7', '0b1', '1e3', '1_000', 'inf', 'Infinity', '-Infinity', '+5', '-0x10', '.5', '5.', '1e', '\n3\t', '0x', '00012', '1e21', '1e-7', '123456789012345680000', '0.1', '1.5e-7', '0.000001', '9007199254740993'].map(s => [s, isNaN(s) ? null : String(Number(s))]),
  }
  fs.writeFileSync(path.join(OUT, 'misc.generated.json'), JSON.stringify({ generated_with: `npm@${npmVersion} node@${process.version}`, ...misc }, null, 1) + '\n')

  const definitions = []
  for (const [key, d] of Object.entries(defs.definitions)) {
    if (key === 'local-address') continue // its type lists this machine's interfaces
    definitions.push({
      key, usage: d.usage, hint: d.hint, typeDescription: d.typeDescription, defaultDescription: scrub(d.defaultDescription),
      deprecated: d.deprecated || null, envExport: d.envExport, exclusive: d.exclusive || null,
      short: d.short === undefined ? null : [].concat(d.short), description: scrub(d.description),
    })
  }
  write('definitions.generated.json', definitions)
  write('shorthands.generated.json', Object.entries(defs.shorthands).map(([k, v]) => ({ short: k, expansion: v })))
})()
