/**
 * `entente log verify`: recompute every leaf from the stored entries, the tree from the leaves, and
 * compare it with the stored tree, the head, and every checkpoint the node signed; replay the entries
 * and compare the state they describe with the stored objects, memberships and administration rows.
 * Any row edited, deleted, inserted or reordered behind the node's back shows up as a problem that
 * names the entry (or the unlogged row).
 */
import { bytesEqual, MerkleFrontier } from '../../core/translog/merkle.js'
import { decodeEntry, type LogEntry } from '../../core/translog/entry.js'
import { openCheckpoint } from '../../core/translog/checkpoint.js'
import { noteVerifier } from '../../core/translog/note.js'
import type { StoredCheckpoint } from '../../store/port.js'
import { tlpLevel, type TlpLevel } from '../../core/marking/tlp.js'
import type { ServiceDeps } from '../deps.js'

export type ProblemCode =
  | 'entry_missing'
  | 'entry_beyond_head'
  | 'leaf_mismatch'
  | 'entry_invalid'
  | 'tree_node_mismatch'
  | 'head_mismatch'
  | 'checkpoint_invalid'
  | 'checkpoint_mismatch'
  | 'object_missing'
  | 'object_changed'
  | 'membership_missing'
  | 'unlogged_row'
  | 'state_mismatch'

export interface VerifyProblem {
  readonly code: ProblemCode
  /** The log entry the problem is about, when there is one. */
  readonly entry?: number
  readonly message: string
}

export interface VerifyReport {
  readonly ok: boolean
  readonly entries: number
  readonly checkpoints: number
  readonly root: string
  /** The first problems found (at most `maxProblems`); `problemCount` counts them all. */
  readonly problems: readonly VerifyProblem[]
  readonly problemCount: number
}

export interface VerifyProgress {
  readonly phase: 'entries' | 'objects' | 'memberships' | 'administration'
  readonly done: number
  readonly total: number
}

const BATCH = 10_000
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

export function makeLogVerifier(deps: Pick<ServiceDeps, 'store' | 'hasher' | 'verify'>) {
  const { store, hasher } = deps

  return async function verifyLog(opts: { maxProblems?: number; onProgress?: (p: VerifyProgress) => void } = {}): Promise<VerifyReport> {
    const maxProblems = opts.maxProblems ?? 1000
    const problems: VerifyProblem[] = []
    let problemCount = 0
    const report = (p: VerifyProblem) => {
      problemCount++
      if (problems.length < maxProblems) problems.push(p)
    }

    const head = await store.log.head()
    const origin = await store.meta.get('log.origin')
    const publicKey = await store.meta.get('log.public_key')

    // Every checkpoint the node issued: signature, and its claims.
    const checkpoints: StoredCheckpoint[] = []
    for (let after = 0; ; ) {
      const page = await store.log.checkpoints(after, 1000)
      checkpoints.push(...page)
      if (page.length < 1000) break
      after = (page[page.length - 1] as StoredCheckpoint).seq
    }
    const verifier = origin !== null && publicKey !== null ? noteVerifier(origin, Uint8Array.from(Buffer.from(publicKey, 'base64'))) : null
    for (const cp of checkpoints) {
      if (!verifier) {
        report({ code: 'checkpoint_invalid', message: `checkpoint #${cp.seq} exists but the node has no recorded log key` })
        continue
      }
      const opened = openCheckpoint(cp.note, verifier, deps.verify, { origin: verifier.name })
      if (!opened.ok) report({ code: 'checkpoint_invalid', message: `checkpoint #${cp.seq} (size ${cp.size}): ${opened.error}` })
      else if (opened.value.size !== cp.size || !bytesEqual(opened.value.root, cp.root))
        report({ code: 'checkpoint_invalid', message: `checkpoint #${cp.seq}: the stored size/root differ from the signed note's` })
    }
    // Signed notes are the ground truth: compare the recomputed tree with what each note says.
    const bySize = new Map<number, StoredCheckpoint[]>()
    for (const cp of checkpoints) {
      const list = bySize.get(cp.size) ?? []
      list.push(cp)
      bySize.set(cp.size, list)
    }
    let lastGoodSize = 0

    // Replayed state.
    // collection → object seq → entry index (nested maps of numbers: a million string keys cost seconds of GC)
    const memberships = new Map<string, Map<number, number>>()
    const membersOf = (collection: string) => {
      let m = memberships.get(collection)
      if (!m) memberships.set(collection, (m = new Map()))
      return m
    }
    const utf8 = new TextEncoder()
    const objectsReferenced = new Set<number>()
    const orgs = new Map<string, { identity: string; entry: number; tlp: TlpLevel | null; tlpEntry: number }>()
    // Collection id → the last logged default (absent: AMBER, what a collection gets when none is given).
    const collectionDefaults = new Map<string, { tlp: TlpLevel; entry: number }>()
    // `client\0parent` → the entry that added the relation.
    const clients = new Map<string, number>()
    // Peer id → what the log says of it: approved with a pinned key, or removed.
    const peers = new Map<string, { origin: string | null; key: string | null; removed: boolean; entry: number }>()
    const users = new Map<string, { org: string; role: string; disabled: boolean; entry: number }>()
    const tokens = new Map<string, { user: string; expires: string | null; revoked: boolean; entry: number }>()
    const collections = new Map<string, number>()
    const permissions = new Map<string, { read: boolean; write: boolean; entry: number }>()

    const frontier = new MerkleFrontier((l, r) => hasher.nodeHash(l, r))
    const reported = new Set<number>()
    let expected = 0
    const total = Math.max(head.size, 1)

    // The read cursor: past every row read so far, including rows outside [0, size) (which do not move
    // `expected`). It starts below 0 so that a row inserted with a negative index is seen too.
    let next = Number.MIN_SAFE_INTEGER
    for (;;) {
      const rows = await store.audit.logRows(next, BATCH)
      if (rows.length === 0) break
      next = (rows[rows.length - 1] as { index: number }).index + 1
      const batchStart = expected
      const computed = new Map<string, Uint8Array>()
      const objectChecks: { index: number; seq: number; entry: Extract<LogEntry, { kind: 'object.added' | 'object.removed' }> }[] = []
      for (const row of rows) {
        if (row.index < 0) {
          report({ code: 'entry_invalid', entry: row.index, message: `entry ${row.index} has a negative index, outside the log: a row was inserted` })
          continue
        }
        if (row.index >= head.size) {
          report({ code: 'entry_beyond_head', entry: row.index, message: `entry ${row.index} is beyond the log head (size ${head.size}): a row was inserted` })
          reported.add(row.index)
          continue
        }
        while (expected < row.index) {
          report({ code: 'entry_missing', entry: expected, message: `entry ${expected} is missing: a row was deleted` })
          reported.add(expected)
          // The tree cannot be recomputed past a hole: stop comparing roots from here.
          expected++
        }
        const leaf = hasher.leafHash(row.text)
        if (!bytesEqual(leaf, row.leafHash)) {
          report({ code: 'leaf_mismatch', entry: row.index, message: `entry ${row.index} (${row.kind}): its text does not hash to its stored leaf hash: the entry was edited` })
          reported.add(row.index)
        }
        const decoded = decodeEntry(utf8.encode(row.text))
        if (!decoded.ok) {
          report({ code: 'entry_invalid', entry: row.index, message: `entry ${row.index}: ${decoded.error}` })
          reported.add(row.index)
        } else replay(row.index, decoded.value, row.objectSeq, row.collectionId, objectChecks)
        if (frontier.size === row.index) {
          frontier.append(leaf, (level, index, hash) => {
            if (level > 0) computed.set(`${level}:${index}`, hash)
          })
          const cps = bySize.get(frontier.size)
          if (cps) checkRoots(cps, frontier.size)
        }
        expected = row.index + 1
      }
      // Interior nodes: the stored tree must be the one the entries give.
      await compareNodes(computed, batchStart, expected)
      await checkObjects(objectChecks)
      opts.onProgress?.({ phase: 'entries', done: Math.min(expected, head.size), total })
    }
    if (expected < head.size) {
      for (let i = expected; i < head.size && i < expected + 10; i++) report({ code: 'entry_missing', entry: i, message: `entry ${i} is missing: a row was deleted` })
      problemCount += Math.max(0, head.size - expected - 10)
    }
    for (const cp of checkpoints) {
      if (cp.size > frontier.size)
        report({ code: 'checkpoint_mismatch', message: `checkpoint #${cp.seq} signed a log of ${cp.size} entries, but only ${frontier.size} verify: entries were removed` })
    }
    if (frontier.size === head.size && !bytesEqual(frontier.root(), head.root))
      report({ code: 'head_mismatch', message: `the stored log head root ${hex(head.root)} is not the root of the entries ${hex(frontier.root())}` })

    await checkMemberships()
    await checkUnloggedObjects()
    await checkAdministration()

    return { ok: problemCount === 0, entries: expected, checkpoints: checkpoints.length, root: hex(frontier.root()), problems, problemCount }

    // --- helpers -------------------------------------------------------------------------------

    function checkRoots(cps: readonly StoredCheckpoint[], size: number) {
      const root = frontier.root()
      for (const cp of cps) {
        if (!bytesEqual(root, cp.root)) {
          report({
            code: 'checkpoint_mismatch',
            entry: lastGoodSize,
            message: `the first ${size} entries do not hash to the root signed in checkpoint #${cp.seq}: entries ${lastGoodSize}–${size - 1} were changed, reordered or replaced`,
          })
        } else lastGoodSize = size
      }
    }

    async function compareNodes(computed: Map<string, Uint8Array>, from: number, to: number) {
      for (let level = 1; 2 ** level <= to; level++) {
        const lo = Math.floor(from / 2 ** level)
        const hi = Math.floor(to / 2 ** level)
        if (hi <= lo) continue
        const stored = await store.audit.logNodes(level, lo, hi)
        const seen = new Set<number>()
        for (const n of stored) {
          seen.add(n.index)
          const c = computed.get(`${level}:${n.index}`)
          if (c && !bytesEqual(c, n.hash)) nodeProblem(level, n.index)
        }
        for (let i = lo; i < hi; i++) if (!seen.has(i) && computed.has(`${level}:${i}`)) nodeProblem(level, i)
      }
    }

    function nodeProblem(level: number, index: number) {
      const first = index * 2 ** level
      const last = (index + 1) * 2 ** level - 1
      for (let i = first; i <= last; i++) if (reported.has(i)) return // already named
      for (let i = first; i <= last; i++) reported.add(i)
      report({
        code: 'tree_node_mismatch',
        entry: first,
        message: `entries ${first}–${last} do not hash to the stored tree node (${level}, ${index}): one of them was changed or the entries were reordered`,
      })
    }

    function replay(
      index: number,
      e: LogEntry,
      objectSeq: number | null,
      collectionId: string | null,
      objectChecks: { index: number; seq: number; entry: Extract<LogEntry, { kind: 'object.added' | 'object.removed' }> }[],
    ) {
      switch (e.kind) {
        case 'object.added':
        case 'object.removed': {
          if (objectSeq === null || collectionId !== e.collection) {
            report({ code: 'entry_invalid', entry: index, message: `entry ${index}: its row does not name the object and collection its text names` })
            return
          }
          objectsReferenced.add(objectSeq)
          objectChecks.push({ index, seq: objectSeq, entry: e })
          if (e.kind === 'object.added') membersOf(e.collection).set(objectSeq, index)
          else memberships.get(e.collection)?.delete(objectSeq)
          return
        }
        case 'org.created':
          orgs.set(e.org.id, { identity: e.org.identity, entry: index, tlp: null, tlpEntry: index })
          return
        case 'org.default_tlp_set': {
          const o = orgs.get(e.org.id)
          if (!o) {
            report({ code: 'state_mismatch', entry: index, message: `entry ${index} sets the default of organisation ${e.org.id}, which was never created in the log` })
            return
          }
          o.tlp = e.org.tlp
          o.tlpEntry = index
          return
        }
        case 'org.client_added':
          clients.set(`${e.client.org}\u0000${e.client.of}`, index)
          return
        case 'org.client_removed':
          if (!clients.delete(`${e.client.org}\u0000${e.client.of}`))
            report({ code: 'state_mismatch', entry: index, message: `entry ${index} ends a client relation (${e.client.org} of ${e.client.of}) that the log never added` })
          return
        case 'collection.default_tlp_set':
          collectionDefaults.set(e.collection.id, { tlp: e.collection.tlp, entry: index })
          return
        case 'peer.approved':
          peers.set(e.peer.id, { origin: e.peer.origin, key: e.peer.ed25519, removed: false, entry: index })
          return
        case 'peer.removed': {
          const p = peers.get(e.peer.id)
          peers.set(e.peer.id, { origin: p?.origin ?? null, key: p?.key ?? null, removed: true, entry: index })
          return
        }
        case 'user.created':
          users.set(e.user.id, { org: e.user.org, role: e.user.role, disabled: false, entry: index })
          return
        case 'user.role_changed':
        case 'user.disabled':
        case 'user.enabled': {
          const u = users.get(e.user.id)
          if (!u) {
            report({ code: 'state_mismatch', entry: index, message: `entry ${index} changes user ${e.user.id}, who was never created in the log` })
            return
          }
          if (e.kind === 'user.role_changed') u.role = e.user.role
          else u.disabled = e.kind === 'user.disabled'
          u.entry = index
          return
        }
        case 'token.created':
          tokens.set(e.token.id, { user: e.token.user, expires: e.token.expires, revoked: false, entry: index })
          return
        case 'token.revoked': {
          const t = tokens.get(e.token.id)
          if (t) {
            t.revoked = true
            t.entry = index
          } else report({ code: 'state_mismatch', entry: index, message: `entry ${index} revokes token ${e.token.id}, which was never created in the log` })
          return
        }
        case 'collection.created':
          collections.set(e.collection.id, index)
          return
        case 'collection.permission_set':
          permissions.set(`${e.permission.collection}\u0000${e.permission.org}`, { read: e.permission.read, write: e.permission.write, entry: index })
          return
        case 'node.key':
          return
      }
    }

    async function checkObjects(checks: { index: number; seq: number; entry: Extract<LogEntry, { kind: 'object.added' | 'object.removed' }> }[]) {
      if (checks.length === 0) return
      const rows = new Map((await store.audit.objectsBySeq(checks.map((c) => c.seq))).map((r) => [r.seq, r]))
      for (const c of checks) {
        const row = rows.get(c.seq)
        const o = c.entry.object
        if (!row) {
          report({ code: 'object_missing', entry: c.index, message: `entry ${c.index}: the stored version of ${o.id} (${o.version}) is missing: a row was deleted` })
          continue
        }
        const actual = hex(hasher.sha256(row.json))
        if (row.stixId !== o.id || row.versionKey !== o.version || actual !== o.sha256 || hex(row.contentHash) !== o.sha256) {
          report({
            code: 'object_changed',
            entry: c.index,
            message: `entry ${c.index}: the stored object ${row.stixId} (${row.versionKey}) is not the one logged (${o.id} ${o.version}, sha256 ${o.sha256.slice(0, 16)}…; stored content hashes to ${actual.slice(0, 16)}…)`,
          })
        }
      }
    }

    async function checkMemberships() {
      let after = 0
      let done = 0
      for (;;) {
        const rows = await store.audit.memberships(after, BATCH)
        for (const m of rows) {
          if (!memberships.get(m.collectionId)?.delete(m.objectSeq)) report({ code: 'unlogged_row', message: `collection membership #${m.seq} (object version #${m.objectSeq} in collection ${m.collectionId}) has no log entry: a row was inserted` })
        }
        done += rows.length
        opts.onProgress?.({ phase: 'memberships', done, total: done })
        if (rows.length < BATCH) break
        after = (rows[rows.length - 1] as { seq: number }).seq
      }
      for (const [collection, members] of memberships) {
        for (const index of members.values())
          report({ code: 'membership_missing', entry: index, message: `entry ${index}: the object it added to collection ${collection} is no longer there, and no entry removed it` })
      }
    }

    async function checkUnloggedObjects() {
      let after = 0
      for (;;) {
        const seqs = await store.audit.objectSeqs(after, BATCH)
        for (const s of seqs) if (!objectsReferenced.has(s)) report({ code: 'unlogged_row', message: `stored object version #${s} has no log entry: a row was inserted` })
        if (seqs.length < BATCH) break
        after = seqs[seqs.length - 1] as number
      }
    }

    async function checkAdministration() {
      opts.onProgress?.({ phase: 'administration', done: 0, total: 1 })
      const unlogged = (what: string) => report({ code: 'unlogged_row', message: `${what} has no log entry: a row was inserted` })
      const mismatch = (entry: number, what: string) => report({ code: 'state_mismatch', entry, message: `entry ${entry}: ${what}` })
      for (const o of await store.orgs.list()) {
        const l = orgs.get(o.id)
        const tlp = o.defaultTlp === undefined ? null : tlpLevel(o.defaultTlp)
        if (!l) unlogged(`organisation ${o.id} (${o.name})`)
        else if (l.identity !== o.identityId) mismatch(l.entry, `organisation ${o.id} has identity ${o.identityId}, not the logged ${l.identity}`)
        else if (l.tlp !== tlp) mismatch(l.tlpEntry, `organisation ${o.id} has default TLP ${tlp ?? 'none'}; the log says ${l.tlp ?? 'none'}`)
        orgs.delete(o.id)
      }
      for (const r of await store.orgs.clients()) {
        const k = `${r.clientOrgId}\u0000${r.parentOrgId}`
        if (!clients.delete(k)) unlogged(`the client relation of organisation ${r.clientOrgId} to ${r.parentOrgId}`)
      }
      for (const [k, index] of clients) mismatch(index, `the client relation ${k.replace('\u0000', ' of ')} is missing: a row was deleted`)
      for (const [id, l] of orgs) mismatch(l.entry, `organisation ${id} is missing: a row was deleted`)
      for (const u of await store.users.list()) {
        const l = users.get(u.id)
        if (!l) unlogged(`user ${u.id} (${u.username})`)
        else if (l.org !== u.orgId || l.role !== u.role || l.disabled !== (u.disabledAt !== null))
          mismatch(l.entry, `user ${u.id} is ${u.role}${u.disabledAt ? ', disabled' : ''} in ${u.orgId}; the log says ${l.role}${l.disabled ? ', disabled' : ''} in ${l.org}`)
        users.delete(u.id)
      }
      for (const [id, l] of users) mismatch(l.entry, `user ${id} is missing: a row was deleted`)
      for (const t of await store.tokens.list()) {
        const l = tokens.get(t.id)
        if (!l) unlogged(`API token ${t.id} (${t.prefix}…)`)
        else if (l.user !== t.userId || l.expires !== t.expiresAt || l.revoked !== (t.revokedAt !== null))
          mismatch(l.entry, `API token ${t.id} differs from the log (user, expiry or revocation)`)
        tokens.delete(t.id)
      }
      for (const [id, l] of tokens) mismatch(l.entry, `API token ${id} is missing: a row was deleted`)
      for (const c of await store.collections.list()) {
        const created = collections.get(c.id)
        if (created === undefined) unlogged(`collection ${c.id} (${c.title})`)
        else {
          const logged = collectionDefaults.get(c.id)
          const tlp = tlpLevel(c.defaultTlp ?? 2)
          if ((logged?.tlp ?? 'amber') !== tlp)
            mismatch(logged?.entry ?? created, `collection ${c.id} has default TLP ${tlp}; the log says ${logged?.tlp ?? 'amber (none was set)'}`)
        }
        collections.delete(c.id)
        for (const p of await store.collections.permissions(c.id)) {
          const k = `${p.collectionId}\u0000${p.orgId}`
          const l = permissions.get(k)
          if (!l) unlogged(`permission of organisation ${p.orgId} on collection ${c.id}`)
          else if (l.read !== p.canRead || l.write !== p.canWrite)
            mismatch(l.entry, `organisation ${p.orgId} has read=${p.canRead} write=${p.canWrite} on collection ${c.id}; the log says read=${l.read} write=${l.write}`)
          permissions.delete(k)
        }
      }
      for (const [id, index] of collections) mismatch(index, `collection ${id} is missing: a row was deleted`)
      // Peers: an approved node peer's pinned key must be the one an administrator approved in the log;
      // a removal in the log must be a removal in the table.
      const b64 = (k: Uint8Array | null) => (k === null ? null : Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('base64'))
      for (const p of await store.peers.list()) {
        const l = peers.get(p.id)
        peers.delete(p.id)
        const pinned = p.kind === 'node' && (p.status === 'approved' || p.status === 'key-changed' || p.status === 'fork')
        if (!l) {
          if (pinned) unlogged(`approved peer ${p.id} (${p.name})`)
          continue
        }
        if (l.removed) {
          if (p.status !== 'removed') mismatch(l.entry, `peer ${p.id} is ${p.status}; the log says it was removed`)
        } else if (!pinned) mismatch(l.entry, `peer ${p.id} is ${p.status}; the log says it was approved`)
        else if (l.key !== b64(p.publicKey) || l.origin !== p.origin) mismatch(l.entry, `peer ${p.id} has a pinned key or origin other than the one approved in the log`)
      }
      for (const [id, l] of peers) mismatch(l.entry, `peer ${id} is missing: a row was deleted`)
      for (const [k, l] of permissions) mismatch(l.entry, `the permission ${k.replace('\u0000', ' / ')} is missing: a row was deleted`)
      opts.onProgress?.({ phase: 'administration', done: 1, total: 1 })
    }
  }
}
