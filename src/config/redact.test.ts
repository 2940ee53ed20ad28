import { describe, expect, it } from 'vitest'
import { LIMITS } from '../core/shared/limits.js'
import { formatConfigIssues, loadConfig } from './load.js'
import { publicConfig, redactConfig, redactUrl, REDACTED } from './redact.js'
import type { Config } from './schema.js'

function load(env: Record<string, string>): Readonly<Config> {
  const r = loadConfig({ env, cwd: '/srv/entente' })
  if (!r.ok) throw new Error(formatConfigIssues(r.error))
  return r.value
}

describe('redactConfig', () => {
  it('hides the password of the database URL, and keeps the rest readable', () => {
    const c = load({ ENTENTE_DB__URL: 'postgres://entente:s3cr%40t@db.internal:5432/entente?sslmode=require&password=other' })
    const out = redactConfig(c) as { db: { url: string; poolMax: number } }
    expect(out.db.url).toBe(`postgres://entente:${REDACTED}@db.internal:5432/entente?sslmode=require&password=${REDACTED}`)
    expect(out.db.poolMax).toBe(10)
    expect(JSON.stringify(out)).not.toMatch(/s3cr|other/)
  })

  it('leaves a configuration without secrets as it is, as a copy', () => {
    const c = load({})
    const out = redactConfig(c)
    expect(out).toEqual(c)
    expect(out).not.toBe(c)
    expect(Object.isFrozen(out)).toBe(false)
  })

  it('redacts fields named like secrets even when the schema does not mark them', () => {
    const c = { ...load({}), extra: { apiKey: 'k', token: 't', nested: { password: 'p' }, name: 'n' } } as unknown as Config
    expect((redactConfig(c) as { extra: unknown }).extra).toEqual({
      apiKey: REDACTED,
      token: REDACTED,
      nested: { password: REDACTED },
      name: 'n',
    })
  })
})

describe('redactUrl', () => {
  it.each([
    ['postgres://u:p@h/d', `postgres://u:${REDACTED}@h/d`],
    ['postgres://u@h/d', 'postgres://u@h/d'],
    ['postgres://h/d?sslpassword=x&application_name=e', `postgres://h/d?sslpassword=${REDACTED}&application_name=e`],
    ['postgresql://u:p:q@h:5432/d', `postgresql://u:${REDACTED}@h:5432/d`],
    ['postgres://u:pa@ss@h/d', `postgres://u:${REDACTED}@h/d`],
    ['not a url', REDACTED],
  ])('%s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected)
  })
})

describe('publicConfig', () => {
  it('exposes only what a UI may see', () => {
    const c = load({ ENTENTE_NODE__NAME: 'CERT-XY', ENTENTE_DB__URL: 'postgres://u:p@h/d', ENTENTE_NODE__BASE_URL: 'https://cti.example.org' })
    expect(publicConfig(c)).toEqual({
      nodeName: 'CERT-XY',
      baseUrl: 'https://cti.example.org',
      taxii: { defaultPageSize: 1000, maxPageSize: 10000, statusRetentionHours: 168 },
      maxContentLength: LIMITS.maxContentLength,
    })
  })
})
