/**
 * Transparency checks done in the browser with the node's own pure code (src/core/translog): the
 * checkpoint's Ed25519 signature (through WebCrypto, whose answer is handed to core's synchronous
 * verifier), an entry's inclusion proof against the checkpoint's root, and that the entry's hash is
 * the hash of the object shown.
 */
import { openCheckpoint, type Checkpoint } from '../../src/core/translog/checkpoint.js'
import { decodeEntry } from '../../src/core/translog/entry.js'
import { leafHash, verifyInclusion } from '../../src/core/translog/merkle.js'
import { base64Decode, parseVerifierKey } from '../../src/core/translog/note.js'
import { sha256 } from '../../src/core/translog/sha256.js'
import { canonicalize } from '../../src/core/stix/canonical.js'
import { err, ok, type Result } from '../../src/core/shared/result.js'

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
const b64 = (b: Uint8Array) => btoa(String.fromCharCode(...b))

async function ed25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean | null> {
  try {
    const key = await crypto.subtle.importKey('raw', publicKey as BufferSource, { name: 'Ed25519' }, false, ['verify'])
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, signature as BufferSource, message as BufferSource)
  } catch {
    return null // this browser has no Ed25519 in WebCrypto
  }
}

export interface VerifiedCheckpoint {
  readonly checkpoint: Checkpoint
  /** true: signature valid; null: the browser could not check it (the note was parsed without it). */
  readonly signature: true | null
  readonly rootB64: string
}

/** Opens a checkpoint note with the verifier key (`name+keyid+key`), checking the signature in the browser. */
export async function verifyCheckpoint(note: string, verifierKey: string): Promise<Result<VerifiedCheckpoint, string>> {
  const verifier = parseVerifierKey(verifierKey)
  if (!verifier.ok) return err(`verifier key: ${verifier.error}`)
  // First pass: collect what core asks to verify; then ask WebCrypto; then core decides with the answers.
  const asked: { pk: Uint8Array; msg: Uint8Array; sig: Uint8Array }[] = []
  openCheckpoint(note, verifier.value, (pk, msg, sig) => {
    asked.push({ pk, msg, sig })
    return false
  })
  const answers = await Promise.all(asked.map((a) => ed25519(a.pk, a.msg, a.sig)))
  const unsupported = answers.some((a) => a === null)
  let i = 0
  const opened = openCheckpoint(note, verifier.value, () => {
    const a = answers[i++]
    return a === true || (a === null && unsupported)
  })
  if (!opened.ok) return err(opened.error)
  return ok({ checkpoint: opened.value, signature: unsupported ? null : true, rootB64: b64(opened.value.root) })
}

export interface ProvenanceItem {
  readonly id: string
  readonly version: string
  readonly leaf_index: number
  readonly leaf_input: string
  readonly inclusion_path: readonly string[]
}

/**
 * Checks that a provenance item is included in the checkpoint's tree and, when `object` is given,
 * that the entry names this object with this content hash.
 */
export function verifyItem(cp: Checkpoint, item: ProvenanceItem, object?: Readonly<Record<string, unknown>>): Result<{ entryText: string }, string> {
  const input = base64Decode(item.leaf_input)
  if (!input) return err('the entry is not valid base64')
  const entry = decodeEntry(input)
  if (!entry.ok) return err(`the entry does not decode: ${entry.error}`)
  if (entry.value.kind !== 'object.added') return err(`the entry is ${entry.value.kind}, not object.added`)
  if (entry.value.object.id !== item.id) return err('the entry names another object')
  const path: Uint8Array[] = []
  for (const p of item.inclusion_path) {
    const h = base64Decode(p)
    if (!h) return err('the proof is not valid base64')
    path.push(h)
  }
  const included = verifyInclusion(item.leaf_index, cp.size, leafHash(input), path, cp.root)
  if (!included.ok) return err(included.error)
  if (object) {
    const digest = hex(sha256(new TextEncoder().encode(canonicalize(object))))
    if (digest !== entry.value.object.sha256) return err('the object shown is not the version the log recorded')
  }
  return ok({ entryText: new TextDecoder().decode(input) })
}
