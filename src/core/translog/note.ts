/**
 * C2SP signed notes (https://c2sp.org/signed-note, the format of golang.org/x/mod/sumdb/note) with
 * Ed25519 signatures. Pure: the Ed25519 primitives are passed in, so this module runs in a browser.
 *
 * A signed note is
 *
 *     <body: one or more lines, each ending in "\n">
 *     "\n"                                            (a blank line)
 *     "— " <key name> " " base64(key ID ‖ signature) "\n"   (one or more signature lines)
 *
 * The signature covers the body's UTF-8 bytes (including its final newline, not the blank line). The
 * body is separated from the signatures by the *last* blank line, so a body may contain blank lines.
 * Notes are valid UTF-8 and contain no control character below U+0020 other than newline.
 *
 * Ed25519 (signature type 0x01): key ID = SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key)[:4],
 * big-endian; the verifier key string is `<name>+<8 hex digits of the key ID>+base64(0x01 ‖ public key)`.
 * Key names are non-empty and contain neither Unicode spaces nor `+`.
 */
import { err, ok, type Result } from '../shared/result.js'
import { sha256 } from './sha256.js'

/** Signs a message with the node's Ed25519 private key: returns the 64-byte signature. */
export type Ed25519Sign = (message: Uint8Array) => Uint8Array

/** Verifies a 64-byte Ed25519 signature by a 32-byte public key over a message. Never throws. */
export type Ed25519Verify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean

/** A trusted Ed25519 key: its name, key ID and raw public key (what a verifier key string encodes). */
export interface NoteVerifier {
  readonly name: string
  /** The 32-bit key ID (unsigned). */
  readonly keyId: number
  /** The raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array
}

/** One signature line of a note, not yet verified. */
export interface NoteSignature {
  readonly name: string
  /** The 32-bit key ID (unsigned) from the first four bytes of the signature line. */
  readonly keyId: number
  /** The signature bytes after the key ID (64 bytes for Ed25519). */
  readonly signature: Uint8Array
}

/** A parsed (not verified) note. */
export interface ParsedNote {
  /** The signed text: every line ends in "\n"; excludes the blank separator line. */
  readonly body: string
  readonly signatures: readonly NoteSignature[]
}

/** Signature type identifier byte of Ed25519 signed-note keys. */
export const ED25519_SIGNATURE_TYPE = 0x01
/** Largest note accepted, in UTF-8 bytes. */
export const MAX_NOTE_BYTES = 1024 * 1024
/** Most signature lines accepted in one note (the spec requires at least 16; Go's package stops at 100). */
export const MAX_NOTE_SIGNATURES = 100

const ED25519_PUBLIC_KEY_BYTES = 32
const ED25519_SIGNATURE_BYTES = 64
const SIG_PREFIX = '\u2014 '

const encoder = new TextEncoder()
// ignoreBOM keeps a leading U+FEFF in the text, so the decoded body re-encodes to the signed bytes.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

// ---------------------------------------------------------------------------------------------
// Base64 (RFC 4648 §4, standard alphabet, padded), strict: only the canonical encoding decodes.

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const B64_INDEX = new Int16Array(128).fill(-1)
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i

/** Standard padded base64 (RFC 4648 §4) of the given bytes. */
export function base64Encode(bytes: Uint8Array): string {
  let out = ''
  const n = bytes.length
  let i = 0
  for (; i + 2 < n; i += 3) {
    const v = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number)
    out += B64[v >> 18]! + B64[(v >> 12) & 63]! + B64[(v >> 6) & 63]! + B64[v & 63]!
  }
  if (i + 1 === n) {
    const v = (bytes[i] as number) << 16
    out += `${B64[v >> 18]!}${B64[(v >> 12) & 63]!}==`
  } else if (i + 2 === n) {
    const v = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8)
    out += `${B64[v >> 18]!}${B64[(v >> 12) & 63]!}${B64[(v >> 6) & 63]!}=`
  }
  return out
}

const sextet = (s: string, i: number): number => {
  const c = s.charCodeAt(i)
  return c < 128 ? (B64_INDEX[c] as number) : -1
}

/**
 * Decodes standard padded base64. Returns `undefined` unless `s` is exactly the canonical encoding of
 * some bytes (length a multiple of 4, standard alphabet, `=` only as final padding, zero unused bits),
 * so every byte string has one accepted spelling.
 */
export function base64Decode(s: string): Uint8Array | undefined {
  const n = s.length
  if (n % 4 !== 0) return undefined
  if (n === 0) return new Uint8Array(0)
  const pad = s.charCodeAt(n - 1) === 61 ? (s.charCodeAt(n - 2) === 61 ? 2 : 1) : 0
  const out = new Uint8Array((n / 4) * 3 - pad)
  let o = 0
  const full = pad === 0 ? n : n - 4
  for (let i = 0; i < full; i += 4) {
    const a = sextet(s, i)
    const b = sextet(s, i + 1)
    const c = sextet(s, i + 2)
    const d = sextet(s, i + 3)
    if ((a | b | c | d) < 0) return undefined
    const v = (a << 18) | (b << 12) | (c << 6) | d
    out[o++] = v >> 16
    out[o++] = (v >> 8) & 255
    out[o++] = v & 255
  }
  if (pad > 0) {
    const a = sextet(s, n - 4)
    const b = sextet(s, n - 3)
    if ((a | b) < 0) return undefined
    if (pad === 2) {
      if ((b & 15) !== 0) return undefined
      out[o] = (a << 2) | (b >> 4)
    } else {
      const c = sextet(s, n - 2)
      if (c < 0 || (c & 3) !== 0) return undefined
      out[o++] = (a << 2) | (b >> 4)
      out[o] = ((b & 15) << 4) | (c >> 2)
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Text rules

/** Unicode spaces as Go's unicode.IsSpace defines them (White_Space property, Latin-1 and Z categories). */
const SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u
/** ASCII control characters other than newline. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f]/
/** A UTF-16 surrogate that is not part of a pair (such a string has no UTF-8 encoding). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** True when `name` is a valid key name: non-empty, well-formed, no Unicode space, no `+`. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !SPACE.test(name) && !name.includes('+') && !CONTROL.test(name) && !LONE_SURROGATE.test(name)
}

/** Why `text` cannot appear in a note (not UTF-8, or a control character), or undefined when it can. */
function textProblem(text: string): string | undefined {
  if (LONE_SURROGATE.test(text)) return 'note is not valid UTF-8'
  if (CONTROL.test(text)) return 'note contains a control character other than newline'
  return undefined
}

// ---------------------------------------------------------------------------------------------
// Keys

function checkPublicKey(publicKey: Uint8Array): void {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES) throw new RangeError(`note: an Ed25519 public key is ${ED25519_PUBLIC_KEY_BYTES} bytes, not ${publicKey.length}`)
}

function checkName(name: string): void {
  if (!isValidKeyName(name)) throw new RangeError(`note: ${JSON.stringify(name)} is not a valid key name (non-empty, no spaces, no '+')`)
}

/**
 * The Ed25519 key ID: the first four bytes, big-endian, of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ publicKey).
 * Throws a RangeError for an invalid key name or a public key that is not 32 bytes.
 */
export function keyId(name: string, publicKey: Uint8Array): number {
  checkName(name)
  checkPublicKey(publicKey)
  const n = encoder.encode(name)
  const buf = new Uint8Array(n.length + 2 + ED25519_PUBLIC_KEY_BYTES)
  buf.set(n, 0)
  buf[n.length] = 0x0a
  buf[n.length + 1] = ED25519_SIGNATURE_TYPE
  buf.set(publicKey, n.length + 2)
  const h = sha256(buf)
  return (h[0] as number) * 0x100_0000 + (((h[1] as number) << 16) | ((h[2] as number) << 8) | (h[3] as number))
}

/** A key ID as the 8 lower-case hex digits used in verifier key strings. */
export const keyIdHex = (id: number): string => id.toString(16).padStart(8, '0')

/** The verifier key string `<name>+<key ID hex>+<base64(0x01 ‖ publicKey)>`; throws like {@link keyId}. */
export function verifierKey(name: string, publicKey: Uint8Array): string {
  const id = keyId(name, publicKey)
  const key = new Uint8Array(1 + ED25519_PUBLIC_KEY_BYTES)
  key[0] = ED25519_SIGNATURE_TYPE
  key.set(publicKey, 1)
  return `${name}+${keyIdHex(id)}+${base64Encode(key)}`
}

/** The {@link NoteVerifier} for a name and raw public key; throws like {@link keyId}. */
export function noteVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  return { name, keyId: keyId(name, publicKey), publicKey: publicKey.slice() }
}

/**
 * Parses an Ed25519 verifier key string (`<name>+<8 hex digits>+<base64(0x01 ‖ 32-byte key)>`) and
 * checks that the key ID matches the name and key.
 */
export function parseVerifierKey(s: string): Result<NoteVerifier, string> {
  if (typeof s !== 'string' || s.length > 1024) return err('a verifier key must be a short string')
  const p1 = s.indexOf('+')
  const p2 = p1 < 0 ? -1 : s.indexOf('+', p1 + 1)
  if (p2 < 0) return err('a verifier key has the form <name>+<key id>+<key>')
  const name = s.slice(0, p1)
  const hash = s.slice(p1 + 1, p2)
  if (!isValidKeyName(name)) return err('the key name in the verifier key is not valid (non-empty, no spaces, no +)')
  if (!/^[0-9a-fA-F]{8}$/.test(hash)) return err('the key ID in the verifier key must be 8 hex digits')
  const key = base64Decode(s.slice(p2 + 1))
  if (key === undefined || key.length === 0) return err('the key in the verifier key is not base64')
  if (key[0] !== ED25519_SIGNATURE_TYPE) return err(`unsupported signature type 0x${(key[0] as number).toString(16).padStart(2, '0')} (only Ed25519, 0x01)`)
  if (key.length !== 1 + ED25519_PUBLIC_KEY_BYTES) return err('an Ed25519 verifier key holds a 32-byte public key')
  const publicKey = key.slice(1)
  const id = keyId(name, publicKey)
  if (id !== Number.parseInt(hash, 16)) return err('the key ID in the verifier key does not match its name and key')
  return ok({ name, keyId: id, publicKey })
}

// ---------------------------------------------------------------------------------------------
// Notes

/** Why `body` cannot be signed, or undefined. */
function bodyProblem(body: string): string | undefined {
  if (body.length === 0 || !body.endsWith('\n')) return 'a note body is one or more lines, each ending in a newline'
  return textProblem(body)
}

function signatureLine(sig: NoteSignature): string {
  checkName(sig.name)
  if (!Number.isInteger(sig.keyId) || sig.keyId < 0 || sig.keyId > 0xffff_ffff) throw new RangeError('note: a key ID is an unsigned 32-bit integer')
  const raw = new Uint8Array(4 + sig.signature.length)
  raw[0] = sig.keyId >>> 24
  raw[1] = (sig.keyId >>> 16) & 255
  raw[2] = (sig.keyId >>> 8) & 255
  raw[3] = sig.keyId & 255
  raw.set(sig.signature, 4)
  return `${SIG_PREFIX}${sig.name} ${base64Encode(raw)}\n`
}

/**
 * Assembles a note from a body and already made signatures (for example to add a witness's
 * signature to a parsed note). Throws a RangeError for a body that cannot be signed, no signatures,
 * an invalid key name or key ID, or a result over {@link MAX_NOTE_BYTES}.
 */
export function formatNote(body: string, signatures: readonly NoteSignature[]): string {
  const bad = bodyProblem(body)
  if (bad !== undefined) throw new RangeError(`note: ${bad}`)
  if (signatures.length === 0 || signatures.length > MAX_NOTE_SIGNATURES) throw new RangeError(`note: a note has 1 to ${MAX_NOTE_SIGNATURES} signatures`)
  const text = `${body}\n${signatures.map(signatureLine).join('')}`
  if (encoder.encode(text).length > MAX_NOTE_BYTES) throw new RangeError(`note: a note is at most ${MAX_NOTE_BYTES} bytes`)
  return text
}

/**
 * Signs `body` with an Ed25519 key and returns the note text (body, blank line, one signature line).
 * `sign` must return the 64-byte Ed25519 signature of the body's UTF-8 bytes by the private key whose
 * public key is `publicKey`. Throws a RangeError for a body that cannot be signed (empty, not ending in
 * a newline, lone surrogates, control characters), an invalid name or key, or a bad signature length.
 */
export function signNote(body: string, name: string, publicKey: Uint8Array, sign: Ed25519Sign): string {
  const bad = bodyProblem(body)
  if (bad !== undefined) throw new RangeError(`note: ${bad}`)
  const id = keyId(name, publicKey)
  const signature = sign(encoder.encode(body))
  if (signature.length !== ED25519_SIGNATURE_BYTES) throw new RangeError(`note: an Ed25519 signature is ${ED25519_SIGNATURE_BYTES} bytes, not ${signature.length}`)
  return formatNote(body, [{ name, keyId: id, signature }])
}

/**
 * Parses a signed note (as text, or as bytes that must be UTF-8) without verifying signatures.
 * Fails for notes over {@link MAX_NOTE_BYTES}, more than {@link MAX_NOTE_SIGNATURES} signature lines,
 * invalid UTF-8, control characters other than newline, a missing blank line before the signatures,
 * a malformed signature line (prefix, key name, base64, fewer than 5 bytes), or text after the last line.
 */
export function parseNote(input: string | Uint8Array): Result<ParsedNote, string> {
  let text: string
  if (typeof input === 'string') {
    // UTF-16 length never exceeds the UTF-8 length, so this bounds the work before encoding.
    if (input.length > MAX_NOTE_BYTES) return err(`note is larger than ${MAX_NOTE_BYTES} bytes`)
    text = input
  } else {
    if (input.length > MAX_NOTE_BYTES) return err(`note is larger than ${MAX_NOTE_BYTES} bytes`)
    try {
      text = utf8.decode(input)
    } catch {
      return err('note is not valid UTF-8')
    }
  }
  const bad = textProblem(text)
  if (bad !== undefined) return err(bad)
  if (typeof input === 'string' && encoder.encode(text).length > MAX_NOTE_BYTES) return err(`note is larger than ${MAX_NOTE_BYTES} bytes`)
  const split = text.lastIndexOf('\n\n')
  if (split < 0) return err('note has no blank line before its signatures')
  const body = text.slice(0, split + 1)
  const block = text.slice(split + 2)
  if (block.length === 0) return err('note has no signatures')
  if (!block.endsWith('\n')) return err('the last signature line of a note must end in a newline')
  const lines = block.slice(0, -1).split('\n')
  if (lines.length > MAX_NOTE_SIGNATURES) return err(`note has more than ${MAX_NOTE_SIGNATURES} signatures`)
  const signatures: NoteSignature[] = []
  for (const [i, line] of lines.entries()) {
    const where = `signature line ${i + 1}`
    if (!line.startsWith(SIG_PREFIX)) return err(`${where} does not start with an em dash and a space`)
    const rest = line.slice(SIG_PREFIX.length)
    const space = rest.indexOf(' ')
    if (space < 0) return err(`${where} has no space between key name and signature`)
    const name = rest.slice(0, space)
    if (!isValidKeyName(name)) return err(`${where} has an invalid key name`)
    const raw = base64Decode(rest.slice(space + 1))
    if (raw === undefined) return err(`${where} has a signature that is not base64`)
    if (raw.length < 5) return err(`${where} has a signature shorter than a key ID and one byte`)
    const id = (raw[0] as number) * 0x100_0000 + (((raw[1] as number) << 16) | ((raw[2] as number) << 8) | (raw[3] as number))
    signatures.push({ name, keyId: id, signature: raw.slice(4) })
  }
  return ok({ body, signatures })
}

/**
 * Opens a note: parses it and verifies the signature(s) by one trusted key. Succeeds only if the note
 * has at least one signature line with the verifier's key name *and* key ID and every such line
 * verifies; lines by other keys (even sharing only the name or only the ID) are ignored, as the spec
 * requires. A failing signature by the trusted key rejects the whole note.
 */
export function openNote(input: string | Uint8Array, verifier: NoteVerifier, verify: Ed25519Verify): Result<{ body: string }, string> {
  if (verifier.publicKey.length !== ED25519_PUBLIC_KEY_BYTES || !isValidKeyName(verifier.name)) return err('the verifier key is not a valid Ed25519 note key')
  if (keyId(verifier.name, verifier.publicKey) !== verifier.keyId) return err('the verifier key ID does not match its name and key')
  const parsed = parseNote(input)
  if (!parsed.ok) return parsed
  const { body, signatures } = parsed.value
  const label = `${verifier.name}+${keyIdHex(verifier.keyId)}`
  let message: Uint8Array | undefined
  let verified = 0
  for (const s of signatures) {
    if (s.name !== verifier.name || s.keyId !== verifier.keyId) continue
    if (s.signature.length !== ED25519_SIGNATURE_BYTES) return err(`the signature by ${label} is not an Ed25519 signature`)
    message ??= encoder.encode(body)
    if (!verify(verifier.publicKey, message, s.signature)) return err(`the signature by ${label} does not verify`)
    verified++
  }
  if (verified === 0) return err(`note is not signed by ${label}`)
  return ok({ body })
}
