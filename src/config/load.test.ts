import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { LIMITS } from '../core/shared/limits.js'
import {
  configEnvVars,
  dataDirToDb,
  dbFromLocation,
  deriveBaseUrl,
  formatConfigIssues,
  loadConfig,
  type ConfigIssue,
  type LoadConfigInput,
} from './load.js'
import { ConfigSchema, type Config } from './schema.js'

const root = mkdtempSync(join(tmpdir(), 'entente-config-'))
const cwd = join(root, 'work')
mkdirSync(cwd)
afterAll(() => rmSync(root, { recursive: true, force: true }))

let fileNo = 0
function file(name: string, text: string): string {
  const dir = join(root, `f${++fileNo}`)
  mkdirSync(dir)
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

function load(input: Partial<LoadConfigInput> = {}): Readonly<Config> {
  const r = loadConfig({ env: {}, cwd, ...input })
  if (!r.ok) throw new Error(`unexpected issues:\n${formatConfigIssues(r.error)}`)
  return r.value
}

function issues(input: Partial<LoadConfigInput>): ConfigIssue[] {
  const r = loadConfig({ env: {}, cwd, ...input })
  if (r.ok) throw new Error('expected configuration issues')
  return r.error
}

describe('defaults', () => {
  it('zero configuration gives SQLite under ./data and 127.0.0.1:8080', () => {
    const c = load()
    expect(c).toEqual({
      node: { name: 'entente', baseUrl: 'http://127.0.0.1:8080', keyFile: join(cwd, 'data', 'node.key') },
      http: { host: '127.0.0.1', port: 8080, bodyLimit: LIMITS.maxContentLength, trustProxy: false },
      db: { driver: 'sqlite', path: join(cwd, 'data', 'entente.db'), synchronous: 'FULL' },
      log: { level: 'info', pretty: false },
      taxii: { statusRetentionHours: 168, defaultPageSize: 1000, maxPageSize: 10000 },
      transparency: { checkpointIntervalSeconds: 10, witnessIntervalSeconds: 300 },
      metrics: { enabled: true },
      correlation: { maxIndicatorsPerValue: 100 },
      federation: { enabled: true, pollSeconds: 60, backoffBaseSeconds: 5, backoffMaxSeconds: 3600, invitationTtlHours: 72 },
      webhooks: { allowInternalAddresses: false, connectTimeoutMs: 5000, totalTimeoutMs: 10000, maxResponseBytes: 65536, intervalSeconds: 5 },
    })
  })

  it('reads the correlation settings: a warninglists directory resolved like every path, lists as a comma-separated variable', () => {
    const c = load({ env: { ENTENTE_CORRELATION__WARNINGLISTS_DIR: 'misp/lists', ENTENTE_CORRELATION__WARNINGLISTS: 'public-dns-v4, rfc1918,,', ENTENTE_CORRELATION__MAX_INDICATORS_PER_VALUE: '7' } })
    expect(c.correlation).toEqual({ warninglistsDir: join(cwd, 'misp', 'lists'), warninglists: ['public-dns-v4', 'rfc1918'], maxIndicatorsPerValue: 7 })
  })

  it('puts the signing key beside the SQLite database, or under ./data with PostgreSQL, unless told', () => {
    expect(load({ argv: { db: { driver: 'sqlite', path: '/srv/entente/db.sqlite' } } }).node.keyFile).toBe('/srv/entente/node.key')
    expect(load({ env: { ENTENTE_DB__DRIVER: 'postgres', ENTENTE_DB__URL: 'postgres://u@h/d' } }).node.keyFile).toBe(join(cwd, 'data', 'node.key'))
    expect(load({ env: { ENTENTE_NODE__KEY_FILE: 'keys/k.pem' } }).node.keyFile).toBe(join(cwd, 'keys', 'k.pem'))
  })

  it('returns a deeply frozen object', () => {
    const c = load()
    expect(Object.isFrozen(c)).toBe(true)
    expect(Object.isFrozen(c.http)).toBe(true)
    expect(Object.isFrozen(c.db)).toBe(true)
    expect(() => {
      ;(c.http as { port: number }).port = 1
    }).toThrow(TypeError)
  })

  it('derives baseUrl from the listen address', () => {
    expect(deriveBaseUrl('0.0.0.0', 80)).toBe('http://localhost:80')
    expect(deriveBaseUrl('::', 80)).toBe('http://localhost:80')
    expect(deriveBaseUrl('::1', 8080)).toBe('http://[::1]:8080')
    expect(load({ env: { ENTENTE_HTTP__PORT: '9090' } }).node.baseUrl).toBe('http://127.0.0.1:9090')
  })
})

describe('precedence: defaults < file < env < flags', () => {
  const config = file('entente.yaml', 'http:\n  port: 1000\n  host: 0.0.0.0\nlog:\n  level: debug\n')

  it('each layer overrides the one below, field by field', () => {
    expect(load({ configPath: config }).http).toMatchObject({ port: 1000, host: '0.0.0.0' })
    const env = { ENTENTE_HTTP__PORT: '2000' }
    expect(load({ configPath: config, env }).http).toMatchObject({ port: 2000, host: '0.0.0.0' })
    const c = load({ configPath: config, env, argv: { http: { port: 3000 } } })
    expect(c.http).toMatchObject({ port: 3000, host: '0.0.0.0' })
    expect(c.log.level).toBe('debug')
  })

  it('finds the file through ENTENTE_CONFIG; --config wins over it', () => {
    const other = file('other.yaml', 'http:\n  port: 4000\n')
    expect(load({ env: { ENTENTE_CONFIG: config } }).http.port).toBe(1000)
    expect(load({ env: { ENTENTE_CONFIG: config }, configPath: other }).http.port).toBe(4000)
  })

  it('ignores flags that are undefined (not given)', () => {
    expect(load({ configPath: config, argv: { http: { port: undefined } } }).http.port).toBe(1000)
  })
})

describe('environment', () => {
  it('maps ENTENTE_SECTION__FIELD (UPPER_SNAKE) onto camelCase fields and coerces by schema type', () => {
    const c = load({
      env: {
        ENTENTE_HTTP__BODY_LIMIT: '2048',
        ENTENTE_HTTP__TRUST_PROXY: 'true',
        ENTENTE_METRICS__ENABLED: '0',
        ENTENTE_LOG__PRETTY: '1',
        ENTENTE_LOG__LEVEL: 'warn',
        ENTENTE_NODE__BASE_URL: 'https://cti.example.org/entente/',
        ENTENTE_TAXII__STATUS_RETENTION_HOURS: '24',
        ENTENTE_DB__SYNCHRONOUS: 'NORMAL',
      },
    })
    expect(c.http.bodyLimit).toBe(2048)
    expect(c.http.trustProxy).toBe(true)
    expect(c.metrics.enabled).toBe(false)
    expect(c.log).toEqual({ level: 'warn', pretty: true })
    expect(c.node.baseUrl).toBe('https://cti.example.org/entente')
    expect(c.taxii.statusRetentionHours).toBe(24)
    expect(c.db).toMatchObject({ driver: 'sqlite', synchronous: 'NORMAL' })
  })

  it('accepts booleans as true/false/1/0 in any case', () => {
    for (const [text, value] of [['TRUE', true], ['False', false], ['1', true], ['0', false]] as const) {
      expect(load({ env: { ENTENTE_HTTP__TRUST_PROXY: text } }).http.trustProxy).toBe(value)
    }
    expect(issues({ env: { ENTENTE_HTTP__TRUST_PROXY: 'yes' } })).toEqual([
      { source: 'env ENTENTE_HTTP__TRUST_PROXY', pointer: '/http/trustProxy', message: 'must be true, false, 1 or 0 (got "yes")' },
    ])
  })

  it('round-trips every valid port and rejects every non-integer', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 65535 }), (port) => {
        expect(load({ env: { ENTENTE_HTTP__PORT: String(port) } }).http.port).toBe(port)
      }),
      { numRuns: 200 },
    )
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/^\s*[+-]?\d+\s*$/.test(s)),
        (text) => {
          const found = issues({ env: { ENTENTE_HTTP__PORT: text } })
          expect(found).toHaveLength(1)
          expect(found[0]).toMatchObject({ source: 'env ENTENTE_HTTP__PORT', pointer: '/http/port' })
          expect(found[0]?.message).toMatch(/^must be an integer/)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('rejects unknown ENTENTE_ variables with a suggestion, and variables naming a section', () => {
    expect(issues({ env: { ENTENTE_HTTP_PORT: '80', ENTENTE_LOG: 'debug', ENTENTE_HTTP__PROT: '1' } })).toEqual([
      { source: 'env ENTENTE_HTTP_PORT', pointer: '/httpPort', message: 'unknown variable (did you mean ENTENTE_HTTP__PORT?)' },
      { source: 'env ENTENTE_HTTP__PROT', pointer: '/http/prot', message: 'unknown variable (did you mean ENTENTE_HTTP__PORT?)' },
      {
        source: 'env ENTENTE_LOG',
        pointer: '/log',
        message: 'names a section, not a setting; set its fields instead, e.g. ENTENTE_LOG__LEVEL',
      },
    ])
  })

  it('leaves other variables alone: no prefix, ENTENTE_CONFIG, ENTENTE_TEST_*', () => {
    expect(load({ env: { HOME: '/root', PORT: 'x', ENTENTE_TEST_DIALECTS: 'sqlite', ENTENTE_CONFIG: '' } }).http.port).toBe(8080)
  })

  it('reads _FILE secrets, trimming the trailing newline', () => {
    const secret = file('db', 'postgres://entente:s3cret@db.internal:5432/entente\n')
    const c = load({ env: { ENTENTE_DB__DRIVER: 'postgres', ENTENTE_DB__URL_FILE: secret } })
    expect(c.db).toEqual({
      driver: 'postgres',
      url: 'postgres://entente:s3cret@db.internal:5432/entente',
      poolMax: 10,
      statementTimeoutMs: 30000,
    })
    const port = file('port', '9443\r\n')
    expect(load({ env: { ENTENTE_HTTP__PORT_FILE: port } }).http.port).toBe(9443)
  })

  it('reports unreadable secret files and double definitions', () => {
    const found = issues({
      env: {
        ENTENTE_DB__URL_FILE: join(root, 'missing'),
        ENTENTE_NODE__NAME: 'a',
        ENTENTE_NODE__NAME_FILE: join(root, 'whatever'),
      },
    })
    expect(found).toEqual([
      { source: 'env ENTENTE_DB__URL_FILE', pointer: '/db/url', message: `cannot read ${join(root, 'missing')}: ENOENT` },
      { source: 'env ENTENTE_NODE__NAME_FILE', pointer: '/node/name', message: 'both ENTENTE_NODE__NAME and ENTENTE_NODE__NAME_FILE are set; use one' },
    ])
  })

  it('never echoes a secret in a problem message', () => {
    const found = issues({ env: { ENTENTE_DB__DRIVER: 'postgres', ENTENTE_DB__URL: 'mysql://root:hunter2@x/y' } })
    expect(found).toEqual([{ source: 'env ENTENTE_DB__URL', pointer: '/db/url', message: 'must be a postgres:// or postgresql:// URL' }])
    expect(formatConfigIssues(found)).not.toContain('hunter2')
  })

  it('lists every variable it accepts, and each one is accepted', () => {
    const names = configEnvVars()
    expect(names).toContain('ENTENTE_HTTP__PORT')
    expect(names).toContain('ENTENTE_DB__STATEMENT_TIMEOUT_MS')
    expect(names).toContain('ENTENTE_TAXII__MAX_PAGE_SIZE')
    for (const name of names) {
      const r = loadConfig({ env: { [name]: 'x' }, cwd })
      const unknown = r.ok ? [] : r.error.filter((i) => i.message.startsWith('unknown'))
      expect(unknown, name).toEqual([])
    }
  })
})

describe('config file', () => {
  it('reports unknown keys with their file pointer and a suggestion', () => {
    const path = file('x.yaml', 'http:\n  prot: 80\nlogging:\n  level: debug\n')
    expect(issues({ configPath: path })).toEqual([
      { source: `file ${path} /http/prot`, pointer: '/http/prot', message: "unknown key 'prot' (did you mean 'port'?)" },
      { source: `file ${path} /logging`, pointer: '/logging', message: "unknown key 'logging'" },
    ])
  })

  it('does not coerce typed values in the file', () => {
    const path = file('x.yaml', 'http:\n  port: "8080"\n')
    expect(issues({ configPath: path })).toEqual([
      { source: `file ${path} /http/port`, pointer: '/http/port', message: 'must be an integer (got "8080")' },
    ])
  })

  it('treats an empty section (every field commented out) and an empty file as unset', () => {
    expect(load({ configPath: file('a.yaml', 'http:\nlog:\n  # level: debug\n') }).http.port).toBe(8080)
    expect(load({ configPath: file('b.yaml', '') }).http.port).toBe(8080)
  })

  it('reads JSON by extension or by content', () => {
    expect(load({ configPath: file('c.json', '{"http":{"port":1234}}') }).http.port).toBe(1234)
    expect(load({ configPath: file('c.conf', '  {"http":{"port":1235}}') }).http.port).toBe(1235)
    const bad = file('d.json', '{"http": }')
    const found = issues({ configPath: bad })
    expect(found).toHaveLength(1)
    expect(found[0]).toMatchObject({ source: `file ${bad}`, pointer: '' })
    expect(found[0]?.message).toMatch(/^not valid JSON: /)
  })

  it('reports YAML syntax errors and duplicate keys with line and column', () => {
    const bad = file('e.yaml', 'http:\n  port: 1\n  port: 2\n')
    expect(issues({ configPath: bad })).toEqual([
      { source: `file ${bad}`, pointer: '', message: expect.stringMatching(/^not valid YAML at line 3, column 3: .*unique/i) as unknown },
    ])
  })

  it('rejects a file whose top level or sections are not mappings', () => {
    const list = file('f.yaml', '- a\n- b\n')
    expect(issues({ configPath: list })[0]).toMatchObject({ source: `file ${list}`, message: 'must contain a mapping at the top level, got a list' })
    const scalar = file('g.yaml', 'http: 8080\n')
    expect(issues({ configPath: scalar })).toEqual([
      { source: `file ${scalar} /http`, pointer: '/http', message: 'must be a mapping of settings, got 8080' },
    ])
  })

  it('reports a missing file against the flag or variable that named it', () => {
    expect(issues({ configPath: './nope.yaml' })).toEqual([
      { source: 'flag --config', pointer: '', message: 'cannot read config file ./nope.yaml: ENOENT' },
    ])
    expect(issues({ env: { ENTENTE_CONFIG: './nope.yaml' } })[0]?.source).toBe('env ENTENTE_CONFIG')
  })

  it('resolves paths in the file against its directory, others against cwd', () => {
    const path = file('h.yaml', 'db:\n  path: ./db/node.db\n')
    expect(load({ configPath: path }).db).toMatchObject({ path: join(dirname(path), 'db', 'node.db') })
    expect(load({ configPath: path, env: { ENTENTE_DB__PATH: 'x.db' } }).db).toMatchObject({ path: join(cwd, 'x.db') })
    expect(load({ argv: { db: dataDirToDb('./d') } }).db).toMatchObject({ path: join(cwd, 'd', 'entente.db') })
    expect(load({ argv: { db: { path: ':memory:' } } }).db).toMatchObject({ path: ':memory:' })
    expect(load({ argv: { db: { path: '/abs/e.db' } } }).db).toMatchObject({ path: '/abs/e.db' })
  })
})

describe('the db union', () => {
  it('a later layer that switches the driver replaces the other driver’s settings', () => {
    const path = file('db.yaml', 'db:\n  driver: sqlite\n  path: ./x.db\n  synchronous: NORMAL\n')
    const c = load({ configPath: path, env: { ENTENTE_DB__DRIVER: 'postgres', ENTENTE_DB__URL: 'postgres://h/db' } })
    expect(c.db).toEqual({ driver: 'postgres', url: 'postgres://h/db', poolMax: 10, statementTimeoutMs: 30000 })
    const back = load({ configPath: path, env: { ENTENTE_DB__DRIVER: 'postgres' }, argv: { db: dbFromLocation('./data2') } })
    // ENTENTE_DB__DRIVER=postgres dropped the file's SQLite settings; --data brings SQLite back with defaults.
    expect(back.db).toEqual({ driver: 'sqlite', path: join(cwd, 'data2', 'entente.db'), synchronous: 'FULL' })
  })

  it('selects postgres when only a url is given', () => {
    expect(load({ env: { ENTENTE_DB__URL: 'postgresql://h/db', ENTENTE_DB__SCHEMA: 'entente_1' } }).db).toEqual({
      driver: 'postgres',
      url: 'postgresql://h/db',
      poolMax: 10,
      statementTimeoutMs: 30000,
      schema: 'entente_1',
    })
  })

  it('reports a missing url against whoever chose postgres, and settings of the other driver', () => {
    expect(issues({ env: { ENTENTE_DB__DRIVER: 'postgres', ENTENTE_DB__SYNCHRONOUS: 'FULL' } })).toEqual([
      { source: 'env ENTENTE_DB__DRIVER', pointer: '/db/url', message: "is required when db.driver is 'postgres'" },
      { source: 'env ENTENTE_DB__SYNCHRONOUS', pointer: '/db/synchronous', message: "is not a setting when db.driver is 'postgres'" },
    ])
  })

  it('reports an unknown driver once', () => {
    expect(issues({ env: { ENTENTE_DB__DRIVER: 'mysql', ENTENTE_DB__PATH: 'x' } })).toEqual([
      { source: 'env ENTENTE_DB__DRIVER', pointer: '/db/driver', message: `must be one of 'sqlite', 'postgres', got "mysql"` },
    ])
  })

  it('maps --data to a directory or a PostgreSQL URL', () => {
    expect(dataDirToDb('/srv/entente')).toEqual({ driver: 'sqlite', path: '/srv/entente/entente.db' })
    expect(dbFromLocation('/srv/entente')).toEqual({ driver: 'sqlite', path: '/srv/entente/entente.db' })
    expect(dbFromLocation('postgres://u@h/d')).toEqual({ driver: 'postgres', url: 'postgres://u@h/d' })
    expect(dbFromLocation('PostgreSQL://u@h/d')).toEqual({ driver: 'postgres', url: 'PostgreSQL://u@h/d' })
  })
})

describe('flags and cross-field rules', () => {
  it('names flags in sources, including unknown options', () => {
    expect(issues({ argv: { http: { port: 70000 }, log: { level: 'loud' }, taxii: { maxPageSize: 0 }, bogus: 1 } })).toEqual([
      { source: 'flag --bogus', pointer: '/bogus', message: "unknown option 'bogus'" },
      { source: 'flag --port', pointer: '/http/port', message: 'must be between 0 and 65535 (got 70000)' },
      {
        source: 'flag --log-level',
        pointer: '/log/level',
        message: "must be one of 'fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent' (got \"loud\")",
      },
      { source: 'flag --taxii-max-page-size', pointer: '/taxii/maxPageSize', message: 'must be between 1 and 10000 (got 0)' },
    ])
    expect(issues({ argv: { http: { port: -1 } }, flagNames: { '/http/port': '--listen-port' } })[0]?.source).toBe('flag --listen-port')
  })

  it('reports every problem of every layer at once', () => {
    const path = file('many.yaml', 'node:\n  name: ""\nhttp:\n  bodyLimit: 10\n')
    const found = issues({ configPath: path, env: { ENTENTE_HTTP__PORT: 'eighty' }, argv: { log: { pretty: 'yes' } } })
    expect(found.map((i) => i.source)).toEqual([
      `file ${path} /node/name`,
      `file ${path} /http/bodyLimit`,
      'env ENTENTE_HTTP__PORT',
      'flag --log-pretty',
    ])
    expect(formatConfigIssues(found).split('\n')).toEqual([
      `file ${path} /node/name: must not be empty (got "")`,
      `file ${path} /http/bodyLimit: must be at least 1024 (got 10)`,
      'env ENTENTE_HTTP__PORT (/http/port): must be an integer (got "eighty")',
      'flag --log-pretty (/log/pretty): must be true or false (got "yes")',
    ])
  })

  it('checks that the default page size fits the maximum', () => {
    expect(issues({ env: { ENTENTE_TAXII__MAX_PAGE_SIZE: '500' } })).toEqual([
      {
        source: 'env ENTENTE_TAXII__MAX_PAGE_SIZE',
        pointer: '/taxii/maxPageSize',
        message: 'taxii.defaultPageSize (1000) must not exceed taxii.maxPageSize (500)',
      },
    ])
  })

  it('rejects a baseUrl that is not an absolute http(s) URL', () => {
    for (const bad of ['cti.example.org', 'ftp://x', 'https://u:p@x', 'https://x/?a=1', 'https://x/#f']) {
      expect(issues({ env: { ENTENTE_NODE__BASE_URL: bad } })[0]).toMatchObject({ pointer: '/node/baseUrl' })
    }
  })

  it('formats one line per issue even when a message has line breaks', () => {
    const text = formatConfigIssues([{ source: 'default', pointer: '/a', message: 'x\ny' }])
    expect(text).toBe('default (/a): x y')
  })
})

describe('config/entente.example.yaml', () => {
  const example = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'config', 'entente.example.yaml')

  it('loads to the defaults (default paths stay relative to cwd)', () => {
    expect(load({ configPath: example })).toEqual(load())
  })

  it('documents every option, with its current default', () => {
    const text = readFileSync(example, 'utf8')
    for (const name of configEnvVars()) {
      const field = name.split('__').at(-1)?.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
      expect(text, name).toContain(`# ${field}:`)
    }
    interface Node { properties?: Record<string, Node>; anyOf?: Node[]; default?: unknown }
    const leaves = (node: Node): [string, Node][] =>
      [...Object.entries(node.properties ?? {}), ...(node.anyOf ?? []).flatMap((v) => Object.entries(v.properties ?? {}))].flatMap(
        ([key, child]): [string, Node][] => (child.properties || child.anyOf?.some((v) => v.properties) ? leaves(child) : [[key, child]]),
      )
    for (const [key, leaf] of leaves(ConfigSchema as unknown as Node)) {
      if (leaf.default !== undefined) expect(text, key).toContain(`# ${key}: ${String(leaf.default)}\n`)
    }
  })
})
