/**
 * `entente org` as administrators run it: organisation default TLPs and client relations on a real
 * node (process, files), one-line errors and exit codes for bad input, and a log that still verifies.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'entente.js')

function entente(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('entente org', () => {
  let dir: string
  let data: string
  const run = (...args: string[]) => entente([...args, '--data', data])
  const ok = (...args: string[]) => {
    const r = run(...args, '--json')
    expect(r.stderr, args.join(' ')).toBe('')
    expect(r.code).toBe(0)
    return JSON.parse(r.stdout) as Record<string, unknown> & Record<string, unknown>[]
  }
  /** A refused command: one line on stderr, the exit code, nothing on stdout. */
  const refused = (code: number, pattern: RegExp, ...args: string[]) => {
    const r = run(...args)
    expect(r.code, args.join(' ')).toBe(code)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(pattern)])
  }
  const orgs = () => ok('org', 'list') as unknown as { name: string; defaultTlp: string | null; clientOf: string[] }[]

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'entente-org-'))
    data = join(dir, 'data')
    expect(entente(['init', '--data', data, '--org', 'Electoral Commission', '--json']).code).toBe(0)
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('creates organisations with a default TLP and changes it: narrower at once, wider or none only with --force', () => {
    expect(ok('org', 'create', '--name', 'National CERT', '--default-tlp', 'AMBER+STRICT')).toMatchObject({ name: 'National CERT', defaultTlp: 'amber+strict' })
    expect(ok('org', 'create', '--name', 'Regional Office')).toMatchObject({ name: 'Regional Office', defaultTlp: null })
    refused(65, /^entente: validation_failed: \/defaultTlp: must be one of clear, green, amber, amber\+strict, red/, 'org', 'create', '--name', 'Purple Office', '--default-tlp', 'purple')
    expect(orgs().map((o) => o.name)).not.toContain('Purple Office')

    expect(ok('org', 'update', 'Regional Office', '--default-tlp', 'red')).toMatchObject({ organisation: { name: 'Regional Office', defaultTlp: 'red' }, raised: 0 })
    refused(65, /^entente: conflict: widening the default of organisation Regional Office from TLP:RED to TLP:GREEN .*confirm with force$/, 'org', 'update', 'Regional Office', '--default-tlp', 'green')
    refused(65, /^entente: conflict: widening .* to none /, 'org', 'update', 'Regional Office', '--default-tlp', 'none')
    expect(ok('org', 'update', 'Regional Office', '--default-tlp', 'none', '--force')).toMatchObject({ organisation: { defaultTlp: null } })
    refused(66, /^entente: not_found: organisation Nowhere does not exist$/, 'org', 'update', 'Nowhere', '--default-tlp', 'red')

    const human = run('org', 'list')
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/National CERT\s.*\samber\+strict\s/)
  })

  it('adds, lists and removes client relations, refusing bad ones with one line', () => {
    ok('org', 'create', '--name', 'City Office')
    const added = ok('org', 'client', 'add', 'City Office', '--of', 'National CERT')
    expect(added).toMatchObject({ clientOrgId: expect.any(String), parentOrgId: expect.any(String) })
    expect(run('org', 'client', 'add', 'City Office', '--of', 'National CERT').stdout).toMatch(/already a client/)
    expect(ok('org', 'client', 'list')).toEqual([expect.objectContaining({ client: 'City Office', of: 'National CERT' })])
    expect(ok('org', 'client', 'list', 'National CERT')).toHaveLength(1)
    expect(orgs().find((o) => o.name === 'City Office')?.clientOf).toEqual([added['parentOrgId']])
    expect(run('org', 'list').stdout).toMatch(/City Office\s.*\sNational CERT/)

    refused(65, /^entente: validation_failed: \/of: an organisation cannot be a client of itself$/, 'org', 'client', 'add', 'City Office', '--of', 'City Office')
    refused(65, /^entente: conflict: City Office is already a client of National CERT/, 'org', 'client', 'add', 'National CERT', '--of', 'City Office')
    refused(66, /^entente: not_found: organisation Nowhere does not exist$/, 'org', 'client', 'add', 'City Office', '--of', 'Nowhere')
    const usage = run('org', 'client', 'add', 'City Office')
    expect(usage.code).toBe(64)
    expect(usage.stderr).toMatch(/^error: required option '--of <org>' not specified/)

    expect(run('org', 'client', 'remove', 'City Office', '--of', 'National CERT').code).toBe(0)
    refused(66, /^entente: not_found: client relation /, 'org', 'client', 'remove', 'City Office', '--of', 'National CERT')
    expect(ok('org', 'client', 'list')).toEqual([])
  })

  it('logs every change: the log verifies', () => {
    expect(ok('collection', 'update', 'default', '--default-tlp', 'red')).toMatchObject({ raised: 0 })
    const r = run('log', 'verify')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^OK: \d+ entries/)
  })
})
