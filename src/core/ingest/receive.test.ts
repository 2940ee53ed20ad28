import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { SHARED_DATA } from '../../../test/data.js'
import { objectsOfPageText, prepareReceived } from './receive.js'

const sha256 = (t: string | Uint8Array) => new Uint8Array(createHash('sha256').update(t).digest())
const noVerify = () => false

describe('a received page given as its text', () => {
  const bundle = JSON.parse(readFileSync(join(SHARED_DATA, 'stix-samples', 'oasis-cti-documentation', 'apt1.json'), 'utf8')) as { objects: unknown[] }
  const page = JSON.stringify({ more: false, objects: bundle.objects })

  it('prepares the objects at the given positions exactly as when they are given as values', () => {
    const indices = [0, 2, 3]
    const fromText = prepareReceived({ pageText: page, indices }, null, noVerify, sha256)
    const fromValues = prepareReceived(indices.map((i) => ({ value: bundle.objects[i] })), null, noVerify, sha256)
    expect(fromText).toEqual(fromValues)
    expect(fromText.every((o) => o.ok)).toBe(true)
  })

  it('fails the objects it cannot find (a position past the end, a text that is not a page) instead of throwing', () => {
    expect(objectsOfPageText({ pageText: page, indices: [bundle.objects.length] })).toEqual([{ value: null }])
    const broken = prepareReceived({ pageText: '{"objects": [', indices: [0, 1] }, null, noVerify, sha256)
    expect(broken.map((o) => o.ok)).toEqual([false, false])
  })
})
