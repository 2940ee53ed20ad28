import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { canonicalize } from './canonical.js'

/** A double from its IEEE 754 bit pattern, as RFC 8785 Appendix B lists them. */
function fromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8))
  view.setBigUint64(0, BigInt(`0x${hex}`))
  return view.getFloat64(0)
}

describe('canonicalize: RFC 8785 vectors', () => {
  // RFC 8785 Appendix B (ECMAScript number serialisation).
  const numbers: [string, string][] = [
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ]
  it.each(numbers)('number %s serialises as %s', (bits, expected) => {
    expect(canonicalize(fromBits(bits))).toBe(expected)
  })

  it('serialises the numbers named in the task (1e21, 1e-7, -0, 0.1+0.2)', () => {
    expect(canonicalize(1e21)).toBe('1e+21')
    expect(canonicalize(1e-7)).toBe('1e-7')
    expect(canonicalize(-0)).toBe('0')
    expect(canonicalize(0.1 + 0.2)).toBe('0.30000000000000004')
    expect(canonicalize(1e20)).toBe('100000000000000000000')
  })

  it('reproduces the RFC 8785 §3.2.2 example', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        ' "literals": [null, true, false]}',
    ) as unknown
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    )
  })

  it('sorts members by UTF-16 code units (RFC 8785 §3.2.3 example)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    }
    const order = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']
    const expected = '{' + order.map((k) => `${JSON.stringify(k)}:${JSON.stringify(input[k as keyof typeof input])}`).join(',') + '}'
    expect(canonicalize(input)).toBe(expected)
    expect(canonicalize(input).startsWith('{"\\r":"Carriage Return","1":"One","\u0080":"Control"')).toBe(true)
  })

  it('escapes only what JSON requires, with lower-case \\u escapes', () => {
    expect(canonicalize('a"b\\c\n\t\b\f\r\u0000\u001f/é€😀')).toBe('"a\\"b\\\\c\\n\\t\\b\\f\\r\\u0000\\u001f/é€😀"')
  })

  it('keeps a "__proto__" member as data', () => {
    expect(canonicalize(JSON.parse('{"b":1,"__proto__":{"x":1}}'))).toBe('{"__proto__":{"x":1},"b":1}')
  })

  it('sorts large objects too', () => {
    const o: Record<string, number> = {}
    for (let i = 40; i > 0; i--) o[`k${i}`] = i
    const keys = Object.keys(JSON.parse(canonicalize(o)) as object)
    expect(keys).toEqual([...keys].sort())
  })

  it('throws on values that are not JSON', () => {
    expect(() => canonicalize(Number.NaN)).toThrow(TypeError)
    expect(() => canonicalize(Number.POSITIVE_INFINITY)).toThrow(TypeError)
    expect(() => canonicalize(undefined)).toThrow(TypeError)
    expect(() => canonicalize({ a: undefined })).toThrow(TypeError)
    expect(() => canonicalize(() => 1)).toThrow(TypeError)
    expect(() => canonicalize(10n)).toThrow(TypeError)
    expect(() => canonicalize(new Date(0))).toThrow(TypeError)
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic['self'] = { back: cyclic }
    expect(() => canonicalize(cyclic)).toThrow(/cyclic/)
  })
})

/** Rebuilds a JSON value with every object's members inserted in reverse order. */
function reverseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reverseKeys)
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    // defineProperty, not assignment: a "__proto__" member must stay an own property.
    for (const k of Object.keys(v).reverse()) Object.defineProperty(out, k, { value: reverseKeys((v as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true })
    return out
  }
  return v
}

describe('canonicalize: properties', () => {
  test.prop([fc.jsonValue()])('is idempotent through JSON.parse', (v) => {
    const c = canonicalize(v)
    expect(canonicalize(JSON.parse(c))).toBe(c)
  })

  test.prop([fc.jsonValue()])('does not depend on member order', (v) => {
    expect(canonicalize(reverseKeys(v))).toBe(canonicalize(v))
  })

  test.prop([fc.jsonValue()])('is valid JSON describing the same value', (v) => {
    // JSON.stringify agrees on everything but member order and -0 (which both print as 0).
    expect(JSON.parse(canonicalize(v))).toEqual(JSON.parse(JSON.stringify(v)))
  })

  test.prop([fc.dictionary(fc.string({ unit: 'binary' }), fc.integer())])('orders members by UTF-16 code units', (o) => {
    // Built by hand: JSON.parse would reorder integer-like keys.
    const sorted = Object.keys(o).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    expect(canonicalize(o)).toBe('{' + sorted.map((k) => `${JSON.stringify(k)}:${String(o[k])}`).join(',') + '}')
  })
})
