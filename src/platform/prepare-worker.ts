/** Worker thread body for worker-preparer.ts: runs the pure prepare step (and the receive step of peer sync) on batches. */
import { hash } from 'node:crypto'
import { parentPort } from 'node:worker_threads'
import { prepareObject } from '../core/ingest/prepare.js'
import { prepareReceived, type ReceiveEvidence, type ReceivedPageText } from '../core/ingest/receive.js'
import type { RawItem } from '../services/pipeline/preparer.js'
import { ed25519Verify } from './signing.js'

const sha256 = (data: string | Uint8Array): Uint8Array => hash('sha256', data, 'buffer')

parentPort?.on('message', (m: { id: number; items: RawItem[] | ReceivedPageText; receive?: { evidence: ReceiveEvidence | null } }) => {
  const results = m.receive ? prepareReceived(m.items, m.receive.evidence, ed25519Verify, sha256, sha256) : 'pageText' in m.items ? [] : m.items.map((i) => prepareObject(i))
  parentPort?.postMessage({ id: m.id, results })
})
