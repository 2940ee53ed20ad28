/** Bundle files for imports: fingerprints for resumption, spooling of uploads, streamed reading. */
import { createHash, randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Readable, Transform } from 'node:stream'
import { openBundleFile, readBundle } from './bundle-reader.js'

/** SHA-256 (hex) of a file's bytes: the same file imported twice resumes the same job. */
export async function fingerprintFile(path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer)
  return h.digest('hex')
}

/** Streams a bundle file (.json or gzip) as batches of object texts. */
export function readBundleBatches(path: string, batchSize = 2000): AsyncIterable<{ index: number; text: string }[]> {
  return readBundle(openBundleFile(path), { batchSize })
}

/**
 * Checks that a whole bundle file is well-formed before anything is stored, so a file that is
 * broken halfway writes nothing. Returns the number of objects. Throws BundleReadFailure.
 */
export async function prescanBundle(path: string, onBytes?: (n: number) => void): Promise<number> {
  let n = 0
  for await (const batch of readBundle(openBundleFile(path, onBytes), { batchSize: 4000 })) n += batch.length
  return n
}

/** Spool directory for uploaded bundles (REST import jobs). */
export function makeSpool(dir = join(tmpdir(), 'entente-spool')) {
  return {
    async spool(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<{ path: string; fingerprint: string; bytes: number }> {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      const path = join(dir, `${randomUUID()}.upload`)
      const h = createHash('sha256')
      let bytes = 0
      const meter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          bytes += chunk.length
          if (bytes > maxBytes) return cb(new SpoolTooLarge(maxBytes))
          h.update(chunk)
          cb(null, chunk)
        },
      })
      try {
        await pipeline(Readable.from(body), meter, createWriteStream(path, { mode: 0o600 }))
      } catch (e) {
        await rm(path, { force: true })
        throw e
      }
      return { path, fingerprint: h.digest('hex'), bytes }
    },
    read: (path: string) => readBundleBatches(path),
    remove: (path: string) => rm(path, { force: true }),
    size: async (path: string) => (await stat(path)).size,
  }
}

export class SpoolTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`upload is larger than ${maxBytes} bytes`)
  }
}
