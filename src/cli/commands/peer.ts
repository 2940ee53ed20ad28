/**
 * `entente peer invite|accept|approve|list|status|sync|remove` and `entente feed add|list|sync|remove`:
 * federation, scriptable end to end (--json everywhere; one-line errors; 69 when a peer is unreachable).
 */
import type { Command } from 'commander'
import type { DomainError } from '../../core/shared/errors.js'
import { describeError } from '../../core/shared/errors.js'
import type { Result } from '../../core/shared/result.js'
import type { PeerView } from '../../services/federation/federation.js'
import type { PeerAuth } from '../../store/port.js'
import { cliViewer, nodeOptions, withNode, type NodeFlags } from '../context.js'
import { EXIT, exitCodeFor, fail, printResult } from '../output.js'

/** Like `must`, but a peer that cannot be reached ends with 69 (EX_UNAVAILABLE). */
function mustPeer<T>(r: Result<T, DomainError>): T {
  if (r.ok) return r.value
  const text = describeError(r.error)
  const unreachable = r.error.code === 'conflict' && /^(cannot reach|cannot sync)|did not accept the registration/.test(text) && /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|timeout|aborted|fetch failed|EHOSTUNREACH|HTTP 5\d\d/i.test(text)
  fail(unreachable ? EXIT.unavailable : exitCodeFor(r.error), `${r.error.code}: ${text}`)
}

function human(p: PeerView): string {
  const lines = [
    `${p.name}  ${p.kind}  ${p.status}  ${p.url}`,
    ...(p.fingerprint ? [`  fingerprint   ${p.fingerprint}`] : []),
    ...(p.presentedFingerprint ? [`  NEW KEY       ${p.presentedFingerprint}  (compare it, then: entente peer approve ${p.name} --fingerprint …)`] : []),
    ...(p.organisations.length ? [`  organisations ${p.organisations.map((o) => o.name).join(', ')}`] : []),
    `  last sync     ${p.lastSyncAt ?? 'never'}${p.lagSeconds !== null ? ` (${p.lagSeconds} s ago)` : ''}`,
    `  received      ${p.received} (${p.duplicates} duplicates, ${p.rejected} rejected)${p.kind === 'node' ? `, published ${p.published}` : ''}`,
    ...(p.lastError ? [`  last error    ${p.lastError} (failures ${p.failures}, next attempt ${p.nextAttemptAt ?? '—'})`] : []),
  ]
  return lines.join('\n')
}

const list = (items: readonly PeerView[], what: string) => (items.length === 0 ? `no ${what}` : items.map(human).join('\n'))

interface InviteFlags extends NodeFlags {
  name?: string
  url?: string
  ttlHours?: string
}

export function registerPeer(program: Command) {
  const peer = program.command('peer').description('peer nodes: invitations, fingerprints, sync status')

  nodeOptions(peer.command('invite'))
    .description('print a single-use, expiring invitation for another node (give it to its administrator)')
    .option('--name <name>', 'the name this node will know the peer by')
    .option('--url <url>', "this node's public URL (default: node.baseUrl)")
    .option('--ttl-hours <hours>', 'hours the invitation stays usable (default 72)')
    .action(async (flags: InviteFlags) => {
      const ttl = flags.ttlHours === undefined ? undefined : Number(flags.ttlHours)
      if (ttl !== undefined && (!Number.isFinite(ttl) || ttl <= 0)) fail(EXIT.usage, '--ttl-hours must be a positive number')
      await withNode(flags, async (node) => {
        const v = await cliViewer(node, 'peer')
        const r = mustPeer(await node.services.federation.invite(v, { ...(flags.name ? { name: flags.name } : {}), ...(flags.url ? { url: flags.url } : {}), ...(ttl !== undefined ? { ttlHours: ttl } : {}) }))
        printResult(r, {
          json: flags.json === true,
          human: () => `${r.invitation}\n\nfingerprint of this node: ${r.fingerprint}\nexpires ${r.expiresAt}; usable once. Read the fingerprint to the other administrator by another channel.`,
        })
      }, { createKey: false })
    })

  nodeOptions(peer.command('accept <invitation>'))
    .description('register the inviting node as a peer and register this node with it (both wait for fingerprint approval)')
    .option('--name <name>', 'the name this node will know the peer by (default: from its node name)')
    .option('--url <url>', "this node's public URL (default: node.baseUrl)")
    .action(async (invitation: string, flags: InviteFlags) => {
      await withNode(flags, async (node) => {
        const v = await cliViewer(node, 'peer')
        const p = mustPeer(await node.services.federation.accept(v, { invitation, ...(flags.name ? { name: flags.name } : {}), ...(flags.url ? { url: flags.url } : {}) }))
        printResult(p, { json: flags.json === true, human: () => `${human(p)}\n\nCompare the fingerprint with the other administrator, then: entente peer approve ${p.name} --fingerprint ${p.fingerprint ?? ''}` })
      })
    })

  nodeOptions(peer.command('approve <peer>'))
    .description("approve a peer's key after comparing its fingerprint out of band (also after a key change)")
    .requiredOption('--fingerprint <fp>', 'the fingerprint the other administrator read out')
    .action(async (name: string, flags: NodeFlags & { fingerprint: string }) => {
      await withNode(flags, async (node) => {
        const v = await cliViewer(node, 'peer')
        const p = mustPeer(await node.services.federation.approve(v, { peer: name, fingerprint: flags.fingerprint }))
        printResult(p, { json: flags.json === true, human: () => human(p) })
      })
    })

  nodeOptions(peer.command('list'))
    .description('peers with their status and fingerprints')
    .action(async (flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        const items = mustPeer(await node.services.federation.list(await cliViewer(node, 'peer'), 'node'))
        printResult(items, { json: flags.json === true, human: () => list(items, 'peers') })
      })
    })

  nodeOptions(peer.command('status <peer>'))
    .description('one peer: last sync, lag, errors, counts')
    .action(async (name: string, flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        const p = mustPeer(await node.services.federation.get(await cliViewer(node, 'peer'), name, 'node'))
        printResult(p, { json: flags.json === true, human: () => human(p) })
      })
    })

  nodeOptions(peer.command('sync <peer>'))
    .description('sync with a peer now: publish what it may see, pull what it offers (provenance verified)')
    .action(async (name: string, flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        const s = mustPeer(await node.services.federation.sync(await cliViewer(node, 'peer'), name, 'node'))
        printResult(s, { json: flags.json === true, human: () => `${s.peer}: published ${s.published}, received ${s.received}, duplicates ${s.duplicates}, rejected ${s.rejected} (${s.pages} pages)` })
        if (s.rejected > 0) process.exitCode = EXIT.dataErr
      })
    })

  nodeOptions(peer.command('remove <peer>'))
    .description('stop syncing with a peer and revoke its credential here (its collections stay)')
    .action(async (name: string, flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        const p = mustPeer(await node.services.federation.remove(await cliViewer(node, 'peer'), name, 'node'))
        printResult(p, { json: flags.json === true, human: () => `removed ${name}` })
      })
    })

  const feed = program.command('feed').description('plain TAXII 2.1 servers (vendor feeds) this node pulls from')

  nodeOptions(feed.command('add <url>'))
    .description('pull a collection of a TAXII 2.1 server (URL of its API root)')
    .requiredOption('--collection <id>', 'the collection id on that server')
    .requiredOption('--name <name>', 'a local name for the feed')
    .option('--token <token>', 'Bearer token')
    .option('--basic <user:password>', 'HTTP Basic credentials')
    .option('--default-marking <tlp>', 'TLP for objects without markings: clear, green, amber (default), amber+strict, red')
    .action(async (url: string, flags: NodeFlags & { collection: string; name: string; token?: string; basic?: string; defaultMarking?: string }) => {
      if (flags.token !== undefined && flags.basic !== undefined) fail(EXIT.usage, 'give --token or --basic, not both')
      let auth: PeerAuth = { kind: 'none' }
      if (flags.token !== undefined) auth = { kind: 'bearer', token: flags.token }
      if (flags.basic !== undefined) {
        const colon = flags.basic.indexOf(':')
        if (colon <= 0) fail(EXIT.usage, '--basic must be user:password')
        auth = { kind: 'basic', username: flags.basic.slice(0, colon), password: flags.basic.slice(colon + 1) }
      }
      await withNode(flags, async (node) => {
        const p = mustPeer(
          await node.services.federation.addFeed(await cliViewer(node, 'feed'), {
            name: flags.name, url, collection: flags.collection, auth, ...(flags.defaultMarking !== undefined ? { defaultMarking: flags.defaultMarking } : {}),
          }),
        )
        printResult(p, { json: flags.json === true, human: () => human(p) })
      })
    })

  nodeOptions(feed.command('list'))
    .description('feeds and their status')
    .action(async (flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        const items = mustPeer(await node.services.federation.list(await cliViewer(node, 'feed'), 'feed'))
        printResult(items, { json: flags.json === true, human: () => list(items, 'feeds') })
      })
    })

  nodeOptions(feed.command('sync <feed>'))
    .description('pull a feed now')
    .action(async (name: string, flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        const s = mustPeer(await node.services.federation.sync(await cliViewer(node, 'feed'), name, 'feed'))
        printResult(s, { json: flags.json === true, human: () => `${s.peer}: received ${s.received}, duplicates ${s.duplicates}, rejected ${s.rejected} (${s.pages} pages)` })
      })
    })

  nodeOptions(feed.command('remove <feed>'))
    .description('stop pulling a feed (what it sent stays)')
    .action(async (name: string, flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        mustPeer(await node.services.federation.remove(await cliViewer(node, 'feed'), name, 'feed'))
        printResult({ removed: name }, { json: flags.json === true, human: () => `removed ${name}` })
      })
    })
}
