/**
 * Where the pure per-object work of ingest runs. The default runs it inline; `platform/worker-preparer.ts`
 * runs it in worker threads so parsing and validation overlap with storage on another core.
 */
import { prepareObject, type PrepareOutcome } from '../../core/ingest/prepare.js'
import type { ReceivedOutcome, ReceiveEvidence, ReceivedPageText } from '../../core/ingest/receive.js'

export type RawItem = { readonly text: string } | { readonly value: unknown }

export interface Preparer {
  prepare(items: readonly RawItem[]): Promise<PrepareOutcome[]>
  /**
   * Prepares objects received from a peer and verifies their provenance (`prepareReceived` in
   * core/ingest/receive.ts) off the storing thread. Optional: without it, the caller runs
   * `prepareReceived` inline.
   */
  receive?(items: readonly RawItem[] | ReceivedPageText, evidence: ReceiveEvidence | null): Promise<ReceivedOutcome[]>
  close(): Promise<void>
}

export const inlinePreparer: Preparer = {
  prepare: async (items) => items.map((i) => prepareObject(i)),
  close: async () => {},
}
