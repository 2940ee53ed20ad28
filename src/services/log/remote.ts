/**
 * What a partner does with another node's log, over HTTP only, trusting nothing but the pinned key:
 * - `verifyRemote` (`entente log verify --remote`): every entry recomputed into the tree, compared
 *   with the latest signed checkpoint and every earlier checkpoint the node says it signed;
 * - witnessing: fetch and store a watched log's checkpoints and check each new one is consistent with
 *   those seen before; a fork (two checkpoints that cannot both be true) is recorded and reported loudly.
 */
import { err, ok, type Result } from '../../core/shared/result.js'
import { storedTimestampFromMs } from '../../core/stix/time.js'
import { openCheckpoint, parseCheckpoint, type Checkpoint } from '../../core/translog/checkpoint.js'
import { decodeEntry } from '../../core/translog/entry.js'
import { bytesEqual, leafHash, MerkleFrontier } from '../../core/translog/merkle.js'
import { parseNote, parseVerifierKey, type NoteVerifier } from '../../core/translog/note.js'
import { checkAgainstSeen, neededProofs } from '../../core/translog/witness.js'
import type { WitnessedLog } from '../../store/port.js'
import type { RemoteLog, ServiceDeps } from '../deps.js'
import type { VerifyProblem, VerifyProgress } from './verify.js'

const PAGE = 1000
const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')

export interface RemoteVerifyReport {
  readonly ok: boolean
  readonly origin: string
  readonly entries: number
  /** Entries the node showed only as hashes (not readable with the credentials used). */
  readonly redacted: number
  readonly checkpoints: number
  readonly root: string
  readonly problems: readonly VerifyProblem[]
  readonly problemCount: number
}

/** `log verify --remote`: needs no database, only HTTP and signature verification. */
export function makeRemoteVerifier(deps: Pick<ServiceDeps, 'verify' | 'remoteLogs'>) {
  function remote(url: string, token?: string): RemoteLog {
    if (!deps.remoteLogs) throw new Error('log: this process cannot reach other nodes (no remoteLogs)')
    return deps.remoteLogs(url, token)
  }

  async function verifyRemote(
    input: { url: string; verifierKey: string; token?: string },
    opts: { maxProblems?: number; onProgress?: (p: VerifyProgress) => void } = {},
  ): Promise<Result<RemoteVerifyReport>> {
    const key = pinned(input.verifierKey)
    if (!key.ok) return key
    const log = remote(input.url, input.token)
    const maxProblems = opts.maxProblems ?? 1000
    const problems: VerifyProblem[] = []
    let problemCount = 0
    const report = (p: VerifyProblem) => {
      problemCount++
      if (problems.length < maxProblems) problems.push(p)
    }
    const latest = openCheckpoint(await log.checkpoint(), key.value, deps.verify, { origin: key.value.name })
    if (!latest.ok) return err({ code: 'conflict', detail: `the latest checkpoint of ${input.url} does not verify with the pinned key: ${latest.error}` })
    const size = latest.value.size

    // Every checkpoint it says it signed: each must verify and (up to the latest size) match the tree.
    const issued = new Map<number, Checkpoint[]>()
    let count = 0
    for (let after = 0; ; ) {
      const page = await log.checkpoints(after, PAGE)
      for (const c of page.items) {
        count++
        const cp = openCheckpoint(c.note, key.value, deps.verify, { origin: key.value.name })
        if (!cp.ok) report({ code: 'checkpoint_invalid', message: `checkpoint #${c.seq}: ${cp.error}` })
        else if (cp.value.size > size) continue
        else issued.set(cp.value.size, [...(issued.get(cp.value.size) ?? []), cp.value])
      }
      if (page.next === null || page.items.length === 0) break
      after = page.next
    }

    const frontier = new MerkleFrontier()
    let redacted = 0
    let lastGood = 0
    const compare = () => {
      for (const cp of issued.get(frontier.size) ?? []) {
        if (!bytesEqual(cp.root, frontier.root()))
          report({ code: 'checkpoint_mismatch', entry: lastGood, message: `the first ${frontier.size} entries do not hash to the root of the checkpoint of that size: entries ${lastGood}–${frontier.size - 1} differ` })
        else lastGood = frontier.size
      }
    }
    compare()
    while (frontier.size < size) {
      const start = frontier.size
      const page = await log.entries(start, Math.min(size, start + PAGE) - 1)
      if (page.length === 0) {
        report({ code: 'entry_missing', entry: start, message: `the node returned no entry ${start} although its checkpoint has ${size}` })
        break
      }
      for (const e of page) {
        if (e.index !== frontier.size) {
          report({ code: 'entry_missing', entry: frontier.size, message: `the node returned entry ${e.index} where ${frontier.size} was expected` })
          return ok(done())
        }
        let leaf: Uint8Array
        if ('leafInput' in e) {
          const decoded = decodeEntry(e.leafInput)
          if (!decoded.ok) report({ code: 'entry_invalid', entry: e.index, message: `entry ${e.index}: ${decoded.error}` })
          leaf = leafHash(e.leafInput)
        } else {
          redacted++
          leaf = e.leafHash
        }
        frontier.append(leaf)
        compare()
        if (frontier.size === size) break
      }
      opts.onProgress?.({ phase: 'entries', done: frontier.size, total: size })
    }
    if (frontier.size === size && !bytesEqual(frontier.root(), latest.value.root))
      report({ code: 'checkpoint_mismatch', entry: lastGood, message: `the ${size} entries do not hash to the root of the latest checkpoint` })
    return ok(done())

    function done(): RemoteVerifyReport {
      return { ok: problemCount === 0, origin: key.ok ? key.value.name : '', entries: frontier.size, redacted, checkpoints: count, root: b64(frontier.root()), problems, problemCount }
    }
  }

  return verifyRemote
}

function pinned(verifierKey: string): Result<NoteVerifier> {
  const v = parseVerifierKey(verifierKey.trim())
  if (!v.ok) return err({ code: 'validation_failed', issues: [{ pointer: '/verifier_key', message: v.error }] })
  return ok(v.value)
}

export function makeRemoteLogService(deps: Pick<ServiceDeps, 'store' | 'clock' | 'verify' | 'logger' | 'remoteLogs'>) {
  const { store, clock, logger } = deps

  function remote(url: string, token?: string): RemoteLog {
    if (!deps.remoteLogs) throw new Error('log: this process cannot reach other nodes (no remoteLogs)')
    return deps.remoteLogs(url, token)
  }

  /** The checkpoint in a note without checking its signature (stored notes were checked when stored). */
  function checkpointOf(note: string): Checkpoint | null {
    const parsed = parseNote(note)
    if (!parsed.ok) return null
    const cp = parseCheckpoint(parsed.value.body)
    return cp.ok ? cp.value : null
  }

  const verifyRemote = makeRemoteVerifier(deps)

  /**
   * Checks one checkpoint note of a watched log: signature with the pinned key, then consistency with
   * every checkpoint seen before (fetching the proofs it needs with `proofs`). Stores it; records a
   * fork, loudly, when it cannot be consistent. Used by `checkWitnessed` and, at every sync, federation.
   */
  async function witnessCheckpoint(
    origin: string,
    note: string,
    proofs: (first: number, second: number) => Promise<Uint8Array[]>,
  ): Promise<Result<{ verdict: 'consistent' | 'fork'; detail: string; checkpoint: Checkpoint }>> {
    const watched = await store.witness.getLog(origin)
    if (!watched) return err({ code: 'not_found', resource: 'witnessed log', id: origin })
    const key = pinned(watched.verifierKey)
    if (!key.ok) return key
    const at = storedTimestampFromMs(clock.nowMs())
    const opened = openCheckpoint(note, key.value, deps.verify, { origin })
    if (!opened.ok) {
      await store.witness.recordCheck(origin, at, `checkpoint does not verify with the pinned key: ${opened.error}`, null)
      return err({ code: 'conflict', detail: `the checkpoint of ${origin} does not verify with the pinned key: ${opened.error}` })
    }
    const next = opened.value
    const seen = (await store.witness.checkpoints(origin)).map((c) => checkpointOf(c.note)).filter((c): c is Checkpoint => c !== null)
    const fetched = new Map<string, Uint8Array[]>()
    for (const q of neededProofs(seen, next)) fetched.set(`${q.first}:${q.second}`, await proofs(q.first, q.second))
    const v = checkAgainstSeen(seen, next, (m, n) => fetched.get(`${m}:${n}`))
    // Kept whatever the verdict: a fork's two checkpoints are the evidence.
    await store.witness.addCheckpoint({ origin, size: next.size, root: next.root, timestamp: next.timestamp, note, seenAt: at })
    if (v.verdict === 'fork') {
      logger.error({ origin, detail: v.detail }, 'FORK: a witnessed log signed two inconsistent checkpoints')
      await store.witness.recordCheck(origin, at, v.detail, v.detail)
      return ok({ verdict: 'fork', detail: v.detail, checkpoint: next })
    }
    if (v.verdict === 'unverifiable') {
      await store.witness.recordCheck(origin, at, v.detail, null)
      return err({ code: 'conflict', detail: v.detail })
    }
    await store.witness.recordCheck(origin, at, null, null)
    return ok({ verdict: 'consistent', detail: v.detail, checkpoint: next })
  }

  return {
    verifyRemote,
    witnessCheckpoint,

    /** Starts watching a log: its URL and the verifier key agreed out of band. The key names the origin. */
    async addWitnessed(input: { url: string | null; verifierKey: string }): Promise<Result<WitnessedLog>> {
      const key = pinned(input.verifierKey)
      if (!key.ok) return key
      const existing = await store.witness.getLog(key.value.name)
      if (existing && existing.verifierKey !== input.verifierKey.trim())
        return err({ code: 'conflict', detail: `log ${key.value.name} is already watched with another key; remove it first if the key really changed` })
      return ok(await store.witness.putLog({ origin: key.value.name, url: input.url, verifierKey: input.verifierKey.trim(), addedAt: storedTimestampFromMs(clock.nowMs()) }))
    },

    listWitnessed: () => store.witness.listLogs(),

    /** Fetches the latest checkpoint of every watched log with a URL (or one) and checks it. */
    async checkWitnessed(only?: string) {
      const out: { origin: string; verdict: 'consistent' | 'fork' | 'error'; detail: string; size?: number }[] = []
      for (const w of await store.witness.listLogs()) {
        if (only !== undefined && w.origin !== only) continue
        if (w.url === null) continue
        try {
          const log = remote(w.url)
          const r = await witnessCheckpoint(w.origin, await log.checkpoint(), (a, b) => log.consistency(a, b))
          out.push(r.ok ? { origin: w.origin, verdict: r.value.verdict, detail: r.value.detail, size: r.value.checkpoint.size } : { origin: w.origin, verdict: 'error', detail: r.error.code === 'conflict' ? r.error.detail : r.error.code })
        } catch (e) {
          const detail = (e as Error).message
          await store.witness.recordCheck(w.origin, storedTimestampFromMs(clock.nowMs()), detail, null)
          out.push({ origin: w.origin, verdict: 'error', detail })
        }
      }
      return out
    },
  }
}

export type RemoteLogService = ReturnType<typeof makeRemoteLogService>
