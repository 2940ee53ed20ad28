/**
 * `entente agreement` as administrators run it: two real nodes (processes, files, keys), the signed
 * agreement carried between them as a file; one-line errors and exit codes for bad input.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'entente.js')

function entente(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, ...(input !== undefined ? { input } : {}) })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('entente agreement', () => {
  let dir: string
  let fr: string
  let ee: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'entente-agreement-'))
    fr = join(dir, 'fr')
    ee = join(dir, 'ee')
    expect(entente(['init', '--data', fr, '--org', 'FR Authority', '--json']).code).toBe(0)
    expect(entente(['init', '--data', ee, '--org', 'EE Authority', '--json']).code).toBe(0)
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('proposes, carries, accepts, suspends and terminates an agreement between two nodes', () => {
    const self = JSON.parse(entente(['agreement', 'self', '--data', ee, '--json']).stdout) as { nodeId: string; nodeKey: string; fingerprint: string }
    expect(self.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/)
    const db = new Database(join(ee, 'entente.db'), { readonly: true })
    const eeOrg = (db.prepare('select identity_id from organisations').get() as { identity_id: string }).identity_id
    db.close()
    const p = entente(['agreement', 'propose', '--data', fr, '--json', '--peer-node', self.nodeId, '--peer-key', self.nodeKey, '--peer-org', eeOrg,
      '--purpose', 'Election 2026', '--max-tlp', 'TLP:AMBER', '--exclude-types', 'x-entente-case', '--onward', 'no', '--retention-days', '365'])
    expect(p.stderr).toBe('')
    const proposed = JSON.parse(p.stdout) as { agreement: { id: string }; status: { status: string } }
    expect(proposed.status.status).toBe('proposed')
    const id = proposed.agreement.id
    const file = join(dir, 'agreement.json')
    writeFileSync(file, entente(['agreement', 'export', id, '--data', fr]).stdout)

    const imported = entente(['agreement', 'import', file, '--data', ee])
    expect(imported.code).toBe(0)
    expect(imported.stdout).toContain('proposed')
    expect(imported.stdout).toContain(`entente agreement accept ${id}`)
    expect(JSON.parse(entente(['agreement', 'accept', id, '--data', ee, '--json']).stdout).status.status).toBe('active')
    // Back to FR through standard input.
    const back = entente(['agreement', 'import', '-', '--data', fr, '--json'], entente(['agreement', 'export', id, '--data', ee]).stdout)
    expect(JSON.parse(back.stdout).status.status).toBe('active')

    expect(JSON.parse(entente(['agreement', 'suspend', id, '--reason', 'incident', '--data', fr, '--json']).stdout).status.status).toBe('suspended')
    expect(entente(['agreement', 'list', '--data', fr]).stdout).toMatch(new RegExp(`${id}\\s+suspended`))
    // Only the acceptor accepts; a terminated agreement stays terminated.
    const wrong = entente(['agreement', 'accept', id, '--data', fr])
    expect(wrong.code).toBe(65)
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1)
    expect(wrong.stderr).toMatch(/^entente: invalid_transition: /)
    expect(JSON.parse(entente(['agreement', 'terminate', id, '--data', fr, '--json']).stdout).status.status).toBe('terminated')
    expect(entente(['agreement', 'resume', id, '--data', fr]).code).toBe(65)
    expect(entente(['log', 'verify', '--data', fr]).code).toBe(0)
  })

  it('refuses a tampered file, a file that is not JSON and an unknown id, with one line each', () => {
    const list = JSON.parse(entente(['agreement', 'list', '--data', fr, '--json']).stdout) as { agreement: Record<string, unknown> }[]
    const a = list[0]!.agreement
    const tampered = join(dir, 'tampered.json')
    writeFileSync(tampered, JSON.stringify({ ...a, max_tlp: 'red' }))
    const t = entente(['agreement', 'import', tampered, '--data', ee])
    expect(t.code).toBe(65)
    expect(t.stderr).toMatch(/^entente: conflict: the agreement is invalid: .*signature does not verify/)
    const junk = join(dir, 'junk.json')
    writeFileSync(junk, '{"type": ')
    const j = entente(['agreement', 'import', junk, '--data', ee])
    expect(j.code).toBe(65)
    expect(j.stderr).toMatch(/^entente: .*is not JSON/)
    const u = entente(['agreement', 'show', 'x-entente-agreement--00000000-0000-4000-8000-000000000000', '--data', ee])
    expect(u.code).toBe(66)
    expect(u.stderr.trim().split('\n')).toHaveLength(1)
    expect(readFileSync(tampered, 'utf8')).toContain('"red"')
  })
})
