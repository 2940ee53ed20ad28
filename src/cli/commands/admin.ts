import type { Command } from 'commander'
import { tlpLevel } from '../../core/marking/tlp.js'
import type { Organisation } from '../../store/port.js'
import { ROLES, type Role } from '../../core/policy/viewer.js'
import { cliViewer, must, nodeOptions, withNode, type NodeFlags } from '../context.js'
import { EXIT, fail, printResult } from '../output.js'

function table(rows: string[][]): string {
  if (rows.length === 0) return '(none)'
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n')
}

/** An organisation as the CLI prints it: the default TLP by name (null: none), as in the REST API. */
const orgOut = <O extends Organisation>(o: O) => ({ ...o, defaultTlp: o.defaultTlp !== undefined ? tlpLevel(o.defaultTlp) : null })

export function registerAdmin(program: Command) {
  // --- tokens
  const token = program.command('token').description('API tokens (shown once, stored hashed)')
  nodeOptions(token.command('create'))
    .description('create an API token for a user')
    .option('--user <username>', 'user the token acts as', 'admin')
    .requiredOption('--name <name>', 'what the token is for, e.g. "misp-sync"')
    .option('--expires <timestamp>', 'expiry, RFC 3339 UTC (e.g. 2027-06-30T00:00:00Z)')
    .action(async (flags: NodeFlags & { user: string; name: string; expires?: string }) => {
      await withNode(flags, async (node) => {
        const viewer = await cliViewer(node, 'token')
        const user = await node.store.users.getByUsername(flags.user)
        if (!user) fail(EXIT.noInput, `not_found: user ${flags.user} does not exist`)
        const t = must(await node.services.admin.createToken(viewer, { userId: user.id, name: flags.name, ...(flags.expires ? { expiresAt: flags.expires } : {}) }))
        printResult(
          { id: t.token.id, name: t.token.name, user: user.username, expiresAt: t.token.expiresAt, secret: t.secret },
          { json: flags.json === true, human: () => `Token ${t.token.id} for ${user.username} (shown once, store it now):\n  ${t.secret}` },
        )
      })
    })
  nodeOptions(token.command('list'))
    .description('list API tokens (never their secrets)')
    .action(async (flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        const tokens = must(await node.services.admin.listTokens(await cliViewer(node, 'token')))
        printResult(tokens, {
          json: flags.json === true,
          human: () => table([['ID', 'NAME', 'PREFIX', 'CREATED', 'EXPIRES', 'REVOKED'], ...tokens.map((t) => [t.id, t.name, `${t.prefix}…`, t.createdAt, t.expiresAt ?? '-', t.revokedAt ?? '-'])]),
        })
      })
    })
  nodeOptions(token.command('revoke'))
    .description('revoke an API token')
    .argument('<id>', 'token id')
    .action(async (id: string, flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        const t = must(await node.services.admin.revokeToken(await cliViewer(node, 'token'), id))
        printResult(t, { json: flags.json === true, human: () => `revoked ${t.id}` })
      })
    })

  // --- collections
  const collection = program.command('collection').description('TAXII collections and who may read or write them')
  nodeOptions(collection.command('create'))
    .description('create a collection (the host organisation may read and write it)')
    .requiredOption('--title <title>', 'title')
    .option('--alias <alias>', 'short name usable instead of the id')
    .option('--description <text>', 'description')
    .option('--default-tlp <level>', 'TLP of unmarked input stored here: clear, green, amber (default), amber+strict, red')
    .action(async (flags: NodeFlags & { title: string; alias?: string; description?: string; defaultTlp?: string }) => {
      await withNode(flags, async (node) => {
        const viewer = await cliViewer(node, 'collection')
        const c = must(
          await node.services.admin.createCollection(viewer, {
            title: flags.title,
            ...(flags.alias ? { alias: flags.alias } : {}),
            ...(flags.description ? { description: flags.description } : {}),
            ...(flags.defaultTlp !== undefined ? { defaultTlp: flags.defaultTlp } : {}),
          }),
        )
        must(await node.services.admin.setCollectionPermission(viewer, { collection: c.id, orgId: viewer.orgId, canRead: true, canWrite: true }))
        printResult(c, { json: flags.json === true, human: () => `created collection ${c.title} (${c.id})${c.alias ? ` alias ${c.alias}` : ''}` })
      })
    })
  nodeOptions(program.command('share'))
    .description("name recipients on one of the host organisation's objects: a new version with recipient_refs, through ingest (logged)")
    .argument('<object-id>', 'the STIX id')
    .requiredOption('--to <recipient...>', 'organisation names or ids on this node, or identity ids (a peer organisation)')
    .option('--collection <collection>', 'collection id or alias', 'default')
    .action(async (id: string, flags: NodeFlags & { to: string[]; collection: string }) => {
      await withNode(flags, async (node) => {
        const viewer = await cliViewer(node, 'share')
        const r = must(await node.services.share.share(viewer, { id, to: flags.to, collection: flags.collection }))
        printResult(r, { json: flags.json === true, human: () => `${r.id} version ${r.version}: recipients ${r.recipients.join(', ')}` })
      })
    })
  nodeOptions(collection.command('update'))
    .description("change a collection's default TLP: narrower raises stored unmarked objects at once; wider needs --force and applies to new input only")
    .argument('<collection>', 'collection id or alias')
    .requiredOption('--default-tlp <level>', 'clear, green, amber, amber+strict or red')
    .option('--force', 'allow a wider default (stored objects keep their narrower audience)')
    .action(async (idOrAlias: string, flags: NodeFlags & { defaultTlp: string; force?: boolean }) => {
      await withNode(flags, async (node) => {
        const viewer = await cliViewer(node, 'collection')
        const r = must(await node.services.admin.updateCollection(viewer, { collection: idOrAlias, defaultTlp: flags.defaultTlp, ...(flags.force ? { force: true } : {}) }))
        printResult(r, { json: flags.json === true, human: () => `collection ${r.collection.alias ?? r.collection.id}: default ${flags.defaultTlp.toLowerCase()}; ${r.raised} stored unmarked versions raised` })
      })
    })
  nodeOptions(collection.command('list'))
    .description('list collections')
    .action(async (flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        const viewer = await cliViewer(node, 'collection')
        const list = await node.services.objects.listCollections(viewer)
        const rows = await Promise.all(list.map(async (c) => ({ ...c, objects: await node.store.collections.countObjects(c.id) })))
        printResult(rows, {
          json: flags.json === true,
          human: () => table([['ID', 'ALIAS', 'TITLE', 'OBJECTS'], ...rows.map((c) => [c.id, c.alias ?? '-', c.title, String(c.objects)])]),
        })
      })
    })
  nodeOptions(collection.command('grant'))
    .description("set an organisation's rights on a collection")
    .argument('<collection>', 'collection id or alias')
    .requiredOption('--org <name|id>', 'organisation')
    .option('--read', 'may read')
    .option('--write', 'may write')
    .action(async (c: string, flags: NodeFlags & { org: string; read?: boolean; write?: boolean }) => {
      await withNode(flags, async (node) => {
        const viewer = await cliViewer(node, 'collection')
        const org = (await node.store.orgs.getByName(flags.org)) ?? (await node.store.orgs.get(flags.org))
        if (!org) fail(EXIT.noInput, `not_found: organisation ${flags.org} does not exist`)
        const p = must(await node.services.admin.setCollectionPermission(viewer, { collection: c, orgId: org.id, canRead: flags.read === true, canWrite: flags.write === true }))
        printResult(p, { json: flags.json === true, human: () => `${org.name} on ${c}: read ${p.canRead ? 'yes' : 'no'}, write ${p.canWrite ? 'yes' : 'no'}` })
      })
    })

  // --- organisations and users
  const org = program.command('org').description('organisations hosted on this node, their default TLP and their clients')
  nodeOptions(org.command('create'))
    .description('create an organisation')
    .requiredOption('--name <name>', 'name')
    .option('--default-tlp <level>', "TLP of unmarked input its users submit, when stricter than the collection's: clear, green, amber, amber+strict, red (default: none)")
    .action(async (flags: NodeFlags & { name: string; defaultTlp?: string }) => {
      await withNode(flags, async (node) => {
        const o = must(await node.services.admin.createOrganisation(await cliViewer(node, 'org'), { name: flags.name, ...(flags.defaultTlp !== undefined ? { defaultTlp: flags.defaultTlp } : {}) }))
        printResult(orgOut(o), { json: flags.json === true, human: () => `created organisation ${o.name} (${o.id})${o.defaultTlp !== undefined ? `, default ${tlpLevel(o.defaultTlp)}` : ''}` })
      })
    })
  nodeOptions(org.command('update'))
    .description("set or clear an organisation's default TLP: narrower raises its stored unmarked objects at once; wider (or none) needs --force and applies to new input only")
    .argument('<org>', 'organisation name or id')
    .requiredOption('--default-tlp <level>', 'clear, green, amber, amber+strict, red, or none')
    .option('--force', 'allow a wider default or none (stored objects keep their narrower audience)')
    .action(async (idOrName: string, flags: NodeFlags & { defaultTlp: string; force?: boolean }) => {
      await withNode(flags, async (node) => {
        const level = flags.defaultTlp.toLowerCase() === 'none' ? null : flags.defaultTlp
        const r = must(await node.services.admin.updateOrganisation(await cliViewer(node, 'org'), { org: idOrName, defaultTlp: level, ...(flags.force ? { force: true } : {}) }))
        const shown = r.organisation.defaultTlp !== undefined ? tlpLevel(r.organisation.defaultTlp) : 'none'
        printResult({ organisation: orgOut(r.organisation), raised: r.raised }, { json: flags.json === true, human: () => `organisation ${r.organisation.name}: default ${shown}; ${r.raised} stored unmarked versions raised` })
      })
    })
  nodeOptions(org.command('list'))
    .description('list organisations')
    .action(async (flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        const list = must(await node.services.admin.listOrganisations(await cliViewer(node, 'org')))
        const names = new Map(list.map((o) => [o.id, o.name]))
        printResult(list.map(orgOut), {
          json: flags.json === true,
          human: () =>
            table([
              ['ID', 'NAME', 'IDENTITY', 'DEFAULT', 'CLIENT OF'],
              ...list.map((o) => [o.id, o.name, o.identityId, o.defaultTlp !== undefined ? tlpLevel(o.defaultTlp) : '-', o.clientOf.map((p) => names.get(p) ?? p).join(', ') || '-']),
            ]),
        })
      })
    })
  const client = org.command('client').description('client organisations: TLP:AMBER addressed to an organisation reaches its clients too (never AMBER+STRICT or RED)')
  for (const [name, add] of [['add', true], ['remove', false]] as const) {
    nodeOptions(client.command(name))
      .description(add ? 'declare an organisation a client of another (e.g. a regional election office of the national CERT)' : 'end a client relation')
      .argument('<client>', 'the client organisation (name or id)')
      .requiredOption('--of <org>', 'the organisation it is a client of (name or id)')
      .action(async (clientOrg: string, flags: NodeFlags & { of: string }) => {
        await withNode(flags, async (node) => {
          const viewer = await cliViewer(node, 'org')
          if (add) {
            const r = must(await node.services.admin.addClient(viewer, { client: clientOrg, of: flags.of }))
            printResult(r.relation, { json: flags.json === true, human: () => `${clientOrg} is ${r.added ? 'now' : 'already'} a client of ${flags.of}` })
          } else {
            const r = must(await node.services.admin.removeClient(viewer, { client: clientOrg, of: flags.of }))
            printResult(r, { json: flags.json === true, human: () => `${clientOrg} is no longer a client of ${flags.of}` })
          }
        })
      })
  }
  nodeOptions(client.command('list'))
    .description('list client relations (all, or those of one organisation)')
    .argument('[org]', 'organisation name or id')
    .action(async (only: string | undefined, flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        const viewer = await cliViewer(node, 'org')
        const all = must(await node.services.admin.listOrganisations(viewer))
        const focus = only === undefined ? undefined : must(await node.services.admin.getOrganisation(viewer, only))
        const names = new Map(all.map((o) => [o.id, o.name]))
        const rows = all
          .flatMap((o) => o.clientOf.map((p) => ({ clientOrgId: o.id, client: o.name, parentOrgId: p, of: names.get(p) ?? p })))
          .filter((r) => focus === undefined || r.clientOrgId === focus.id || r.parentOrgId === focus.id)
        printResult(rows, { json: flags.json === true, human: () => table([['CLIENT', 'CLIENT OF'], ...rows.map((r) => [r.client, r.of])]) })
      })
    })
  const user = program.command('user').description('users and their roles')
  nodeOptions(user.command('create'))
    .description('create a user')
    .requiredOption('--org <name|id>', 'organisation')
    .requiredOption('--username <name>', 'user name')
    .option('--role <role>', `one of ${ROLES.join(', ')}`, 'analyst')
    .action(async (flags: NodeFlags & { org: string; username: string; role: string }) => {
      if (!(ROLES as readonly string[]).includes(flags.role)) fail(EXIT.usage, `--role must be one of ${ROLES.join(', ')}`)
      await withNode(flags, async (node) => {
        const o = (await node.store.orgs.getByName(flags.org)) ?? (await node.store.orgs.get(flags.org))
        if (!o) fail(EXIT.noInput, `not_found: organisation ${flags.org} does not exist`)
        const u = must(await node.services.admin.createUser(await cliViewer(node, 'user'), { orgId: o.id, username: flags.username, role: flags.role as Role }))
        printResult({ id: u.id, username: u.username, role: u.role, orgId: u.orgId }, { json: flags.json === true, human: () => `created ${u.role} ${u.username} in ${o.name}` })
      })
    })
  for (const [name, disabled] of [['disable', true], ['enable', false]] as const) {
    nodeOptions(user.command(name))
      .description(disabled ? 'disable a user: every token of theirs stops working at once' : 'enable a disabled user again')
      .argument('<username>', 'user name')
      .action(async (username: string, flags: NodeFlags) => {
        await withNode(flags, async (node) => {
          const u = await node.store.users.getByUsername(username)
          if (!u) fail(EXIT.noInput, `not_found: user ${username} does not exist`)
          const r = must(await node.services.admin.setUserDisabled(await cliViewer(node, 'user'), { userId: u.id, disabled }))
          printResult({ id: r.id, username: r.username, disabledAt: r.disabledAt }, { json: flags.json === true, human: () => `${disabled ? 'disabled' : 'enabled'} ${r.username}` })
        })
      })
  }
  nodeOptions(user.command('list'))
    .description('list users')
    .action(async (flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        const list = must(await node.services.admin.listUsers(await cliViewer(node, 'user')))
        const rows = list.map((u) => ({ id: u.id, username: u.username, role: u.role, orgId: u.orgId }))
        printResult(rows, { json: flags.json === true, human: () => table([['ID', 'USERNAME', 'ROLE', 'ORG'], ...rows.map((u) => [u.id, u.username, u.role, u.orgId])]) })
      })
    })
}
