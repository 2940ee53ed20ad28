import type { ServiceDeps } from './deps.js'
import { makeAdminService } from './admin/admin.js'
import { makeIngestService } from './pipeline/ingest.js'
import type { Preparer } from './pipeline/preparer.js'
import { makeObjectsService } from './share/objects.js'
import { makeLogService } from './log/log.js'
import { makeLogVerifier } from './log/verify.js'
import { makeRemoteLogService } from './log/remote.js'
import { makeAlertService } from './correlate/alerts.js'
import { makeCorrelateService, type CorrelationOptions } from './correlate/correlate.js'
import { makeFederationService, type FederationOptions } from './federation/federation.js'
import type { PeerClient } from './federation/ports.js'
import { makeAuthService, type AuthOptions } from './auth/auth.js'
import { makeEventBus, nameOf, type EventBusOptions } from './events/bus.js'
import { cachedCollectionReads } from './events/policy.js'
import { withFanout, type EventChannel } from './events/fanout.js'
import { makeExploreService } from './explore/explore.js'
import { makeObjectReads } from './explore/read.js'
import { makeCasesService } from './cases/cases.js'
import { makeAgreementsService } from './agreements/agreements.js'
import { makeAgreementExchange } from './agreements/exchange.js'
import { makeWebhooksService } from './webhooks/webhooks.js'
import type { AlertStore, Store } from '../store/port.js'
import { makeShareService } from './share/share.js'

/** Every service of a node, built from one set of dependencies. */
export function makeServices(
  deps: ServiceDeps & { readonly preparer?: Preparer; readonly correlation?: CorrelationOptions; readonly auth?: Partial<AuthOptions>; readonly events?: Partial<EventBusOptions> } & { readonly peerClient?: PeerClient; readonly federation?: FederationOptions } & { readonly webhooks?: { readonly allowInternalAddresses?: boolean } } & { readonly eventChannel?: EventChannel },
) {
  // What a viewer may see of one object (collection right and markings): the explorer and the event stream.
  const objectReads = makeObjectReads({ ...deps, agreementViews: (now) => agreements.activeAgreements(now) })
  // Live events (SSE): fed after commit by ingest's derive step and by correlation alerts; shared with the
  // other processes on the database through `eventChannel` (PostgreSQL LISTEN/NOTIFY) when there is one.
  const events = withFanout(makeEventBus({
    boot: deps.ids.uuid().replace(/-/g, '').slice(0, 12),
    read: {
      canReadCollection: cachedCollectionReads((c, o) => deps.store.collections.permissionOf(c, o), () => deps.clock.nowMs()),
      mayReadObject: (viewer, collectionId, json) => objectReads.mayReadObject(viewer, collectionId, json),
      mayViewCase: (viewer, caseObject) => cases.mayViewCase(viewer, caseObject),
      // An alert's event reaches a user only when the alert API would show it (the objects it names pass decide()).
      mayViewAlert: async (viewer, alertId) => (await alertService.get(viewer, alertId)).ok,
    },
    ...(deps.events ? { options: deps.events } : {}),
  }), { channel: deps.eventChannel, store: deps.store, logger: deps.logger })
  // Ingest hands committed batches to correlation, which stores its sightings through ingest.
  const ingest = makeIngestService({
    ...deps,
    // Retention of versions received from peers comes from the agreement they arrived under.
    agreementViews: (now) => agreements.activeAgreements(now),
    onAdded: (viewer, added) => {
      for (const a of added) events.publish({ kind: 'object', collectionId: a.collectionId, stixId: a.stixId, type: a.type, dateAdded: a.dateAdded, name: nameOf(a.json), json: a.json, objectSeq: a.objectSeq })
      federation.changed()
      // Case objects that arrive by any way (TAXII, peer sync) keep the case index current.
      return Promise.all([correlate.ingested(viewer, added), cases.ingested(added)])
    },
  })
  // Correlation adds its alerts outside a transaction: the alerts it added are published as they are stored.
  const alertEvents: AlertStore = {
    ...deps.store.alerts,
    add: async (alerts) => {
      const added = await deps.store.alerts.add(alerts)
      for (const a of added)
        events.publish({ kind: 'alert', orgId: a.orgId, alertId: a.id, alertKind: a.kind, indicatorId: a.indicatorId, suppressed: a.suppressed !== null })
      // Webhooks only for alerts the organisation may see (the marking policy on both objects it names).
      for (const a of added) if (a.suppressed === null && (await alertService.visibleToOrg(a).catch(() => false))) await webhooks.alertCreated(a).catch(() => 0)
      return added
    },
  }
  // The store object is frozen (a Proxy may not return another `alerts`): a view with its own `alerts` over it.
  const correlationStore = Object.create(deps.store, { alerts: { value: alertEvents, enumerable: true } }) as Store
  const correlate = makeCorrelateService({ ...deps, store: correlationStore, writer: () => ingest, agreementViews: (now) => agreements.activeAgreements(now) })
  // Alerts are read through the marking policy (the objects they name must pass decide()).
  const alertService = makeAlertService({ ...deps, agreementViews: (now) => agreements.activeAgreements(now) })
  // Joint cases: every change goes through ingest; its webhook deliveries are queued in the change's own
  // transaction (outbox), and the change reaches the live-event bus after commit.
  const cases = makeCasesService({
    ...deps,
    ingest: () => ingest,
    onEvent: (e) => events.publish(e),
    outbox: (evs) => webhooks.queueCaseEvents(evs),
  })
  // Webhooks: case changes and alerts are queued (durably) for the organisations that may see them.
  const webhooks = makeWebhooksService({
    ...deps,
    mayViewCase: (viewer, caseObject) => cases.mayViewCase(viewer, caseObject),
    ...(deps.webhooks?.allowInternalAddresses !== undefined ? { allowInternalAddresses: deps.webhooks.allowInternalAddresses } : {}),
  })
  const auth = makeAuthService({ ...deps, ...(deps.auth ? { auth: deps.auth } : {}) })
  const admin = makeAdminService(deps)
  // Sharing agreements: stored through ingest in the node-internal agreements collection.
  // A version this node signs goes at once to the other party's inbox when it is a peer, and at every
  // sync the two nodes exchange what the other has not got yet (agreements/exchange.ts).
  const agreements = makeAgreementsService({ ...deps, ingest: () => ingest, createCollection: (v, i) => admin.createCollection(v, i), deliver: (a) => agreementExchange.deliver(a) })
  const agreementExchange = makeAgreementExchange({ store: deps.store, logger: deps.logger, ...(deps.peerClient ? { peerClient: deps.peerClient } : {}), agreements: () => agreements })
  // Federation asks the policy engine under the agreements this node holds (agreements are read again at each sync and read).
  const federation = makeFederationService({ ...deps, admin, ingest, remoteLog: makeRemoteLogService(deps), agreements, exchangeAgreements: (peer) => agreementExchange.exchange(peer) })
  return {
    admin: {
      ...admin,
      // A disabled user's web sessions end for good (they do not come back when the user is enabled again).
      setUserDisabled: async (...args: Parameters<typeof admin.setUserDisabled>) => {
        const r = await admin.setUserDisabled(...args)
        if (r.ok && args[1].disabled) await auth.endSessionsOf(args[1].userId)
        return r
      },
    },
    auth,
    agreements,
    events,
    explore: makeExploreService({ ...deps, agreementViews: (now) => agreements.activeAgreements(now) }),
    cases,
    webhooks,
    ingest,
    correlate,
    alerts: alertService,
    // Sharing an object with named recipients: a new version through ingest (share/share.ts).
    share: makeShareService({ ...deps, ingest: () => ingest }),
    // A peer reading its per-peer collection gets only what decide() lets it see at the time of the read.
    objects: federation.guardObjects(makeObjectsService({ ...deps, agreementViews: (now) => agreements.activeAgreements(now) })),
    // Log entries of objects follow the marking policy (an entry of a hidden version comes as its leaf hash).
    log: makeLogService({ ...deps, agreementViews: (now) => agreements.activeAgreements(now) }),
    verifyLog: makeLogVerifier(deps),
    remoteLog: makeRemoteLogService(deps),
    federation,
  }
}

export type Services = ReturnType<typeof makeServices>
export type { ServiceDeps } from './deps.js'
