/**
 * How the federation service reaches other nodes and feeds: a port, implemented over HTTP in
 * `src/federation/taxii-client.ts` (timeouts, size caps, no redirects). Every answer is hostile until
 * checked; every method throws (an Error with a one-line message) when the peer cannot be reached or
 * answers badly.
 */
import type { PeerAuth, PeerOrganisation } from '../../store/port.js'

export interface ObjectsPage {
  /** The envelope's objects, unchecked. */
  readonly objects: readonly unknown[]
  readonly more: boolean
  readonly next: string | null
  /** `X-TAXII-Date-Added-Last`, in stored timestamp form, or null. */
  readonly dateAddedLast: string | null
  /** The answer's JSON text, when the client keeps it (so a worker thread can parse the objects again instead of receiving clones). */
  readonly text?: string
}

export interface NodeKeyInfo {
  readonly origin: string
  readonly verifierKey: string
  readonly publicKey: Uint8Array
}

/** What a node sends the node that invited it (POST /api/v1/federation/register). */
export interface RegisterRequest {
  readonly invitationId: string
  readonly secret: string
  /** The registering node's name and base URL. */
  readonly name: string
  readonly url: string
  readonly verifierKey: string
  /** The credential the inviting node uses to read `collection` on the registering node. */
  readonly token: string
  readonly collection: string
  readonly organisations: readonly PeerOrganisation[]
}

/** The inviting node's answer: the same, the other way round. */
export interface RegisterAnswer {
  readonly name: string
  readonly verifierKey: string
  readonly token: string
  readonly collection: string
  readonly organisations: PeerOrganisation[]
}

export interface PeerClient {
  /** GET {url}/api/v1/log/key. */
  nodeKey(url: string): Promise<NodeKeyInfo>
  /** POST {url}/api/v1/federation/register. */
  register(url: string, req: RegisterRequest): Promise<RegisterAnswer>
  /** POST {url}/api/v1/federation/notify: "I have something new for you". */
  notify(url: string, auth: PeerAuth): Promise<void>
  /** POST {url}/api/v1/log/provenance; the parsed JSON answer, unchecked. */
  provenance(url: string, auth: PeerAuth, collection: string, objects: readonly { id: string; version?: string }[]): Promise<unknown>
  /**
   * The same, answering the JSON text unparsed (size-capped like every answer), so that the receiver
   * parses it where it verifies it (a worker thread). Optional: `provenance` is used without it.
   */
  provenanceText?(url: string, auth: PeerAuth, collection: string, objects: readonly { id: string; version?: string }[]): Promise<string>
  /**
   * POST {url}/api/v1/federation/paths: the path (hops from the origin node to us) of each object the
   * peer offers us, as the peer's policy decided it; the parsed JSON answer, unchecked.
   */
  paths(url: string, auth: PeerAuth, objects: readonly { id: string; version?: string }[]): Promise<unknown>
  /**
   * POST {url}/api/v1/agreements/inbox: hands the peer a signed version of an agreement between it and
   * us. Resolves when the peer stored it (or already had it); throws with the peer's reason otherwise.
   */
  deliverAgreement(url: string, auth: PeerAuth, agreement: unknown): Promise<void>
  /**
   * GET {url}/api/v1/agreements/peer: the peer's latest version of every agreement between it and us;
   * the parsed JSON answer, unchecked (each agreement is validated and verified on import).
   */
  peerAgreements(url: string, auth: PeerAuth): Promise<unknown>
  /** TAXII 2.1 Get Objects of a collection under an API root. */
  objects(apiRoot: string, auth: PeerAuth, collection: string, q: { addedAfter: string | null; next: string | null; limit: number }): Promise<ObjectsPage>
}
