/** Worker thread body for worker-preparer.ts: runs the pure prepare step on batches. */
import { parentPort } from 'node:worker_threads'
import { prepareObject } from '../core/ingest/prepare.js'
import type { RawItem } from '../services/pipeline/preparer.js'

parentPort?.on('message', (m: { id: number; items: RawItem[] }) => {
  parentPort?.postMessage({ id: m.id, results: m.items.map((i) => prepareObject(i)) })
})
