/**
 * The deterministic id of the sighting a match makes: sighting--UUIDv5(SIGHTING_NAMESPACE,
 * indicator id + '|' + observation id). The same value as `uuidv5` in core/stix/id.ts, with
 * node:crypto's SHA-1: `correlate --all` hashes one per match (hundreds of thousands), and the
 * portable one in core costs several times more.
 */
import { createHash } from 'node:crypto'

/** The namespace of correlation sighting ids. */
export const SIGHTING_NAMESPACE = '6b7d0c52-3a8e-5f1d-9c4b-2e1f0a9d8c73'

const namespaceBytes = Buffer.from(SIGHTING_NAMESPACE.replaceAll('-', ''), 'hex')

/** sighting--UUIDv5(SIGHTING_NAMESPACE, `${indicatorId}|${observationId}`), lower-case. */
export function sightingIdOf(indicatorId: string, observationId: string): string {
  const h = createHash('sha1').update(namespaceBytes).update(`${indicatorId}|${observationId}`, 'utf8').digest()
  h[6] = ((h[6] as number) & 0x0f) | 0x50
  h[8] = ((h[8] as number) & 0x3f) | 0x80
  const x = h.toString('hex', 0, 16)
  return `sighting--${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`
}
