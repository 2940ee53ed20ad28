/**
 * Loads the configuration: defaults (in the schema) < config file < `ENTENTE_…` environment < CLI flags.
 *
 * The only module that looks at the environment, and it does not read `process.env` itself: the
 * caller passes the environment in, so loading is a pure function of its input plus the files it is
 * told to read (the config file and `_FILE` secrets). Everything is synchronous and every problem is
 * reported, each with the source that caused it.
 */
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { Value } from 'typebox/value'
import { LineCounter, parseDocument } from 'yaml'
import type { Result } from '../core/shared/result.js'
import { err, ok } from '../core/shared/result.js'
import { ConfigSchema } from './schema.js'
import type { Config, ConfigOverrides } from './schema.js'

/** One configuration problem. `source` names where the bad value came from. */
export interface ConfigIssue {
  /** `'env ENTENTE_HTTP__PORT'`, `'file ./x.yaml /http/port'`, `'flag --port'`, `'flag --config'` or `'default'`. */
  readonly source: string
  /** RFC 6901 pointer into the configuration (`''` for the whole file). */
  readonly pointer: string
  readonly message: string
}

export interface LoadConfigInput {
  /**
   * Flag overrides, already parsed by the CLI into the config's shape (`undefined` = not given).
   * Checked like every other layer, so a loosely typed object is accepted too.
   */
  readonly argv?: ConfigOverrides | Readonly<Record<string, unknown>> | undefined
  /** The environment (`process.env` in production; a plain object in tests). */
  readonly env: Readonly<Record<string, string | undefined>>
  /** Directory that relative paths from the environment, flags and defaults are resolved against. */
  readonly cwd: string
  /** `--config PATH` (wins over `ENTENTE_CONFIG`). */
  readonly configPath?: string | undefined
  /** How flags are named in problem sources, by pointer (defaults: {@link DEFAULT_FLAG_NAMES}). */
  readonly flagNames?: Readonly<Record<string, string>> | undefined
}

export const ENV_PREFIX = 'ENTENTE_'
/** The variable naming the config file; it is not a setting itself. */
export const CONFIG_ENV = 'ENTENTE_CONFIG'
/** `ENTENTE_` variables that belong to other tools (the test harness), never read as settings. */
export const NON_CONFIG_ENV_PREFIXES: readonly string[] = ['ENTENTE_TEST_']
const FILE_SUFFIX = '_FILE'

/** Flag spellings of the CLI for problem sources; a pointer not listed shows as `--<kebab-path>`. */
export const DEFAULT_FLAG_NAMES: Readonly<Record<string, string>> = {
  '/http/host': '--host',
  '/http/port': '--port',
  '/db/driver': '--data',
  '/db/path': '--data',
  '/db/url': '--data',
  '/log/level': '--log-level',
}

/** `--data DIR`: the SQLite database inside a data directory. */
export function dataDirToDb(dir: string): { driver: 'sqlite'; path: string } {
  return { driver: 'sqlite', path: join(dir, 'entente.db') }
}

/** `--data` accepts either a data directory or a `postgres://` / `postgresql://` URL. */
export function dbFromLocation(
  location: string,
): { driver: 'sqlite'; path: string } | { driver: 'postgres'; url: string } {
  return /^postgres(ql)?:\/\//i.test(location) ? { driver: 'postgres', url: location } : dataDirToDb(location)
}

/**
 * A snapshot of the process environment, for the composition root and the CLI to pass to
 * {@link loadConfig}. This is the one place in Entente that touches `process.env`.
 */
export function processEnv(): Record<string, string | undefined> {
  return { ...process.env }
}

/** Loads, layers and validates the configuration. The result is deeply frozen. */
export function loadConfig(input: LoadConfigInput): Result<Readonly<Config>, ConfigIssue[]> {
  const issues: ConfigIssue[] = []
  const { cwd, env } = input
  const flagNames = input.flagNames ?? DEFAULT_FLAG_NAMES

  const fileLayer = readConfigFileLayer(input, issues)
  const envLayer = readEnvLayer(env, cwd, issues)
  const flagLayer: Assignment[] = []
  if (input.argv !== undefined) {
    flatten(ROOT, input.argv, [], flagLayer, issues, {
      label: (pointer) => `flag ${flagNames[pointer] ?? kebabFlag(pointer)}`,
      baseDir: cwd,
      what: 'option',
    })
  }

  const merged = mergeLayers([fileLayer, envLayer, flagLayer])
  const resolver = new Resolver(merged, cwd, issues)
  const resolved = resolver.node(ROOT, [], undefined)
  resolver.reportUnused()
  if (issues.length > 0 || !isRecord(resolved)) return err(inLayerOrder(issues))

  finish(resolved, merged, issues, cwd)
  if (issues.length > 0) return err(inLayerOrder(issues))
  if (!Value.Check(ConfigSchema, resolved)) {
    // The resolver checks everything the schema says; a mismatch here is a bug in this file.
    const first = [...Value.Errors(ConfigSchema, resolved)][0]
    throw new Error(`config loader produced an invalid config: ${first?.instancePath ?? ''} ${first?.message ?? ''}`)
  }
  return ok(deepFreeze(resolved))
}

/** Issues sorted by layer (config file lookup, file, env, flags, defaults), stable within a layer. */
function inLayerOrder(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const rank = (i: ConfigIssue): number =>
    i.source === 'flag --config' || i.source === `env ${CONFIG_ENV}`
      ? 0
      : i.source.startsWith('file ')
        ? 1
        : i.source.startsWith('env ')
          ? 2
          : i.source.startsWith('flag ')
            ? 3
            : 4
  return issues
    .map((issue, n) => ({ issue, n }))
    .sort((a, b) => rank(a.issue) - rank(b.issue) || a.n - b.n)
    .map((x) => x.issue)
}

/** One line per issue: `env ENTENTE_HTTP__PORT (/http/port): must be an integer (got "80a")`. */
export function formatConfigIssues(issues: readonly ConfigIssue[]): string {
  return issues
    .map((i) => {
      const where = i.pointer === '' || i.source.endsWith(` ${i.pointer}`) ? '' : ` (${i.pointer})`
      return `${i.source}${where}: ${oneLine(i.message)}`
    })
    .join('\n')
}

/** Every environment variable that sets a configuration value (for docs and `entente config`). */
export function configEnvVars(): string[] {
  const names: string[] = []
  const walk = (schema: JsonSchema, prefix: string): void => {
    for (const key of sectionKeys(schema)) {
      const child = childSchema(schema, key)
      if (child === undefined) continue
      const name = `${prefix}${prefix === ENV_PREFIX ? '' : '__'}${envSegment(key)}`
      if (isSection(child)) walk(child, name)
      else names.push(name)
    }
  }
  walk(ROOT, ENV_PREFIX)
  return names
}

// ---------------------------------------------------------------------------------------------
// The schema, seen as plain JSON Schema

interface JsonSchema {
  readonly type?: string
  readonly properties?: Readonly<Record<string, JsonSchema>>
  readonly required?: readonly string[]
  readonly anyOf?: readonly JsonSchema[]
  readonly const?: unknown
  readonly default?: unknown
  readonly minimum?: number
  readonly maximum?: number
  readonly minLength?: number
  readonly maxLength?: number
  readonly pattern?: string
  readonly 'x-path'?: boolean
  readonly 'x-secret'?: boolean | 'url'
  readonly 'x-derived'?: boolean
  readonly 'x-hint'?: string
  readonly 'x-discriminator'?: string
}

// TypeBox schemas are JSON Schema objects; this view reads the keywords the loader walks.
const ROOT: JsonSchema = ConfigSchema as unknown as JsonSchema

function isObjectUnion(s: JsonSchema): boolean {
  return s.anyOf !== undefined && s.anyOf.length > 0 && s.anyOf.every((v) => v.type === 'object')
}
function isSection(s: JsonSchema): boolean {
  return s.type === 'object' || isObjectUnion(s)
}
function ownProperty(s: JsonSchema, key: string): JsonSchema | undefined {
  return s.properties !== undefined && Object.hasOwn(s.properties, key) ? s.properties[key] : undefined
}
/** The keys a section accepts (for a union, the keys of every variant). */
function sectionKeys(s: JsonSchema): string[] {
  if (s.type === 'object') return Object.keys(s.properties ?? {})
  return [...new Set((s.anyOf ?? []).flatMap((v) => Object.keys(v.properties ?? {})))]
}
function childSchema(s: JsonSchema, key: string): JsonSchema | undefined {
  if (s.type === 'object') return ownProperty(s, key)
  for (const v of s.anyOf ?? []) {
    const c = ownProperty(v, key)
    if (c !== undefined) return c
  }
  return undefined
}
function enumValues(s: JsonSchema): unknown[] | undefined {
  if (s.anyOf === undefined || !s.anyOf.every((v) => 'const' in v)) return undefined
  return s.anyOf.map((v) => v.const)
}

// ---------------------------------------------------------------------------------------------
// Layers: each turns its input into leaf assignments

interface Assignment {
  readonly pointer: string
  readonly segs: readonly string[]
  readonly value: unknown
  readonly source: string
  /** Relative paths set by this assignment resolve against this directory. */
  readonly baseDir: string
}

interface FlattenContext {
  readonly label: (pointer: string) => string
  readonly baseDir: string
  readonly what: 'key' | 'option'
}

/** Walks a nested object along the schema: unknown keys are problems, leaves become assignments. */
function flatten(
  schema: JsonSchema,
  value: unknown,
  segs: readonly string[],
  out: Assignment[],
  issues: ConfigIssue[],
  ctx: FlattenContext,
): void {
  // `undefined` (a flag not given) and YAML `null` (`http:` with every field commented out) mean "not set".
  if (value === undefined || value === null) return
  const pointer = toPointer(segs)
  if (!isSection(schema)) {
    out.push({ pointer, segs, value, source: ctx.label(pointer), baseDir: ctx.baseDir })
    return
  }
  if (!isRecord(value)) {
    issues.push({
      source: ctx.label(pointer),
      pointer,
      message: `must be a mapping of settings, got ${describeValue(value)}`,
    })
    return
  }
  const known = sectionKeys(schema)
  for (const key of Object.keys(value)) {
    const child = childSchema(schema, key)
    const childSegs = [...segs, key]
    if (child === undefined) {
      const p = toPointer(childSegs)
      issues.push({ source: ctx.label(p), pointer: p, message: `unknown ${ctx.what} '${key}'${didYouMean(key, known, (k) => `'${k}'`)}` })
      continue
    }
    flatten(child, value[key], childSegs, out, issues, ctx)
  }
}

function readConfigFileLayer(input: LoadConfigInput, issues: ConfigIssue[]): Assignment[] {
  const fromEnv = input.env[CONFIG_ENV]
  const given = input.configPath ?? (fromEnv === '' ? undefined : fromEnv)
  if (given === undefined) return []
  const via = input.configPath !== undefined ? 'flag --config' : `env ${CONFIG_ENV}`
  const abs = resolve(input.cwd, given)
  let text: string
  try {
    text = readFileSync(abs, 'utf8')
  } catch (e) {
    issues.push({ source: via, pointer: '', message: `cannot read config file ${given}: ${errorCode(e)}` })
    return []
  }
  const fileSource = `file ${given}`
  const parsed = parseConfigText(text, abs)
  if (!parsed.ok) {
    for (const message of parsed.error) issues.push({ source: fileSource, pointer: '', message })
    return []
  }
  if (parsed.value === null || parsed.value === undefined) return []
  if (!isRecord(parsed.value)) {
    issues.push({ source: fileSource, pointer: '', message: `must contain a mapping at the top level, got ${describeValue(parsed.value)}` })
    return []
  }
  const out: Assignment[] = []
  flatten(ROOT, parsed.value, [], out, issues, {
    label: (pointer) => (pointer === '' ? fileSource : `${fileSource} ${pointer}`),
    baseDir: dirname(abs),
    what: 'key',
  })
  return out
}

/** JSON by extension (`.json`) or content (starts with `{`); YAML otherwise. */
function parseConfigText(text: string, path: string): Result<unknown, string[]> {
  const body = text.replace(/^\uFEFF/, '')
  const json = /\.json$/i.test(path) || (!/\.ya?ml$/i.test(path) && body.trimStart().startsWith('{'))
  if (json) {
    try {
      return ok(JSON.parse(body) as unknown)
    } catch (e) {
      return err([`not valid JSON: ${e instanceof Error ? e.message : String(e)}`])
    }
  }
  const lineCounter = new LineCounter()
  const doc = parseDocument(body, { lineCounter, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    return err(
      doc.errors.map((e) => {
        const at = lineCounter.linePos(e.pos[0])
        return `not valid YAML at line ${at.line}, column ${at.col}: ${firstLine(e.message)}`
      }),
    )
  }
  try {
    return ok(doc.toJS({ maxAliasCount: 100 }) as unknown)
  } catch (e) {
    return err([`not valid YAML: ${e instanceof Error ? firstLine(e.message) : String(e)}`])
  }
}

type EnvTarget =
  | { readonly kind: 'leaf'; readonly segs: string[]; readonly schema: JsonSchema }
  | { readonly kind: 'section'; readonly segs: string[] }
  | { readonly kind: 'unknown'; readonly segs: string[] }

/** `HTTP__BODY_LIMIT` → `['http', 'bodyLimit']`, matched against the schema's keys. */
function envTarget(rest: string): EnvTarget {
  let schema = ROOT
  const segs: string[] = []
  for (const part of rest.split('__')) {
    const key = isSection(schema) ? sectionKeys(schema).find((k) => envSegment(k) === part.toUpperCase()) : undefined
    const child = key === undefined ? undefined : childSchema(schema, key)
    if (key === undefined || child === undefined) {
      segs.push(camelCase(part))
      return { kind: 'unknown', segs }
    }
    segs.push(key)
    schema = child
  }
  return isSection(schema) ? { kind: 'section', segs } : { kind: 'leaf', segs, schema }
}

function readEnvLayer(env: LoadConfigInput['env'], cwd: string, issues: ConfigIssue[]): Assignment[] {
  const out: Assignment[] = []
  const names = Object.keys(env)
    .filter((n) => n.startsWith(ENV_PREFIX) && n !== CONFIG_ENV && !NON_CONFIG_ENV_PREFIXES.some((p) => n.startsWith(p)))
    .sort()
  for (const name of names) {
    const raw = env[name]
    if (raw === undefined) continue
    const source = `env ${name}`
    const rest = name.slice(ENV_PREFIX.length)
    let target = envTarget(rest)
    let secretFile = false
    if (target.kind !== 'leaf' && rest.endsWith(FILE_SUFFIX)) {
      const plain = envTarget(rest.slice(0, -FILE_SUFFIX.length))
      if (plain.kind === 'leaf') {
        target = plain
        secretFile = true
      }
    }
    const pointer = toPointer(target.segs)
    if (target.kind === 'unknown') {
      issues.push({ source, pointer, message: `unknown variable${didYouMean(name, configEnvVars())}` })
      continue
    }
    if (target.kind === 'section') {
      const example = configEnvVars().find((n) => n.startsWith(`${name}__`)) ?? `${name}__…`
      issues.push({ source, pointer, message: `names a section, not a setting; set its fields instead, e.g. ${example}` })
      continue
    }
    let text = raw
    if (secretFile) {
      const plainName = name.slice(0, -FILE_SUFFIX.length)
      if (env[plainName] !== undefined) {
        issues.push({ source, pointer, message: `both ${plainName} and ${name} are set; use one` })
        continue
      }
      try {
        text = readFileSync(resolve(cwd, raw), 'utf8').replace(/(\r?\n)+$/, '')
      } catch (e) {
        issues.push({ source, pointer, message: `cannot read ${raw}: ${errorCode(e)}` })
        continue
      }
    }
    const coerced = coerceEnv(target.schema, text)
    if (!coerced.ok) {
      issues.push({ source, pointer, message: withGot(coerced.error, text, target.schema) })
      continue
    }
    out.push({ pointer, segs: target.segs, value: coerced.value, source, baseDir: cwd })
  }
  return out
}

/** Environment values are strings: turn them into the schema's type. Enums and strings stay as they are. */
function coerceEnv(schema: JsonSchema, text: string): Result<unknown, string> {
  switch (schema.type) {
    case 'integer': {
      const t = text.trim()
      const n = Number(t)
      return /^[+-]?\d+$/.test(t) && Number.isSafeInteger(n) ? ok(n) : err('must be an integer')
    }
    case 'number': {
      const t = text.trim()
      const n = Number(t)
      return t !== '' && Number.isFinite(n) ? ok(n) : err('must be a number')
    }
    case 'boolean': {
      const t = text.trim().toLowerCase()
      if (t === 'true' || t === '1') return ok(true)
      if (t === 'false' || t === '0') return ok(false)
      return err('must be true, false, 1 or 0')
    }
    case 'array':
      // A comma-separated list (ENTENTE_CORRELATION__WARNINGLISTS=public-dns-v4,rfc1918).
      return ok(
        text
          .split(',')
          .map((x) => x.trim())
          .filter((x) => x !== ''),
      )
    default:
      return ok(text)
  }
}

/**
 * Later layers win per leaf. When a layer sets the discriminator of a union (`db.driver`), settings
 * from earlier layers that the chosen variant does not have are dropped: `ENTENTE_DB__DRIVER=postgres`
 * over a file that configures SQLite replaces that configuration rather than clashing with it.
 */
function mergeLayers(layers: readonly (readonly Assignment[])[]): Map<string, Assignment> {
  const merged = new Map<string, Assignment>()
  const unions = unionSections(ROOT, [])
  for (const layer of layers) {
    for (const u of unions) {
      const set = layer.find((a) => a.pointer === `${u.pointer}/${u.discriminator}`)
      const variant = set === undefined ? undefined : u.variants.find((v) => ownProperty(v, u.discriminator)?.const === set.value)
      if (variant === undefined) continue
      for (const [p, a] of merged) {
        const key = a.segs[u.depth]
        if (p.startsWith(`${u.pointer}/`) && key !== undefined && ownProperty(variant, key) === undefined) merged.delete(p)
      }
    }
    for (const a of layer) merged.set(a.pointer, a)
  }
  return merged
}

interface UnionSection {
  readonly pointer: string
  readonly depth: number
  readonly discriminator: string
  readonly variants: readonly JsonSchema[]
}

function unionSections(schema: JsonSchema, segs: readonly string[]): UnionSection[] {
  if (isObjectUnion(schema)) {
    const discriminator = schema['x-discriminator']
    return discriminator === undefined
      ? []
      : [{ pointer: toPointer(segs), depth: segs.length, discriminator, variants: schema.anyOf ?? [] }]
  }
  if (schema.type !== 'object') return []
  return Object.entries(schema.properties ?? {}).flatMap(([k, c]) => unionSections(c, [...segs, k]))
}

// ---------------------------------------------------------------------------------------------
// Resolution: defaults, validation, paths

const MISSING: unique symbol = Symbol('missing')
type Resolved = unknown
interface RequiredBecause {
  readonly source: string
  readonly context: string
}

class Resolver {
  private readonly consumed = new Set<string>()
  /** Pointers under a union whose variant could not be chosen: their leaves are not reported again. */
  private readonly abandoned: string[] = []
  /** Messages for settings left over under a union: `not a setting of db.driver 'sqlite'`. */
  private readonly leftover = new Map<string, string>()

  constructor(
    private readonly merged: ReadonlyMap<string, Assignment>,
    private readonly cwd: string,
    private readonly issues: ConfigIssue[],
  ) {}

  /** Resolves a schema node; `why` names who made a missing required field necessary (a union's discriminator). */
  node(schema: JsonSchema, segs: readonly string[], why: RequiredBecause | undefined): Resolved | typeof MISSING {
    if (isObjectUnion(schema)) return this.union(schema, segs)
    if (schema.type === 'object') return this.object(schema, segs, why)
    return this.leaf(schema, segs)
  }

  private object(schema: JsonSchema, segs: readonly string[], why: RequiredBecause | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const [key, child] of Object.entries(schema.properties ?? {})) {
      const childSegs = [...segs, key]
      const pointer = toPointer(childSegs)
      const v = this.node(child, childSegs, why)
      if (v !== MISSING) {
        out[key] = v
        continue
      }
      const required = schema.required?.includes(key) === true
      if (required && child['x-derived'] !== true && !this.failed(pointer)) {
        this.issues.push({ source: why?.source ?? 'default', pointer, message: `is required${why?.context ?? ''}` })
      }
    }
    return out
  }

  private union(schema: JsonSchema, segs: readonly string[]): Resolved | typeof MISSING {
    const pointer = toPointer(segs)
    const variants = schema.anyOf ?? []
    const disc = schema['x-discriminator'] ?? 'type'
    const discPointer = `${pointer}/${disc}`
    const literal = (v: JsonSchema): unknown => ownProperty(v, disc)?.const
    const set = this.merged.get(discPointer)
    const under = [...this.merged.values()].filter((a) => a.pointer.startsWith(`${pointer}/`))
    let variant: JsonSchema | undefined
    let source = 'default'
    if (set !== undefined) {
      variant = variants.find((v) => literal(v) === set.value)
      source = set.source
      if (variant === undefined) {
        this.consumed.add(discPointer)
        this.abandoned.push(pointer)
        for (const a of under) this.consumed.add(a.pointer)
        const allowed = variants.map((v) => `'${String(literal(v))}'`).join(', ')
        this.issues.push({ source, pointer: discPointer, message: `must be one of ${allowed}, got ${describeValue(set.value)}` })
        return MISSING
      }
    } else {
      // No discriminator given: the variant whose keys fit what was set, the schema default first.
      const keys = under.map((a) => a.segs[segs.length]).filter((k): k is string => k !== undefined)
      const fits = variants.filter((v) => keys.every((k) => ownProperty(v, k) !== undefined))
      const preferred = isRecord(schema.default) ? schema.default[disc] : undefined
      variant = fits.find((v) => literal(v) === preferred) ?? fits[0] ?? variants.find((v) => literal(v) === preferred) ?? variants[0]
    }
    if (variant === undefined) return MISSING
    const chosen = String(literal(variant))
    for (const a of under) {
      const key = a.segs[segs.length]
      if (key !== undefined && ownProperty(variant, key) === undefined) {
        this.leftover.set(a.pointer, `is not a setting when ${dotted(segs)}.${disc} is '${chosen}'`)
      }
    }
    return this.object(variant, segs, { source, context: ` when ${dotted(segs)}.${disc} is '${chosen}'` })
  }

  private leaf(schema: JsonSchema, segs: readonly string[]): Resolved | typeof MISSING {
    const pointer = toPointer(segs)
    const a = this.merged.get(pointer)
    if (a !== undefined) {
      this.consumed.add(pointer)
      const problem = checkLeaf(schema, a.value)
      if (problem !== undefined) {
        this.issues.push({ source: a.source, pointer, message: withGot(problem, a.value, schema) })
        this.abandoned.push(pointer)
        return MISSING
      }
      return schema['x-path'] === true ? absolutePath(a.baseDir, a.value) : a.value
    }
    if ('const' in schema) return schema.const
    if ('default' in schema) {
      const value = structuredClone(schema.default)
      return schema['x-path'] === true ? absolutePath(this.cwd, value) : value
    }
    return MISSING
  }

  /** Settings that were given but belong to no resolved field (a variant that was not chosen). */
  reportUnused(): void {
    for (const a of this.merged.values()) {
      if (this.consumed.has(a.pointer) || this.abandoned.some((p) => a.pointer.startsWith(`${p}/`))) continue
      const message = this.leftover.get(a.pointer) ?? 'is not used'
      this.issues.push({ source: a.source, pointer: a.pointer, message })
    }
  }

  private failed(pointer: string): boolean {
    return this.abandoned.includes(pointer)
  }
}

/** Checks one value against a leaf schema; returns the problem (without the value) or undefined. */
function checkLeaf(schema: JsonSchema, value: unknown): string | undefined {
  if ('const' in schema) return value === schema.const ? undefined : `must be '${String(schema.const)}'`
  const choices = enumValues(schema)
  if (choices !== undefined) {
    return choices.includes(value) ? undefined : `must be one of ${choices.map((c) => `'${String(c)}'`).join(', ')}`
  }
  switch (schema.type) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return 'must be an integer'
      return checkRange(schema, value)
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number'
      return checkRange(schema, value)
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false'
    case 'string': {
      if (typeof value !== 'string') return 'must be a string'
      const length = [...value].length
      if (schema.minLength !== undefined && length < schema.minLength) {
        return schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters`
      }
      if (schema.maxLength !== undefined && length > schema.maxLength) return `must be at most ${schema.maxLength} characters`
      if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
        return schema['x-hint'] ?? `must match ${schema.pattern}`
      }
      return undefined
    }
    default:
      return undefined
  }
}

function checkRange(schema: JsonSchema, n: number): string | undefined {
  if (schema.minimum !== undefined && n < schema.minimum) {
    return schema.maximum !== undefined ? `must be between ${schema.minimum} and ${schema.maximum}` : `must be at least ${schema.minimum}`
  }
  if (schema.maximum !== undefined && n > schema.maximum) {
    return schema.minimum !== undefined ? `must be between ${schema.minimum} and ${schema.maximum}` : `must be at most ${schema.maximum}`
  }
  return undefined
}

/** Derived values and rules that span fields. */
function finish(config: Record<string, unknown>, merged: ReadonlyMap<string, Assignment>, issues: ConfigIssue[], cwd: string): void {
  const sourceOf = (pointer: string): string => merged.get(pointer)?.source ?? 'default'
  const node = config['node']
  const http = config['http']
  if (isRecord(node) && isRecord(http)) {
    const given = node['baseUrl']
    if (typeof given === 'string') {
      const normalised = normaliseBaseUrl(given)
      if (normalised === undefined) {
        issues.push({
          source: sourceOf('/node/baseUrl'),
          pointer: '/node/baseUrl',
          message: withGot('must be an absolute http:// or https:// URL without credentials, query or fragment', given, {}),
        })
      } else {
        node['baseUrl'] = normalised
      }
    } else if (typeof http['host'] === 'string' && typeof http['port'] === 'number') {
      node['baseUrl'] = deriveBaseUrl(http['host'], http['port'])
    }
  }
  const db0 = config['db']
  if (isRecord(node) && typeof node['keyFile'] !== 'string' && isRecord(db0)) {
    // Beside the SQLite database (already absolute), else ./data/node.key (resolved against cwd).
    const dbPath = db0['driver'] === 'sqlite' && typeof db0['path'] === 'string' && db0['path'] !== ':memory:' ? db0['path'] : undefined
    node['keyFile'] = dbPath !== undefined ? join(dirname(dbPath), 'node.key') : resolve(cwd, 'data', 'node.key')
  }
  const taxii = config['taxii']
  if (isRecord(taxii) && typeof taxii['defaultPageSize'] === 'number' && typeof taxii['maxPageSize'] === 'number') {
    if (taxii['defaultPageSize'] > taxii['maxPageSize']) {
      const pointer = merged.has('/taxii/defaultPageSize') ? '/taxii/defaultPageSize' : '/taxii/maxPageSize'
      issues.push({
        source: sourceOf(pointer),
        pointer,
        message: `taxii.defaultPageSize (${taxii['defaultPageSize']}) must not exceed taxii.maxPageSize (${taxii['maxPageSize']})`,
      })
    }
  }
  const db = config['db']
  if (isRecord(db) && db['driver'] === 'postgres' && typeof db['url'] === 'string' && !URL.canParse(db['url'])) {
    issues.push({ source: sourceOf('/db/url'), pointer: '/db/url', message: 'is not a valid URL' })
  }
}

function normaliseBaseUrl(s: string): string | undefined {
  if (!URL.canParse(s)) return undefined
  const u = new URL(s)
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username !== '' || u.password !== '') return undefined
  if (u.search !== '' || u.hash !== '' || s.includes('?') || s.includes('#')) return undefined
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`
}

/** The URL a default install answers on; wildcard listen addresses become `localhost`. */
export function deriveBaseUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' || host === '[::]' ? 'localhost' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  return `http://${h}:${port}`
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function absolutePath(baseDir: string, value: unknown): unknown {
  // ':memory:' is SQLite's in-memory database, not a file name.
  return typeof value === 'string' && value !== ':memory:' ? resolve(baseDir, value) : value
}

function toPointer(segs: readonly string[]): string {
  return segs.map((s) => `/${s.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('')
}

function dotted(segs: readonly string[]): string {
  return segs.join('.')
}

function envSegment(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()
}

function camelCase(part: string): string {
  return part.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

function kebabFlag(pointer: string): string {
  return `--${pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase())
    .join('-')}`
}

function describeValue(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  const text = typeof v === 'string' ? JSON.stringify(v) : String(v)
  return text.length > 60 ? `${text.slice(0, 57)}…` : text
}

/** Appends the offending value, unless the field is a secret. */
function withGot(message: string, value: unknown, schema: JsonSchema): string {
  return schema['x-secret'] !== undefined ? message : `${message} (got ${describeValue(value)})`
}

function errorCode(e: unknown): string {
  if (isRecord(e) && typeof e['code'] === 'string') return e['code']
  return e instanceof Error ? firstLine(e.message) : String(e)
}

function firstLine(s: string): string {
  return s.split(/\r?\n/, 1)[0] ?? ''
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ')
}

function didYouMean(word: string, candidates: readonly string[], quote: (s: string) => string = (s) => s): string {
  let best: string | undefined
  let bestDistance = Infinity
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase())
    if (d < bestDistance) {
      best = c
      bestDistance = d
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 4)) ? ` (did you mean ${quote(best)}?)` : ''
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost))
    }
    prev = cur
  }
  return prev[b.length] ?? 0
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const child of Object.values(v)) deepFreeze(child)
    Object.freeze(v)
  }
  return v
}
