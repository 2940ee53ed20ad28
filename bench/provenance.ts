/**
 * Provenance verification on receipt (docs/provenance.md): objects/s verified by `verifyProvenance`
 * for batches of 1,000 objects of a 1M-leaf log, against one Ed25519 verification per object.
 *   node --import tsx bench/provenance.ts [--leaves N] [--batch B] [--batches R] [--rounds K]
 *
 * The log: the Maltrail indicators of bench/generate.ts (cached in .bench/), each one `object.added`
 * entry (RFC 8785 canonical JSON, SHA-256 of the object's canonical JSON), with interior nodes kept
 * per level so proofs cost O(log n) lookups. Batches are sent as they travel: a JSON bundle (signed
 * checkpoint + items), parsed, shape-checked and verified by the receiver, who holds the objects'
 * canonical bytes. Prints a Markdown table to stderr and one JSON line to stdout.
 */
import { createHash, sign as cryptoSign, createPrivateKey } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { canonicalize } from '../src/core/stix/canonical.js'
import { signCheckpoint } from '../src/core/translog/checkpoint.js'
import { encodeEntry, type LogEntry } from '../src/core/translog/entry.js'
import { inclusionProofFromNodes, subtreeHash, type NodeLookup } from '../src/core/translog/merkle.js'
import { noteVerifier, openNote } from '../src/core/translog/note.js'
import { checkProvenanceBundleShape, makeProvenanceItem, provenanceKey, verifyProvenance, type ProvenanceBundle } from '../src/core/translog/provenance.js'
import { ed25519Verify, generateNodeKey, loadPrivateKey } from '../src/platform/signing.js'
import { generateIndicatorBundle } from './generate.js'

const args = process.argv.slice(2)
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt
}
const N = Number(opt('leaves', '1000000'))
const BATCH = Number(opt('batch', '1000'))
const BATCHES = Number(opt('batches', '10'))
const WORK = join(process.cwd(), '.bench')
const log = (s: string) => process.stderr.write(`[bench:provenance] ${s}\n`)
const nodeSha = (b: Uint8Array): Uint8Array => createHash('sha256').update(b).digest()
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const enc = new TextEncoder()

// Deterministic sampling (xorshift32), so runs are comparable.
let seed = 0x9e3779b9
const rand = (n: number): number => {
  seed ^= seed << 13
  seed >>>= 0
  seed ^= seed >>> 17
  seed ^= seed << 5
  seed >>>= 0
  return seed % n
}

// Which leaves each batch uses: random over the whole log, or a contiguous run at a random offset.
const randomBatches = Array.from({ length: BATCHES }, () => Array.from({ length: BATCH }, () => rand(N)))
const contiguousBatches = Array.from({ length: BATCHES }, () => {
  const start = rand(N - BATCH)
  return Array.from({ length: BATCH }, (_, i) => start + i)
})
const wanted = new Set([...randomBatches.flat(), ...contiguousBatches.flat()])

log(`building a log of ${N.toLocaleString('en')} object entries from the Maltrail indicators`)
const file = await generateIndicatorBundle(N, WORK, log)
const t0 = performance.now()
const leafLevel = Buffer.alloc(N * 32)
const kept = new Map<number, { id: string; version: string; entry: Uint8Array; object: Uint8Array }>()
let n = 0
const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }), crlfDelay: Infinity })
for await (const raw of lines) {
  // generate.ts writes one object per line, each but the last followed by a comma.
  const line = raw.endsWith(',') ? raw.slice(0, -1) : raw
  if (!line.startsWith('{"type"') || line.startsWith('{"type":"bundle"')) continue
  if (n >= N) break
  const obj = JSON.parse(line) as { id: string; type: string; modified: string }
  const object = enc.encode(canonicalize(obj))
  const e: LogEntry = {
    v: 1,
    kind: 'object.added',
    at: `2026-08-23T12:${String(Math.floor(n / 60_000) % 60).padStart(2, '0')}:${String(Math.floor(n / 1000) % 60).padStart(2, '0')}.${String(n % 1_000_000).padStart(6, '0')}Z`,
    by: { org: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', user: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c' },
    collection: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5d',
    object: { id: obj.id, type: obj.type, version: obj.modified, sha256: hex(nodeSha(object)) },
  }
  const entry = encodeEntry(e)
  leafLevel.set(createHash('sha256').update(Buffer.from([0])).update(entry).digest(), n * 32)
  if (wanted.has(n)) kept.set(n, { id: obj.id, version: obj.modified, entry, object })
  n++
}
if (n < N) throw new Error(`only ${n} objects in ${file}`)
// Interior nodes, one flat buffer per level (perfect subtrees only; ragged edges are folded on demand).
const levels: Buffer[] = [leafLevel]
for (let count = N; count > 1; ) {
  const below = levels[levels.length - 1]!
  const up = Math.floor(count / 2)
  const level = Buffer.alloc(up * 32)
  for (let i = 0; i < up; i++) {
    level.set(createHash('sha256').update(Buffer.from([1])).update(below.subarray(i * 64, i * 64 + 64)).digest(), i * 32)
  }
  levels.push(level)
  count = up
}
const lookup: NodeLookup = (level, index) => {
  const l = levels[level]
  return l && (index + 1) * 32 <= l.length ? l.subarray(index * 32, index * 32 + 32) : undefined
}
const root = subtreeHash(0, N, lookup)
const buildS = (performance.now() - t0) / 1000
log(`log built in ${buildS.toFixed(1)} s`)

const ORIGIN = 'bench.entente.example/log'
const { privateKeyPem } = generateNodeKey()
const key = loadPrivateKey(privateKeyPem)
const verifier = noteVerifier(ORIGIN, key.publicKey)
const checkpoint = signCheckpoint({ origin: ORIGIN, size: N, root, timestamp: '2026-08-23T13:00:00Z', extensions: [] }, ORIGIN, key.publicKey, key.sign)

/** One batch as it travels: JSON text, and the receiver's objects. */
function makeBatch(indices: readonly number[]): { json: string; objects: Map<string, Uint8Array>; hashes: Map<string, string> } {
  const objects = new Map<string, Uint8Array>()
  const hashes = new Map<string, string>()
  const items = indices.map((i) => {
    const k = kept.get(i)!
    objects.set(provenanceKey(k.id, k.version), k.object)
    hashes.set(provenanceKey(k.id, k.version), hex(nodeSha(k.object)))
    return makeProvenanceItem(k.id, k.version, i, k.entry, inclusionProofFromNodes(i, N, lookup))
  })
  const bundle: ProvenanceBundle = { checkpoint, items }
  return { json: JSON.stringify(bundle), objects, hashes }
}

type Figure = { objectsPerS: number; usPerObject: number }
const figure = (objects: number, ns: number): Figure => ({ objectsPerS: Math.round(objects / (ns / 1e9)), usPerObject: Number((ns / 1e3 / objects).toFixed(1)) })

/** A timed configuration: verifies every batch once per call, returns the nanoseconds taken. */
interface Config {
  readonly name: string
  readonly objects: number
  readonly run: () => number
}

/** verifyProvenance over prepared batches; `held`: the receiver passes object bytes, or the hashes its ingest computed. */
function provenanceConfig(name: string, batches: readonly number[][], sha: ((b: Uint8Array) => Uint8Array) | undefined, held: 'bytes' | 'hashes' = 'bytes'): Config & { bundleKiB: number } {
  const made = batches.map(makeBatch)
  return {
    name,
    objects: batches.length * BATCH,
    bundleKiB: Math.round(made.reduce((a, b) => a + b.json.length, 0) / made.length / 1024),
    run: () => {
      let ns = 0
      for (const b of made) {
        const t = process.hrtime.bigint()
        const shape = checkProvenanceBundleShape(JSON.parse(b.json))
        if (!shape.ok) throw new Error(shape.error)
        const report = verifyProvenance(shape.value, held === 'hashes' ? b.hashes : b.objects, verifier, ed25519Verify, sha)
        ns += Number(process.hrtime.bigint() - t)
        const bad = report.results.find((r) => !r.ok)
        if (bad) throw new Error(`item failed: ${bad.reason}`)
      }
      return ns
    },
  }
}

// Baseline: one Ed25519 signature per object, verified with node:crypto (the objects of the random batches).
const pk = createPrivateKey(privateKeyPem)
const signed = randomBatches.flat().map((i) => {
  const o = kept.get(i)!.object
  return { o, s: new Uint8Array(cryptoSign(null, o, pk)) }
})
const baselineConfig: Config = {
  name: 'baseline',
  objects: signed.length,
  run: () => {
    const t = process.hrtime.bigint()
    for (const x of signed) if (!ed25519Verify(key.publicKey, x.o, x.s)) throw new Error('baseline signature failed')
    return Number(process.hrtime.bigint() - t)
  },
}

const configs = [
  baselineConfig,
  provenanceConfig('randomCore', randomBatches, undefined),
  provenanceConfig('randomNode', randomBatches, nodeSha),
  provenanceConfig('contiguousCore', contiguousBatches, undefined),
  provenanceConfig('contiguousNode', contiguousBatches, nodeSha),
  provenanceConfig('randomNodeHeldHashes', randomBatches, nodeSha, 'hashes'),
  provenanceConfig('contiguousNodeHeldHashes', contiguousBatches, nodeSha, 'hashes'),
]
// Rounds interleave the configurations (so a noisy moment hits all of them); each figure is the median
// round, after one untimed warm-up round.
const ROUNDS = Number(opt('rounds', '5'))
log(`measuring: ${ROUNDS} rounds of ${configs.length} configurations`)
const times = new Map<string, number[]>(configs.map((c) => [c.name, []]))
for (let round = 0; round <= ROUNDS; round++) {
  for (const c of configs) {
    const ns = c.run()
    if (round > 0) times.get(c.name)!.push(ns)
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const fig = (name: string): Figure => figure(configs.find((c) => c.name === name)!.objects, median(times.get(name)!))
const baseline = fig('baseline')
const results = {
  randomCore: fig('randomCore'),
  randomNode: fig('randomNode'),
  contiguousCore: fig('contiguousCore'),
  contiguousNode: fig('contiguousNode'),
  randomNodeHeldHashes: fig('randomNodeHeldHashes'),
  contiguousNodeHeldHashes: fig('contiguousNodeHeldHashes'),
}
const bundleKiB = provenanceConfig('size', [randomBatches[0]!], undefined).bundleKiB

// The one signature a batch costs: opening the checkpoint note.
const reps = 2000
const t = process.hrtime.bigint()
for (let i = 0; i < reps; i++) if (!openNote(checkpoint, verifier, ed25519Verify).ok) throw new Error('checkpoint')
const checkpointUs = Number(process.hrtime.bigint() - t) / 1e3 / reps

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`
const x = (r: { objectsPerS: number }) => `${(r.objectsPerS / baseline.objectsPerS).toFixed(1)}×`
process.stderr.write(`
Machine: ${machine}. Log: ${N.toLocaleString('en')} object.added entries (Maltrail indicators), ${BATCHES} batches of ${BATCH.toLocaleString('en')} per row, median of ${ROUNDS} interleaved rounds; JSON parse, shape check and verification timed.

| provenance verification on receipt | objects/s | µs/object | vs baseline |
| --- | --- | --- | --- |
| baseline: one Ed25519 verification per object (node:crypto) | ${baseline.objectsPerS.toLocaleString('en')} | ${baseline.usPerObject} | 1.0× |
| verifyProvenance, random leaves, core SHA-256 (pure JS, browser-safe) | ${results.randomCore.objectsPerS.toLocaleString('en')} | ${results.randomCore.usPerObject} | ${x(results.randomCore)} |
| verifyProvenance, random leaves, node:crypto SHA-256 | ${results.randomNode.objectsPerS.toLocaleString('en')} | ${results.randomNode.usPerObject} | ${x(results.randomNode)} |
| verifyProvenance, contiguous leaves, core SHA-256 | ${results.contiguousCore.objectsPerS.toLocaleString('en')} | ${results.contiguousCore.usPerObject} | ${x(results.contiguousCore)} |
| verifyProvenance, contiguous leaves, node:crypto SHA-256 | ${results.contiguousNode.objectsPerS.toLocaleString('en')} | ${results.contiguousNode.usPerObject} | ${x(results.contiguousNode)} |
| … random leaves, node:crypto, object hashes already computed by the receiver's ingest | ${results.randomNodeHeldHashes.objectsPerS.toLocaleString('en')} | ${results.randomNodeHeldHashes.usPerObject} | ${x(results.randomNodeHeldHashes)} |
| … contiguous leaves, node:crypto, object hashes already computed by the receiver's ingest | ${results.contiguousNodeHeldHashes.objectsPerS.toLocaleString('en')} | ${results.contiguousNodeHeldHashes.usPerObject} | ${x(results.contiguousNodeHeldHashes)} |

Opening the batch's signed checkpoint: ${checkpointUs.toFixed(0)} µs. Bundle size per batch of ${BATCH.toLocaleString('en')}: ${bundleKiB} KiB of JSON. Log build: ${buildS.toFixed(1)} s.
`)
process.stdout.write(`${JSON.stringify({ leaves: N, batch: BATCH, batches: BATCHES, rounds: ROUNDS, buildS, bundleKiB, baseline, checkpointUs, ...results })}\n`)
