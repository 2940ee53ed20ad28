/**
 * The configuration schema: one TypeBox schema gives the defaults, the validation and the static
 * `Config` type. `load.ts` layers defaults < file < environment < flags on top of it.
 *
 * Annotations read by the loader and the redactor (plain JSON Schema keywords, ignored by validators):
 * - `x-path: true`    a filesystem path, resolved to an absolute path against the directory of the
 *                     layer that set it (the config file's directory, or `cwd`).
 * - `x-secret: true`  replaced by `[redacted]` in `redactConfig`, never echoed in problem messages.
 * - `x-secret: 'url'` a URL whose password (and `password`/`sslpassword` query parameters) are secret.
 * - `x-derived: true` no static default: the loader computes it from other fields when it is not set.
 * - `x-hint`          the problem message used when `pattern` does not match.
 * - `x-discriminator` on a union of objects: the property that selects the variant.
 */
import Type from 'typebox'
import type { Static } from 'typebox'
import { LIMITS } from '../core/shared/limits.js'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

const LogLevelSchema = Type.Union(
  [
    Type.Literal('fatal'),
    Type.Literal('error'),
    Type.Literal('warn'),
    Type.Literal('info'),
    Type.Literal('debug'),
    Type.Literal('trace'),
    Type.Literal('silent'),
  ],
  { default: 'info', description: 'pino log level' },
)

export const DEFAULT_SQLITE_PATH = './data/entente.db'

export const NodeSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: LIMITS.maxNameLength,
      default: 'entente',
      description: 'Human-readable name of this node, shown to partners and in the UI',
    }),
    baseUrl: Type.String({
      'x-derived': true,
      description:
        'Public base URL of this node (scheme://host[:port][/prefix]), used in TAXII discovery and api_roots. ' +
        'Default: http://<http.host>:<http.port> (localhost for wildcard hosts)',
    }),
    keyFile: Type.String({
      minLength: 1,
      'x-path': true,
      'x-derived': true,
      description:
        "The node's Ed25519 signing key (PKCS #8 PEM, file mode 0600), created by `entente init`. " +
        'Default: node.key beside the SQLite database, ./data/node.key with PostgreSQL',
    }),
    privateKey: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 16_384,
        'x-secret': true,
        description: 'The signing key itself (PEM) instead of keyFile, e.g. ENTENTE_NODE__PRIVATE_KEY_FILE=/run/secrets/entente-key',
      }),
    ),
  },
  { additionalProperties: false },
)

export const HttpSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Address to listen on' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'TCP port (0 = any free port)' }),
    bodyLimit: Type.Integer({
      minimum: 1024,
      default: LIMITS.maxContentLength,
      description: 'Largest request body in bytes; advertised to TAXII clients as max_content_length',
    }),
    trustProxy: Type.Boolean({
      default: false,
      description: 'Trust X-Forwarded-* headers (only behind a reverse proxy you control)',
    }),
  },
  { additionalProperties: false },
)

export const SqliteDbSchema = Type.Object(
  {
    driver: Type.Literal('sqlite'),
    path: Type.String({
      minLength: 1,
      default: DEFAULT_SQLITE_PATH,
      'x-path': true,
      description: "Database file (':memory:' for a throwaway database)",
    }),
    synchronous: Type.Union([Type.Literal('FULL'), Type.Literal('NORMAL')], {
      default: 'FULL',
      description: 'PRAGMA synchronous; FULL means nothing accepted is lost on power failure',
    }),
  },
  { additionalProperties: false },
)

export const PostgresDbSchema = Type.Object(
  {
    driver: Type.Literal('postgres'),
    url: Type.String({
      pattern: '^postgres(ql)?://',
      'x-hint': 'must be a postgres:// or postgresql:// URL',
      'x-secret': 'url',
      description: 'Connection URL, postgres://user:password@host:5432/database',
    }),
    poolMax: Type.Integer({ minimum: 1, maximum: 1000, default: 10, description: 'Largest connection pool size' }),
    statementTimeoutMs: Type.Integer({
      minimum: 0,
      default: 30_000,
      description: 'statement_timeout in milliseconds (0 disables it)',
    }),
    schema: Type.Optional(
      Type.String({
        pattern: '^[a-z_][a-z0-9_]{0,62}$',
        'x-hint': 'must be a lowercase SQL identifier of at most 63 characters',
        description: 'Schema (search_path) to use instead of public',
      }),
    ),
  },
  { additionalProperties: false },
)

export const DbSchema = Type.Union([SqliteDbSchema, PostgresDbSchema], {
  default: { driver: 'sqlite' },
  'x-discriminator': 'driver',
})

export const LogSchema = Type.Object(
  {
    level: LogLevelSchema,
    pretty: Type.Boolean({ default: false, description: 'Human-readable logs (development only)' }),
  },
  { additionalProperties: false },
)

export const TaxiiSchema = Type.Object(
  {
    statusRetentionHours: Type.Integer({
      minimum: 24,
      default: 168,
      description: 'How long TAXII status resources are kept (TAXII interoperability needs at least 24 h)',
    }),
    defaultPageSize: Type.Integer({
      minimum: 1,
      maximum: LIMITS.taxiiMaxLimit,
      default: LIMITS.taxiiDefaultLimit,
      description: 'Objects per page when the client sends no limit',
    }),
    maxPageSize: Type.Integer({
      minimum: 1,
      maximum: LIMITS.taxiiMaxLimit,
      default: LIMITS.taxiiMaxLimit,
      description: 'Largest page a client may ask for',
    }),
  },
  { additionalProperties: false },
)

export const TransparencySchema = Type.Object(
  {
    origin: Type.Optional(
      Type.String({
        pattern: '^[!-*,-~]{1,200}$',
        'x-hint': 'must be 1 to 200 printable ASCII characters without spaces or +',
        description:
          "The log's name in its checkpoints (C2SP origin), fixed at `entente init`, e.g. elections.example.gov/entente. " +
          'Default: entente/<first 16 hex digits of the key fingerprint>',
      }),
    ),
    checkpointIntervalSeconds: Type.Integer({
      minimum: 1,
      maximum: 86_400,
      default: 10,
      description: 'How often `serve` signs a checkpoint when the log has grown',
    }),
    witnessIntervalSeconds: Type.Integer({
      minimum: 10,
      maximum: 86_400,
      default: 300,
      description: "How often `serve` fetches the checkpoints of the logs it witnesses",
    }),
  },
  { additionalProperties: false },
)

export const MetricsSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Expose Prometheus metrics at /metrics' }),
  },
  { additionalProperties: false },
)

export const CorrelationSchema = Type.Object(
  {
    warninglistsDir: Type.Optional(
      Type.String({
        minLength: 1,
        'x-path': true,
        description:
          "Directory of MISP warninglists (one sub-directory per list with its list.json: the `lists/` folder of a checkout of " +
          'https://github.com/MISP/misp-warninglists). Matches on values they list are suppressed. Unset: no warninglists',
      }),
    ),
    warninglists: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
        maxItems: 1000,
        description: 'Warninglists to enable, by directory name (public-dns-v4) or list name; default: every list found',
      }),
    ),
    maxIndicatorsPerValue: Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      default: 100,
      description: 'A value shared by more indicators than this is over-correlated: its matches are suppressed',
    }),
  },
  { additionalProperties: false },
)

export const FederationSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: '`serve` runs the federation scheduler (pulls from peers and feeds, publishes to peers)' }),
    pollSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 60, description: 'Time between two syncs of a healthy peer or feed (a peer\'s notify triggers one at once)' }),
    backoffBaseSeconds: Type.Integer({ minimum: 1, maximum: 3_600, default: 5, description: 'Delay after a first failed sync; doubles with each further failure (with jitter)' }),
    backoffMaxSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 3_600, description: 'Longest delay between two attempts at a failing peer' }),
    invitationTtlHours: Type.Integer({ minimum: 1, maximum: 720, default: 72, description: 'How long a peering invitation stays usable' }),
  },
  { additionalProperties: false },
)

export const WebhooksSchema = Type.Object(
  {
    allowInternalAddresses: Type.Boolean({
      default: false,
      description: 'Let webhook URLs name loopback, private or link-local addresses (closed networks, tests). Off: such URLs are refused at registration and at every delivery',
    }),
    connectTimeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 5_000, description: 'Webhook delivery: longest wait for a connection' }),
    totalTimeoutMs: Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000, description: 'Webhook delivery: longest whole attempt' }),
    maxResponseBytes: Type.Integer({ minimum: 0, maximum: 1_048_576, default: 65_536, description: 'Webhook delivery: most bytes of an answer read' }),
    intervalSeconds: Type.Integer({ minimum: 1, maximum: 3_600, default: 5, description: '`serve` sends due webhook deliveries this often' }),
  },
  { additionalProperties: false },
)

export const ConfigSchema = Type.Object(
  {
    node: NodeSchema,
    http: HttpSchema,
    db: DbSchema,
    log: LogSchema,
    taxii: TaxiiSchema,
    transparency: TransparencySchema,
    metrics: MetricsSchema,
    correlation: CorrelationSchema,
    federation: FederationSchema,
    webhooks: WebhooksSchema,
  },
  { additionalProperties: false },
)

/** The resolved configuration: every default applied, every path absolute. */
export type Config = Static<typeof ConfigSchema>
export type DbConfig = Static<typeof DbSchema>
export type SqliteDbConfig = Static<typeof SqliteDbSchema>
export type PostgresDbConfig = Static<typeof PostgresDbSchema>

type Overrides<T> = { [K in keyof T]?: T[K] | undefined }

/**
 * Flag overrides, already parsed by the CLI into the config's shape. `undefined` means "not given".
 * Values are still validated (and reported as `flag --…`), so a CLI may pass raw numbers through.
 */
export interface ConfigOverrides {
  node?: Overrides<Config['node']> | undefined
  http?: Overrides<Config['http']> | undefined
  db?: Overrides<SqliteDbConfig> | Overrides<PostgresDbConfig> | undefined
  log?: Overrides<Config['log']> | undefined
  taxii?: Overrides<Config['taxii']> | undefined
  transparency?: Overrides<Config['transparency']> | undefined
  metrics?: Overrides<Config['metrics']> | undefined
  correlation?: Overrides<Config['correlation']> | undefined
}
