import type { Command } from 'commander'
import { configFrom, nodeOptions, withNode, type NodeFlags } from '../context.js'
import { EXIT, fail, printResult } from '../output.js'
import type { EntenteNode } from '../../app/create-node.js'

interface InitFlags extends NodeFlags {
  org: string
  admin: string
  name?: string
}

/** Initialises a node; shared by `entente init` and the first `entente serve`. */
export async function initialise(node: EntenteNode, flags: { org: string; admin: string; name?: string }) {
  const r = await node.services.admin.initNode({
    orgName: flags.org,
    adminUsername: flags.admin,
    nodeName: flags.name ?? node.config.node.name,
    ...(node.key && node.origin ? { key: { publicKey: node.key.publicKey, origin: node.origin } } : {}),
  })
  return r
}

export function describeInit(v: { organisation: { name: string; id: string }; user: { username: string }; token: { secret: string }; collection: { id: string; alias: string | null } }, where: string) {
  return [
    `Node initialised (${where}).`,
    `  organisation       ${v.organisation.name} (${v.organisation.id})`,
    `  administrator      ${v.user.username}`,
    `  default collection ${v.collection.alias ?? ''} (${v.collection.id})`,
    '',
    `  Admin API token (shown once, store it now):`,
    `    ${v.token.secret}`,
  ].join('\n')
}

export function registerInit(program: Command) {
  nodeOptions(program.command('init'))
    .description('create a node: database, host organisation, administrator with an API token, default collection')
    .option('--org <name>', 'name of the host organisation', 'Host organisation')
    .option('--admin <username>', 'administrator user name', 'admin')
    .option('--name <name>', 'node name (shown in TAXII discovery)')
    .action(async (flags: InitFlags) => {
      const config = configFrom(flags)
      const where = config.db.driver === 'sqlite' ? config.db.path : 'PostgreSQL'
      await withNode(flags, async (node) => {
        const r = await initialise(node, flags)
        if (!r.ok) fail(r.error.code === 'conflict' ? EXIT.dataErr : EXIT.dataErr, `${r.error.code}: ${r.error.code === 'conflict' ? r.error.detail : 'cannot initialise'}`)
        const v = r.value
        printResult(
          {
            database: where,
            organisation: v.organisation,
            user: { id: v.user.id, username: v.user.username, role: v.user.role },
            token: { id: v.token.token.id, secret: v.token.secret },
            collection: v.collection,
          },
          { json: flags.json === true, human: () => describeInit({ ...v, token: { secret: v.token.secret } }, where) },
        )
      }, { createKey: true })
    })
}
