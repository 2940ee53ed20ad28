/**
 * The HTTP implementation of the federation `PeerClient` port: TAXII 2.1 Get Objects against any
 * server (peers and vendor feeds), and the Entente node API a peer needs (key, registration, notify,
 * provenance). Every field of every answer is checked before use.
 */
import { toStoredTimestamp } from '../core/stix/time.js'
import { parseVerifierKey } from '../core/translog/note.js'
import type { NodeKeyInfo, ObjectsPage, PeerClient, RegisterAnswer } from '../services/federation/ports.js'
import type { PeerAuth } from '../store/port.js'
import { describeFailure, OutboundError, request } from './outbound.js'

const TAXII = 'application/taxii+json;version=2.1'
const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)

function authHeader(auth: PeerAuth): Record<string, string> {
  if (auth.kind === 'bearer') return { authorization: `Bearer ${auth.token}` }
  if (auth.kind === 'basic') return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}` }
  return {}
}

function parseJson(url: string, text: string): Record<string, unknown> {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    throw new OutboundError(`${url}: the answer is not JSON`)
  }
  if (!isRecord(v)) throw new OutboundError(`${url}: the answer is not a JSON object`)
  return v
}

async function call(url: string, init: Parameters<typeof request>[1], okStatus: readonly number[] = [200]): Promise<Record<string, unknown>> {
  const a = await request(url, init)
  if (!okStatus.includes(a.status)) throw new OutboundError(describeFailure(url, a))
  return a.text === '' ? {} : parseJson(url, a.text)
}

const base = (url: string) => url.replace(/\/+$/, '')
/** One agreement on the wire (its terms are bounded by AGREEMENT_LIMITS; events add little). */
const MAX_AGREEMENT_BYTES = 1024 * 1024
/** The agreements between two nodes, as a peer lists them. */
const MAX_AGREEMENT_LIST_BYTES = 8 * 1024 * 1024

export const httpPeerClient: PeerClient = {
  async nodeKey(url): Promise<NodeKeyInfo> {
    const u = `${base(url)}/api/v1/log/key`
    const v = await call(u, { headers: { accept: 'application/json' }, maxBytes: 64 * 1024 })
    const key = typeof v['verifier_key'] === 'string' ? parseVerifierKey(v['verifier_key']) : null
    if (!key?.ok) throw new OutboundError(`${u}: no valid verifier_key`)
    if (v['origin'] !== key.value.name) throw new OutboundError(`${u}: origin and verifier key disagree`)
    return { origin: key.value.name, verifierKey: v['verifier_key'] as string, publicKey: key.value.publicKey }
  },

  async register(url, req): Promise<RegisterAnswer> {
    const u = `${base(url)}/api/v1/federation/register`
    const v = await call(u, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(req), maxBytes: 1024 * 1024 }, [200, 201])
    const { name, verifierKey, token, collection, organisations } = v
    if (typeof name !== 'string' || typeof verifierKey !== 'string' || typeof token !== 'string' || typeof collection !== 'string' || !Array.isArray(organisations))
      throw new OutboundError(`${u}: the answer is not a registration`)
    if (token.length > 512 || collection.length > 300 || name.length > 200) throw new OutboundError(`${u}: the answer has oversized fields`)
    return { name, verifierKey, token, collection, organisations: organisations as RegisterAnswer['organisations'] }
  },

  async notify(url, auth) {
    const u = `${base(url)}/api/v1/federation/notify`
    await call(u, { method: 'POST', headers: { accept: 'application/json', ...authHeader(auth) }, timeoutMs: 5_000, maxBytes: 64 * 1024 }, [200, 202])
  },

  async provenance(url, auth, collection, objects) {
    const u = `${base(url)}/api/v1/log/provenance`
    return call(u, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json', ...authHeader(auth) },
      body: JSON.stringify({ collection, objects }),
    })
  },

  async provenanceText(url, auth, collection, objects) {
    const u = `${base(url)}/api/v1/log/provenance`
    const ask = (batch: boolean) =>
      request(u, {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json', ...authHeader(auth) },
        // A batch proof: a few dozen hashes for the page instead of about twenty per object.
        body: JSON.stringify(batch ? { collection, objects, proof: 'batch' } : { collection, objects }),
      })
    let a = await ask(true)
    // A node from before batch proofs refuses the property: ask again for one proof per object.
    if (a.status === 400) a = await ask(false)
    if (a.status !== 200) throw new OutboundError(describeFailure(u, a))
    return a.text
  },

  async paths(url, auth, objects) {
    const u = `${base(url)}/api/v1/federation/paths`
    return call(u, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json', ...authHeader(auth) },
      body: JSON.stringify({ objects }),
    })
  },

  async deliverAgreement(url, auth, agreement) {
    const u = `${base(url)}/api/v1/agreements/inbox`
    const body = JSON.stringify(agreement)
    if (body.length > MAX_AGREEMENT_BYTES) throw new OutboundError(`${u}: the agreement is larger than ${MAX_AGREEMENT_BYTES} bytes`)
    await call(u, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json', ...authHeader(auth) }, body, timeoutMs: 10_000, maxBytes: MAX_AGREEMENT_BYTES }, [200])
  },

  async peerAgreements(url, auth) {
    const u = `${base(url)}/api/v1/agreements/peer`
    return call(u, { headers: { accept: 'application/json', ...authHeader(auth) }, timeoutMs: 10_000, maxBytes: MAX_AGREEMENT_LIST_BYTES })
  },

  async objects(apiRoot, auth, collection, q): Promise<ObjectsPage> {
    // Every version added since the cursor, not only each object's latest: a pull replicates what the
    // peer added, and `all` spares the server the latest-version test on every row of every page.
    const params = new URLSearchParams({ limit: String(q.limit), 'match[version]': 'all' })
    if (q.addedAfter !== null) params.set('added_after', q.addedAfter)
    if (q.next !== null) params.set('next', q.next)
    const u = `${base(apiRoot)}/collections/${encodeURIComponent(collection)}/objects/?${params.toString()}`
    const a = await request(u, { headers: { accept: TAXII, ...authHeader(auth) } })
    if (a.status !== 200) throw new OutboundError(describeFailure(u, a))
    const v = parseJson(u, a.text)
    const objects = v['objects'] === undefined ? [] : v['objects']
    if (!Array.isArray(objects)) throw new OutboundError(`${u}: objects is not an array`)
    const more = v['more'] === true
    const next = typeof v['next'] === 'string' && v['next'].length > 0 && v['next'].length <= 2000 ? v['next'] : null
    const lastHeader = a.headers.get('x-taxii-date-added-last')
    const dateAddedLast = lastHeader !== null && lastHeader.length <= 64 ? toStoredTimestamp(lastHeader) : null
    return { objects, more, next, dateAddedLast, text: a.text }
  },
}
