/**
 * RFC 8785 JSON Canonicalization Scheme (JCS).
 *
 * JCS is defined in terms of ECMAScript's own serialisation: numbers as `Number.prototype.toString`
 * (so `1e21`, `1e-7`, `-0` → `0`), strings as `JSON.stringify` (minimal escaping, lower-case `\u00xx`),
 * object members sorted by their names as arrays of UTF-16 code units, no whitespace.
 * Used for signatures, content hashes and SCO deterministic ids (UUIDv5 names).
 */

/** Strings that can be emitted between quotes as they are: no quote, backslash, control or surrogate. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/

function str(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"'
}

function num(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError(`canonicalize: ${String(n)} is not a JSON number`)
  return String(n) // ES Number::toString; String(-0) === '0' as RFC 8785 requires
}

/**
 * Sorts member names by UTF-16 code units (what `<` on strings compares). Insertion sort for the
 * small objects STIX is made of: about twice as fast as Array.prototype.sort there.
 */
function sortKeys(keys: string[]): string[] {
  if (keys.length > 24) return keys.sort()
  for (let i = 1; i < keys.length; i++) {
    const x = keys[i] as string
    let j = i - 1
    while (j >= 0 && (keys[j] as string) > x) {
      keys[j + 1] = keys[j] as string
      j--
    }
    keys[j + 1] = x
  }
  return keys
}

function ser(v: unknown, stack: unknown[]): string {
  switch (typeof v) {
    case 'string':
      return str(v)
    case 'number':
      return num(v)
    case 'boolean':
      return v ? 'true' : 'false'
    case 'object': {
      if (v === null) return 'null'
      // Any cycle makes the walk go deeper without end, so checking from depth 32 on is enough.
      if (stack.length > 32 && stack.includes(v)) throw new TypeError('canonicalize: cyclic structure')
      stack.push(v)
      let out: string
      if (Array.isArray(v)) {
        out = '['
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out += ','
          if (!(i in v)) throw new TypeError('canonicalize: sparse array')
          out += ser(v[i], stack)
        }
        out += ']'
      } else {
        const proto = Object.getPrototypeOf(v) as unknown
        if (proto !== Object.prototype && proto !== null) throw new TypeError('canonicalize: not a plain JSON object')
        const o = v as Record<string, unknown>
        const keys = sortKeys(Object.keys(o))
        out = '{'
        for (let i = 0; i < keys.length; i++) {
          const k = keys[i] as string
          if (i > 0) out += ','
          out += str(k) + ':' + ser(o[k], stack)
        }
        out += '}'
      }
      stack.pop()
      return out
    }
    default:
      throw new TypeError(`canonicalize: a ${typeof v} is not a JSON value`)
  }
}

/**
 * RFC 8785 (JCS) canonical JSON: sorted keys by UTF-16 code units, ECMAScript number
 * serialisation, minimal string escaping. Throws only on non-JSON values (undefined, functions,
 * NaN/Infinity, cycles) — callers pass parsed JSON.
 */
export function canonicalize(value: unknown): string {
  return ser(value, [])
}
