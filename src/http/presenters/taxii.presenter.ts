/**
 * Domain → TAXII wire. TAXII timestamps come from the stored form through `stixTimestampFromStored`
 * (milliseconds, or microseconds when they are not zero), which is lossless: a `date_added` or
 * `version` read from a response can be sent back as `added_after` or `match[version]` and matches
 * exactly.
 */
import type { FastifyReply } from 'fastify'
import { stixTimestampFromStored as ts, toStoredTimestamp } from '../../core/stix/time.js'
import { STIX_MEDIA_TYPE, type Collection as TaxiiCollection, type ManifestRecord, type Status } from '../../contract/taxii/resources.js'
import type { CollectionView } from '../../services/share/objects.js'
import type { CollectionEntry, StatusRecord } from '../../store/port.js'

export function presentCollection(c: CollectionView): TaxiiCollection {
  return {
    id: c.id,
    title: c.title,
    ...(c.description !== null ? { description: c.description } : {}),
    ...(c.alias !== null ? { alias: c.alias } : {}),
    can_read: c.canRead,
    can_write: c.canWrite,
    media_types: [...c.mediaTypes],
  }
}

/** A status detail's version: a timestamp in STIX form, or the text given (failed objects may have a bad one). */
function versionText(v: string): string {
  const stored = toStoredTimestamp(v)
  return stored === null ? v : ts(stored)
}

export function presentStatus(s: StatusRecord): Status {
  const detail = (d: { id: string; version: string; message?: string }) => ({ id: d.id, version: versionText(d.version), ...(d.message !== undefined ? { message: d.message } : {}) })
  return {
    id: s.id,
    status: s.status,
    request_timestamp: ts(s.requestTimestamp),
    total_count: s.totalCount,
    success_count: s.successCount,
    successes: s.successes.map(detail),
    failure_count: s.failureCount,
    failures: s.failures.map(detail),
    pending_count: s.pendingCount,
    pendings: s.pendings.map(detail),
  }
}

export function mediaTypeOf(specVersion: string): string {
  return specVersion === '2.1' ? STIX_MEDIA_TYPE : `application/stix+json;version=${specVersion}`
}

export function presentManifestRecord(e: CollectionEntry): ManifestRecord {
  return { id: e.stixId, date_added: ts(e.dateAdded), version: ts(e.version), media_type: mediaTypeOf(e.specVersion) }
}

/** `X-TAXII-Date-Added-First/-Last`: the first and last `date_added` of the page. */
export function setDateAddedHeaders(reply: FastifyReply, items: readonly CollectionEntry[]): void {
  const first = items[0]
  const last = items[items.length - 1]
  if (first && last) {
    reply.header('X-TAXII-Date-Added-First', ts(first.dateAdded))
    reply.header('X-TAXII-Date-Added-Last', ts(last.dateAdded))
  }
}

function head(more: boolean, next: string | null): string {
  return `{"more":${more ? 'true' : 'false'}${next !== null ? `,"next":${JSON.stringify(next)}` : ''}`
}

/**
 * The envelope body, built by concatenating the stored canonical JSON of each object: no parse and
 * re-serialise on the hot path. The store only holds canonical JSON produced by the ingest pipeline.
 */
export function envelopeBody(items: readonly CollectionEntry[], more: boolean, next: string | null): string {
  let body = `${head(more, next)},"objects":[`
  for (let i = 0; i < items.length; i++) {
    const json = (items[i] as CollectionEntry).json
    if (json === undefined) throw new Error('envelope entries must be read with content')
    body += i === 0 ? json : `,${json}`
  }
  return `${body}]}`
}

export function manifestBody(items: readonly CollectionEntry[], more: boolean, next: string | null): string {
  return `${head(more, next)},"objects":${JSON.stringify(items.map(presentManifestRecord))}}`
}

export function versionsBody(items: readonly CollectionEntry[], more: boolean, next: string | null): string {
  return `${head(more, next)},"versions":${JSON.stringify(items.map((e) => ts(e.version)))}}`
}
