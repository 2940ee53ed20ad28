import type { ServiceDeps } from './deps.js'
import { makeAdminService } from './admin/admin.js'
import { makeIngestService } from './pipeline/ingest.js'
import type { Preparer } from './pipeline/preparer.js'
import { makeObjectsService } from './share/objects.js'
import { makeLogService } from './log/log.js'
import { makeLogVerifier } from './log/verify.js'
import { makeRemoteLogService } from './log/remote.js'

/** Every service of a node, built from one set of dependencies. */
export function makeServices(deps: ServiceDeps & { readonly preparer?: Preparer }) {
  return {
    admin: makeAdminService(deps),
    ingest: makeIngestService(deps),
    objects: makeObjectsService(deps),
    log: makeLogService(deps),
    verifyLog: makeLogVerifier(deps),
    remoteLog: makeRemoteLogService(deps),
  }
}

export type Services = ReturnType<typeof makeServices>
export type { ServiceDeps } from './deps.js'
