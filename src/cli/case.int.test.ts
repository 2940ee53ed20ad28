/**
 * `entente case …` and `entente webhook …` as an operator runs them: real processes on a SQLite data
 * directory. JSON on stdout, one-line errors on stderr, sysexits codes.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PLAYBOOKS } from '../core/case/playbooks/index.js'

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'entente.js')

describe('entente case and entente webhook', () => {
  let dir: string
  let data: string
  let caseId = ''

  function entente(args: string[]) {
    const r = spawnSync(process.execPath, [BIN, ...args, '--data', data], { encoding: 'utf8', timeout: 120_000 })
    return { code: r.status, stdout: r.stdout, stderr: r.stderr }
  }
  function ok<T = Record<string, unknown>>(args: string[]): T {
    const r = entente([...args, '--json'])
    expect(r.code, r.stderr).toBe(0)
    return JSON.parse(r.stdout) as T
  }
  /** A failure: the exit code, and one line on stderr that names the problem. */
  function failure(args: string[], code: number, message: RegExp) {
    const r = entente(args)
    expect(r.code, r.stdout + r.stderr).toBe(code)
    expect(r.stdout).toBe('')
    expect(r.stderr.split('\n')[0]).toMatch(/^entente: /)
    expect(r.stderr).toMatch(message)
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'entente-case-'))
    data = join(dir, 'data')
    const init = spawnSync(process.execPath, [BIN, 'init', '--data', data, '--org', 'Electoral Commission', '--json'], { encoding: 'utf8', timeout: 120_000 })
    expect(init.status, init.stderr).toBe(0)
    ok(['org', 'create', '--name', 'CERT-EU'])
  }, 120_000)
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('opens a case from a playbook with its tasks, lists and shows it', () => {
    const opened = ok<{ case: { id: string; status: string; severity: string; participants: { name: string }[]; playbook: string }; tasks: { title: string }[] }>(
      ['case', 'open', '--playbook', 'ddos-results-site', '--title', 'Results site down', '--participant', 'CERT-EU', '--tlp', 'TLP:AMBER'],
    )
    caseId = opened.case.id
    expect(opened.case).toMatchObject({ status: 'new', playbook: 'ddos-results-site', participants: [{ name: 'CERT-EU' }] })
    expect(opened.tasks.map((t) => t.title)).toEqual(PLAYBOOKS.find((p) => p.id === 'ddos-results-site')?.tasks.map((t) => t.title))

    const list = ok<{ items: { id: string; title: string }[]; nextCursor: string | null }>(['case', 'list', '--status', 'new,triage'])
    expect(list.items.map((c) => c.id)).toEqual([caseId])
    expect(ok<{ items: unknown[] }>(['case', 'list', '--status', 'closed']).items).toEqual([])

    const human = entente(['case', 'show', caseId])
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toMatch(new RegExp(`^${caseId}  new  Results site down$`, 'm'))
    expect(human.stdout).toMatch(/^ {2}participants {2}CERT-EU$/m)
    expect(human.stdout).toMatch(/^TASK +STATUS +ASSIGNEE/m)
  }, 120_000)

  it('refuses bad input with one line and the right exit code, storing nothing', () => {
    failure(['case', 'open'], 64, /--title/)
    failure(['case', 'open', '--title', 'x', '--severity', 'apocalyptic'], 64, /--severity must be one of low, medium, high, critical/)
    failure(['case', 'open', '--title', 'x'.repeat(301)], 65, /validation_failed: .*at most 300 characters/)
    failure(['case', 'open', '--title', 'x', '--participant', 'Nobody'], 65, /organisation Nobody does not exist/)
    failure(['case', 'open', '--playbook', 'nope'], 66, /not_found/)
    failure(['case', 'show', 'incident--00000000-0000-4000-8000-000000000000'], 66, /not_found: case/)
    failure(['case', 'list', '--limit', '0'], 64, /--limit/)
    expect(ok<{ items: unknown[] }>(['case', 'list']).items).toHaveLength(1)
  }, 120_000)

  it('moves the case through the workflow, refusing moves the workflow does not allow', () => {
    failure(['case', 'status', caseId, '--to', 'resolved'], 65, /invalid_transition/)
    failure(['case', 'status', caseId, '--to', 'finished'], 64, /--to must be one of/)
    failure(['case', 'status', caseId, '--to', 'closed'], 65, /closeReason|close reason/)
    failure(['case', 'status', caseId, '--to', 'triage', '--if-version', '2020-01-01T00:00:00.000Z'], 65, /precondition_failed/)
    const moved = ok<{ status: string; statusReason: string }>(['case', 'status', caseId, '--to', 'triage', '--reason', 'confirmed by two monitors'])
    expect(moved).toMatchObject({ status: 'triage', statusReason: 'confirmed by two monitors' })
    const closed = ok<{ status: string; closeReason: string }>(['case', 'status', caseId, '--to', 'closed', '--close-reason', 'false_positive', '--reason', 'a monitoring glitch'])
    expect(closed).toMatchObject({ status: 'closed', closeReason: 'false_positive' })
  }, 120_000)

  it('checks and rebuilds the case index', () => {
    expect(ok(['case', 'reindex', '--check'])).toMatchObject({ drifted: 0 })
    const r = ok<{ cases: number; objects: number; drifted: number }>(['case', 'reindex'])
    expect(r.cases).toBe(1)
    expect(r.objects).toBeGreaterThan(0)
    expect(r.drifted).toBe(0)
  }, 120_000)

  it('adds a webhook (secret shown once), queues a case change for it in the same write, lists and removes it', () => {
    failure(['webhook', 'add', '--url', 'http://10.0.0.1/hook', '--events', 'case.updated'], 65, /validation_failed/)
    failure(['webhook', 'add', '--url', 'https://siem.example/hook', '--events', 'case.deleted'], 64, /--events must be one of/)
    const added = ok<{ webhook: { id: string; orgId: string; events: string[] }; secret: string }>(['webhook', 'add', '--url', 'https://siem.cert-eu.example/entente', '--events', 'case.updated', '--org', 'CERT-EU'])
    expect(added.secret).toMatch(/^whsec_/)
    const list = entente(['webhook', 'list', '--org', 'CERT-EU', '--json'])
    expect(list.code).toBe(0)
    expect(list.stdout).not.toContain(added.secret)
    expect((JSON.parse(list.stdout) as { id: string }[]).map((w) => w.id)).toEqual([added.webhook.id])

    // A change by another process: its delivery is queued with it (nothing sends it here).
    ok(['case', 'status', caseId, '--to', 'triage', '--reason', 'it came back'])
    const deliveries = ok<{ eventType: string; state: string; attempts: number }[]>(['webhook', 'deliveries', added.webhook.id])
    expect(deliveries).toEqual([expect.objectContaining({ eventType: 'case.updated', state: 'pending', attempts: 0 })])

    expect(ok(['webhook', 'remove', added.webhook.id])).toEqual({ id: added.webhook.id, removed: true })
    expect(ok<unknown[]>(['webhook', 'list'])).toEqual([])
    failure(['webhook', 'remove', added.webhook.id], 66, /not_found: webhook/)
  }, 120_000)
})
