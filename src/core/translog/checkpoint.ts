/**
 * Transparency log checkpoints (signed tree heads) in the C2SP tlog-checkpoint format
 * (https://c2sp.org/tlog-checkpoint): a signed note (./note.ts) whose body is
 *
 *     <origin>\n                 the log's identity, e.g. `entente.example.org/log`
 *     <tree size>\n              decimal, no leading zeros
 *     <root hash>\n              base64 of the RFC 6962 root (32 bytes)
 *     [time <timestamp>\n]       Entente's timestamp extension line (below), optional
 *     [<extension line>\n]…      other opaque, non-empty extension lines
 *
 * **Timestamp.** The spec leaves everything after the third line to opaque, optional "extension
 * lines". Entente records when a checkpoint was signed in one such line, `time <RFC 3339 UTC>` (the
 * STIX timestamp form, e.g. `time 2026-05-01T12:00:00.123456Z`), placed first among the extension
 * lines. The word `time` and the single space follow the timestamp line of C2SP tlog-cosignature.
 * The line is optional: checkpoints without it (other logs, tools that drop extensions) parse with
 * `timestamp: null`. The signature covers it like every body line, but log monitors and witnesses do
 * not audit extension lines (the spec says so), so the time is the signer's claim, not a witnessed fact.
 *
 * The log's key name (in the signature line) should equal the origin; {@link openCheckpoint} can enforce it.
 */
import { err, ok, type Result } from '../shared/result.js'
import { parseStixTimestamp } from '../stix/time.js'
import { bytesEqual, emptyRoot, HASH_SIZE } from './merkle.js'
import { base64Decode, base64Encode, openNote, signNote, type Ed25519Sign, type Ed25519Verify, type NoteVerifier } from './note.js'

/** A log checkpoint: tree size and root hash, with Entente's optional timestamp. */
export interface Checkpoint {
  /** The log's identity (first line); non-empty. */
  readonly origin: string
  /** Number of leaves (a non-negative safe integer). */
  readonly size: number
  /** RFC 6962 root hash of the first `size` leaves (32 bytes). */
  readonly root: Uint8Array
  /** When the checkpoint was signed (RFC 3339 UTC, from the `time` extension line), or null without one. */
  readonly timestamp: string | null
  /** Extension lines other than the `time` line, in order (opaque, non-empty). */
  readonly extensions: readonly string[]
}

/** The prefix of Entente's timestamp extension line. */
export const TIME_LINE_PREFIX = 'time '

const BAD_LINE = /[\u0000-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
const SIZE = /^(?:0|[1-9][0-9]*)$/

function lineProblem(what: string, line: string): string | undefined {
  if (line.length === 0) return `${what} is empty`
  if (BAD_LINE.test(line)) return `${what} contains a control character or invalid UTF-16`
  return undefined
}

/**
 * The checkpoint's note body (each line ending in a newline). Throws a RangeError for a checkpoint
 * that cannot be written: empty origin, a line with a newline or control character, a size that is not
 * a non-negative safe integer, a root that is not 32 bytes (or, for size 0, not the empty-tree root),
 * a timestamp that is not RFC 3339 UTC, or an extension line that is empty or starts with `time `.
 */
export function formatCheckpoint(cp: Checkpoint): string {
  const fail = (m: string): never => {
    throw new RangeError(`checkpoint: ${m}`)
  }
  const bad = lineProblem('origin', cp.origin)
  if (bad !== undefined) fail(bad)
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) fail(`size ${cp.size} is not a non-negative safe integer`)
  if (cp.root.length !== HASH_SIZE) fail(`root hash is not ${HASH_SIZE} bytes`)
  if (cp.size === 0 && !bytesEqual(cp.root, emptyRoot())) fail('the root of an empty tree is SHA-256 of the empty string')
  let text = `${cp.origin}\n${cp.size}\n${base64Encode(cp.root)}\n`
  if (cp.timestamp !== null) {
    if (!parseStixTimestamp(cp.timestamp).ok) fail(`timestamp ${JSON.stringify(cp.timestamp)} is not RFC 3339 UTC`)
    text += `${TIME_LINE_PREFIX}${cp.timestamp}\n`
  }
  for (const [i, line] of cp.extensions.entries()) {
    const b = lineProblem(`extension line ${i + 1}`, line)
    if (b !== undefined) fail(b)
    if (line.startsWith(TIME_LINE_PREFIX)) fail('the timestamp goes in `timestamp`, not in an extension line')
    text += `${line}\n`
  }
  return text
}

/**
 * Parses a checkpoint note body. Strict: at least three lines, each ending in a newline and none
 * empty; a decimal size without leading zeros that is a safe integer; a canonical base64 root of 32
 * bytes (the empty-tree root when the size is 0); at most one `time` line, and only as the first
 * extension line, holding an RFC 3339 UTC timestamp.
 */
export function parseCheckpoint(body: string): Result<Checkpoint, string> {
  if (typeof body !== 'string' || !body.endsWith('\n')) return err('a checkpoint body ends in a newline')
  const lines = body.slice(0, -1).split('\n')
  if (lines.length < 3) return err('a checkpoint has an origin, a size and a root hash line')
  for (const [i, line] of lines.entries()) {
    const bad = lineProblem(`line ${i + 1}`, line)
    if (bad !== undefined) return err(`checkpoint ${bad}`)
  }
  const [origin, sizeText, rootText, ...rest] = lines as [string, string, string, ...string[]]
  if (!SIZE.test(sizeText)) return err('checkpoint size must be a decimal number without leading zeros')
  const size = Number(sizeText)
  if (!Number.isSafeInteger(size)) return err('checkpoint size is too large')
  const root = base64Decode(rootText)
  if (root === undefined || root.length !== HASH_SIZE) return err(`checkpoint root hash must be base64 of ${HASH_SIZE} bytes`)
  if (size === 0 && !bytesEqual(root, emptyRoot())) return err('checkpoint of size 0 must have the empty-tree root')
  let timestamp: string | null = null
  let extensions = rest
  if (rest[0]?.startsWith(TIME_LINE_PREFIX)) {
    timestamp = rest[0].slice(TIME_LINE_PREFIX.length)
    if (!parseStixTimestamp(timestamp).ok) return err('checkpoint time line must hold an RFC 3339 UTC timestamp')
    extensions = rest.slice(1)
  }
  if (extensions.some((l) => l.startsWith(TIME_LINE_PREFIX))) return err('checkpoint has a time line that is not the first extension line')
  return ok({ origin, size, root, timestamp, extensions })
}

/** Formats and signs a checkpoint: returns the signed note text. Throws like {@link formatCheckpoint} and {@link signNote}. */
export function signCheckpoint(cp: Checkpoint, keyName: string, publicKey: Uint8Array, sign: Ed25519Sign): string {
  return signNote(formatCheckpoint(cp), keyName, publicKey, sign)
}

/**
 * Verifies a signed checkpoint note with a trusted key (see {@link openNote}) and parses its body.
 * With `expect.origin`, also fails unless the checkpoint's origin is exactly that string.
 */
export function openCheckpoint(
  noteText: string | Uint8Array,
  verifier: NoteVerifier,
  verify: Ed25519Verify,
  expect: { readonly origin?: string } = {},
): Result<Checkpoint, string> {
  const opened = openNote(noteText, verifier, verify)
  if (!opened.ok) return opened
  const cp = parseCheckpoint(opened.value.body)
  if (!cp.ok) return cp
  if (expect.origin !== undefined && cp.value.origin !== expect.origin) {
    return err(`checkpoint origin ${JSON.stringify(cp.value.origin)} is not ${JSON.stringify(expect.origin)}`)
  }
  return cp
}
