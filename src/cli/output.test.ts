import { afterEach, describe, expect, it, vi } from 'vitest'
import type { DomainError } from '../core/shared/errors.js'
import {
  CliFailure,
  createProgress,
  EXIT,
  exitCodeFor,
  fail,
  failWith,
  printError,
  printInfo,
  printResult,
  reportFailure,
  type ProgressStream,
} from './output.js'

function capture(stream: NodeJS.WriteStream): () => string {
  const chunks: string[] = []
  vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk))
    return true
  })
  return () => chunks.join('')
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('exit codes', () => {
  it('follows sysexits', () => {
    expect(EXIT).toEqual({ ok: 0, internal: 1, usage: 64, dataErr: 65, noInput: 66, unavailable: 69, noPerm: 77, config: 78 })
  })

  it.each<[DomainError, number]>([
    [{ code: 'validation_failed', issues: [] }, 65],
    [{ code: 'stix_invalid', issues: [] }, 65],
    [{ code: 'limit_exceeded', limit: 'objects', max: 1 }, 65],
    [{ code: 'conflict', detail: 'exists' }, 65],
    [{ code: 'invalid_transition', from: 'closed', event: 'close' }, 65],
    [{ code: 'not_found', resource: 'collection' }, 66],
    [{ code: 'forbidden', reason: 'tlp' }, 77],
  ])('%o → %i', (error, code) => {
    expect(exitCodeFor(error)).toBe(code)
  })
})

describe('failures', () => {
  it('fail throws a CliFailure with the code by name or number', () => {
    expect(() => fail('config', 'bad')).toThrow(CliFailure)
    try {
      fail('usage', 'missing <file>')
    } catch (e) {
      expect(e).toMatchObject({ exitCode: 64, message: 'missing <file>', headline: 'missing <file>', details: [] })
    }
    try {
      fail(66, 'x')
    } catch (e) {
      expect((e as CliFailure).exitCode).toBe(66)
    }
  })

  it('keeps the message to one line; further lines become details', () => {
    const f = new CliFailure(78, 'configuration is not valid:\nenv A (/a): bad\n\nflag --b (/b): worse', ['extra'])
    expect(f.headline).toBe('configuration is not valid:')
    expect(f.details).toEqual(['env A (/a): bad', 'flag --b (/b): worse', 'extra'])
  })

  it('failWith turns a domain error into code and one line', () => {
    expect(() => failWith({ code: 'not_found', resource: 'collection', id: '91a7' })).toThrow(
      expect.objectContaining({ exitCode: 66, headline: 'not_found: collection 91a7 does not exist' }) as Error,
    )
    try {
      failWith({ code: 'stix_invalid', issues: [{ pointer: '/type', message: 'required' }, { pointer: '/id', message: 'bad' }] })
    } catch (e) {
      expect(e).toMatchObject({ exitCode: 65, headline: 'stix_invalid: /type: required (and 1 more)', details: ['/type: required', '/id: bad'] })
    }
  })

  it('reportFailure prints and returns the exit code; unknown errors are internal', () => {
    const err = capture(process.stderr)
    expect(reportFailure(new CliFailure(69, 'cannot open the database', ['ECONNREFUSED']))).toBe(69)
    expect(reportFailure(new Error('boom'))).toBe(1)
    expect(err()).toBe('entente: cannot open the database\n  ECONNREFUSED\nentente: internal error: boom\n')
  })
})

describe('printing', () => {
  it('prints results on stdout as JSON or human text', () => {
    const out = capture(process.stdout)
    printResult({ a: 1 }, { json: true, human: () => 'unused' })
    printResult({ a: 1 }, { json: false, human: () => 'a is 1' })
    printResult(null, { json: false, human: () => '' })
    expect(out()).toBe('{\n  "a": 1\n}\na is 1\n')
  })

  it('prints errors on stderr as `entente: <message>`, with control characters neutralised', () => {
    const err = capture(process.stderr)
    printError('not_found: file \x1b[31mred\x1b[0m')
    printError('configuration is not valid:\nenv X (/x): bad')
    printInfo('listening on http://127.0.0.1:8080')
    expect(err()).toBe(
      'entente: not_found: file ?[31mred?[0m\n' +
        'entente: configuration is not valid:\n  env X (/x): bad\n' +
        'listening on http://127.0.0.1:8080\n',
    )
  })
})

describe('createProgress', () => {
  function fakeStream(isTTY: boolean): ProgressStream & { text: () => string } {
    const chunks: string[] = []
    return { isTTY, columns: 120, write: (s: string) => chunks.push(s), text: () => chunks.join('') }
  }

  it('accepts process.stderr as its stream', () => {
    const p = createProgress({ label: 'x', stream: process.stderr, json: true })
    p.done()
  })

  it('is silent with --json', () => {
    const stream = fakeStream(true)
    const p = createProgress({ label: 'importing', total: 10, stream, json: true })
    p.update(5)
    p.done('finished')
    expect(stream.text()).toBe('')
  })

  it('on a TTY redraws one line at most every 100 ms, with bar, percentage, rate and ETA', () => {
    let t = 0
    const stream = fakeStream(true)
    const p = createProgress({ label: 'importing x.json', total: 1000, stream, now: () => t })
    t = 1000
    p.update(100, { added: 90, failed: 10 })
    t = 1050
    p.update(150) // throttled
    t = 2000
    p.update(200, { added: 190, failed: 10 })
    const frames = stream.text().split('\r').filter((f) => f !== '')
    expect(frames).toHaveLength(2)
    expect(frames[0]).toBe(`importing x.json [###${'.'.repeat(27)}] 10% · 100/1,000 objects · 100/s · ETA 0:09 · added 90 · failed 10\x1b[K`)
    expect(frames[1]).toContain('20% · 200/1,000 objects · 100/s · ETA 0:08')
    t = 2500
    p.done()
    expect(stream.text().endsWith('\r\x1b[Kimporting x.json: 200 objects in 2.5 s (80/s), added 190, failed 10\n')).toBe(true)
    p.update(300)
    p.done('again')
    expect(stream.text().endsWith('failed 10\n')).toBe(true)
  })

  it('fits the line to the terminal width', () => {
    let t = 0
    const stream = { ...fakeStream(true), columns: 40 }
    const p = createProgress({ label: 'a-very-long-label-for-a-narrow-terminal', total: 10, stream, now: () => t })
    t = 500
    p.update(1)
    const frame = stream.text().replace('\r', '').replace('\x1b[K', '')
    expect(frame.length).toBeLessThanOrEqual(39)
    expect(frame.endsWith('…')).toBe(true)
  })

  it('elsewhere prints a plain line per 10 % or every 5 s', () => {
    let t = 0
    const stream = fakeStream(false)
    const p = createProgress({ label: 'checking x.json', total: 100e6, stream, unit: 'bytes', now: () => t })
    for (let i = 1; i <= 100; i++) {
      t = i * 100 // 10 s in all
      p.update(i * 1e6)
    }
    const lines = stream.text().trimEnd().split('\n')
    expect(lines).toHaveLength(10)
    expect(lines[0]).toBe('checking x.json: 10% (10.0/100.0 MB), 10.0 MB/s, ETA 0:09')
    expect(stream.text()).not.toContain('\r')
    p.done()
    expect(stream.text().endsWith('checking x.json: 100.0 MB in 10.0 s (10.0 MB/s)\n')).toBe(true)
  })

  it('without a total, prints every 5 s', () => {
    let t = 0
    const stream = fakeStream(false)
    const p = createProgress({ label: 'exporting', stream, now: () => t })
    for (let i = 1; i <= 120; i++) {
      t = i * 100 // 12 s
      p.update(i * 10)
    }
    p.done('1,200 objects exported')
    expect(stream.text().split('\n')).toEqual([
      'exporting: 500 objects, 100/s',
      'exporting: 1,000 objects, 100/s',
      'exporting: 1,200 objects exported',
      '',
    ])
  })
})
