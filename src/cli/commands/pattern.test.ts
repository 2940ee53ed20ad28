import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { CliFailure } from '../output.js'
import { formatCase, registerPattern, runPatternTests, testPatternCase, validatePatternText } from './pattern.js'

const NOW = new Date('2026-09-01T00:00:00Z')
const od = (refs: string[], first = '2026-08-31T10:00:00Z') => ({ type: 'observed-data', id: `observed-data--${refs.join()}`, first_observed: first, last_observed: first, number_observed: 1, object_refs: refs })
const ip = (id: string, value: string) => ({ type: 'ipv4-addr', id, value })
const line = (pattern: string, observed: unknown[]) => JSON.stringify({ pattern, observed })

describe('validatePatternText', () => {
  it('gives the canonical form or the error with its column', () => {
    expect(validatePatternText("[ipv4-addr:value='198.51.100.1/32']")).toEqual({ valid: true, canonical: "[ipv4-addr:value = '198.51.100.1/32']" })
    expect(validatePatternText('[file:size = ]')).toEqual({ valid: false, column: 14, message: "column 14: expected a literal value but found ']'" })
  })
})

describe('testPatternCase', () => {
  it('matches observed-data with object_refs, embedded objects, and bare SCOs', () => {
    expect(testPatternCase(line("[ipv4-addr:value = '198.51.100.7']", [od(['ipv4-addr--1']), ip('ipv4-addr--1', '198.51.100.7')]), 1, NOW)).toEqual({ line: 1, result: 'match' })
    expect(testPatternCase(line("[ipv4-addr:value = '198.51.100.8']", [od(['ipv4-addr--1']), ip('ipv4-addr--1', '198.51.100.7')]), 2, NOW)).toEqual({ line: 2, result: 'no-match' })
    const embedded = { type: 'observed-data', first_observed: '2026-08-31T10:00:00Z', last_observed: '2026-08-31T10:00:00Z', number_observed: 1, objects: { 0: { type: 'domain-name', value: 'c2.example' } } }
    expect(testPatternCase(line("[domain-name:value = 'c2.example']", [embedded]), 3, NOW).result).toBe('match')
    expect(testPatternCase(line("[domain-name:value = 'c2.example']", [{ type: 'domain-name', value: 'c2.example' }]), 4, NOW).result).toBe('match')
    expect(testPatternCase(line("[a:b = 'c']", []), 5, NOW).result).toBe('no-match')
  })

  it('decides temporal patterns from the observation times', () => {
    const p = "([ipv4-addr:value = '198.51.100.7'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.8']) WITHIN 60 SECONDS"
    const obs = (t1: string, t2: string) => [od(['ipv4-addr--1'], t1), od(['ipv4-addr--2'], t2), ip('ipv4-addr--1', '198.51.100.7'), ip('ipv4-addr--2', '198.51.100.8')]
    expect(testPatternCase(line(p, obs('2026-08-31T10:00:00Z', '2026-08-31T10:00:30Z')), 1, NOW).result).toBe('match')
    expect(testPatternCase(line(p, obs('2026-08-31T10:00:00Z', '2026-08-31T10:05:00Z')), 1, NOW).result).toBe('no-match')
  })

  it('reports every kind of invalid case with a reason, never throwing', () => {
    const reason = (text: string) => testPatternCase(text, 7, NOW)
    expect(reason('{"pattern": ')).toMatchObject({ line: 7, result: 'invalid', reason: expect.stringMatching(/^not JSON: /) })
    expect(reason('[1, 2]').reason).toMatch(/must be a JSON object/)
    expect(reason('{"pattern": 1, "observed": []}').reason).toBe('"pattern" must be a string')
    expect(reason('{"pattern": "[a:b = 1]"}').reason).toMatch(/"observed" must be an array/)
    expect(reason(line('[file:size = ]', [])).reason).toBe("column 14: expected a literal value but found ']'")
    expect(reason(line("[a:b = 'c']", [42])).reason).toBe('observed[0] is not a STIX object (an object with a "type")')
    expect(reason(line("[a:b = 'c']", [{ type: 'observed-data', first_observed: 'yesterday' }])).reason).toMatch(/^observation_invalid at observed-data \/0\/first_observed/)
    expect(reason(`{"pattern": "${'x'.repeat(1024 * 1024)}", "observed": []}`).reason).toMatch(/longer than/)
  })
})

describe('runPatternTests and formatCase', () => {
  it('processes every non-blank line, keeping line numbers', () => {
    const text = [line("[domain-name:value = 'a.example']", [{ type: 'domain-name', value: 'a.example' }]), '', 'not json', line("[domain-name:value = 'b.example']", [{ type: 'domain-name', value: 'a.example' }])].join('\r\n')
    const results = runPatternTests(text, NOW)
    expect(results.map((r) => [r.line, r.result])).toEqual([
      [1, 'match'],
      [3, 'invalid'],
      [4, 'no-match'],
    ])
    expect(results.map(formatCase)).toEqual(['match', expect.stringMatching(/^invalid: line 3: not JSON: /), 'no-match'])
  })
})

describe('registerPattern (in-process)', () => {
  let out = ''
  afterEach(() => {
    vi.restoreAllMocks()
    process.exitCode = undefined
    out = ''
  })
  const run = async (...args: string[]) => {
    out = ''
    process.exitCode = undefined
    vi.restoreAllMocks()
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      out += String(s)
      return true
    })
    const program = new Command('entente').exitOverride()
    registerPattern(program)
    await program.parseAsync(['node', 'entente', 'pattern', ...args])
    return { out, code: process.exitCode ?? 0 }
  }

  it('validate prints valid / the canonical form / invalid with exit 1', async () => {
    expect(await run('validate', "[file:hashes.'SHA-256' = 'aa']")).toEqual({ out: 'valid\n', code: 0 })
    expect(await run('validate', '--print', "[file:name='a' AND file:size>1]")).toEqual({ out: "[file:name = 'a' AND file:size > 1]\n", code: 0 })
    expect(await run('validate', '[foo:bar = 1] within 2 seconds')).toEqual({
      out: "invalid: column 15: expected 'AND', 'OR', 'FOLLOWEDBY', 'WITHIN', 'REPEATS', 'START' or end of pattern but found 'within' (keywords must be upper case)\n",
      code: 1,
    })
  })

  it('test prints one line per case and exits 1 when one is invalid; unreadable files fail with 66', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pattern-test-'))
    const file = join(dir, 'cases.jsonl')
    writeFileSync(file, `${line("[ipv4-addr:value = '198.51.100.7']", [ip('ipv4-addr--1', '198.51.100.7')])}\n${line("[ipv4-addr:value = '198.51.100.9']", [ip('ipv4-addr--1', '198.51.100.7')])}\n`)
    expect(await run('test', file)).toEqual({ out: 'match\nno-match\n', code: 0 })
    writeFileSync(file, `${line("[ipv4-addr:value = '198.51.100.7']", [])}\n{oops\n`)
    const r = await run('test', file)
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/^no-match\ninvalid: line 2: not JSON: /)
    const json = await run('test', '--json', file)
    expect(JSON.parse(json.out)).toMatchObject([{ line: 1, result: 'no-match' }, { line: 2, result: 'invalid' }])
    await expect(run('test', join(dir, 'missing.jsonl'))).rejects.toMatchObject({ exitCode: 66 } satisfies Partial<CliFailure>)
  })
})
