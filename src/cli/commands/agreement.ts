/**
 * `entente agreement propose|accept|suspend|resume|terminate|list|show|export|import|self`: sharing
 * agreements, signed with this node's key (docs/agreements.md). Scriptable: --json everywhere,
 * one-line errors, sysexits codes.
 */
import { readFile, stat } from 'node:fs/promises'
import type { Command } from 'commander'
import type { OnwardSharing } from '../../core/agreement/model.js'
import type { AgreementRecord, ProposeInput } from '../../services/agreements/agreements.js'
import { cliViewer, collectList, commaList, nodeOptions, withNode, type NodeFlags } from '../context.js'
import { EXIT, fail, failWith, printResult } from '../output.js'
import type { Result } from '../../core/shared/result.js'
import type { DomainError } from '../../core/shared/errors.js'

/** The largest agreement file `import` reads. */
const MAX_FILE_BYTES = 1024 * 1024

function must<T>(r: Result<T, DomainError>): T {
  if (r.ok) return r.value
  failWith(r.error)
}


export function human(r: AgreementRecord): string {
  const a = r.agreement
  const side = (i: 0 | 1) => a.parties[i]
  const fmtSide = (i: 0 | 1) => `${side(i).node_id}${r.ourSide === i ? ' (this node)' : ''}  ${side(i).node_key_fingerprint}\n      organisations ${side(i).organization_refs.join(', ')}`
  const types = a.object_types ? [a.object_types.include ? `only ${a.object_types.include.join(', ')}` : '', a.object_types.exclude ? `never ${a.object_types.exclude.join(', ')}` : ''].filter((x) => x).join('; ') : 'all'
  const o = a.onward_sharing
  const onward = o.allowed ? `allowed to ${o.to_node_ids?.join(', ') ?? 'any node with an agreement'}, at most ${o.max_tlp ?? a.max_tlp}, ${o.max_hops ?? 1} hop(s)` : 'not allowed'
  return [
    `${a.id}  ${r.status.status}  ${a.name}`,
    `  status      ${r.status.reason}`,
    `  proposer    ${fmtSide(0)}`,
    `  acceptor    ${fmtSide(1)}`,
    `  max TLP     ${a.max_tlp}`,
    `  types       ${types}`,
    `  onward      ${onward}`,
    `  retention   ${a.retention_days !== undefined ? `${a.retention_days} days` : 'unlimited'}`,
    `  in force    ${a.iep.start_date} – ${a.iep.end_date ?? 'open-ended'}`,
    `  purpose     ${a.purpose}`,
    `  terms       sha256:${r.termsSha256}`,
    `  events      ${a.events.map((e) => `${e.action} by ${e.node_id} at ${e.at}${e.reason ? ` (${e.reason})` : ''}`).join('; ') || 'none'}`,
  ].join('\n')
}

/** What happens to a new version: delivered to a peer's inbox, retried at the next sync, or a file to hand over. */
function handOver(r: AgreementRecord, fileAdvice: string): string {
  const d = r.delivery
  if (d === undefined) return `${fileAdvice}: entente agreement export ${r.agreement.id} > agreement.json`
  if (d.delivered) return `Delivered to peer ${d.peer}.`
  return `Not delivered to peer ${d.peer} now (${d.error ?? 'unknown error'}): it is sent again at every sync until ${d.peer} has it.`
}

interface ProposeFlags extends NodeFlags {
  peer?: string
  peerNode?: string
  peerKey?: string
  peerOrg?: string[]
  org?: string[]
  name?: string
  purpose: string
  maxTlp: string
  types?: string
  excludeTypes?: string
  onward?: string
  onwardMaxTlp?: string
  onwardMaxHops?: string
  retentionDays?: string
  start?: string
  end?: string
}

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined
  if (!/^\d{1,6}$/.test(v) || Number(v) < 1) fail(EXIT.usage, `${flag} must be a positive whole number`)
  return Number(v)
}

function onwardFrom(f: ProposeFlags): OnwardSharing {
  const v = (f.onward ?? 'no').trim()
  if (v === 'no' || v === 'none') {
    if (f.onwardMaxTlp !== undefined || f.onwardMaxHops !== undefined) fail(EXIT.usage, '--onward-max-tlp and --onward-max-hops need --onward any or --onward <node,…>')
    return { allowed: false }
  }
  const hops = positiveInt(f.onwardMaxHops, '--onward-max-hops')
  const to = v === 'any' ? undefined : commaList(v)
  if (to !== undefined && to.length === 0) fail(EXIT.usage, '--onward takes no, any, or a comma-separated list of node ids')
  return {
    allowed: true,
    ...(to !== undefined ? { to_node_ids: to } : {}),
    ...(f.onwardMaxTlp !== undefined ? { max_tlp: f.onwardMaxTlp as Exclude<OnwardSharing['max_tlp'], undefined> } : {}),
    ...(hops !== undefined ? { max_hops: hops } : {}),
  }
}

async function readAgreementFile(file: string): Promise<unknown> {
  let text: string
  try {
    if (file === '-') {
      const chunks: Buffer[] = []
      let size = 0
      for await (const c of process.stdin) {
        size += (c as Buffer).length
        if (size > MAX_FILE_BYTES) fail(EXIT.dataErr, `standard input is larger than ${MAX_FILE_BYTES} bytes; an agreement is much smaller`)
        chunks.push(c as Buffer)
      }
      text = Buffer.concat(chunks).toString('utf8')
    } else {
      const s = await stat(file)
      if (s.size > MAX_FILE_BYTES) fail(EXIT.dataErr, `${file} is larger than ${MAX_FILE_BYTES} bytes; an agreement is much smaller`)
      text = await readFile(file, 'utf8')
    }
  } catch (e) {
    if ((e as { exitCode?: number }).exitCode !== undefined) throw e
    fail(EXIT.noInput, `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch (e) {
    fail(EXIT.dataErr, `${file} is not JSON: ${(e as Error).message}`)
  }
}

export function registerAgreement(program: Command) {
  const cmd = program.command('agreement').description('sharing agreements with other nodes: propose, accept, suspend, resume, terminate, exchange')

  nodeOptions(cmd.command('propose'))
    .description('write, sign and store a new agreement with this node as the proposer (then export it to the other node)')
    .option('--peer <name>', 'the other node: a federation peer (its pinned key and organisations are used)')
    .option('--peer-node <id>', 'without federation: the other node id (it prints it with `entente agreement self`)')
    .option('--peer-key <base64>', "without federation: the other node's Ed25519 key (from `entente agreement self`)")
    .option('--peer-org <identity>', "the other node's organisations (identity ids); repeatable or comma-separated", collectList)
    .option('--org <name>', "this node's organisations under the agreement (default: the host organisation); repeatable", collectList)
    .option('--name <text>', 'a name for the agreement')
    .requiredOption('--purpose <text>', 'why the parties share (shown with shared data)')
    .requiredOption('--max-tlp <level>', 'the highest TLP shared: clear, green, amber, amber+strict or red')
    .option('--types <types>', 'only these object types (comma-separated)')
    .option('--exclude-types <types>', 'never these object types (comma-separated)')
    .option('--onward <no|any|nodes>', 'may the other node relay what it receives: no (default), any, or a comma-separated list of node ids')
    .option('--onward-max-tlp <level>', 'the highest TLP that may be relayed (never red)')
    .option('--onward-max-hops <n>', 'further hops allowed after the other node (default 1)')
    .option('--retention-days <n>', 'received objects are deleted this many days after receipt')
    .option('--start <timestamp>', 'in force from (default: now), e.g. 2026-03-01T00:00:00Z')
    .option('--end <timestamp>', 'in force until (exclusive; default: open-ended)')
    .action(async (flags: ProposeFlags) => {
      const retention = positiveInt(flags.retentionDays, '--retention-days')
      const include = commaList(flags.types)
      const exclude = commaList(flags.excludeTypes)
      const input: ProposeInput = {
        ...(flags.peer !== undefined ? { peer: flags.peer } : {}),
        ...(flags.peerNode !== undefined ? { peerNodeId: flags.peerNode } : {}),
        ...(flags.peerKey !== undefined ? { peerKey: flags.peerKey } : {}),
        ...(flags.peerOrg !== undefined ? { peerOrgs: flags.peerOrg } : {}),
        ...(flags.org !== undefined ? { orgs: flags.org } : {}),
        ...(flags.name !== undefined ? { name: flags.name } : {}),
        purpose: flags.purpose,
        maxTlp: flags.maxTlp.toLowerCase().replace(/^tlp:/, ''),
        ...(include !== undefined || exclude !== undefined ? { types: { ...(include ? { include } : {}), ...(exclude ? { exclude } : {}) } } : {}),
        onward: onwardFrom(flags),
        ...(retention !== undefined ? { retentionDays: retention } : {}),
        ...(flags.start !== undefined ? { start: flags.start } : {}),
        ...(flags.end !== undefined ? { end: flags.end } : {}),
      }
      if (input.peer === undefined && input.peerNodeId === undefined) fail(EXIT.usage, 'name the other node: --peer <name>, or --peer-node, --peer-key and --peer-org')
      await withNode(flags, async (node) => {
        const r = must(await node.services.agreements.propose(await cliViewer(node, 'agreement'), input))
        printResult(r, { json: flags.json === true, human: () => `${human(r)}\n\n${handOver(r, 'Send it to the other node')}` })
      })
    })

  for (const action of ['accept', 'suspend', 'resume', 'terminate'] as const) {
    const c = nodeOptions(cmd.command(`${action} <id>`)).description(
      {
        accept: "accept the other node's proposal (compare its key fingerprint with the one read out to you first)",
        suspend: 'suspend sharing under the agreement (takes effect at the next sync); lift it with resume',
        resume: "lift this node's suspension",
        terminate: 'end the agreement for good',
      }[action],
    )
    if (action !== 'accept') c.option('--reason <text>', 'why (recorded in the signed event)')
    c.action(async (id: string, flags: NodeFlags & { reason?: string }) => {
      await withNode(flags, async (node) => {
        const v = await cliViewer(node, 'agreement')
        const s = node.services.agreements
        const r = must(action === 'accept' ? await s.accept(v, id) : await s[action](v, id, flags.reason))
        printResult(r, { json: flags.json === true, human: () => `${human(r)}\n\n${handOver(r, 'Send the new version to the other node')}` })
      })
    })
  }

  nodeOptions(cmd.command('list'))
    .description('every agreement with its status now')
    .action(async (flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        const r = must(await node.services.agreements.list(await cliViewer(node, 'agreement')))
        printResult(r, {
          json: flags.json === true,
          human: () => (r.length === 0 ? 'no agreements' : r.map((x) => `${x.agreement.id}  ${x.status.status.padEnd(10)}  ${x.agreement.parties[0].node_id} → ${x.agreement.parties[1].node_id}  max ${x.agreement.max_tlp}  ${x.agreement.name}`).join('\n')),
        })
      })
    })

  nodeOptions(cmd.command('show <id>'))
    .description('one agreement, its terms and its status now')
    .action(async (id: string, flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        const r = must(await node.services.agreements.show(await cliViewer(node, 'agreement'), id))
        printResult(r, { json: flags.json === true, human: () => human(r) })
      })
    })

  nodeOptions(cmd.command('export <id>'))
    .description('print the signed agreement (STIX JSON) to hand to the other node')
    .action(async (id: string, flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        const r = must(await node.services.agreements.export(await cliViewer(node, 'agreement'), id))
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`)
      })
    })

  nodeOptions(cmd.command('import <file>'))
    .description("store a signed agreement from the other node (a proposal, or its new events); '-' reads standard input")
    .action(async (file: string, flags: NodeFlags) => {
      const value = await readAgreementFile(file)
      await withNode(flags, async (node) => {
        const r = must(await node.services.agreements.import(await cliViewer(node, 'agreement'), value))
        const next = r.status.status === 'proposed' && r.ourSide === 1 ? `\n\nReview the terms, compare the fingerprint of ${r.agreement.parties[0].node_id}, then: entente agreement accept ${r.agreement.id}` : ''
        printResult(r, { json: flags.json === true, human: () => `${r.unchanged ? 'already up to date\n' : ''}${human(r)}${next}` })
      })
    })

  nodeOptions(cmd.command('self'))
    .description("this node's id, key and fingerprint as agreements name them (give them to the other administrator)")
    .action(async (flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        const r = must(await node.services.agreements.self(await cliViewer(node, 'agreement')))
        printResult(r, { json: flags.json === true, human: () => `node id      ${r.nodeId}\nnode key     ${r.nodeKey}\nfingerprint  ${r.fingerprint}` })
      })
    })
}
