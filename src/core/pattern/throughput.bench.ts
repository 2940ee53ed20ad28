/**
 * Parse + match throughput on representative patterns (not a timed test):
 *   npx vitest bench --run --project unit src/core/pattern
 * Each iteration parses every pattern below and matches it against 100 observed-data objects.
 */
import { bench, describe } from 'vitest'
import { matchPattern, prepareObservations } from './matcher.js'
import { parsePattern } from './parser.js'

const PATTERNS = [
  "[ipv4-addr:value = '198.51.100.1/32']",
  "[domain-name:value = 'vote-update.example' OR domain-name:value = 'results-live.example']",
  "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:mime_type = 'application/x-pdf']",
  "[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
  "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
  "([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) WITHIN 300 SECONDS",
  "[url:value LIKE 'http://%.example/login%'] OR [ipv4-addr:value ISSUBSET '203.0.113.0/24']",
  `[ipv4-addr:value IN (${Array.from({ length: 50 }, (_, i) => `'192.0.2.${i}'`).join(', ')})]`,
]

const base = Date.UTC(2024, 4, 1)
const RAW = Array.from({ length: 100 }, (_, i) => ({
  type: 'observed-data',
  id: `observed-data--${i}`,
  first_observed: new Date(base + i * 60_000).toISOString(),
  last_observed: new Date(base + i * 60_000 + 5_000).toISOString(),
  number_observed: 1,
  objects: {
    '0': { type: 'ipv4-addr', value: `203.0.113.${i % 256}` },
    '1': { type: 'domain-name', value: i % 10 === 0 ? 'example.com' : `host${i}.example` },
    '2': { type: 'network-traffic', dst_ref: '1', src_ref: '0', protocols: ['ipv4', 'tcp'] },
    '3': { type: 'url', value: `http://host${i}.example/login?id=${i}` },
    '4': { type: 'file', name: `doc${i}.pdf`, hashes: { MD5: i.toString(16).padStart(32, '0') }, mime_type: 'application/pdf' },
    '5': { type: 'email-addr', value: `user${i}@example.com` },
    '6': { type: 'email-message', from_ref: '5', body_multipart: [{ body_raw_ref: '4' }] },
  },
}))
const prepared = prepareObservations(RAW)
if (!prepared.ok) throw new Error("observations")
const OBSERVATIONS = prepared.value

describe('STIX patterns', () => {
  bench(`parse ${PATTERNS.length} patterns`, () => {
    for (const p of PATTERNS) if (!parsePattern(p).ok) throw new Error(p)
  })
  bench(`parse + match ${PATTERNS.length} patterns against ${OBSERVATIONS.count} prepared observations`, () => {
    for (const p of PATTERNS) {
      const r = parsePattern(p)
      if (!r.ok) throw new Error(p)
      if (!matchPattern(r.value, OBSERVATIONS).ok) throw new Error(p)
    }
  })
})
