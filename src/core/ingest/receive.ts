/**
 * The pure half of receiving a page of objects from a peer node: prepare each object (parse →
 * validate → canonicalise, as any ingest does) and verify the origin's provenance bundle for the page
 * against the canonical JSON that will be stored. Pure and synchronous, so it may run in a worker
 * thread (platform/prepare-worker.ts) and keep the storing thread free; it never throws.
 */
import type { NoteVerifier, Ed25519Verify } from '../translog/note.js'
import { noteVerifier } from '../translog/note.js'
import { checkProvenanceBundleShape, provenanceKey, verifyProvenance, type Sha256 } from '../translog/provenance.js'
import { prepareObject, type PrepareOutcome } from './prepare.js'

/** The evidence a page must carry: the peer's provenance answer (unchecked) and the key pinned for it. */
export interface ReceiveEvidence {
  /**
   * The answer of `POST /api/v1/log/provenance` (only `checkpoint` and `items` are read): its JSON
   * text (parsed here, so a worker thread does it) or the parsed value.
   */
  readonly answer: { readonly text: string } | { readonly value: unknown }
  /** The peer's log origin and its pinned Ed25519 public key. */
  readonly origin: string
  readonly publicKey: Uint8Array
  /** The peer's collection the objects were read from: every entry must record that collection. */
  readonly collection: string
}

/**
 * A received TAXII page as its JSON text and the positions, in its `objects` list, of the objects to
 * prepare: handing the text to a worker thread is one string copy, where the parsed objects would be
 * cloned object by object.
 */
export interface ReceivedPageText {
  readonly pageText: string
  readonly indices: readonly number[]
}

/** The objects of a page text at `indices` (an index with nothing there gives `null`, which fails preparation). */
export function objectsOfPageText(page: ReceivedPageText): ({ readonly value: unknown })[] {
  let objects: unknown = null
  try {
    const v: unknown = JSON.parse(page.pageText)
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) objects = (v as Record<string, unknown>)['objects']
  } catch {
    objects = null
  }
  const list = Array.isArray(objects) ? objects : []
  return page.indices.map((i) => ({ value: list[i] ?? null }))
}

/** One received object: prepared, with its version key and canonical hash, and whether its provenance verified. */
export type ReceivedOutcome =
  | { readonly ok: false; readonly prepared: Extract<PrepareOutcome, { ok: false }> }
  | {
      readonly ok: true
      readonly prepared: Extract<PrepareOutcome, { ok: true }>
      /** The version key it is stored under: modified, else created, else `h:<sha256>`. */
      readonly versionKey: string
      /** Lower-case hex SHA-256 of its canonical JSON. */
      readonly sha256: string
      /** null when the provenance verified (or no evidence was asked for); else why it did not. */
      readonly rejected: string | null
    }

const hex = (b: Uint8Array): string => {
  let s = ''
  for (const x of b) s += x.toString(16).padStart(2, '0')
  return s
}

/**
 * Prepares `items` and, with `evidence`, verifies the provenance of each against the pinned key (one
 * checkpoint signature for the page; per object the entry, its hash of the canonical JSON prepared
 * here, the inclusion proof, and that the entry records `evidence.collection`). Without evidence
 * (plain TAXII feeds) every prepared object is accepted. Results are in input order.
 */
export function prepareReceived(
  input: readonly ({ readonly text: string } | { readonly value: unknown })[] | ReceivedPageText,
  evidence: ReceiveEvidence | null,
  verify: Ed25519Verify,
  sha256: (text: string) => Uint8Array,
  sha?: Sha256,
): ReceivedOutcome[] {
  const items = 'pageText' in input ? objectsOfPageText(input) : input
  const out: ReceivedOutcome[] = items.map((item): ReceivedOutcome => {
    const p = prepareObject(item)
    if (!p.ok) return { ok: false, prepared: p }
    const digest = sha256(p.value.json)
    const sum = hex(digest)
    // The digest goes with the object, so storing it does not hash it again.
    return { ok: true, prepared: { ok: true, value: { ...p.value, contentHash: digest } }, versionKey: p.value.modified ?? p.value.created ?? `h:${sum}`, sha256: sum, rejected: null }
  })
  if (evidence === null) return out
  const reject = (reason: string) => out.map((o) => (o.ok ? { ...o, rejected: reason } : o))
  let a: unknown
  if ('text' in evidence.answer) {
    try {
      a = JSON.parse(evidence.answer.text)
    } catch {
      return reject('bundle: the answer is not JSON')
    }
  } else a = evidence.answer.value
  const record = typeof a === 'object' && a !== null && !Array.isArray(a) ? (a as Record<string, unknown>) : null
  const bundle = record
    ? checkProvenanceBundleShape({ checkpoint: record['checkpoint'], items: record['items'], ...(record['batch_proof'] !== undefined ? { batch_proof: record['batch_proof'] } : {}) })
    : null
  if (!bundle?.ok) return reject(`bundle: ${bundle ? bundle.error : 'the answer is not an object'}`)
  let verifier: NoteVerifier
  try {
    verifier = noteVerifier(evidence.origin, evidence.publicKey)
  } catch (e) {
    return reject(`the pinned key cannot verify: ${(e as Error).message}`)
  }
  const held = new Map<string, string>()
  for (const o of out) if (o.ok) held.set(provenanceKey(o.prepared.value.stixId, o.versionKey), o.sha256)
  const report = verifyProvenance(bundle.value, held, verifier, verify, sha, { origin: evidence.origin })
  const verified = new Set<string>()
  const reasons = new Map<string, string>()
  for (const r of report.results) {
    const k = provenanceKey(r.id, r.version)
    // The evidence must be for the collection this peer publishes for us, not any other.
    if (r.ok && r.entry?.collection === evidence.collection) verified.add(k)
    else if (!reasons.has(k)) reasons.set(k, r.reason ?? 'the log entry is for another collection')
  }
  return out.map((o) => {
    if (!o.ok) return o
    const k = provenanceKey(o.prepared.value.stixId, o.versionKey)
    return verified.has(k) ? o : { ...o, rejected: reasons.get(k) ?? 'no provenance for this version' }
  })
}
