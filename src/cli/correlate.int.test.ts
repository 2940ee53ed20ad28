/**
 * `entente correlate --all` and `entente alerts` as an operator runs them: real processes on a
 * SQLite data directory, real Maltrail trails, the MISP warninglists of ../shared/data.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { patternFor } from '../../bench/generate.js'
import { SHARED_DATA } from '../../test/data.js'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'entente.js')
const ENV = { ...process.env, ENTENTE_CORRELATION__WARNINGLISTS_DIR: join(SHARED_DATA, 'misp', 'warninglists'), ENTENTE_CORRELATION__WARNINGLISTS: 'public-dns-v4,rfc1918' }

function entente(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, env: ENV })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

const ts = '2026-10-30T12:00:00.000Z'
const ind = (n: number, value: string, type: 'domain' | 'ipv4') => ({
  type: 'indicator', spec_version: '2.1', id: `indicator--00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, created: ts, modified: ts,
  name: `maltrail ${value}`, pattern: patternFor(value, type), pattern_type: 'stix', valid_from: ts,
})
const od = (n: number, scoType: string, value: string) => ({
  type: 'observed-data', spec_version: '2.1', id: `observed-data--00000000-0000-4000-9000-${String(n).padStart(12, '0')}`, created: ts, modified: ts,
  first_observed: ts, last_observed: ts, number_observed: 1, objects: { '0': { type: scoType, value } },
})

describe('entente correlate', () => {
  let dir: string
  let data: string

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'entente-correlate-'))
    data = join(dir, 'data')
    expect(entente(['init', '--data', data, '--json']).code).toBe(0)
    // Real Maltrail trails (404_tds domains, an Angler exploit-kit address) and a public resolver.
    const bundle = {
      type: 'bundle', id: 'bundle--00000000-0000-4000-8000-000000000001',
      objects: [
        ind(1, 'acnanz.net', 'domain'), ind(2, 'gestionfuniko.com', 'domain'), ind(3, '188.138.105.137', 'ipv4'), ind(4, '8.8.8.8', 'ipv4'),
        od(1, 'domain-name', 'ACNANZ.net'), od(2, 'ipv4-addr', '188.138.105.137'), od(3, 'ipv4-addr', '8.8.8.8'), od(4, 'domain-name', 'example.org'),
      ],
    }
    writeFileSync(join(dir, 'bundle.json'), JSON.stringify(bundle))
    const imp = entente(['import', join(dir, 'bundle.json'), '--data', data, '--json'])
    expect(imp.code, imp.stderr).toBe(0)
  }, 120_000)
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('re-correlates the store with a summary, and a second run creates nothing new', () => {
    const r = entente(['correlate', '--all', '--data', data, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const s = JSON.parse(r.stdout) as Record<string, unknown>
    // The import already correlated (the derive step): the run finds the same matches and adds nothing.
    expect(s).toMatchObject({ indicators: 4, observations: 4, matches: 3, sightings: 0, alerts: 0, errors: 0 })
    expect(s.suppressed).toEqual({ 'warninglist: List of known IPv4 public DNS resolvers': 1 })
    expect(typeof s.seconds).toBe('number')

    const human = entente(['correlate', '--all', '--data', data])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/^indicators indexed +4$/m)
    expect(human.stdout).toMatch(/^matches +3$/m)
    expect(human.stdout).toMatch(/^suppressed +1 \(warninglist: List of known IPv4 public DNS resolvers\)$/m)
    expect(human.stdout).toMatch(/^time +\d+\.\d s$/m)
  })

  it('lists the alerts the import made, and the suppressed match separately', () => {
    const r = entente(['alerts', '--data', data, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const alerts = JSON.parse(r.stdout) as { value: string; suppressed: string | null }[]
    // Indicators and observations of the host organisation: one alert per match.
    expect(alerts.map((a) => a.value).sort()).toEqual(['188.138.105.137', 'acnanz.net'])
    const sup = JSON.parse(entente(['alerts', '--suppressed', '--data', data, '--json']).stdout) as { value: string; suppressed: string }[]
    expect(sup).toEqual([expect.objectContaining({ value: '8.8.8.8', suppressed: 'warninglist: List of known IPv4 public DNS resolvers' })])
    expect(entente(['alerts', '--org', 'Host organisation', '--data', data]).stdout).toMatch(/acnanz\.net/)
  })

  it('fails with one line and the usage exit code on bad input', () => {
    const noAll = entente(['correlate', '--data', data])
    expect(noAll.code).toBe(64)
    expect(noAll.stderr).toBe('entente: nothing to do: pass --all to re-correlate the whole store\n')
    const badLimit = entente(['alerts', '--limit', '0', '--data', data])
    expect(badLimit.code).toBe(64)
    expect(badLimit.stderr.trim().split('\n')).toHaveLength(1)
    const noOrg = entente(['alerts', '--org', 'Nobody', '--data', data])
    expect(noOrg.code).toBe(66)
    const badList = spawnSync(process.execPath, [BIN, 'correlate', '--all', '--data', data], { encoding: 'utf8', env: { ...ENV, ENTENTE_CORRELATION__WARNINGLISTS: 'no-such-list' } })
    expect(badList.status).toBe(69)
    expect(badList.stderr).toMatch(/^entente: cannot open the node: correlation\.warninglists: not found in .*: no-such-list\n$/)
  })
})
