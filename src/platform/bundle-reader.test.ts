import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { LIMITS } from '../core/shared/limits.js'
import {
  BundleReadFailure,
  BundleScanner,
  gunzipIfNeeded,
  openBundleFile,
  openBundleReader,
  readBundle,
  splitBundle,
  type BundleItem,
  type BundleReadError,
  type ReadBundleOptions,
} from './bundle-reader.js'
import { ATTACK_BUNDLE, DISARM_BUNDLE } from '../../test/data.js'

const DISARM = DISARM_BUNDLE
const ATTACK = ATTACK_BUNDLE

const tmp = mkdtempSync(join(tmpdir(), 'entente-bundle-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const disarmBytes = readFileSync(DISARM)
const disarmObjects = (JSON.parse(disarmBytes.toString('utf8')) as { objects: unknown[] }).objects

/** A sample of ATT&CK: every 200th object, and the first 60 objects whose JSON has non-ASCII characters. */
const attackSample = (() => {
  const bundle = JSON.parse(gunzipSync(readFileSync(ATTACK)).toString('utf8')) as { id: string; objects: unknown[] }
  let nonAscii = 0
  const objects = bundle.objects.filter(
    (o, i) => i > 0 && (i % 200 === 0 || (/[^\x00-\x7f]/.test(JSON.stringify(o)) && ++nonAscii <= 60)),
  )
  const text = JSON.stringify({ type: 'bundle', id: bundle.id, objects }, null, 2)
  return { objects, bytes: Buffer.from(text, 'utf8') }
})()

/** Yields `bytes` in chunks whose sizes cycle through `sizes`. */
async function* chunked(bytes: Uint8Array, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  let k = 0
  for (let i = 0; i < bytes.length; ) {
    const size = Math.max(1, sizes[k++ % sizes.length] ?? 1)
    // Fresh copies, as a socket would deliver them.
    yield Uint8Array.from(bytes.subarray(i, i + size))
    i += size
  }
}

async function collect(source: AsyncIterable<Uint8Array>, opts?: ReadBundleOptions): Promise<BundleItem[]> {
  const out: BundleItem[] = []
  for await (const batch of readBundle(source, opts)) out.push(...batch)
  return out
}

/** The error of reading `bytes` in the given chunking (or undefined when it reads fine). */
async function failureOf(bytes: Uint8Array, sizes: readonly number[], opts?: ReadBundleOptions): Promise<BundleReadError | undefined> {
  try {
    await collect(chunked(bytes, sizes), opts)
    return undefined
  } catch (e) {
    if (e instanceof BundleReadFailure) return e.error
    throw e
  }
}

function expectItems(items: readonly BundleItem[], objects: readonly unknown[]): void {
  expect(items.length).toBe(objects.length)
  items.forEach((item, i) => {
    expect(item.index).toBe(i)
    expect(item.text).toBe(item.text.trim())
    expect(JSON.parse(item.text)).toEqual(objects[i])
  })
}

const chunkSizes = fc.array(fc.integer({ min: 1, max: 8192 }), { minLength: 1, maxLength: 40 })

describe('reading real bundles in any chunking', () => {
  it('DISARM: items equal JSON.parse(file).objects for random chunk sizes', async () => {
    await fc.assert(
      fc.asyncProperty(chunkSizes, async (sizes) => {
        expectItems(await collect(chunked(disarmBytes, sizes)), disarmObjects)
      }),
      { numRuns: 20 },
    )
  })

  it('DISARM: one byte at a time', async () => {
    expectItems(await collect(chunked(disarmBytes, [1])), disarmObjects)
  })

  it('ATT&CK sample (with multi-byte UTF-8): random chunk sizes', async () => {
    expect(attackSample.objects.length).toBeGreaterThan(150)
    expect(attackSample.bytes.toString('latin1')).toMatch(/[\xc2-\xf4]/)
    await fc.assert(
      fc.asyncProperty(chunkSizes, async (sizes) => {
        expectItems(await collect(chunked(attackSample.bytes, sizes)), attackSample.objects)
      }),
      { numRuns: 10 },
    )
  })

  it('ATT&CK sample: one to three bytes at a time, splitting every multi-byte character', () => {
    const scanner = new BundleScanner()
    const bytes = attackSample.bytes
    for (let i = 0, k = 0; i < bytes.length; k++) {
      const size = (k % 3) + 1
      scanner.push(Uint8Array.from(bytes.subarray(i, i + size)))
      i += size
    }
    scanner.end()
    expectItems(scanner.take(Infinity), attackSample.objects)
  })

  it('the whole ATT&CK .gz file: every object, in order', async () => {
    const ids: string[] = []
    const reader = openBundleReader(openBundleFile(ATTACK))
    for await (const batch of reader.batches) for (const item of batch) ids.push((JSON.parse(item.text) as { id: string }).id)
    expect(ids).toHaveLength(24_772)
    expect(ids[0]).toBe('x-mitre-collection--1f5f1533-f617-4ca8-9ab4-6a02367fa019')
    expect(reader.info()).toMatchObject({ id: 'bundle--36328d8b-107d-5d40-b3de-58335b11625f', objects: 24_772, complete: true })
  })

  it('stops at an ATT&CK object over the limit (its collection object is about 4 MB)', async () => {
    await expect(collect(openBundleFile(ATTACK), { maxObjectBytes: 1024 * 1024 })).rejects.toThrow(
      expect.objectContaining({ error: expect.objectContaining({ code: 'object_too_large', byteOffset: 107 }) as unknown }) as Error,
    )
  })
})

describe('arbitrary JSON elements', () => {
  const element = fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' })
  it('splits any elements, in any chunking, with any indentation', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(element, { maxLength: 12 }),
        fc.constantFrom(0, 1, 2, '\t', '\r\n '),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }),
        async (objects, indent, sizes) => {
          const text = JSON.stringify({ id: 'bundle--x', objects, type: 'bundle' }, null, indent as string | number)
          const bytes = Buffer.from(text, 'utf8')
          // -0 serialises as 0: compare with what JSON.parse makes of the whole text.
          const expected = (JSON.parse(text) as { objects: unknown[] }).objects
          expectItems(await collect(chunked(bytes, sizes)), expected)
          expectItems(splitBundle(bytes), expected)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('agrees with JSON.parse on mutated bundles: same items, or a fault of the right kind', async () => {
    const sample = Buffer.from(
      JSON.stringify({ type: 'bundle', id: 'bundle--1', objects: [...disarmObjects.slice(0, 3), { s: 'é€😀\u0001', n: [-1.5e-3, 0, true, null] }] }, null, 1),
    )
    const interesting = [...Buffer.from('"\\{}[],: \n\tetfnu0123456789-+.E'), 0x00, 0x7f, 0x80, 0xbf, 0xc3, 0xe2, 0xed, 0xf0, 0xff]
    const mutation = fc.record({
      at: fc.nat({ max: sample.length - 1 }),
      op: fc.constantFrom('replace', 'insert', 'delete'),
      byte: fc.constantFrom(...interesting),
    })
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 300 }), async (mutations, size) => {
        let bytes = Buffer.from(sample)
        for (const m of mutations) {
          const at = Math.min(m.at, bytes.length)
          const before = bytes.subarray(0, at)
          const after = bytes.subarray(m.op === 'insert' ? at : at + 1)
          bytes = Buffer.concat(m.op === 'delete' ? [before, after] : [before, Buffer.from([m.byte]), after])
        }
        let parsed: unknown
        let valid = true
        try {
          parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
        } catch {
          valid = false
        }
        const isBundle = (v: unknown): v is { objects?: unknown[] } =>
          typeof v === 'object' && v !== null && !Array.isArray(v) && (v as { type?: unknown }).type === 'bundle' &&
          ((v as { objects?: unknown }).objects === undefined || Array.isArray((v as { objects?: unknown }).objects)) &&
          ['id', 'spec_version'].every((k) => !(k in v) || typeof (v as Record<string, unknown>)[k] === 'string')
        const failure = await failureOf(bytes, [size])
        // A top-level fault (say, a string where the bundle object should be) may be seen before a later malformation.
        if (!valid) expect(['malformed_json', 'not_a_bundle']).toContain(failure?.code)
        else if (!isBundle(parsed)) expect(failure?.code).toBe('not_a_bundle')
        else {
          expect(failure).toBeUndefined()
          expectItems(await collect(chunked(bytes, [size])), parsed.objects ?? [])
        }
      }),
      { numRuns: 600 },
    )
  })

  it('keeps each element’s exact text, escapes and all', () => {
    const text = '{"objects":[ {"a" : "\\u00e9\\n\\"x\\"" } ,\n[1 ,2],"s\\\\",-0.5E-3,true,null ],"type":"bundle"}'
    expect(splitBundle(Buffer.from(text)).map((i) => i.text)).toEqual([
      '{"a" : "\\u00e9\\n\\"x\\"" }',
      '[1 ,2]',
      '"s\\\\"',
      '-0.5E-3',
      'true',
      'null',
    ])
  })
})

describe('the top level', () => {
  it('yields nothing when objects is absent or empty', () => {
    expect(splitBundle(Buffer.from('{"type":"bundle","id":"bundle--1"}'))).toEqual([])
    expect(splitBundle(Buffer.from('{"type":"bundle","objects":[]}'))).toEqual([])
  })

  it('accepts members in any order, a BOM, escaped keys, and other members', () => {
    const text = '\uFEFF {"x_other": {"objects": [1]}, "objects": [{"a":1}], "typ\\u0065": "bun\\u0064le", "spec_version": "2.0"}\n'
    const scanner = new BundleScanner()
    scanner.push(Buffer.from(text))
    scanner.end()
    expect(scanner.take(10)).toEqual([{ index: 0, text: '{"a":1}' }])
    expect(scanner.info()).toMatchObject({ specVersion: '2.0', objects: 1, complete: true })
  })

  it('reports the bundle id and progress while reading', async () => {
    const text = `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[${'{"a":1},'.repeat(9)}{"a":1}]}`
    const reader = openBundleReader(chunked(Buffer.from(text), [7]), { batchSize: 4 })
    const sizes: number[] = []
    for await (const batch of reader.batches) sizes.push(batch.length)
    expect(sizes).toEqual([4, 4, 2])
    expect(reader.info()).toEqual({
      id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d',
      specVersion: undefined,
      objects: 10,
      bytes: Buffer.byteLength(text),
      complete: true,
    })
  })
})

/** `[before, after, code]`: the fault is at the first byte of `after` (or at the end when it is empty). */
const FAULTS: [string, string, BundleReadError['code']][] = [
  // the document
  ['', '', 'malformed_json'],
  ['  \n', '', 'malformed_json'],
  ['', 'x', 'malformed_json'],
  ['', '[{"type":"bundle"}]', 'not_a_bundle'],
  ['  ', '"bundle"', 'not_a_bundle'],
  ['{"type":"bundle"} ', 'x', 'malformed_json'],
  ['{"type":"bundle"}', '{}', 'malformed_json'],
  ['\xEF\xBB', '{}', 'malformed_json'],
  // top-level members
  ['{', 'type:"bundle"}', 'malformed_json'],
  ['{"type" ', '"bundle"}', 'malformed_json'],
  ['{"type":"bundle",', '}', 'malformed_json'],
  ['{"type":"bundle" ', '"id":"x"}', 'malformed_json'],
  ['{"type":', '"report"}', 'not_a_bundle'],
  ['{"type":', '1}', 'not_a_bundle'],
  ['{"type":"bundle","id":', 'null}', 'not_a_bundle'],
  ['{"objects":[]', '}', 'not_a_bundle'],
  ['{"type":"bundle","objects":', '{}}', 'not_a_bundle'],
  ['{"type":"bundle","objects":[],', '"objects":[]}', 'not_a_bundle'],
  ['{"type":"bundle",', '"type":"bundle"}', 'not_a_bundle'],
  ['{"objects":[{"a":1}],"type":', '"x"}', 'not_a_bundle'],
  // structure inside elements
  ['{"type":"bundle","objects":[1,', ']}', 'malformed_json'],
  ['{"type":"bundle","objects":[{"a":1,', '}]}', 'malformed_json'],
  ['{"type":"bundle","objects":[{"a" ', '1}]}', 'malformed_json'],
  ['{"type":"bundle","objects":[{"a":1', ']]}', 'malformed_json'],
  ['{"type":"bundle","objects":[[1', '}]}', 'malformed_json'],
  ['{"type":"bundle","objects":[{"a":1 ', '"b":2}]}', 'malformed_json'],
  ['{"type":"bundle","objects":[{', '1:2}]}', 'malformed_json'],
  ['{"type":"bundle","objects":[{"a":', '}]}', 'malformed_json'],
  ['{"type":"bundle","objects":[', 'undefined]}', 'malformed_json'],
  ['{"type":"bundle","objects":[1 ', '2]}', 'malformed_json'],
  // strings
  ['{"type":"bundle","objects":[{"a":"\\', 'q"}]}', 'malformed_json'],
  ['{"type":"bundle","objects":[{"a":"\\u00', 'g0"}]}', 'malformed_json'],
  ['{"type":"bundle","objects":[{"a":"', '\n"}]}', 'malformed_json'],
  ['{"type":"bundle","objects":[{"a":"', '\x00"}]}', 'malformed_json'],
  // numbers and literals
  ['{"type":"bundle","objects":[-', 'x]}', 'malformed_json'],
  ['{"type":"bundle","objects":[0', '1]}', 'malformed_json'],
  ['{"type":"bundle","objects":[1.', ']}', 'malformed_json'],
  ['{"type":"bundle","objects":[1e', ']}', 'malformed_json'],
  ['{"type":"bundle","objects":[1e+', 'x]}', 'malformed_json'],
  ['{"type":"bundle","objects":[1.5', '.3]}', 'malformed_json'],
  ['{"type":"bundle","objects":[', '+1]}', 'malformed_json'],
  ['{"type":"bundle","objects":[tr', 'eu]}', 'malformed_json'],
  ['{"type":"bundle","objects":[nul', 'L]}', 'malformed_json'],
  ['{"type":"bundle","objects":[true', 'x]}', 'malformed_json'],
  // end of input
  ['{"type":"bundle","objects":[{"a":"abc', '', 'malformed_json'],
  ['{"type":"bundle","objects":[{"a":"abc"}', '', 'malformed_json'],
  ['{"type":"bundle","objects":[{"a":"abc"}]', '', 'malformed_json'],
  ['{"type":"bundle","objects":[{"a":"\\u12', '', 'malformed_json'],
]

/** Invalid UTF-8 inside a string: `[before, bad bytes, code]`, the fault at the first offending byte. */
const BAD_UTF8: [string, number[], number][] = [
  ['lone continuation byte', [0x80], 0],
  ['invalid lead byte', [0xff], 0],
  ['overlong two-byte form', [0xc0, 0x80], 0],
  ['overlong three-byte form', [0xe0, 0x80, 0x80], 1],
  ['UTF-16 surrogate', [0xed, 0xa0, 0x80], 1],
  ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 1],
  ['truncated sequence', [0xe2, 0x82, 0x41], 2],
]

describe('faults, located by byte offset, in any chunking', () => {
  it.each(FAULTS)('%j then %j → %s', async (before, after, code) => {
    const bytes = Buffer.from(before + after, 'latin1')
    const expected = { code, byteOffset: Buffer.byteLength(before, 'latin1') }
    expect(await failureOf(bytes, [bytes.length + 1])).toMatchObject(expected)
    expect(await failureOf(bytes, [1])).toMatchObject(expected)
    expect(await failureOf(bytes, [3, 5])).toMatchObject(expected)
  })

  it.each(BAD_UTF8)('%s', async (_name, bad, at) => {
    const before = Buffer.from('{"type":"bundle","objects":[{"a":"é')
    const bytes = Buffer.concat([before, Buffer.from(bad), Buffer.from('"}]}')])
    for (const sizes of [[bytes.length], [1], [2, 3]]) {
      expect(await failureOf(bytes, sizes)).toMatchObject({ code: 'malformed_json', byteOffset: before.length + at })
    }
  })

  it('names the fault in a one-line message', async () => {
    const e = await failureOf(Buffer.from('{"type":"bundle","objects":[{"a":"\\q"}]}'), [100])
    expect(e?.message).toBe("invalid escape '\\q' in a string")
    const eof = await failureOf(Buffer.from('{"type":"bundle","objects":[{"a":"abc'), [100])
    expect(eof?.message).toBe('unexpected end of input in a string that starts at byte 33')
  })

  it('hands over the items before the fault, then throws', async () => {
    const bytes = Buffer.from('{"type":"bundle","objects":[{"a":1},{"a":2},{"a":3},{"a":}]}')
    const seen: number[] = []
    const reading = (async () => {
      for await (const batch of readBundle(chunked(bytes, [1000]), { batchSize: 2 })) seen.push(...batch.map((i) => i.index))
    })()
    await expect(reading).rejects.toBeInstanceOf(BundleReadFailure)
    expect(seen).toEqual([0, 1, 2])
  })

  it('a failed scanner keeps reporting its first fault', () => {
    const s = new BundleScanner()
    expect(() => s.push(Buffer.from('{"type":x'))).toThrow(BundleReadFailure)
    expect(() => s.push(Buffer.from('}'))).toThrow(/at byte 8/)
    expect(() => s.end()).toThrow(/at byte 8/)
  })
})

describe('limits', () => {
  const bundleWith = (element: string): Buffer => Buffer.from(`{"type":"bundle","objects":[1, ${element} ,2]}`)
  const elementAt = Buffer.byteLength('{"type":"bundle","objects":[1, ')

  it('accepts an element of exactly maxObjectBytes and rejects one byte more, at the element start', async () => {
    const fits = `{"a":"${'x'.repeat(92)}"}` // 100 bytes
    expect(fits).toHaveLength(100)
    for (const sizes of [[1000], [1], [7, 13]]) {
      expect((await collect(chunked(bundleWith(fits), sizes), { maxObjectBytes: 100 })).map((i) => i.text)).toEqual(['1', fits, '2'])
      expect(await failureOf(bundleWith(`{"a":"${'x'.repeat(93)}"}`), sizes, { maxObjectBytes: 100 })).toEqual({
        code: 'object_too_large',
        message: 'element 1 of "objects" is larger than 100 bytes',
        byteOffset: elementAt,
      })
      expect(await failureOf(bundleWith('1'.repeat(101)), sizes, { maxObjectBytes: 100 })).toMatchObject({
        code: 'object_too_large',
        byteOffset: elementAt,
      })
    }
  })

  it('stops at the limit without reading the rest of a huge element', async () => {
    let read = 0
    async function* endless(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('{"type":"bundle","objects":[{"a":"')
      for (;;) {
        read += 65536
        yield Buffer.alloc(65536, 0x61)
      }
    }
    await expect(collect(endless(), { maxObjectBytes: 1_000_000 })).rejects.toThrow(/larger than 1000000 bytes/)
    expect(read).toBeLessThan(1_200_000)
  })

  it('rejects elements nested deeper than maxDepth (default LIMITS.maxJsonDepth)', async () => {
    const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth)
    const max = LIMITS.maxJsonDepth
    expect(splitBundle(bundleWith(nested(max)))).toHaveLength(3)
    for (const sizes of [[10_000], [1]]) {
      expect(await failureOf(bundleWith(nested(max + 1)), sizes)).toMatchObject({ code: 'too_deep', byteOffset: elementAt + max })
      expect(await failureOf(bundleWith(`{"a":${nested(3)}}`), sizes, { maxDepth: 3 })).toMatchObject({
        code: 'too_deep',
        byteOffset: elementAt + 5 + 2,
      })
    }
  })
})

describe('files and gzip', () => {
  it('gunzips by magic bytes, whatever the file name, and reports bytes read', async () => {
    const path = join(tmp, 'disarm.json') // gzip content, plain name
    const gz = gzipSync(disarmBytes)
    writeFileSync(path, gz)
    let lastBytes = 0
    const items = await collect(openBundleFile(path, (n) => (lastBytes = n)))
    expectItems(items, disarmObjects)
    expect(lastBytes).toBe(statSync(path).size)
  })

  it('reads a plain file as it is', async () => {
    expectItems(await collect(openBundleFile(DISARM)), disarmObjects)
  })

  it('gunzips a chunked stream split inside the magic bytes', async () => {
    const gz = gzipSync(attackSample.bytes)
    expectItems(await collect(gunzipIfNeeded(chunked(gz, [1, 4096]))), attackSample.objects)
  })

  it('reports corrupt or truncated gzip data as malformed input', async () => {
    const gz = gzipSync(disarmBytes)
    const path = join(tmp, 'truncated.json.gz')
    writeFileSync(path, gz.subarray(0, Math.floor(gz.length / 2)))
    await expect(collect(openBundleFile(path))).rejects.toThrow(
      expect.objectContaining({ error: expect.objectContaining({ code: 'malformed_json' }) as unknown }) as Error,
    )
  })

  it('passes on errors of the source (a missing file)', async () => {
    await expect(collect(openBundleFile(join(tmp, 'missing.json')))).rejects.toThrow(/ENOENT/)
  })

  it('lets the consumer stop early', async () => {
    for await (const batch of readBundle(openBundleFile(ATTACK), { batchSize: 10 })) {
      expect(batch).toHaveLength(10)
      break
    }
  })
})

describe('memory', () => {
  it('keeps no item alive once taken, even when some stay pending', async () => {
    const { setFlagsFromString } = await import('node:v8')
    const { runInNewContext } = await import('node:vm')
    setFlagsFromString('--expose_gc')
    const gc = runInNewContext('gc') as () => void
    const objects = Array.from({ length: 100 }, (_, i) => ({ type: 'x-test', id: `x-test--${i}`, pad: 'p'.repeat(100) }))
    const scanner = new BundleScanner()
    scanner.push(Buffer.from(JSON.stringify({ type: 'bundle', id: 'bundle--1', objects })))
    const refs: WeakRef<object>[] = []
    ;(() => {
      for (const item of scanner.take(10)) refs.push(new WeakRef(item))
    })()
    expect(scanner.pending).toBe(90)
    await new Promise((r) => setTimeout(r, 0))
    gc()
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0)
    expect(scanner.take(90).map((i) => JSON.parse(i.text).id)).toEqual(objects.slice(10).map((o) => o.id))
  })
})
