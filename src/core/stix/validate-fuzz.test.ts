/**
 * Property tests: the validator is total (never throws, whatever the input) and its pointers
 * locate real places in the input.
 */
import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { STIX_EXAMPLES as VALID } from './examples.js'
import type { Issue } from '../shared/errors.js'
import { validateBundle, validateStixObject } from './validate.js'

const TYPES = Object.keys(VALID)
const PROPERTY_NAMES = [
  ...new Set([
    ...Object.values(VALID).flatMap((make) => Object.keys(make())),
    'extensions',
    'granular_markings',
    'external_references',
    'kill_chain_phases',
    'objects',
    'definition',
    'hashes',
    'values',
    'body_multipart',
    'x_custom_ref',
    'x_custom_refs',
    'valid_until',
    'first_seen',
    'last_seen',
    'is_active',
    'end',
  ]),
]

/** A valid object of some type with some properties replaced by arbitrary values. */
const mutated = (values: fc.Arbitrary<unknown>): fc.Arbitrary<Record<string, unknown>> =>
  fc.tuple(fc.constantFrom(...TYPES), fc.dictionary(fc.constantFrom(...PROPERTY_NAMES), values, { maxKeys: 4 })).map(([type, changes]) => {
    const make = VALID[type]
    return { ...(make === undefined ? {} : make()), ...changes }
  })

function unescape(seg: string): string {
  return seg.replace(/~1/g, '/').replace(/~0/g, '~')
}

/** Whether the pointer's parent exists in `root` (the pointer itself may name a missing property). */
function parentResolves(root: unknown, pointer: string): boolean {
  if (pointer === '') return true
  if (!pointer.startsWith('/')) return false
  const segs = pointer.slice(1).split('/').map(unescape)
  let cur: unknown = root
  for (const seg of segs.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object') return false
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9]\d*)$/.test(seg) || Number(seg) >= cur.length) return false
      cur = cur[Number(seg)]
    } else {
      if (!Object.hasOwn(cur, seg)) return false
      cur = (cur as Record<string, unknown>)[seg]
    }
  }
  return cur !== null && typeof cur === 'object'
}

function checkIssues(root: unknown, issues: Issue[]): void {
  for (const i of issues) {
    expect(typeof i.message).toBe('string')
    expect(i.message.length).toBeGreaterThan(0)
    expect(parentResolves(root, i.pointer), `pointer ${i.pointer} (${i.message})`).toBe(true)
  }
}

describe('validateStixObject is total', () => {
  test.prop([fc.anything()])('never throws on anything', (x) => {
    const r = validateStixObject(x)
    expect(r.ok || r.errors.length > 0).toBe(true)
  })

  test.prop([fc.jsonValue()])('never throws on JSON and points into it', (x) => {
    const r = validateStixObject(x)
    checkIssues(x, r.ok ? r.warnings : [...r.errors, ...r.warnings])
  })

  test.prop([mutated(fc.anything())], { numRuns: 500 })('never throws on valid objects with arbitrary properties', (x) => {
    const r = validateStixObject(x)
    if (r.ok) expect(r.object).toBe(x)
  })

  test.prop([mutated(fc.jsonValue({ maxDepth: 4 }))], { numRuns: 500 })('points at real places in mutated objects', (x) => {
    const r = validateStixObject(x)
    checkIssues(x, r.ok ? r.warnings : [...r.errors, ...r.warnings])
  })
})

describe('validateBundle is total', () => {
  test.prop([fc.anything()])('never throws on anything', (x) => {
    const r = validateBundle(x)
    expect(r.ok).toBe(r.errors.length === 0)
  })

  test.prop([fc.array(mutated(fc.jsonValue({ maxDepth: 3 })), { maxLength: 5 })], { numRuns: 200 })('points into bundles', (objects) => {
    const b = { type: 'bundle', id: 'bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f', objects }
    const r = validateBundle(b)
    checkIssues(b, [...r.errors, ...r.warnings])
    expect(r.objectCount).toBe(objects.length)
  })
})
