/**
 * `entente log …` as an operator and a partner run it: real processes, a real SQLite file tampered
 * with behind the node's back, and a served node verified over HTTP with its pinned key.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, cpSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DISARM_BUNDLE } from '../../test/data.js'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'entente.js')

function entente(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** A copy of the node's data directory, changed by `tamper` with raw SQL. */
function tampered(from: string, to: string, tamper: (db: Database.Database) => void): string {
  cpSync(from, to, { recursive: true })
  const db = new Database(join(to, 'entente.db'))
  tamper(db)
  db.close()
  return to
}

describe('entente log', () => {
  let dir: string
  let data: string
  let verifierKey: string
  let server: ChildProcess | undefined

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'entente-log-'))
    data = join(dir, 'data')
    expect(entente(['init', '--data', data, '--json']).code).toBe(0)
    expect(entente(['import', DISARM_BUNDLE, '--data', data, '--json']).code).toBe(0)
    expect(entente(['log', 'checkpoint', '--data', data]).code).toBe(0)
  }, 120_000)
  afterAll(() => {
    server?.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  })

  it('creates the signing key with mode 0600 and shows the verifier key partners pin', () => {
    expect(statSync(join(data, 'node.key')).mode & 0o777).toBe(0o600)
    const r = entente(['log', 'status', '--data', data, '--json'])
    expect(r.code).toBe(0)
    const s = JSON.parse(r.stdout)
    expect(s.size).toBeGreaterThan(698)
    expect(s.latestCheckpoint.size).toBe(s.size)
    expect(s.verifierKey).toMatch(/^entente\/[0-9a-f]{16}\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/)
    verifierKey = s.verifierKey
  })

  it('verifies an untouched node', () => {
    const r = entente(['log', 'verify', '--data', data])
    expect(r.stdout).toMatch(/^OK: \d+ entries, 1 signed checkpoints/)
    expect(r.code).toBe(0)
  })

  it('refuses a key file that others can read', () => {
    const copy = join(dir, 'loose-key')
    cpSync(data, copy, { recursive: true })
    chmodSync(join(copy, 'node.key'), 0o644)
    const r = entente(['log', 'status', '--data', copy])
    expect(r.code).toBe(69)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/node\.key/)
  })

  it('exits 1 and names the entry for each kind of tampering', () => {
    const entryOf = (db: Database.Database, objectSeq: number) =>
      (db.prepare(`select idx from log_entries where object_seq = ? and kind = 'object.added'`).get(objectSeq) as { idx: number }).idx
    let expected = 0

    // An edited object.
    const edited = tampered(data, join(dir, 't-edit'), (db) => {
      db.prepare(`update stix_objects set json = replace(json, '"name":"', '"name":"X') where seq = 7`).run()
      expected = entryOf(db, 7)
    })
    let r = entente(['log', 'verify', '--data', edited])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(new RegExp(`object_changed +entry ${expected}: `))

    // A deleted log row.
    const deleted = tampered(data, join(dir, 't-delete'), (db) => {
      db.prepare('delete from log_entries where idx = 300').run()
    })
    r = entente(['log', 'verify', '--data', deleted])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/entry_missing +entry 300 is missing/)

    // An inserted object and membership, never logged.
    const inserted = tampered(data, join(dir, 't-insert'), (db) => {
      const row = db.prepare('select * from stix_objects where seq = 3').get() as Record<string, unknown>
      const json = String(row['json']).replace(/"id":"([a-z-]+)--[0-9a-f-]+"/, '"id":"$1--00000000-0000-4000-8000-000000000001"')
      const info = db
        .prepare('insert into stix_objects (stix_id, type, spec_version, created, modified, version_key, revoked, created_by_ref, content_hash, json) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(`${String(row['type'])}--00000000-0000-4000-8000-000000000001`, row['type'], row['spec_version'], row['created'], row['modified'], row['version_key'], row['revoked'], row['created_by_ref'], row['content_hash'], json)
      const c = db.prepare('select collection_id from collection_objects limit 1').get() as { collection_id: string }
      db.prepare('insert into collection_objects (collection_id, object_seq, stix_id, type, spec_version, version, date_added) values (?, ?, ?, ?, ?, ?, ?)').run(
        c.collection_id, info.lastInsertRowid, `${String(row['type'])}--00000000-0000-4000-8000-000000000001`, row['type'], row['spec_version'], row['modified'] ?? '', '2026-01-01T00:00:00.000000Z',
      )
    })
    r = entente(['log', 'verify', '--data', inserted])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/unlogged_row +stored object version #\d+ has no log entry/)
    expect(r.stdout).toMatch(/unlogged_row +collection membership #\d+/)

    // Two log rows swapped (entries and their hashes move together).
    const swapped = tampered(data, join(dir, 't-swap'), (db) => {
      db.exec('update log_entries set idx = -1 where idx = 100; update log_entries set idx = 100 where idx = 200; update log_entries set idx = 200 where idx = -1')
    })
    r = entente(['log', 'verify', '--data', swapped, '--json'])
    expect(r.code).toBe(1)
    const report = JSON.parse(r.stdout) as { ok: boolean; problems: { code: string; entry?: number; message: string }[] }
    expect(report.ok).toBe(false)
    const named = report.problems.filter((p) => p.code === 'tree_node_mismatch')
    expect(named.some((p) => /entries (\d+)–(\d+)/.test(p.message) && inRange(p.message, 100))).toBe(true)
    expect(named.some((p) => inRange(p.message, 200))).toBe(true)
    expect(report.problems.some((p) => p.code === 'checkpoint_mismatch')).toBe(true)
  }, 120_000)

  it("lets a partner verify the served log over HTTP with the pinned key, and refuses another key", async () => {
    server = spawn(process.execPath, [BIN, 'serve', '--data', data, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const url = await new Promise<string>((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 30_000)
      server?.stderr?.on('data', (d: Buffer) => {
        out += d.toString()
        const m = /listening on (http:\/\/[^ ]+) /.exec(out)
        if (m?.[1]) {
          clearTimeout(timer)
          resolve(m[1])
        }
      })
      server?.stdout?.on('data', (d: Buffer) => {
        out += d.toString()
        const m = /listening on (http:\/\/[^ ]+) /.exec(out)
        if (m?.[1]) {
          clearTimeout(timer)
          resolve(m[1])
        }
      })
    })
    const ok = await run(['log', 'verify', '--remote', url, '--key', verifierKey])
    expect(ok.stdout).toMatch(/^OK: log entente\/[0-9a-f]{16} at http/)
    expect(ok.code).toBe(0)
    const other = verifierKey.replace(/\+([0-9a-f]{8})\+/, '+00000000+')
    const bad = await run(['log', 'verify', '--remote', url, '--key', other])
    expect(bad.code).not.toBe(0)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
    // Witnessing from a second node.
    const watcher = join(dir, 'watcher')
    expect((await run(['init', '--data', watcher, '--json'])).code).toBe(0)
    expect((await run(['log', 'witness', 'add', url, '--key', verifierKey, '--data', watcher])).code).toBe(0)
    const check = await run(['log', 'witness', 'check', '--data', watcher])
    expect(check.stdout).toMatch(/^consistent: log entente\//)
    expect(check.code).toBe(0)
  }, 120_000)
})

/** True when a message "entries A–B …" covers index i. */
function inRange(message: string, i: number): boolean {
  const m = /entries (\d+)–(\d+)/.exec(message)
  return m !== null && Number(m[1]) <= i && i <= Number(m[2])
}

/** An async run (the served node lives in this process's event loop's children). */
function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    p.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
