/**
 * The `entente` command as a user runs it: a real process, real files, exit codes and output.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ATTACK_BUNDLE, DISARM_BUNDLE, disarmObjects } from '../../test/data.js'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'entente.js')

function entente(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('entente CLI', () => {
  let dir: string
  let data: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'entente-cli-'))
    data = join(dir, 'data')
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('init creates a node and prints an admin token once, as JSON', () => {
    const r = entente(['init', '--data', data, '--org', 'Electoral Commission', '--json'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.token.secret).toMatch(/^ent_[\w-]{43}$/)
    expect(out.organisation.name).toBe('Electoral Commission')
    expect(out.collection.alias).toBe('default')
    // The secret is stored hashed: it appears nowhere in the database file.
    const db = new Database(join(data, 'entente.db'), { readonly: true })
    const dump = JSON.stringify(db.prepare('select * from api_tokens').all())
    db.close()
    expect(dump).not.toContain(out.token.secret)
  })

  it('refuses to initialise twice with one line and a non-zero exit', () => {
    const r = entente(['init', '--data', data])
    expect(r.code).toBe(65)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^entente: conflict: .*already initialised/)
  })

  it('imports DISARM with a summary and exports it back as a valid bundle', () => {
    const r = entente(['import', DISARM_BUNDLE, '--data', data, '--json'])
    expect(r.code).toBe(0)
    const s = JSON.parse(r.stdout)
    const n = disarmObjects().length
    expect(s).toMatchObject({ objects: n, added: n, duplicates: 0, failed: 0 })
    const again = JSON.parse(entente(['import', DISARM_BUNDLE, '--data', data, '--json']).stdout)
    expect(again).toMatchObject({ added: 0, duplicates: n, failed: 0 })
    const out = join(dir, 'export.json')
    const e = entente(['export', '--data', data, '--collection', 'default', '-o', out])
    expect(e.code).toBe(0)
    const bundle = JSON.parse(readFileSync(out, 'utf8'))
    expect(bundle.type).toBe('bundle')
    expect(bundle.id).toMatch(/^bundle--[0-9a-f-]{36}$/)
    expect(bundle.objects).toHaveLength(n)
  })

  it('rejects a malformed bundle file before storing anything', () => {
    const bad = join(dir, 'bad.json')
    const good = JSON.stringify(disarmObjects().slice(0, 50))
    writeFileSync(bad, `{"type":"bundle","id":"bundle--0f1c1f0e-5a3b-4c1e-9d2f-3b7e4c6d5a10","objects":${good.slice(0, -1)}, {"type": "indicator",]}`)
    const fresh = join(dir, 'fresh')
    expect(entente(['init', '--data', fresh, '--json']).code).toBe(0)
    const r = entente(['import', bad, '--data', fresh])
    expect(r.code).toBe(65)
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^entente: .*bad\.json: .*at byte \d+/)])
    const list = JSON.parse(entente(['collection', 'list', '--data', fresh, '--json']).stdout)
    expect(list[0].objects).toBe(0)
  })

  it('reports a missing file, a bad flag and a bad configuration in one line each', () => {
    const missing = entente(['import', join(dir, 'nope.json'), '--data', data])
    expect(missing.code).toBe(66)
    expect(missing.stderr).toMatch(/^entente: cannot read .*nope\.json/)
    const badPort = entente(['serve', '--data', data, '--port', 'eighty'])
    expect(badPort.code).toBe(64)
    const badEnv = entente(['config', 'check', '--data', data], { ENTENTE_HTTP__PORT: '99999' })
    expect(badEnv.code).toBe(78)
    expect(badEnv.stderr).toContain('ENTENTE_HTTP__PORT')
  })

  it('creates and lists tokens without ever printing a stored secret', () => {
    const t = JSON.parse(entente(['token', 'create', '--data', data, '--name', 'misp sync', '--json']).stdout)
    expect(t.secret).toMatch(/^ent_/)
    const list = entente(['token', 'list', '--data', data, '--json'])
    expect(list.code).toBe(0)
    expect(list.stdout).not.toContain(t.secret)
    expect(JSON.parse(list.stdout).map((x: { name: string }) => x.name)).toContain('misp sync')
  })

  it('resumes an import killed midway without loss or duplication', async () => {
    const killed = join(dir, 'killed')
    expect(entente(['init', '--data', killed, '--json']).code).toBe(0)
    const child = spawn(process.execPath, [BIN, 'import', ATTACK_BUNDLE, '--data', killed, '--batch-size', '200', '--json'], { stdio: 'ignore' })
    const db = new Database(join(killed, 'entente.db'), { readonly: true, fileMustExist: true })
    const deadline = Date.now() + 60_000
    let processed = 0
    while (Date.now() < deadline) {
      const row = db.prepare('select processed from import_jobs').get() as { processed: number } | undefined
      processed = row?.processed ?? 0
      if (processed > 0) break
      await new Promise((r) => setTimeout(r, 25))
    }
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    db.close()
    expect(processed).toBeGreaterThan(0)
    const r = entente(['import', ATTACK_BUNDLE, '--data', killed, '--json'])
    expect(r.code).toBe(0)
    const s = JSON.parse(r.stdout)
    expect(s.resumedFrom).toBeGreaterThan(0)
    expect(s.failed).toBe(0)
    expect(s.added + s.duplicates).toBe(24772)
    const list = JSON.parse(entente(['collection', 'list', '--data', killed, '--json']).stdout)
    expect(list[0].objects).toBe(24772)
  }, 180_000)
})
