/** Shared plumbing of CLI commands: config from flags, opening the node, the CLI's system viewer. */
import type { Command } from 'commander'
import { openNode, type EntenteNode } from '../app/create-node.js'
import { dbFromLocation, formatConfigIssues, loadConfig, processEnv } from '../config/load.js'
import type { Config } from '../config/schema.js'
import type { Viewer } from '../core/policy/viewer.js'
import { describeError, type DomainError } from '../core/shared/errors.js'
import type { Result } from '../core/shared/result.js'
import { EXIT, exitCodeFor, fail } from './output.js'

export interface NodeFlags {
  data?: string
  db?: string
  config?: string
  json?: boolean
  logLevel?: string
}

/** Adds the options every command that opens a node takes. */
export function nodeOptions(cmd: Command): Command {
  return cmd
    .option('--data <dir|url>', 'SQLite data directory, or a postgres:// URL (default ./data)')
    .option('--db <url>', 'PostgreSQL URL (same as --data postgres://…)')
    .option('-c, --config <path>', 'configuration file (YAML or JSON); also ENTENTE_CONFIG')
    .option('--log-level <level>', 'log level (fatal, error, warn, info, debug, trace, silent)')
    .option('--json', 'machine-readable output on stdout')
}

/** Loads and validates the configuration: defaults < file < ENTENTE_* < flags. Exits 78 on problems. */
export function configFrom(flags: NodeFlags, extra: Record<string, unknown> = {}): Readonly<Config> {
  const overrides: Record<string, unknown> = { ...extra }
  const location = flags.db ?? flags.data
  if (location !== undefined) overrides['db'] = dbFromLocation(location)
  if (flags.logLevel !== undefined) overrides['log'] = { level: flags.logLevel }
  const r = loadConfig({
    argv: overrides,
    env: processEnv(),
    cwd: process.cwd(),
    ...(flags.config !== undefined ? { configPath: flags.config } : {}),
  })
  if (!r.ok) fail(EXIT.config, `configuration is not valid:\n${formatConfigIssues(r.error)}`)
  return r.value
}

/** Opens the node of the configuration; CLI commands log only warnings unless asked. */
export async function withNode<T>(flags: NodeFlags, fn: (node: EntenteNode) => Promise<T>, opts: { workers?: boolean; migrate?: boolean; createKey?: boolean } = {}): Promise<T> {
  const config = configFrom(flags, flags.logLevel === undefined ? { log: { level: 'warn' } } : {})
  let node: EntenteNode
  try {
    node = await openNode(config, opts)
  } catch (e) {
    fail(EXIT.unavailable, `cannot open the node: ${(e as Error).message.split('\n')[0]}`)
  }
  try {
    return await fn(node)
  } finally {
    await node.close()
  }
}

/** The operator at the shell acts as the node itself, on behalf of the host organisation. */
export async function cliViewer(node: EntenteNode, name: string): Promise<Viewer> {
  const info = await node.services.admin.nodeInfo()
  if (!info.hostOrgId) fail(EXIT.unavailable, 'this node is not initialised: run `entente init` first')
  return { kind: 'system', name: `cli:${name}`, orgId: info.hostOrgId }
}

/** The value of a Result, or a one-line error and the matching exit code. */
export function must<T>(r: Result<T, DomainError>): T {
  if (r.ok) return r.value
  fail(exitCodeFor(r.error), `${r.error.code}: ${describeError(r.error)}`)
}

/** A comma-separated option value as a list (blank items dropped); undefined stays undefined. */
export const commaList = (s: string | undefined): string[] | undefined =>
  s === undefined
    ? undefined
    : s
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '')

/** A repeatable option: `--org a --org b` or `--org a,b`. */
export const collectList = (value: string, previous: string[] = []): string[] => [...previous, ...(commaList(value) ?? [])]
