/**
 * `entente log …`: the transparency log from the shell. `verify` checks this node's database against
 * its log (or, with --remote, another node's log over HTTP as a partner would) and exits non-zero on
 * any disagreement, naming the entries.
 */
import type { Command } from 'commander'
import { httpRemoteLog } from '../../platform/remote-log.js'
import { ed25519Verify } from '../../platform/signing.js'
import { makeRemoteVerifier } from '../../services/log/remote.js'
import type { VerifyProblem, VerifyProgress } from '../../services/log/verify.js'
import { must, nodeOptions, withNode, type NodeFlags } from '../context.js'
import { createProgress, EXIT, fail, printResult } from '../output.js'

interface VerifyFlags extends NodeFlags {
  remote?: string
  key?: string
  token?: string
  maxProblems?: string
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

function progressOf(json: boolean) {
  let bar: ReturnType<typeof createProgress> | null = null
  let phase = ''
  return {
    update(p: VerifyProgress) {
      if (p.phase !== phase) {
        bar?.done()
        phase = p.phase
        bar = createProgress({ label: `verifying ${p.phase}`, total: p.phase === 'entries' ? p.total : undefined, json })
      }
      bar?.update(p.done)
    },
    done() {
      bar?.done()
    },
  }
}

function describeProblems(problems: readonly VerifyProblem[], count: number): string[] {
  const lines = problems.map((p) => `  ${p.code.padEnd(20)} ${p.message}`)
  if (count > problems.length) lines.push(`  … and ${count - problems.length} more`)
  return lines
}

export function registerLog(program: Command) {
  const log = program.command('log').description('the transparency log: verify it, sign checkpoints, witness other logs')

  nodeOptions(log.command('verify'))
    .description("recompute this node's log from its database and compare it with every signed checkpoint (or, with --remote, check another node's log)")
    .option('--remote <url>', "verify another node's log over HTTP, as a partner (needs --key)")
    .option('--key <verifier-key>', "the other node's pinned verifier key (name+keyid+base64), from `entente log status` on that node")
    .option('--token <token>', 'an API token on the other node (shows the entries you may read; others are checked by hash)')
    .option('--max-problems <n>', 'problems to list (all are counted)', '50')
    .action(async (flags: VerifyFlags) => {
      const maxProblems = Number(flags.maxProblems ?? '50')
      if (!Number.isInteger(maxProblems) || maxProblems < 1) fail(EXIT.usage, '--max-problems must be a positive integer')
      const json = flags.json === true
      if (flags.remote !== undefined) {
        if (!flags.key) fail(EXIT.usage, '--remote needs --key <verifier-key> (the key you pinned for that node)')
        const verifyRemote = makeRemoteVerifier({ verify: ed25519Verify, remoteLogs: httpRemoteLog })
        const progress = progressOf(json)
        let r
        try {
          r = await verifyRemote(
            { url: flags.remote, verifierKey: flags.key, ...(flags.token ? { token: flags.token } : {}) },
            { maxProblems, onProgress: (p) => progress.update(p) },
          )
        } catch (e) {
          progress.done()
          fail(EXIT.unavailable, `cannot verify ${flags.remote}: ${(e as Error).message}`)
        }
        progress.done()
        const report = must(r)
        printResult(report, {
          json,
          human: () =>
            [
              `${report.ok ? 'OK' : 'FAILED'}: log ${report.origin} at ${flags.remote}: ${report.entries} entries (${report.redacted} seen as hashes only), ${report.checkpoints} checkpoints`,
              `  root ${report.root}`,
              ...describeProblems(report.problems, report.problemCount),
            ].join('\n'),
        })
        if (!report.ok) process.exitCode = 1
        return
      }
      await withNode(flags, async (node) => {
        const progress = progressOf(json)
        const report = await node.services.verifyLog({ maxProblems, onProgress: (p) => progress.update(p) })
        progress.done()
        printResult(report, {
          json,
          human: () =>
            [
              `${report.ok ? 'OK' : 'FAILED'}: ${report.entries} entries, ${report.checkpoints} signed checkpoints, root ${report.root}`,
              ...(report.ok ? [] : [`${report.problemCount} problem${report.problemCount === 1 ? '' : 's'}:`]),
              ...describeProblems(report.problems, report.problemCount),
            ].join('\n'),
        })
        if (!report.ok) process.exitCode = 1
      })
    })

  nodeOptions(log.command('status'))
    .description("the log's size, root, latest checkpoint and verifier key (what partners pin)")
    .action(async (flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        const head = await node.services.log.head()
        const latest = await node.services.log.latestCheckpoint()
        const id = await node.services.log.identity()
        const key = await node.services.log.verifierKey()
        const value = {
          origin: id?.origin ?? null,
          verifierKey: key,
          size: head.size,
          root: hex(head.root),
          latestCheckpoint: latest ? { size: latest.size, signedAt: latest.timestamp, root: hex(latest.root) } : null,
        }
        printResult(value, {
          json: flags.json === true,
          human: () =>
            [
              `origin         ${value.origin ?? '(no key yet: run entente init)'}`,
              `verifier key   ${value.verifierKey ?? '-'}`,
              `entries        ${value.size}`,
              `root           ${value.root}`,
              `checkpoint     ${latest ? `size ${latest.size}, signed ${latest.timestamp}` : 'none yet'}`,
            ].join('\n'),
        })
      })
    })

  nodeOptions(log.command('checkpoint'))
    .description('sign a checkpoint of the log now')
    .action(async (flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        const cp = must(await node.services.log.checkpoint())
        printResult({ size: cp.size, root: hex(cp.root), signedAt: cp.timestamp, note: cp.note }, { json: flags.json === true, human: () => cp.note.trimEnd() })
      })
    })

  const witness = log.command('witness').description("watch other nodes' logs: store their checkpoints, detect forks")

  nodeOptions(witness.command('add'))
    .description("watch another node's log")
    .argument('<url>', "the other node's base URL, e.g. https://entente.cert.example")
    .requiredOption('--key <verifier-key>', 'its verifier key, compared out of band')
    .action(async (url: string, flags: NodeFlags & { key: string }) => {
      await withNode(flags, async (node) => {
        try {
          httpRemoteLog(url)
        } catch (e) {
          fail(EXIT.usage, (e as Error).message)
        }
        const w = must(await node.services.remoteLog.addWitnessed({ url, verifierKey: flags.key }))
        printResult(w, { json: flags.json === true, human: () => `watching ${w.origin} at ${w.url ?? '-'}` })
      })
    })

  nodeOptions(witness.command('list'))
    .description('the logs this node watches, with their last check and any fork')
    .action(async (flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        const logs = await node.services.remoteLog.listWitnessed()
        printResult(logs, {
          json: flags.json === true,
          human: () =>
            logs.length === 0
              ? 'no witnessed logs'
              : logs.map((l) => `${l.origin}  ${l.url ?? '-'}  checked ${l.checkedAt ?? 'never'}${l.fork ? `  FORK: ${l.fork}` : l.lastError ? `  error: ${l.lastError}` : ''}`).join('\n'),
        })
      })
    })

  nodeOptions(witness.command('check'))
    .description("fetch every watched log's latest checkpoint now and check it is consistent with those seen before")
    .argument('[origin]', 'only this log')
    .action(async (origin: string | undefined, flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        const results = await node.services.remoteLog.checkWitnessed(origin)
        printResult(results, {
          json: flags.json === true,
          human: () => (results.length === 0 ? 'no witnessed log with a URL' : results.map((r) => `${r.verdict === 'fork' ? 'FORK' : r.verdict}: ${r.detail}`).join('\n')),
        })
        if (results.some((r) => r.verdict !== 'consistent')) process.exitCode = results.some((r) => r.verdict === 'fork') ? 2 : 1
      })
    })
}
