import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { renderErrorsDoc } from './errors-doc.js'
import { HTTP_PROBLEMS, PROBLEMS } from './plugins/problem.js'

const DOC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'errors.md')

describe('docs/errors.md', () => {
  it('is generated from the mapping tables', () => {
    const expected = renderErrorsDoc()
    if (process.env.ENTENTE_UPDATE_DOCS === '1') writeFileSync(DOC, expected)
    expect(readFileSync(DOC, 'utf8')).toBe(expected)
  })
  it('maps every code to an error status, and no code twice', () => {
    const codes = [...Object.keys(PROBLEMS), ...Object.keys(HTTP_PROBLEMS)]
    expect(new Set(codes).size).toBe(codes.length)
    for (const e of [...Object.values(PROBLEMS), ...Object.values(HTTP_PROBLEMS)]) expect(e.status).toBeGreaterThanOrEqual(400)
  })
})
