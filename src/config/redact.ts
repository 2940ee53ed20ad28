/**
 * Views of a loaded configuration that may leave the process: `redactConfig` for operators
 * (`entente config print`, startup logs) and `publicConfig` for the UI and anonymous clients.
 */
import { ConfigSchema } from './schema.js'
import type { Config } from './schema.js'

export const REDACTED = '[redacted]'

/** Keys that are secret whatever the schema says (a safety net for fields added later). */
const SECRET_KEY = /(password|passphrase|secret|token|credentials?|private_?key|api_?key)$/i
/** Query parameters of a connection URL that carry secrets (libpq accepts `?password=`). */
const SECRET_QUERY = /^(password|sslpassword|pass|secret|token)$/i

/** A deep copy of the configuration with secrets replaced by `'[redacted]'`. */
export function redactConfig(c: Config): unknown {
  return redactValue(ConfigSchema as unknown as SchemaView, c)
}

/** What a UI (or an unauthenticated visitor) may see about this node. */
export interface PublicConfig {
  readonly nodeName: string
  readonly baseUrl: string
  readonly taxii: {
    readonly defaultPageSize: number
    readonly maxPageSize: number
    readonly statusRetentionHours: number
  }
  /** Largest request body the node accepts, in bytes (TAXII `max_content_length`). */
  readonly maxContentLength: number
}

export function publicConfig(c: Config): PublicConfig {
  return {
    nodeName: c.node.name,
    baseUrl: c.node.baseUrl,
    taxii: {
      defaultPageSize: c.taxii.defaultPageSize,
      maxPageSize: c.taxii.maxPageSize,
      statusRetentionHours: c.taxii.statusRetentionHours,
    },
    maxContentLength: c.http.bodyLimit,
  }
}

/** `postgres://app:s3cret@db/entente?sslpassword=x` → `postgres://app:[redacted]@db/entente?sslpassword=[redacted]`. */
export function redactUrl(url: string): string {
  if (!URL.canParse(url)) return REDACTED
  const u = new URL(url)
  let out = url
  if (u.password !== '') {
    // Rebuild by hand: URL would percent-encode the brackets of the marker. The userinfo ends at the
    // last '@' of the authority, and the password starts after its first ':'.
    const start = out.indexOf('//') + 2
    const rest = out.slice(start).search(/[/?#]/)
    const authorityEnd = rest < 0 ? out.length : start + rest
    const at = out.lastIndexOf('@', authorityEnd - 1)
    const colon = out.indexOf(':', start)
    if (start < 2 || at < start || colon < 0 || colon > at) return REDACTED
    out = `${out.slice(0, colon + 1)}${REDACTED}${out.slice(at)}`
    // Re-parse to be sure that exactly the password was replaced.
    const check = URL.canParse(out) ? new URL(out) : undefined
    if (check === undefined || decodeURIComponentSafe(check.password) !== REDACTED || check.host !== u.host) return REDACTED
  }
  const q = out.indexOf('?')
  if (q >= 0) {
    const hash = out.indexOf('#', q)
    const end = hash < 0 ? out.length : hash
    const query = out
      .slice(q + 1, end)
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=')
        const name = decodeURIComponentSafe(eq < 0 ? pair : pair.slice(0, eq))
        return eq >= 0 && SECRET_QUERY.test(name) ? `${pair.slice(0, eq)}=${REDACTED}` : pair
      })
      .join('&')
    out = `${out.slice(0, q + 1)}${query}${out.slice(end)}`
  }
  return out
}

interface SchemaView {
  readonly type?: string
  readonly properties?: Readonly<Record<string, SchemaView>>
  readonly anyOf?: readonly SchemaView[]
  readonly 'x-secret'?: boolean | 'url'
  readonly 'x-discriminator'?: string
}

function redactValue(schema: SchemaView | undefined, value: unknown, key = ''): unknown {
  const secret = schema?.['x-secret']
  if (typeof value === 'string') {
    if (secret === 'url') return redactUrl(value)
    if (secret === true || SECRET_KEY.test(key)) return REDACTED
    return value
  }
  if (Array.isArray(value)) return value.map((v) => redactValue(undefined, v, key))
  if (typeof value !== 'object' || value === null) {
    return secret === true || (key !== '' && SECRET_KEY.test(key)) ? REDACTED : value
  }
  const record = value as Record<string, unknown>
  const objectSchema = pickVariant(schema, record)
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(record)) {
    const child = objectSchema?.properties !== undefined && Object.hasOwn(objectSchema.properties, k) ? objectSchema.properties[k] : undefined
    out[k] = redactValue(child, v, k)
  }
  return out
}

function pickVariant(schema: SchemaView | undefined, value: Readonly<Record<string, unknown>>): SchemaView | undefined {
  if (schema?.anyOf === undefined) return schema
  const disc = schema['x-discriminator']
  if (disc === undefined) return undefined
  return schema.anyOf.find((v) => {
    const d = v.properties?.[disc] as { const?: unknown } | undefined
    return d?.const === value[disc]
  })
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}
