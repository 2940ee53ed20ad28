/**
 * The REST client of the web app: same-origin fetch with the session cookie, the CSRF token on every
 * unsafe method, and RFC 9457 problems turned into `ApiError`s.
 */
export interface Problem {
  readonly status: number
  readonly code: string
  readonly title?: string
  readonly detail?: string
  readonly requestId?: string
  readonly errors?: readonly { pointer: string; message: string }[]
}

export class ApiError extends Error {
  constructor(
    readonly problem: Problem,
    readonly retryAfter: number | null = null,
  ) {
    super(problem.detail ?? problem.title ?? problem.code)
  }
}

let csrfToken: string | null = null
let onUnauthenticated: (() => void) | null = null

export function setCsrfToken(token: string | null): void {
  csrfToken = token
}

/** Called when a request finds the session ended (the app shows the sign-in page). */
export function onSessionEnded(fn: () => void): void {
  onUnauthenticated = fn
}

async function problemOf(res: Response): Promise<Problem> {
  try {
    const body = (await res.json()) as Partial<Problem>
    if (typeof body.code === 'string') return { ...body, status: res.status, code: body.code }
  } catch {
    // not a problem body
  }
  return { status: res.status, code: 'http_error', detail: res.statusText }
}

export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  init: { raw?: BodyInit; contentType?: string; quiet401?: boolean; headers?: Record<string, string> } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken !== null) headers['x-csrf-token'] = csrfToken
  let payload: BodyInit | undefined
  if (init.raw !== undefined) {
    payload = init.raw
    headers['content-type'] = init.contentType ?? 'application/octet-stream'
  } else if (body !== undefined) {
    payload = JSON.stringify(body)
    headers['content-type'] = 'application/json'
  }
  const res = await fetch(path, { method, headers, credentials: 'same-origin', ...(payload !== undefined ? { body: payload } : {}) })
  if (!res.ok) {
    const p = await problemOf(res)
    if (res.status === 401 && !init.quiet401) onUnauthenticated?.()
    const ra = res.headers.get('retry-after')
    throw new ApiError(p, ra === null ? null : Number(ra))
  }
  if (res.status === 204) return undefined as T
  const type = res.headers.get('content-type') ?? ''
  return (type.includes('json') ? await res.json() : await res.text()) as T
}

export const get = <T>(path: string) => request<T>('GET', path)
export const post = <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {})

/** Query string from defined, non-empty values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v))
  const s = p.toString()
  return s ? `?${s}` : ''
}

// ---- wire types used by the pages -------------------------------------------------------------

export interface SessionUser {
  readonly userId: string
  readonly username: string
  readonly orgId: string
  readonly role: 'admin' | 'analyst' | 'read_only'
}

export interface StixObject {
  readonly type: string
  readonly id: string
  readonly name?: string
  readonly created?: string
  readonly modified?: string
  readonly created_by_ref?: string
  readonly object_marking_refs?: readonly string[]
  readonly description?: string
  readonly [k: string]: unknown
}

export interface CollectionView {
  readonly id: string
  readonly title: string
  readonly alias: string | null
  readonly canRead: boolean
  readonly canWrite: boolean
}

export interface SearchPage {
  readonly items: readonly StixObject[]
  readonly nextCursor?: string
}

export interface ObjectDetail {
  readonly collectionId: string
  readonly versions: readonly StixObject[]
  readonly edges: readonly { id: string; relationshipType: string; source: string; target: string }[]
  readonly nodes: readonly { id: string; type: string; name: string | null }[]
  readonly truncated: boolean
}

export interface ImportJob {
  readonly id: string
  readonly state: 'running' | 'completed' | 'failed'
  readonly processed: number
  readonly added: number
  readonly duplicates: number
  readonly failed: number
  readonly failures: readonly { index: number; id: string | null; code: string; message: string; pointer?: string }[]
  readonly error: string | null
}

export interface AlertView {
  readonly id: string
  readonly kind: string
  readonly createdAt: string
  readonly value: string | null
  readonly indicatorId: string | null
  readonly readAt: string | null
}

export async function collections(): Promise<CollectionView[]> {
  const r = await get<CollectionView[] | { items: CollectionView[] }>('/api/v1/collections')
  return Array.isArray(r) ? r : r.items
}

/** The CSRF token of the session, for requests not made through `request` (upload progress needs XMLHttpRequest). */
export const currentCsrfToken = (): string | null => csrfToken

/** A short human label for an object: its name, a relationship as "type: source → target", else its id. */
export function labelOf(o: StixObject): string {
  if (typeof o.name === 'string' && o.name !== '') return o.name
  if (o.type === 'relationship' && typeof o.source_ref === 'string' && typeof o.target_ref === 'string')
    return `${String(o.relationship_type ?? 'related-to')}: ${o.source_ref.split('--')[0]} → ${o.target_ref.split('--')[0]}`
  return o.id
}
