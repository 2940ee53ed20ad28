/**
 * Sharing an object with named recipients (issue 5 item 6; docs/markings.md "Recipients"): the
 * producer stores a **new version** of its own object carrying Entente's recipients extension
 * (`recipient_refs`), through the ingest pipeline, so the version is validated, stored append-only,
 * logged in the transparency log and shared with peers like any other. Recipients are named on the
 * object rather than on a collection membership because the object travels: a peer's node (and any
 * STIX tool) reads who it is for from the object itself, and the producer's signature and the log
 * cover the list.
 *
 * Only the producing organisation may share its object this way (a new version of someone else's
 * object would be a different object under their id). Recipients are added to those already named.
 */
import { recipientsOf, withRecipients, MAX_RECIPIENTS } from '../../core/marking/recipients.js'
import { collectionAccess } from '../../core/policy/collection-access.js'
import { isAdmin, type Viewer } from '../../core/policy/viewer.js'
import { err, ok, type Result } from '../../core/shared/result.js'
import { isStixId } from '../../core/stix/id.js'
import type { Store } from '../../store/port.js'
import type { Clock } from '../deps.js'

export interface ShareWriter {
  addObjects(viewer: Viewer, input: { readonly collection: string; readonly objects: readonly unknown[] }): Promise<Result<{ results: readonly { outcome: string; code?: string; message?: string; pointer?: string }[] }>>
}

export function makeShareService(deps: { readonly store: Store; readonly clock: Clock; readonly ingest: () => ShareWriter }) {
  const { store, clock } = deps
  return {
    /**
     * Names `to` (organisation names or ids on this node, or identity ids such as a peer's
     * organisations) as recipients of the latest version of `id` in `collection`: a new version.
     */
    async share(
      viewer: Viewer,
      input: { readonly id: string; readonly to: readonly string[]; readonly collection?: string },
    ): Promise<Result<{ id: string; version: string; collectionId: string; recipients: string[] }>> {
      if (!isStixId(input.id)) return err({ code: 'validation_failed', issues: [{ pointer: '/id', message: 'must be a STIX id' }] })
      if (input.to.length === 0 || input.to.length > MAX_RECIPIENTS)
        return err({ code: 'validation_failed', issues: [{ pointer: '/to', message: `must name 1 to ${MAX_RECIPIENTS} recipients` }] })
      const c = await store.collections.find(input.collection ?? 'default')
      const access = c ? collectionAccess(viewer, await store.collections.permissionOf(c.id, viewer.orgId)) : null
      if (!c || !access?.visible) return err({ code: 'not_found', resource: 'collection', id: input.collection ?? 'default' })
      if (!access.canRead || !access.canWrite) return err({ code: 'forbidden', reason: 'collection' })
      const page = await store.objects.query({ collectionId: c.id, ids: [input.id], limit: 1, withContent: true })
      const entry = page.items[0]
      if (!entry?.json) return err({ code: 'not_found', resource: 'object', id: input.id })
      const me = (await store.orgs.get(viewer.orgId))?.identityId ?? null
      // The producer only (administrators included: they act for their organisation here).
      if (me === null || entry.audience?.producer !== me) return err({ code: 'forbidden', reason: isAdmin(viewer) ? 'collection' : 'role' })
      const recipients: string[] = []
      for (const [i, name] of input.to.entries()) {
        if (isStixId(name) && name.startsWith('identity--')) {
          recipients.push(name)
          continue
        }
        const org = (await store.orgs.getByName(name)) ?? (name.length <= 100 ? await store.orgs.get(name) : null)
        if (!org) return err({ code: 'not_found', resource: 'organisation', id: `${name.slice(0, 100)} (/to/${i})` })
        recipients.push(org.identityId)
      }
      const object = JSON.parse(entry.json) as Record<string, unknown>
      if (typeof object.modified !== 'string')
        return err({ code: 'validation_failed', issues: [{ pointer: '/modified', message: 'an object without modified cannot have a new version' }] })
      const named = recipientsOf(object)
      const all = [...new Set([...(named.ok && named.value ? named.value : []), ...recipients])].sort()
      let at = clock.nowMs()
      const previous = Date.parse(object.modified)
      if (!(at > previous)) at = previous + 1
      const next = { ...withRecipients(object, all), modified: new Date(at).toISOString() }
      const r = await deps.ingest().addObjects(viewer, { collection: c.id, objects: [next] })
      if (!r.ok) return r
      const result = r.value.results[0]
      if (result?.outcome !== 'added')
        return err({ code: 'validation_failed', issues: [{ pointer: result?.pointer ?? '', message: result?.message ?? 'the new version was not stored' }] })
      return ok({ id: input.id, version: next.modified, collectionId: c.id, recipients: all })
    },
  }
}

export type ShareService = ReturnType<typeof makeShareService>
