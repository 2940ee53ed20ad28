/**
 * A Preparer that parses, validates and canonicalises objects in worker threads, so that on a
 * multi-core machine the main thread only hashes and stores. Batches are split across workers and
 * results come back in input order.
 */
import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'
import type { PrepareOutcome } from '../core/ingest/prepare.js'
import type { ReceivedOutcome, ReceiveEvidence, ReceivedPageText } from '../core/ingest/receive.js'
import type { Preparer, RawItem } from '../services/pipeline/preparer.js'

/**
 * A worker only holds a batch or two: a small heap makes V8 collect often instead of growing, which
 * keeps an import's memory flat (the whole process stays under ~400 MB for a million objects).
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 64 }

interface Pending {
  resolve(v: PrepareOutcome[] | ReceivedOutcome[]): void
  reject(e: Error): void
}

class PrepareWorker {
  private readonly worker: Worker
  private readonly pending = new Map<number, Pending>()
  private nextId = 0
  private failed: Error | null = null

  constructor() {
    const here = import.meta.url
    if (here.endsWith('.ts')) {
      // Running from TypeScript sources (a checkout): the worker registers tsx before loading its module.
      const tsx = import.meta.resolve('tsx/esm/api')
      const file = new URL('./prepare-worker.ts', here).href
      const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(file)}) })`
      this.worker = new Worker(boot, { eval: true, resourceLimits: WORKER_LIMITS })
    } else {
      this.worker = new Worker(new URL('./prepare-worker.js', here), { resourceLimits: WORKER_LIMITS })
    }
    this.worker.unref()
    this.worker.on('message', (m: { id: number; results: PrepareOutcome[] | ReceivedOutcome[] }) => {
      const p = this.pending.get(m.id)
      this.pending.delete(m.id)
      p?.resolve(m.results)
    })
    const die = (e: Error) => {
      this.failed = e
      for (const p of this.pending.values()) p.reject(e)
      this.pending.clear()
    }
    this.worker.on('error', die)
    this.worker.on('exit', (code) => {
      if (code !== 0) die(new Error(`prepare worker exited with code ${code}`))
    })
  }

  run(items: readonly RawItem[]): Promise<PrepareOutcome[]>
  run(items: readonly RawItem[] | ReceivedPageText, receive: { evidence: ReceiveEvidence | null }): Promise<ReceivedOutcome[]>
  run(items: readonly RawItem[] | ReceivedPageText, receive?: { evidence: ReceiveEvidence | null }): Promise<PrepareOutcome[] | ReceivedOutcome[]> {
    if (this.failed) return Promise.reject(this.failed)
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.worker.postMessage(receive ? { id, items, receive } : { id, items })
    })
  }

  async close(): Promise<void> {
    await this.worker.terminate()
  }
}

/**
 * Creates a pool of `size` workers (default: one less than the cores, at least one). Batches smaller
 * than `minParallel` items are split over fewer workers to keep message overhead low.
 */
export function createWorkerPreparer(size = Math.max(1, availableParallelism() - 1), minParallel = 256): Preparer {
  const workers = Array.from({ length: size }, () => new PrepareWorker())
  let rr = 0
  return {
    async prepare(items) {
      if (items.length === 0) return []
      const parts = Math.max(1, Math.min(workers.length, Math.floor(items.length / minParallel)))
      const size = Math.ceil(items.length / parts)
      const jobs: Promise<PrepareOutcome[]>[] = []
      for (let i = 0; i < parts; i++) {
        const w = workers[(rr++) % workers.length] as PrepareWorker
        jobs.push(w.run(items.slice(i * size, (i + 1) * size)))
      }
      return (await Promise.all(jobs)).flat()
    },
    // One received page goes to one worker whole: its provenance bundle is verified once, against one
    // checkpoint signature (pages in flight at the same time use different workers).
    async receive(items, evidence) {
      if ('pageText' in items ? items.indices.length === 0 : items.length === 0) return []
      return (workers[(rr++) % workers.length] as PrepareWorker).run(items, { evidence })
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()))
    },
  }
}
