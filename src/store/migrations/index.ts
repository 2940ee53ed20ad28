/**
 * The static list of migrations, in order. A static list (not a folder glob) survives bundling.
 * Forward-only: never edit a released migration; add the next one.
 */
import { init } from './0001-init.js'
import { translog } from './0002-translog.js'
import { alerts } from './0003-alerts.js'
import { federation } from './0004-federation.js'
import { web } from './0005-web.js'
import { cases } from './0006-cases.js'
import { audience } from './0007-audience.js'
import { orgPolicy } from './0008-org-policy.js'
import type { StoreMigration } from './types.js'

export type { StoreMigration } from './types.js'

export const MIGRATIONS: readonly StoreMigration[] = [init, translog, alerts, federation, web, cases, audience, orgPolicy]
