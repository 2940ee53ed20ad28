/**
 * Streaming reader for STIX 2.1 bundles of any size.
 *
 * A byte-level JSON scanner validates the whole document (strings, escapes, UTF-8, numbers,
 * literals, nesting) without building values, and cuts out the exact text of each element of the
 * top-level `objects` array for a later `JSON.parse`. Memory stays bounded by the chunk size plus
 * one element (at most `maxObjectBytes`), so a 500 MB bundle of a million objects streams through.
 *
 * Top-level members are checked: the document must be an object, `type` must be `"bundle"`,
 * `objects` (optional in STIX 2.1) must be an array; `id` and `spec_version` are recorded. Other
 * members are scanned and skipped. Keys may come in any order; when `type` comes after `objects`,
 * a wrong `type` is reported only when it is reached, after the objects before it were yielded.
 *
 * Faults stop the read with a {@link BundleReadFailure} carrying the byte offset (in the
 * decompressed stream) of the offending byte, or of the start of an element that is too large.
 * Items completed before the fault are yielded first.
 */
import { createReadStream } from 'node:fs'
import { pipeline, Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { LIMITS } from '../core/shared/limits.js'

/** One element of the bundle's `objects` array. */
export interface BundleItem {
  /** Position in the `objects` array, from 0. */
  readonly index: number
  /** The exact JSON text of the element (UTF-8 decoded), without surrounding whitespace. */
  readonly text: string
}

export type BundleReadErrorCode = 'malformed_json' | 'not_a_bundle' | 'object_too_large' | 'too_deep'

export interface BundleReadError {
  readonly code: BundleReadErrorCode
  readonly message: string
  /** Offset in the (decompressed) byte stream: the offending byte, or the start of the oversized element. */
  readonly byteOffset: number
}

/** Thrown by the reader on input that is not a well-formed bundle, or breaks a limit. */
export class BundleReadFailure extends Error {
  constructor(readonly error: BundleReadError) {
    super(`${error.message} (at byte ${error.byteOffset})`)
    this.name = 'BundleReadFailure'
  }
}

export interface ReadBundleOptions {
  /** Largest element of `objects`, in bytes of JSON. Default: LIMITS.maxObjectBytes. */
  readonly maxObjectBytes?: number | undefined
  /** Deepest nesting inside one element (the element itself is level 1). Default: LIMITS.maxJsonDepth. */
  readonly maxDepth?: number | undefined
  /** Most items per yielded batch. Default: 1000. */
  readonly batchSize?: number | undefined
}

/** What the reader learnt about the bundle so far. */
export interface BundleInfo {
  /** The bundle's `id`, once its member has been read. */
  readonly id: string | undefined
  /** `spec_version` of the bundle (STIX 2.0 bundles have one; 2.1 bundles do not). */
  readonly specVersion: string | undefined
  /** Elements of `objects` read so far. */
  readonly objects: number
  /** Bytes scanned so far (decompressed). */
  readonly bytes: number
  /** True once the whole document has been read and checked. */
  readonly complete: boolean
}

const DEFAULT_BATCH_SIZE = 1000

/**
 * Streams the elements of the top-level `objects` array of a STIX bundle from a byte stream
 * (file, gzip stream, HTTP body), in order, in batches.
 */
export function readBundle(source: AsyncIterable<Uint8Array>, opts: ReadBundleOptions = {}): AsyncGenerator<BundleItem[]> {
  return openBundleReader(source, opts).batches
}

/** Like {@link readBundle}, with access to what has been learnt about the bundle (its id, counts). */
export function openBundleReader(
  source: AsyncIterable<Uint8Array>,
  opts: ReadBundleOptions = {},
): { readonly batches: AsyncGenerator<BundleItem[]>; info(): BundleInfo } {
  const scanner = new BundleScanner(opts)
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? DEFAULT_BATCH_SIZE))
  async function* batches(): AsyncGenerator<BundleItem[]> {
    try {
      for await (const chunk of source) {
        scanner.push(typeof chunk === 'string' ? Buffer.from(chunk as string, 'utf8') : chunk)
        while (scanner.pending >= batchSize) yield scanner.take(batchSize)
      }
      scanner.end()
    } catch (e) {
      // Hand over what was complete before the fault, then report it.
      if (e instanceof BundleReadFailure) while (scanner.pending > 0) yield scanner.take(batchSize)
      throw e
    }
    while (scanner.pending > 0) yield scanner.take(batchSize)
  }
  return { batches: batches(), info: () => scanner.info() }
}

/** Splits a bundle held in memory (a request body). Throws BundleReadFailure like the stream reader. */
export function splitBundle(bytes: Uint8Array, opts: ReadBundleOptions = {}): BundleItem[] {
  const scanner = new BundleScanner(opts)
  scanner.push(bytes)
  scanner.end()
  return scanner.take(scanner.pending)
}

/**
 * Reads a bundle file, gunzipping it when it starts with the gzip magic bytes (whatever its
 * name). `onBytes` receives the cumulative count of file bytes read (compressed, for progress
 * against the file size).
 */
export function openBundleFile(path: string, onBytes?: (bytesRead: number) => void): AsyncIterable<Uint8Array> {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    let read = 0
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      const c = chunk as Buffer
      read += c.length
      onBytes?.(read)
      yield c
    }
  }
  return gunzipIfNeeded(chunks())
}

/** Passes a byte stream through, gunzipping it when it starts with the gzip magic bytes 1f 8b. */
export async function* gunzipIfNeeded(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]()
  const head: Uint8Array[] = []
  let headBytes = 0
  let ended = false
  while (headBytes < 2) {
    const r = await it.next()
    if (r.done === true) {
      ended = true
      break
    }
    if (r.value.length === 0) continue
    head.push(r.value)
    headBytes += r.value.length
  }
  const first = head.length === 1 ? head[0] : Buffer.concat(head)
  const gzip = first !== undefined && first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b
  const rest = async function* (): AsyncGenerator<Uint8Array> {
    if (first !== undefined) yield first
    if (ended) return
    for (;;) {
      const r = await it.next()
      if (r.done === true) return
      yield r.value
    }
  }
  if (!gzip) {
    try {
      yield* rest()
    } finally {
      it.return?.().catch(() => {})
    }
    return
  }
  const gunzip = createGunzip({ chunkSize: 1 << 18 })
  pipeline(Readable.from(rest(), { objectMode: false }), gunzip, () => {})
  let out = 0
  try {
    for await (const chunk of gunzip) {
      const c = chunk as Buffer
      out += c.length
      yield c
    }
  } catch (e) {
    if (isZlibError(e)) {
      throw new BundleReadFailure({ code: 'malformed_json', message: `not valid gzip data: ${e.message}`, byteOffset: out })
    }
    throw e
  } finally {
    // Release the source when the reader stops early; do not wait for a stalled producer.
    it.return?.().catch(() => {})
  }
}

function isZlibError(e: unknown): e is Error {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code.startsWith('Z_')
}

// ---------------------------------------------------------------------------------------------
// The scanner

// Scanner states.
const ST_VALUE = 0 // expecting a value
const ST_ARR_FIRST = 1 // after '[': a value or ']'
const ST_OBJ_FIRST = 2 // after '{': a key or '}'
const ST_KEY = 3 // after ',' in an object: a key
const ST_COLON = 4
const ST_AFTER = 5 // after a value: ',' or the closing bracket
const ST_STR = 6
const ST_ESC = 7 // after '\'
const ST_HEX = 8 // inside \uXXXX
const ST_UTF = 9 // inside a multi-byte UTF-8 sequence
const ST_NUM_MINUS = 10
const ST_NUM_ZERO = 11
const ST_NUM_INT = 12
const ST_NUM_DOT = 13
const ST_NUM_FRAC = 14
const ST_NUM_E = 15
const ST_NUM_ESIGN = 16
const ST_NUM_EXP = 17
const ST_LIT = 18
const ST_DONE = 19
const ST_BOM = 20

const OBJ = 1
const ARR = 2

const QUOTE = 0x22
const BACKSLASH = 0x5c
const LBRACE = 0x7b
const RBRACE = 0x7d
const LBRACKET = 0x5b
const RBRACKET = 0x5d
const COMMA = 0x2c
const COLON = 0x3a
const MINUS = 0x2d
const PLUS = 0x2b
const DOT = 0x2e
const ZERO = 0x30
const NINE = 0x39

/** Bytes that need no attention inside a string: printable ASCII except '"' and '\'. */
const STR_PLAIN = new Uint8Array(256)
for (let c = 0x20; c < 0x80; c++) STR_PLAIN[c] = c === QUOTE || c === BACKSLASH ? 0 : 1
const WS = new Uint8Array(256)
for (const c of [0x20, 0x09, 0x0a, 0x0d]) WS[c] = 1
const DIGIT = new Uint8Array(256)
for (let c = ZERO; c <= NINE; c++) DIGIT[c] = 1
const HEX = new Uint8Array(256)
for (const c of Buffer.from('0123456789abcdefABCDEF')) HEX[c] = 1
const SIMPLE_ESCAPE = new Uint8Array(256)
for (const c of Buffer.from('"\\/bfnrt')) SIMPLE_ESCAPE[c] = 1
const LIT_TRUE = Buffer.from('true')
const LIT_FALSE = Buffer.from('false')
const LIT_NULL = Buffer.from('null')
const BOM = [0xef, 0xbb, 0xbf]

/** Longest top-level key or recorded value (type, id, spec_version) kept for inspection. */
const MAX_CAPTURE = 1024
const OVERFLOW = '\u0000overflow'
const TRACKED_KEYS = new Set(['type', 'id', 'spec_version', 'objects'])

/**
 * The push scanner behind the readers: `push` chunks, `take` the completed items, `end` at the end
 * of input. Exposed for callers that hold the bytes themselves.
 */
export class BundleScanner {
  private readonly maxObjectBytes: number
  private readonly stackLimit: number
  private readonly stack: Uint8Array
  private depth = 0
  private state = ST_VALUE
  /** Absolute offset of the first byte of the current chunk. */
  private offset = 0
  private chunk: Buffer = Buffer.alloc(0)
  private sawContent = false
  /** The first fault: a failed scanner reports it again on every later call. */
  private failure: BundleReadFailure | undefined

  // strings, escapes, UTF-8, literals
  private strKey = false
  private strStart = 0
  private hexLeft = 0
  private utfNeed = 0
  private utfLo = 0
  private utfHi = 0
  private lit: Buffer = LIT_TRUE
  private litPos = 0
  private bomPos = 0

  // the top level
  private topKey: string | undefined
  private topValueStart = 0
  private readonly seen = new Set<string>()
  private inObjects = false
  private sawType = false
  private id: string | undefined
  private specVersion: string | undefined
  private complete = false
  private capturing = false
  private captureStart = 0
  private captureParts: Buffer[] = []
  private captureBytes = 0

  // the current element of `objects`
  private elemStart = -1
  private elemParts: Buffer[] = []
  private elemIndex = 0
  private items: BundleItem[] = []
  private itemsHead = 0

  constructor(opts: ReadBundleOptions = {}) {
    this.maxObjectBytes = opts.maxObjectBytes ?? LIMITS.maxObjectBytes
    const maxDepth = opts.maxDepth ?? LIMITS.maxJsonDepth
    // The bundle object and its `objects` array take two levels above each element.
    this.stackLimit = maxDepth + 2
    this.stack = new Uint8Array(this.stackLimit + 1)
  }

  /** Completed items not taken yet. */
  get pending(): number {
    return this.items.length - this.itemsHead
  }

  /** Removes and returns up to `n` completed items, in order. */
  take(n: number): BundleItem[] {
    const end = Math.min(this.items.length, this.itemsHead + n)
    const out = this.items.slice(this.itemsHead, end)
    this.itemsHead = end
    // Drop the taken items so they can be collected: a reader that always leaves a few pending must
    // not keep every item of a million-object bundle alive.
    this.items = this.items.slice(this.itemsHead)
    this.itemsHead = 0
    return out
  }

  info(): BundleInfo {
    return { id: this.id, specVersion: this.specVersion, objects: this.elemIndex, bytes: this.offset, complete: this.complete }
  }

  /** Scans one chunk. Throws BundleReadFailure at the first fault. */
  push(bytes: Uint8Array): void {
    if (this.failure !== undefined) throw this.failure
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const n = buf.length
    if (n === 0) return
    const base = this.offset
    this.chunk = buf
    let state = this.state
    let i = 0
    let lim = this.limitIn(n)

    for (;;) {
      if (i >= lim) {
        if (lim < n) this.tooLarge()
        break
      }
      switch (state) {
        case ST_STR: {
          let c = 0
          while (i < lim) {
            c = buf[i]!
            if (STR_PLAIN[c] === 0) break
            i++
          }
          if (i >= lim) break
          if (c === QUOTE) {
            i++
            if (this.strKey) {
              if (this.depth === 1) this.topKeyEnded(i)
              state = ST_COLON
            } else if (this.depth > 2) {
              state = ST_AFTER
            } else {
              state = this.valueEnded(i)
              lim = n
            }
          } else if (c === BACKSLASH) {
            i++
            state = ST_ESC
          } else if (c < 0x20) {
            this.malformed('control characters in strings must be escaped', base + i)
          } else {
            state = this.utf8Lead(c, base + i)
            i++
          }
          break
        }

        case ST_VALUE:
        case ST_ARR_FIRST: {
          const c = buf[i]!
          if (WS[c] === 1) {
            i++
            while (i < lim && WS[buf[i]!] === 1) i++
            break
          }
          if (c === RBRACKET && state === ST_ARR_FIRST) {
            this.depth--
            i++
            if (this.depth > 2) state = ST_AFTER
            else {
              state = this.valueEnded(i)
              lim = n
            }
            break
          }
          if (this.depth <= 2) {
            const special = this.topValueStarts(c, base + i)
            if (special >= 0) {
              state = special
              i++
              break
            }
            if (this.elemStart >= 0) lim = this.limitIn(n)
          }
          switch (c) {
            case LBRACE:
              this.open(OBJ, base + i)
              state = ST_OBJ_FIRST
              break
            case LBRACKET:
              this.open(ARR, base + i)
              state = ST_ARR_FIRST
              break
            case QUOTE:
              this.strKey = false
              this.strStart = base + i
              state = ST_STR
              break
            case MINUS:
              state = ST_NUM_MINUS
              break
            case ZERO:
              state = ST_NUM_ZERO
              break
            case 0x74: // t
              this.lit = LIT_TRUE
              this.litPos = 1
              state = ST_LIT
              break
            case 0x66: // f
              this.lit = LIT_FALSE
              this.litPos = 1
              state = ST_LIT
              break
            case 0x6e: // n
              this.lit = LIT_NULL
              this.litPos = 1
              state = ST_LIT
              break
            default:
              if (c > ZERO && c <= NINE) state = ST_NUM_INT
              else this.malformed(`unexpected ${describeByte(c)}, expected a value`, base + i)
          }
          i++
          break
        }

        case ST_AFTER: {
          const c = buf[i]!
          if (WS[c] === 1) {
            i++
            while (i < lim && WS[buf[i]!] === 1) i++
            break
          }
          const top = this.stack[this.depth - 1]
          if (c === COMMA) {
            state = top === OBJ ? ST_KEY : ST_VALUE
            i++
            break
          }
          if ((c === RBRACE && top === OBJ) || (c === RBRACKET && top === ARR)) {
            this.depth--
            i++
            if (this.depth > 2) state = ST_AFTER
            else {
              state = this.valueEnded(i)
              lim = n
            }
            break
          }
          this.malformed(`unexpected ${describeByte(c)}, expected ',' or '${top === OBJ ? '}' : ']'}'`, base + i)
          break
        }

        case ST_OBJ_FIRST:
        case ST_KEY: {
          const c = buf[i]!
          if (WS[c] === 1) {
            i++
            while (i < lim && WS[buf[i]!] === 1) i++
            break
          }
          if (c === QUOTE) {
            this.strKey = true
            this.strStart = base + i
            if (this.depth === 1) this.startCapture(base + i + 1)
            state = ST_STR
            i++
            break
          }
          if (c === RBRACE && state === ST_OBJ_FIRST) {
            this.depth--
            i++
            if (this.depth > 2) state = ST_AFTER
            else {
              state = this.valueEnded(i)
              lim = n
            }
            break
          }
          this.malformed(
            `unexpected ${describeByte(c)}, expected ${state === ST_OBJ_FIRST ? "a string key or '}'" : 'a string key'}`,
            base + i,
          )
          break
        }

        case ST_COLON: {
          const c = buf[i]!
          if (WS[c] === 1) {
            i++
            while (i < lim && WS[buf[i]!] === 1) i++
            break
          }
          if (c !== COLON) this.malformed(`unexpected ${describeByte(c)}, expected ':'`, base + i)
          state = ST_VALUE
          i++
          break
        }

        case ST_ESC: {
          const c = buf[i]!
          if (c === 0x75) {
            this.hexLeft = 4
            state = ST_HEX
          } else if (SIMPLE_ESCAPE[c] === 1) {
            state = ST_STR
          } else {
            this.malformed(`invalid escape '\\${describeByte(c, false)}' in a string`, base + i)
          }
          i++
          break
        }

        case ST_HEX: {
          if (HEX[buf[i]!] !== 1) this.malformed(`invalid \\u escape: ${describeByte(buf[i]!)} is not a hex digit`, base + i)
          i++
          if (--this.hexLeft === 0) state = ST_STR
          break
        }

        case ST_UTF: {
          const c = buf[i]!
          if (c < this.utfLo || c > this.utfHi) this.malformed(`invalid UTF-8 sequence (byte 0x${hex(c)})`, base + i)
          i++
          this.utfLo = 0x80
          this.utfHi = 0xbf
          if (--this.utfNeed === 0) state = ST_STR
          break
        }

        case ST_NUM_MINUS: {
          const c = buf[i]!
          if (c === ZERO) state = ST_NUM_ZERO
          else if (c > ZERO && c <= NINE) state = ST_NUM_INT
          else this.malformed(`unexpected ${describeByte(c)}, expected a digit after '-'`, base + i)
          i++
          break
        }

        case ST_NUM_INT:
        case ST_NUM_FRAC:
        case ST_NUM_EXP:
        case ST_NUM_ZERO: {
          if (state !== ST_NUM_ZERO) while (i < lim && DIGIT[buf[i]!] === 1) i++
          if (i >= lim) break
          const c = buf[i]!
          if (c === DOT && (state === ST_NUM_INT || state === ST_NUM_ZERO)) {
            state = ST_NUM_DOT
            i++
          } else if ((c === 0x65 || c === 0x45) && state !== ST_NUM_EXP) {
            state = ST_NUM_E
            i++
          } else if (state === ST_NUM_ZERO && DIGIT[c] === 1) {
            this.malformed('leading zeros are not allowed in numbers', base + i)
          } else if (this.depth > 2) {
            // The number ended at i; the byte is read again in ST_AFTER.
            state = ST_AFTER
          } else {
            state = this.valueEnded(i)
            lim = n
          }
          break
        }

        case ST_NUM_DOT:
        case ST_NUM_ESIGN: {
          const c = buf[i]!
          if (DIGIT[c] !== 1) {
            this.malformed(`unexpected ${describeByte(c)}, expected a digit ${state === ST_NUM_DOT ? "after '.'" : 'in the exponent'}`, base + i)
          }
          state = state === ST_NUM_DOT ? ST_NUM_FRAC : ST_NUM_EXP
          i++
          break
        }

        case ST_NUM_E: {
          const c = buf[i]!
          if (c === PLUS || c === MINUS) state = ST_NUM_ESIGN
          else if (DIGIT[c] === 1) state = ST_NUM_EXP
          else this.malformed(`unexpected ${describeByte(c)}, expected a digit in the exponent`, base + i)
          i++
          break
        }

        case ST_LIT: {
          const c = buf[i]!
          if (c !== this.lit[this.litPos]) {
            this.malformed(`unexpected ${describeByte(c)} in the literal '${this.lit.toString()}'`, base + i)
          }
          i++
          if (++this.litPos === this.lit.length) {
            if (this.depth > 2) state = ST_AFTER
            else {
              state = this.valueEnded(i)
              lim = n
            }
          }
          break
        }

        case ST_DONE: {
          const c = buf[i]!
          if (WS[c] !== 1) this.malformed(`unexpected ${describeByte(c)} after the end of the bundle`, base + i)
          i++
          while (i < lim && WS[buf[i]!] === 1) i++
          break
        }

        case ST_BOM: {
          if (buf[i] !== BOM[this.bomPos]) this.malformed('invalid byte order mark', base + i)
          i++
          if (++this.bomPos === BOM.length) state = ST_VALUE
          break
        }
      }
    }

    this.state = state
    this.offset = base + n
    // Keep the parts of an element or a top-level string that continue in the next chunk.
    if (this.elemStart >= 0) this.elemParts.push(copyFrom(buf, Math.max(this.elemStart - base, 0)))
    if (this.capturing) {
      const start = Math.max(this.captureStart - base, 0)
      if (this.captureBytes + n - start <= MAX_CAPTURE) this.captureParts.push(copyFrom(buf, start))
      this.captureBytes += n - start
    }
  }

  /** Signals the end of the input. Throws BundleReadFailure when the document is incomplete. */
  end(): void {
    if (this.failure !== undefined) throw this.failure
    if (this.state === ST_DONE) return
    const at = this.offset
    if (!this.sawContent) this.malformed(at === 0 ? 'empty input' : 'no JSON value in the input', at)
    if (this.state === ST_STR || this.state === ST_ESC || this.state === ST_HEX || this.state === ST_UTF) {
      this.malformed(`unexpected end of input in a string that starts at byte ${this.strStart}`, at)
    }
    this.malformed(
      this.elemStart >= 0
        ? `unexpected end of input in element ${this.elemIndex} of "objects" (starts at byte ${this.elemStart})`
        : 'unexpected end of input: the bundle is not closed',
      at,
    )
  }

  // -------------------------------------------------------------------------------------------

  /** Index bound for this chunk: its length, or one past the largest allowed end of the open element. */
  private limitIn(n: number): number {
    if (this.elemStart < 0) return n
    return Math.min(n, this.elemStart - this.offset + this.maxObjectBytes + 1)
  }

  private open(kind: number, at: number): void {
    if (this.depth >= this.stackLimit) {
      const where = this.inObjects ? `element ${this.elemIndex} of "objects"` : 'the bundle'
      this.fail('too_deep', `${where} is nested deeper than ${this.stackLimit - 2} levels`, at)
    }
    this.stack[this.depth++] = kind
  }

  /**
   * A value starts at depth 0, 1 or 2: checks the top level and notes where elements start.
   * Returns the next state when it consumed the byte itself, or -1.
   */
  private topValueStarts(c: number, at: number): number {
    this.sawContent = true
    if (this.depth === 0) {
      if (c === LBRACE) return -1
      if (c === BOM[0] && at === 0) {
        this.bomPos = 1
        return ST_BOM
      }
      if (c === LBRACKET || c === QUOTE || c === MINUS || (c >= ZERO && c <= NINE) || c === 0x74 || c === 0x66 || c === 0x6e) {
        this.fail('not_a_bundle', 'the document is not a JSON object (a STIX bundle)', at)
      }
      return -1
    }
    if (this.depth === 1) {
      this.topValueStart = at
      switch (this.topKey) {
        case 'objects':
          if (c !== LBRACKET) this.fail('not_a_bundle', '"objects" must be an array', at)
          this.open(ARR, at)
          this.inObjects = true
          return ST_ARR_FIRST
        case 'type':
          if (c !== QUOTE) this.fail('not_a_bundle', '"type" must be "bundle"', at)
          this.strKey = false
          this.strStart = at
          this.startCapture(at + 1)
          return ST_STR
        case 'id':
        case 'spec_version':
          if (c !== QUOTE) this.fail('not_a_bundle', `"${this.topKey}" must be a string`, at)
          this.strKey = false
          this.strStart = at
          this.startCapture(at + 1)
          return ST_STR
        default:
          return -1
      }
    }
    if (this.inObjects) {
      this.elemStart = at
    }
    return -1
  }

  /** A value that ends at relative index `end` (exclusive) completed at depth 0, 1 or 2. */
  private valueEnded(end: number): number {
    const depth = this.depth
    if (depth === 2) {
      if (this.inObjects) this.emitElement(end)
      return ST_AFTER
    }
    if (depth === 1) {
      this.topValueEnded(end)
      return ST_AFTER
    }
    if (!this.sawType) this.fail('not_a_bundle', 'the document has no "type": "bundle"', this.offset + end - 1)
    this.complete = true
    return ST_DONE
  }

  private emitElement(end: number): void {
    const startAbs = this.elemStart
    const endAbs = this.offset + end
    if (endAbs - startAbs > this.maxObjectBytes) this.tooLarge()
    const buf = this.chunk
    let text: string
    if (startAbs >= this.offset) {
      const s = startAbs - this.offset
      text = buf.toString('utf8', s, end)
    } else {
      const whole = Buffer.concat([...this.elemParts, buf.subarray(0, end)])
      text = whole.toString('utf8')
    }
    this.items.push({ index: this.elemIndex++, text })
    this.elemStart = -1
    if (this.elemParts.length > 0) this.elemParts = []
  }

  private topKeyEnded(endAfterQuote: number): void {
    const key = this.endCapture(endAfterQuote - 1)
    if (TRACKED_KEYS.has(key) && this.seen.has(key)) this.fail('not_a_bundle', `the bundle has more than one "${key}"`, this.strStart)
    this.seen.add(key)
    this.topKey = key
  }

  private topValueEnded(end: number): void {
    switch (this.topKey) {
      case 'objects':
        this.inObjects = false
        return
      case 'type': {
        const value = this.endCapture(end - 1)
        if (value !== 'bundle') {
          const shown = value === OVERFLOW ? 'a long string' : JSON.stringify(value)
          this.fail('not_a_bundle', `"type" is ${shown}, not "bundle"`, this.topValueStart)
        }
        this.sawType = true
        return
      }
      case 'id': {
        const value = this.endCapture(end - 1)
        if (value !== OVERFLOW) this.id = value
        return
      }
      case 'spec_version': {
        const value = this.endCapture(end - 1)
        if (value !== OVERFLOW) this.specVersion = value
        return
      }
      default:
    }
  }

  private startCapture(at: number): void {
    this.capturing = true
    this.captureStart = at
    this.captureParts = []
    this.captureBytes = 0
  }

  /** The captured string (its raw text, unescaped when it has escapes), ending at relative index `end`. */
  private endCapture(end: number): string {
    this.capturing = false
    const startRel = this.captureStart - this.offset
    const tail = this.chunk.subarray(Math.max(startRel, 0), end)
    const total = this.captureBytes + tail.length
    if (total > MAX_CAPTURE) return OVERFLOW
    const raw = (this.captureParts.length > 0 ? Buffer.concat([...this.captureParts, tail]) : tail).toString('utf8')
    this.captureParts = []
    if (!raw.includes('\\')) return raw
    try {
      return JSON.parse(`"${raw}"`) as string
    } catch {
      return raw
    }
  }

  private utf8Lead(c: number, at: number): number {
    if (c >= 0xc2 && c <= 0xdf) this.setUtf(1, 0x80, 0xbf)
    else if (c === 0xe0) this.setUtf(2, 0xa0, 0xbf)
    else if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) this.setUtf(2, 0x80, 0xbf)
    else if (c === 0xed) this.setUtf(2, 0x80, 0x9f) // no UTF-16 surrogates
    else if (c === 0xf0) this.setUtf(3, 0x90, 0xbf)
    else if (c >= 0xf1 && c <= 0xf3) this.setUtf(3, 0x80, 0xbf)
    else if (c === 0xf4) this.setUtf(3, 0x80, 0x8f) // nothing above U+10FFFF
    else this.malformed(`invalid UTF-8 byte 0x${hex(c)}`, at)
    return ST_UTF
  }

  private setUtf(need: number, lo: number, hi: number): void {
    this.utfNeed = need
    this.utfLo = lo
    this.utfHi = hi
  }

  private tooLarge(): never {
    this.fail(
      'object_too_large',
      `element ${this.elemIndex} of "objects" is larger than ${this.maxObjectBytes} bytes`,
      this.elemStart,
    )
  }

  private malformed(message: string, at: number): never {
    this.fail('malformed_json', message, at)
  }

  private fail(code: BundleReadErrorCode, message: string, byteOffset: number): never {
    this.failure = new BundleReadFailure({ code, message, byteOffset })
    throw this.failure
  }
}

function copyFrom(buf: Buffer, start: number): Buffer {
  // Chunks may be reused by their producer: keep a copy of what is still needed.
  return Buffer.from(buf.subarray(start))
}

function hex(c: number): string {
  return c.toString(16).padStart(2, '0')
}

function describeByte(c: number, quoted = true): string {
  if (c >= 0x21 && c < 0x7f) return quoted ? `'${String.fromCharCode(c)}'` : String.fromCharCode(c)
  if (c === 0x20) return 'space'
  return `byte 0x${hex(c)}`
}
