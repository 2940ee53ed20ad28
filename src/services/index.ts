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

/** Every service of a node, built from one set of dependencies. */
export function makeServices(deps: ServiceDeps & { readonly preparer?: Preparer; readonly correlation?: CorrelationOptions }) {
  // Ingest hands committed batches to correlation, which stores its sightings through ingest.
  const ingest = makeIngestService({ ...deps, onAdded: (viewer, added) => correlate.ingested(viewer, added) })
  const correlate = makeCorrelateService({ ...deps, writer: () => ingest })
  return {
    admin: makeAdminService(deps),
    ingest,
    correlate,
    alerts: makeAlertService(deps),
    objects: makeObjectsService(deps),
    log: makeLogService(deps),
    verifyLog: makeLogVerifier(deps),
    remoteLog: makeRemoteLogService(deps),
  }
}

export type Services = ReturnType<typeof makeServices>
export type { ServiceDeps } from './deps.js'
