/** `entente user password`: the password comes from standard input (never argv), is stored as scrypt, and works for web sign-in. */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nodeSecrets } from '../platform/crypto.js'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'entente.js')
const PASSWORD = 'a long passphrase for the results night'

function entente(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, ...(input !== undefined ? { input } : {}) })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('entente user password', () => {
  let dir: string
  let data: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'entente-password-'))
    data = join(dir, 'data')
    expect(entente(['init', '--data', data, '--org', 'Electoral Commission', '--json']).code).toBe(0)
    expect(entente(['user', 'create', '--data', data, '--org', 'Electoral Commission', '--username', 'alice', '--role', 'analyst']).code).toBe(0)
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('reads the password from standard input and stores a salted scrypt hash of it', async () => {
    const r = entente(['user', 'password', 'alice', '--data', data, '--json'], `${PASSWORD}\n`)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ username: 'alice', passwordSet: true })
    const db = new Database(join(data, 'entente.db'), { readonly: true })
    const row = db.prepare('select password_hash from users where username = ?').get('alice') as { password_hash: string }
    db.close()
    expect(row.password_hash).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[\w-]{22}\$[\w-]{43}$/)
    expect(row.password_hash).not.toContain(PASSWORD)
    expect(await nodeSecrets.verifyPassword(PASSWORD, row.password_hash)).toBe(true)
    expect(await nodeSecrets.verifyPassword(`${PASSWORD}\n`, row.password_hash)).toBe(false)
  })

  it('refuses a short password, an unknown user, and a password given as an argument', () => {
    const short = entente(['user', 'password', 'alice', '--data', data], 'short\n')
    expect(short.code).toBe(65)
    expect(short.stderr).toMatch(/12 to 1024 characters/)
    const unknown = entente(['user', 'password', 'nobody', '--data', data], `${PASSWORD}\n`)
    expect(unknown.code).toBe(66)
    const argv = entente(['user', 'password', 'alice', PASSWORD, '--data', data], '')
    expect(argv.code).not.toBe(0)
  })
})
