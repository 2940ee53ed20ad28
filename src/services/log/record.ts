/**
 * Writing to the transparency log: every accepted write appends its entry in the same transaction
 * (DESIGN.md: store → transparency log entry). Services build entries with `core/translog/entry.ts`
 * and append them here, last in the transaction (the append holds the log lock until commit).
 */
import type { Viewer } from '../../core/policy/viewer.js'
import type { DomainError } from '../../core/shared/errors.js'
import type { Result } from '../../core/shared/result.js'
import { ENTRY_VERSION, entryText, type LogActor, type LogEntry, type LoggedObject } from '../../core/translog/entry.js'
import type { LogAppend, Store, Tx } from '../../store/port.js'
import type { Hasher } from '../deps.js'

/** Who a viewer is in the log: internal ids only (the log is permanent and partners read it). */
export function actorOf(viewer: Viewer): LogActor {
  if (viewer.kind === 'system') return { system: viewer.name }
  return { org: viewer.orgId, user: viewer.userId }
}

/** An entry to append, with the object it is about (object entries only). */
export interface Recorded {
  readonly entry: LogEntry
  readonly collectionId?: string
  readonly objectSeq?: number
}

/** Distributes an entry's common fields. */
export const entryBase = (at: string, by: LogActor) => ({ v: ENTRY_VERSION, at, by }) as const

export function loggedObject(o: { stixId: string; type: string; versionKey: string; contentHash: Uint8Array; revoked: boolean }): LoggedObject {
  return {
    id: o.stixId,
    type: o.type,
    version: o.versionKey,
    sha256: Buffer.from(o.contentHash.buffer, o.contentHash.byteOffset, o.contentHash.byteLength).toString('hex'),
    ...(o.revoked ? { revoked: true as const } : {}),
  }
}

export function makeLogRecorder(hasher: Hasher) {
  const hashing = { leafHash: (text: string) => hasher.leafHash(text), nodeHash: (l: Uint8Array, r: Uint8Array) => hasher.nodeHash(l, r) }
  return {
    /** Appends entries in order inside `tx`. */
    async record(tx: Tx, items: readonly Recorded[]): Promise<void> {
      if (items.length === 0) return
      const rows: LogAppend[] = items.map((it) => ({
        kind: it.entry.kind,
        at: it.entry.at,
        text: entryText(it.entry),
        collectionId: it.collectionId ?? null,
        objectSeq: it.objectSeq ?? null,
      }))
      await tx.log.append(rows, hashing)
    },
  }
}

export type LogRecorder = ReturnType<typeof makeLogRecorder>

/** Runs `fn` in `repos` when it already is a transaction, else in a new transaction of `store`. */
export function inTransaction<T>(store: Store, repos: Tx, fn: (tx: Tx) => Promise<Result<T, DomainError>>): Promise<Result<T, DomainError>> {
  return repos === store ? store.transaction(fn) : fn(repos)
}
