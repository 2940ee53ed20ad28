/**
 * Node administration: organisations, users, API tokens, collections and their permissions, and
 * authentication of API tokens. Token secrets are shown once, at creation, and stored as SHA-256.
 */
import { ROLES, isAdmin, type Role, type Viewer } from '../../core/policy/viewer.js'
import type { Issue } from '../../core/shared/errors.js'
import { LIMITS } from '../../core/shared/limits.js'
import { err, ok, type Result } from '../../core/shared/result.js'
import { storedTimestampFromMs, toStoredTimestamp } from '../../core/stix/time.js'
import type { ApiToken, Collection, CollectionPermission, OrgClient, Organisation, Tx, User } from '../../store/port.js'
import type { ServiceDeps } from '../deps.js'
import { objectTlp } from '../../core/marking/effective.js'
import { isTlpLevel, tlpLabel, tlpLevel, tlpRank, type TlpLevel, type TlpRank } from '../../core/marking/tlp.js'
import { actorOf, entryBase, inTransaction, makeLogRecorder } from '../log/record.js'

const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._'()&,-]*$/u
const USERNAME = /^[a-z0-9][a-z0-9._@-]{1,63}$/
const ALIAS = /^[a-z0-9][a-z0-9-]{0,62}$/
export const STIX_MEDIA_TYPE = 'application/stix+json;version=2.1'

function checkName(pointer: string, value: string, issues: Issue[]) {
  if (value.length === 0 || value.length > LIMITS.maxNameLength) issues.push({ pointer, message: `must be 1 to ${LIMITS.maxNameLength} characters` })
  else if (!NAME.test(value)) issues.push({ pointer, message: 'must start with a letter or digit and contain only letters, digits, spaces and ._\'()&,-' })
}

function invalid(issues: Issue[]) {
  return err({ code: 'validation_failed' as const, issues })
}

function forbidden() {
  return err({ code: 'forbidden' as const, reason: 'role' as const })
}

const TOUCH_INTERVAL_MS = 60_000

/** An organisation as administrators see it: with its client relations (organisation ids). */
export interface OrganisationView extends Organisation {
  /** The organisations this one is a client of. */
  readonly clientOf: readonly string[]
  /** The organisations that are clients of this one. */
  readonly clients: readonly string[]
}

const TLP_CHOICES = 'must be one of clear, green, amber, amber+strict, red'

/** Parses a TLP level name given by a user (any case); undefined when it is not one. */
function parseLevel(value: string): TlpLevel | undefined {
  const l = value.toLowerCase()
  return isTlpLevel(l) ? l : undefined
}

/** True when stored JSON carries no TLP marking of its own (so a default decided its audience). */
function unmarked(json: string): boolean {
  return !json.includes('"object_marking_refs"') || objectTlp(JSON.parse(json) as Record<string, unknown>) === null
}

export interface CreatedToken {
  readonly token: ApiToken
  /** The secret: shown once, never stored. */
  readonly secret: string
}

export function makeAdminService(deps: ServiceDeps) {
  const { store, clock, ids, hasher, secrets } = deps
  const now = () => storedTimestampFromMs(clock.nowMs())
  const lastTouched = new Map<string, number>()
  const recorder = makeLogRecorder(hasher)

  /** Sets one organisation's rights on a collection, and logs it when they change. */
  async function setPermission(viewer: Viewer, repos: Tx, p: CollectionPermission): Promise<Result<CollectionPermission>> {
    return inTransaction(store, repos, async (tx) => {
      const before = await tx.collections.permissionOf(p.collectionId, p.orgId)
      const r = await tx.collections.setPermission(p)
      if (!r.ok || (before && before.canRead === p.canRead && before.canWrite === p.canWrite)) return r
      const permission = { collection: p.collectionId, org: p.orgId, read: p.canRead, write: p.canWrite }
      await recorder.record(tx, [{ entry: { ...entryBase(now(), actorOf(viewer)), kind: 'collection.permission_set', permission } }])
      return r
    })
  }

  async function createOrganisation(viewer: Viewer, input: { name: string; defaultTlp?: string }, repos: Tx = store): Promise<Result<Organisation>> {
    if (!isAdmin(viewer)) return forbidden()
    const issues: Issue[] = []
    checkName('/name', input.name, issues)
    const level = input.defaultTlp === undefined ? undefined : parseLevel(input.defaultTlp)
    if (input.defaultTlp !== undefined && level === undefined) issues.push({ pointer: '/defaultTlp', message: TLP_CHOICES })
    if (issues.length) return invalid(issues)
    const id = ids.uuid()
    const at = now()
    return inTransaction(store, repos, async (tx) => {
      const org = await tx.orgs.create({ id, name: input.name, identityId: `identity--${ids.uuid()}`, createdAt: at, ...(level !== undefined ? { defaultTlp: tlpRank(level) } : {}) })
      if (!org.ok) return org
      const base = entryBase(at, actorOf(viewer))
      await recorder.record(tx, [
        { entry: { ...base, kind: 'org.created', org: { id, identity: org.value.identityId } } },
        ...(level !== undefined ? [{ entry: { ...base, kind: 'org.default_tlp_set' as const, org: { id, tlp: level } } }] : []),
      ])
      return org
    })
  }

  /** An organisation by id or by name. */
  async function findOrg(repos: Tx, idOrName: string): Promise<Organisation | null> {
    return (await repos.orgs.get(idOrName)) ?? (await repos.orgs.getByName(idOrName))
  }

  /**
   * Sets or clears (null) an organisation's default TLP (docs/markings.md "Defaults"): unmarked input
   * its users and tokens submit gets the stricter of it and the receiving collection's default.
   * Narrower: the stored versions of unmarked objects the organisation wrote on this node are raised to
   * it at once (their audience keys; the objects' bytes do not change). Wider (or cleared): refused
   * unless `force`, and even then only new input gets it. Logged (`org.default_tlp_set`) in the same
   * transaction when it changes.
   */
  async function updateOrganisation(
    viewer: Viewer,
    input: { readonly org: string; readonly defaultTlp: string | null; readonly force?: boolean },
  ): Promise<Result<{ organisation: Organisation; raised: number }>> {
    if (!isAdmin(viewer)) return forbidden()
    const level = input.defaultTlp === null ? null : parseLevel(input.defaultTlp)
    if (level === undefined) return invalid([{ pointer: '/defaultTlp', message: `${TLP_CHOICES}, or null (none)` }])
    const at = now()
    return store.transaction(async (tx) => {
      const o = await findOrg(tx, input.org)
      if (!o) return err({ code: 'not_found', resource: 'organisation', id: input.org })
      const before = o.defaultTlp ?? -1
      const after = level === null ? null : tlpRank(level)
      const label = (r: number) => (r < 0 ? 'none' : tlpLabel(tlpLevel(r as TlpRank)))
      if ((after ?? -1) < before && input.force !== true)
        return err({
          code: 'conflict',
          detail: `widening the default of organisation ${o.name} from ${label(before)} to ${label(after ?? -1)} applies to new unmarked input only (stored objects keep their audience); confirm with force`,
        })
      if ((after ?? -1) === before) return ok({ organisation: o, raised: 0 })
      const updated = await tx.orgs.setDefaultTlp(o.id, after)
      if (!updated) return err({ code: 'not_found', resource: 'organisation', id: input.org })
      let raised = 0
      if (after !== null && after > before) {
        // Every membership of a version this organisation wrote here without a TLP marking of its own.
        for (let afterSeq = 0; ; ) {
          const page = await tx.collections.producedBelow(o.identityId, after, afterSeq, 1000)
          const byCollection = new Map<string, number[]>()
          for (const m of page) if (unmarked(m.json)) byCollection.set(m.collectionId, [...(byCollection.get(m.collectionId) ?? []), m.objectSeq])
          for (const [c, seqs] of byCollection) raised += await tx.collections.raiseMemberTlp(c, seqs, after)
          const last = page[page.length - 1]
          if (page.length < 1000 || !last) break
          afterSeq = last.seq
        }
      }
      await recorder.record(tx, [{ entry: { ...entryBase(at, actorOf(viewer)), kind: 'org.default_tlp_set', org: { id: o.id, tlp: level } } }])
      return ok({ organisation: updated, raised })
    })
  }

  /**
   * Declares organisation `client` a client of organisation `of` (TLP:AMBER reaches the recipient
   * organisations and their clients; never AMBER+STRICT or RED). Not transitive. Logged
   * (`org.client_added`) when new; declaring it again changes nothing.
   */
  async function addClient(viewer: Viewer, input: { readonly client: string; readonly of: string }): Promise<Result<{ relation: OrgClient; added: boolean }>> {
    if (!isAdmin(viewer)) return forbidden()
    const at = now()
    return store.transaction(async (tx): Promise<Result<{ relation: OrgClient; added: boolean }>> => {
      const client = await findOrg(tx, input.client)
      if (!client) return err({ code: 'not_found', resource: 'organisation', id: input.client })
      const parent = await findOrg(tx, input.of)
      if (!parent) return err({ code: 'not_found', resource: 'organisation', id: input.of })
      if (client.id === parent.id) return invalid([{ pointer: '/of', message: 'an organisation cannot be a client of itself' }])
      if ((await tx.orgs.clients(parent.id)).some((r) => r.clientOrgId === parent.id && r.parentOrgId === client.id))
        return err({ code: 'conflict', detail: `${parent.name} is already a client of ${client.name}; an organisation and its client cannot be clients of each other` })
      const relation: OrgClient = { clientOrgId: client.id, parentOrgId: parent.id, createdAt: at }
      const r = await tx.orgs.addClient(relation)
      if (!r.ok) return r
      if (!r.value) return ok({ relation: (await tx.orgs.clients(client.id)).find((x) => x.parentOrgId === parent.id) ?? relation, added: false })
      await recorder.record(tx, [{ entry: { ...entryBase(at, actorOf(viewer)), kind: 'org.client_added', client: { org: client.id, of: parent.id } } }])
      return ok({ relation, added: true })
    })
  }

  /** Ends a client relation (logged as `org.client_removed`); `not_found` when there is none. */
  async function removeClient(viewer: Viewer, input: { readonly client: string; readonly of: string }): Promise<Result<{ clientOrgId: string; parentOrgId: string }>> {
    if (!isAdmin(viewer)) return forbidden()
    const at = now()
    return store.transaction(async (tx) => {
      const client = await findOrg(tx, input.client)
      if (!client) return err({ code: 'not_found', resource: 'organisation', id: input.client })
      const parent = await findOrg(tx, input.of)
      if (!parent) return err({ code: 'not_found', resource: 'organisation', id: input.of })
      if (!(await tx.orgs.removeClient(client.id, parent.id))) return err({ code: 'not_found', resource: 'client relation', id: `${client.id} of ${parent.id}` })
      await recorder.record(tx, [{ entry: { ...entryBase(at, actorOf(viewer)), kind: 'org.client_removed', client: { org: client.id, of: parent.id } } }])
      return ok({ clientOrgId: client.id, parentOrgId: parent.id })
    })
  }

  /** Organisations with their client relations (all of them, or one by id or name). */
  async function organisationViews(only?: Organisation): Promise<OrganisationView[]> {
    const relations = await store.orgs.clients(only?.id)
    const list = only ? [only] : await store.orgs.list()
    return list.map((o) => ({
      ...o,
      clientOf: relations.filter((r) => r.clientOrgId === o.id).map((r) => r.parentOrgId),
      clients: relations.filter((r) => r.parentOrgId === o.id).map((r) => r.clientOrgId),
    }))
  }

  async function createUser(
    viewer: Viewer,
    input: { orgId: string; username: string; role: Role; password?: string },
    repos: Tx = store,
  ): Promise<Result<User>> {
    if (!isAdmin(viewer)) return forbidden()
    const issues: Issue[] = []
    if (!USERNAME.test(input.username)) issues.push({ pointer: '/username', message: 'must be 2 to 64 characters: lowercase letters, digits and ._@-' })
    if (!(ROLES as readonly string[]).includes(input.role)) issues.push({ pointer: '/role', message: `must be one of ${ROLES.join(', ')}` })
    if (input.password !== undefined && (input.password.length < 12 || input.password.length > 1024))
      issues.push({ pointer: '/password', message: 'must be 12 to 1024 characters' })
    if (issues.length) return invalid(issues)
    if (!(await repos.orgs.get(input.orgId))) return err({ code: 'not_found', resource: 'organisation', id: input.orgId })
    const passwordHash = input.password === undefined ? null : await secrets.hashPassword(input.password)
    const at = now()
    return inTransaction(store, repos, async (tx) => {
      const user = await tx.users.create({
        id: ids.uuid(), orgId: input.orgId, username: input.username, role: input.role, passwordHash, createdAt: at, disabledAt: null,
      })
      if (!user.ok) return user
      const entry = { ...entryBase(at, actorOf(viewer)), kind: 'user.created' as const, user: { id: user.value.id, org: input.orgId, role: input.role } }
      await recorder.record(tx, [{ entry }])
      return user
    })
  }

  async function createToken(
    viewer: Viewer,
    input: { userId?: string; name: string; expiresAt?: string },
    repos: Tx = store,
  ): Promise<Result<CreatedToken>> {
    // Users may create tokens for themselves; administrators for anyone.
    const userId = input.userId ?? (viewer.kind === 'user' ? viewer.userId : undefined)
    if (!userId) return invalid([{ pointer: '/userId', message: 'is required' }])
    if (!isAdmin(viewer) && !(viewer.kind === 'user' && viewer.userId === userId)) return forbidden()
    const issues: Issue[] = []
    checkName('/name', input.name, issues)
    let expiresAt: string | null = null
    if (input.expiresAt !== undefined) {
      expiresAt = toStoredTimestamp(input.expiresAt)
      if (!expiresAt) issues.push({ pointer: '/expiresAt', message: 'must be an RFC 3339 UTC timestamp such as 2027-01-01T00:00:00Z' })
      else if (expiresAt <= now()) issues.push({ pointer: '/expiresAt', message: 'must be in the future' })
    }
    if (issues.length) return invalid(issues)
    if (!(await repos.users.get(userId))) return err({ code: 'not_found', resource: 'user', id: userId })
    const secret = secrets.newToken()
    const token: ApiToken = {
      id: ids.uuid(), userId, name: input.name, prefix: secret.slice(0, 10), createdAt: now(), expiresAt, revokedAt: null, lastUsedAt: null,
    }
    return inTransaction(store, repos, async (tx) => {
      const created = await tx.tokens.create(token, hasher.sha256(secret))
      if (!created.ok) return created
      const entry = { ...entryBase(token.createdAt, actorOf(viewer)), kind: 'token.created' as const, token: { id: token.id, user: userId, expires: expiresAt } }
      await recorder.record(tx, [{ entry }])
      return ok({ token: created.value, secret })
    })
  }

  async function createCollection(
    viewer: Viewer,
    input: { title: string; description?: string; alias?: string; defaultTlp?: string },
    repos: Tx = store,
  ): Promise<Result<Collection>> {
    if (!isAdmin(viewer)) return forbidden()
    const issues: Issue[] = []
    checkName('/title', input.title, issues)
    if (input.description !== undefined && input.description.length > 10_000) issues.push({ pointer: '/description', message: 'must be at most 10000 characters' })
    if (input.alias !== undefined && !ALIAS.test(input.alias)) issues.push({ pointer: '/alias', message: 'must be 1 to 63 characters: lowercase letters, digits and -' })
    const level = input.defaultTlp?.toLowerCase()
    if (level !== undefined && !isTlpLevel(level)) issues.push({ pointer: '/defaultTlp', message: 'must be one of clear, green, amber, amber+strict, red' })
    if (issues.length) return invalid(issues)
    const at = now()
    return inTransaction(store, repos, async (tx) => {
      const c = await tx.collections.create({
        id: ids.uuid(), title: input.title, description: input.description ?? null, alias: input.alias ?? null, mediaTypes: [STIX_MEDIA_TYPE], createdAt: at,
        ...(level !== undefined && isTlpLevel(level) ? { defaultTlp: tlpRank(level) } : {}),
      })
      if (!c.ok) return c
      const base = entryBase(at, actorOf(viewer))
      await recorder.record(tx, [
        { entry: { ...base, kind: 'collection.created', collection: { id: c.value.id } } },
        // A default given at creation is a decision of its own (verify: a collection without one is AMBER).
        ...(level !== undefined && isTlpLevel(level) ? [{ entry: { ...base, kind: 'collection.default_tlp_set' as const, collection: { id: c.value.id, tlp: level } } }] : []),
      ])
      return c
    })
  }

  /**
   * Changes a collection's default TLP (what unmarked input gets; docs/markings.md "Defaults").
   * Narrower: the stored versions of unmarked objects in the collection are raised to it at once (their
   * audience keys; the objects' bytes do not change). Wider: refused unless `force`, and even then only
   * new input gets it; what is stored keeps its narrower audience (never widened after the fact).
   * Logged (`collection.default_tlp_set`) in the same transaction, also when the level is unchanged.
   */
  async function updateCollection(
    viewer: Viewer,
    input: { readonly collection: string; readonly defaultTlp: string; readonly force?: boolean },
  ): Promise<Result<{ collection: Collection; raised: number }>> {
    if (!isAdmin(viewer)) return forbidden()
    const level = input.defaultTlp.toLowerCase()
    if (!isTlpLevel(level)) return invalid([{ pointer: '/defaultTlp', message: 'must be one of clear, green, amber, amber+strict, red' }])
    const c = await store.collections.find(input.collection)
    if (!c) return err({ code: 'not_found', resource: 'collection', id: input.collection })
    const before = c.defaultTlp ?? 2
    const after = tlpRank(level as TlpLevel)
    if (after < before && input.force !== true)
      return err({
        code: 'conflict',
        detail: `widening the default of ${c.alias ?? c.id} from ${tlpLabel(tlpLevel(before))} to ${tlpLabel(level as TlpLevel)} applies to new unmarked input only (stored objects keep their audience); confirm with force`,
      })
    const at = now()
    return inTransaction(store, store, async (tx) => {
      const updated = await tx.collections.setDefaultTlp(c.id, after)
      if (!updated) return err({ code: 'not_found', resource: 'collection', id: input.collection })
      // Logged even when unchanged: confirming a default is a decision too (and how a collection whose
      // default was set before these entries existed gets its entry: docs/transparency-log.md).
      await recorder.record(tx, [{ entry: { ...entryBase(at, actorOf(viewer)), kind: 'collection.default_tlp_set', collection: { id: c.id, tlp: level as TlpLevel } } }])
      let raised = 0
      if (after > before) {
        // Every stored version of an object without a TLP marking of its own (marking references the
        // node cannot resolve count as RED, so those are already at least as narrow).
        let afterPos: { dateAdded: string; seq: number } | undefined
        for (;;) {
          const page = await tx.objects.query({ collectionId: c.id, versions: { first: false, last: false, all: true, versions: [] }, limit: 1000, withContent: true, ...(afterPos ? { after: afterPos } : {}) })
          const seqs: number[] = []
          for (const e of page.items) {
            if (e.json === undefined || (e.audience?.tlp ?? 4) >= after) continue
            if (unmarked(e.json)) seqs.push(e.objectSeq)
          }
          raised += await tx.collections.raiseMemberTlp(c.id, seqs, after)
          const last = page.items[page.items.length - 1]
          if (!page.more || !last) break
          afterPos = { dateAdded: last.dateAdded, seq: last.seq }
        }
      }
      return ok({ collection: updated, raised })
    })
  }

  return {
    createOrganisation,
    updateOrganisation,
    addClient,
    removeClient,
    createUser,
    createToken,
    createCollection,
    updateCollection,

    async listOrganisations(viewer: Viewer): Promise<Result<OrganisationView[]>> {
      if (!isAdmin(viewer)) return forbidden()
      return ok(await organisationViews())
    },

    /** One organisation (by id or name) with its client relations. */
    async getOrganisation(viewer: Viewer, idOrName: string): Promise<Result<OrganisationView>> {
      if (!isAdmin(viewer)) return forbidden()
      const o = await findOrg(store, idOrName)
      if (!o) return err({ code: 'not_found', resource: 'organisation', id: idOrName })
      return ok((await organisationViews(o))[0] as OrganisationView)
    },

    async listUsers(viewer: Viewer, orgId?: string): Promise<Result<User[]>> {
      if (!isAdmin(viewer)) return forbidden()
      return ok(await store.users.list(orgId))
    },

    async setRole(viewer: Viewer, input: { userId: string; role: Role }): Promise<Result<User>> {
      if (!isAdmin(viewer)) return forbidden()
      if (!(ROLES as readonly string[]).includes(input.role)) return invalid([{ pointer: '/role', message: `must be one of ${ROLES.join(', ')}` }])
      const at = now()
      return store.transaction(async (tx) => {
        const before = await tx.users.get(input.userId)
        const u = await tx.users.setRole(input.userId, input.role)
        if (!u.ok || before?.role === input.role) return u
        await recorder.record(tx, [{ entry: { ...entryBase(at, actorOf(viewer)), kind: 'user.role_changed', user: { id: input.userId, role: input.role } } }])
        return u
      })
    },

    /**
     * Disables a user (every token of theirs stops working at once) or enables them again.
     * Administrators cannot disable themselves, so a node cannot lose its last way in by accident.
     */
    async setUserDisabled(viewer: Viewer, input: { userId: string; disabled: boolean }, repos: Tx = store): Promise<Result<User>> {
      if (!isAdmin(viewer)) return forbidden()
      if (viewer.kind === 'user' && viewer.userId === input.userId && input.disabled)
        return err({ code: 'conflict', detail: 'administrators cannot disable themselves' })
      const at = now()
      return inTransaction(store, repos, async (tx) => {
        const before = await tx.users.get(input.userId)
        const u = await tx.users.setDisabled(input.userId, input.disabled ? at : null)
        if (!u.ok || (before?.disabledAt !== null) === input.disabled) return u
        const base = entryBase(at, actorOf(viewer))
        await recorder.record(tx, [{ entry: input.disabled ? { ...base, kind: 'user.disabled', user: { id: input.userId } } : { ...base, kind: 'user.enabled', user: { id: input.userId } } }])
        return u
      })
    },

    async listTokens(viewer: Viewer, userId?: string): Promise<Result<ApiToken[]>> {
      if (isAdmin(viewer)) return ok(await store.tokens.list(userId))
      if (viewer.kind === 'user' && (userId === undefined || userId === viewer.userId)) return ok(await store.tokens.list(viewer.userId))
      return forbidden()
    },

    async revokeToken(viewer: Viewer, tokenId: string, repos: Tx = store): Promise<Result<ApiToken>> {
      const mine = viewer.kind === 'user' ? (await repos.tokens.list(viewer.userId)).some((t) => t.id === tokenId) : false
      if (!isAdmin(viewer) && !mine) return err({ code: 'not_found', resource: 'token', id: tokenId })
      const at = now()
      return inTransaction(store, repos, async (tx) => {
        const before = (await tx.tokens.list()).find((t) => t.id === tokenId)
        const t = await tx.tokens.revoke(tokenId, at)
        if (!t.ok || (before && before.revokedAt !== null)) return t
        await recorder.record(tx, [{ entry: { ...entryBase(at, actorOf(viewer)), kind: 'token.revoked', token: { id: tokenId } } }])
        return t
      })
    },

    async setCollectionPermission(
      viewer: Viewer,
      input: { collection: string; orgId: string; canRead: boolean; canWrite: boolean },
    ): Promise<Result<CollectionPermission>> {
      if (!isAdmin(viewer)) return forbidden()
      const c = await store.collections.find(input.collection)
      if (!c) return err({ code: 'not_found', resource: 'collection', id: input.collection })
      if (!(await store.orgs.get(input.orgId))) return err({ code: 'not_found', resource: 'organisation', id: input.orgId })
      return setPermission(viewer, store, { collectionId: c.id, orgId: input.orgId, canRead: input.canRead, canWrite: input.canWrite })
    },

    async collectionPermissions(viewer: Viewer, collection: string): Promise<Result<CollectionPermission[]>> {
      if (!isAdmin(viewer)) return forbidden()
      const c = await store.collections.find(collection)
      if (!c) return err({ code: 'not_found', resource: 'collection', id: collection })
      return ok(await store.collections.permissions(c.id))
    },

    /** The viewer an API token secret acts as, or null when the token is unknown, revoked or expired. */
    async authenticateToken(secret: string): Promise<Viewer | null> {
      if (secret.length < 8 || secret.length > 512) return null
      const at = now()
      const p = await store.tokens.findActiveByHash(hasher.sha256(secret), at)
      if (!p) return null
      // Record use at most once a minute per token and process: a read must not cost a write each time.
      const last = lastTouched.get(p.token.id) ?? 0
      if (clock.nowMs() - last >= TOUCH_INTERVAL_MS) {
        if (lastTouched.size > 10_000) lastTouched.clear()
        lastTouched.set(p.token.id, clock.nowMs())
        void store.tokens.touch(p.token.id, at).catch(() => undefined)
      }
      return { kind: 'user', userId: p.user.id, username: p.user.username, orgId: p.org.id, role: p.user.role }
    },

    /**
     * Creates a node: its host organisation, an administrator with an API token, and a default
     * collection the host organisation may read and write. Fails with `conflict` when already done.
     */
    async initNode(input: {
      orgName: string
      adminUsername: string
      adminPassword?: string
      nodeName: string
      /** The node's signing key and checkpoint origin: recorded in node meta and as the first `node.key` entry. */
      key?: { publicKey: Uint8Array; origin: string }
    }) {
      if ((await store.meta.get('node.initialised_at')) !== null) return err({ code: 'conflict' as const, detail: 'this node is already initialised' })
      const system: Viewer = { kind: 'system', name: 'init', orgId: '' }
      return store.transaction(async (tx) => {
        const org = await createOrganisation(system, { name: input.orgName }, tx)
        if (!org.ok) return org
        const user = await createUser(system, {
          orgId: org.value.id, username: input.adminUsername, role: 'admin', ...(input.adminPassword !== undefined ? { password: input.adminPassword } : {}),
        }, tx)
        if (!user.ok) return user
        const token = await createToken(system, { userId: user.value.id, name: 'initial admin token' }, tx)
        if (!token.ok) return token
        const collection = await createCollection(system, { title: 'Default', alias: 'default', description: 'The default collection of this node' }, tx)
        if (!collection.ok) return collection
        const perm = await setPermission(system, tx, { collectionId: collection.value.id, orgId: org.value.id, canRead: true, canWrite: true })
        if (!perm.ok) return perm
        const at = now()
        if (input.key) {
          await tx.meta.set('log.public_key', Buffer.from(input.key.publicKey).toString('base64'))
          await tx.meta.set('log.origin', input.key.origin)
          const entry = { ...entryBase(at, actorOf(system)), kind: 'node.key' as const, key: { ed25519: Buffer.from(input.key.publicKey).toString('base64'), origin: input.key.origin } }
          await recorder.record(tx, [{ entry }])
        }
        await tx.meta.set('node.name', input.nodeName)
        await tx.meta.set('node.host_org', org.value.id)
        await tx.meta.set('node.initialised_at', at)
        return ok({ organisation: org.value, user: user.value, token: token.value, collection: collection.value })
      })
    },

    /** Liveness of the node's storage, for /healthz (added for the HTTP adapter). */
    async ping(): Promise<boolean> {
      try {
        return await store.ping()
      } catch {
        return false
      }
    },

    async nodeInfo() {
      return {
        name: await store.meta.get('node.name'),
        hostOrgId: await store.meta.get('node.host_org'),
        initialisedAt: await store.meta.get('node.initialised_at'),
      }
    },
  }
}

export type AdminService = ReturnType<typeof makeAdminService>
