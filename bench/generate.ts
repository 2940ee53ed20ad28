/**
 * Generates a STIX 2.1 bundle of N indicators from the Maltrail static trails
 * (../shared/data/iocs/maltrail-static-trails.csv.gz), streamed to disk. Deterministic: the same N
 * gives the same file (ids derive from the row, timestamps are fixed).
 */
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, existsSync } from 'node:fs'
import { mkdir, rename } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { createGunzip } from 'node:zlib'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
export const SHARED_DATA = join(here, '..', '..', 'shared', 'data')
const TRAILS = join(SHARED_DATA, 'iocs', 'maltrail-static-trails.csv.gz')

function uuidFrom(s: string): string {
  const h = createHash('sha256').update(s).digest()
  h[6] = (h[6]! & 0x0f) | 0x40
  h[8] = (h[8]! & 0x3f) | 0x80
  const x = h.subarray(0, 16).toString('hex')
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`
}

const q = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`

/** A STIX pattern for a Maltrail row, or null for rows we do not turn into indicators (regex, other). */
export function patternFor(value: string, type: string): string | null {
  switch (type) {
    case 'domain':
      return `[domain-name:value = ${q(value.toLowerCase())}]`
    case 'ipv4':
      return `[ipv4-addr:value = ${q(value)}]`
    case 'ipv6':
      return `[ipv6-addr:value = ${q(value)}]`
    case 'url':
      return `[url:value = ${q(value)}]`
    case 'url-path':
      return `[url:value LIKE ${q(`%${value}%`)}]`
    case 'ipv4-port': {
      const i = value.lastIndexOf(':')
      const port = Number(value.slice(i + 1))
      if (i < 0 || !Number.isInteger(port)) return null
      return `[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = ${q(value.slice(0, i))} AND network-traffic:dst_port = ${port}]`
    }
    default:
      return null
  }
}

function parseCsvLine(line: string): string[] {
  const out: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"'
        i++
      } else if (c === '"') quoted = false
      else cur += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      out.push(cur)
      cur = ''
    } else cur += c
  }
  out.push(cur)
  return out
}

const IDENTITY = 'identity--8a1c1f0e-5a3b-4c1e-9d2f-3b7e4c6d5a10'

/** Writes the bundle (if it does not exist yet) and returns its path. */
export async function generateIndicatorBundle(count: number, dir: string, log: (s: string) => void = () => {}): Promise<string> {
  const path = join(dir, `maltrail-indicators-${count}.json`)
  if (existsSync(path)) return path
  await mkdir(dir, { recursive: true })
  const tmp = `${path}.tmp`
  const out = createWriteStream(tmp)
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', r)))
  await write(`{"type":"bundle","id":"bundle--${uuidFrom(`bundle-${count}`)}","objects":[\n`)
  await write(JSON.stringify({
    type: 'identity', spec_version: '2.1', id: IDENTITY, created: '2026-08-23T00:00:00.000Z', modified: '2026-08-23T00:00:00.000Z',
    name: 'Maltrail (benchmark import)', identity_class: 'organization',
  }))
  let n = 1
  const lines = createInterface({ input: createReadStream(TRAILS).pipe(createGunzip()), crlfDelay: Infinity })
  let header = true
  // The corpus has ~1.6M usable rows: enough for the 1M benchmark.
  {
    for await (const line of lines) {
      if (header) { header = false; continue }
      const [value, type, category, family] = parseCsvLine(line)
      if (!value || !type) continue
      const pattern = patternFor(value, type)
      if (!pattern) continue
      const ind = {
        type: 'indicator', spec_version: '2.1', id: `indicator--${uuidFrom(`${type}|${value}|${family}`)}`,
        created_by_ref: IDENTITY, created: '2026-08-23T12:00:00.000Z', modified: '2026-08-23T12:00:00.000Z',
        name: `${family ?? 'unknown'}: ${value}`.slice(0, 300), indicator_types: [category === 'suspicious' ? 'anomalous-activity' : 'malicious-activity'],
        pattern, pattern_type: 'stix', valid_from: '2026-08-23T12:00:00Z', labels: [family ?? 'unknown'],
        external_references: [{ source_name: 'maltrail', description: `${category} trail of ${family}` }],
      }
      await write(`,\n${JSON.stringify(ind)}`)
      if (++n >= count) break
      if (n % 100_000 === 0) log(`generated ${n} objects`)
    }
  }
  if (n < count) throw new Error(`the corpus has fewer than ${count} usable rows`)
  await write('\n]}\n')
  await new Promise<void>((r) => out.end(r))
  await rename(tmp, path)
  return path
}
