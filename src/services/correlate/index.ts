export { CORRELATION_ACTOR, CORRELATION_LIMITS, SCO_TYPES, SIGHTING_NAMESPACE, makeCorrelateService } from './correlate.js'
export type { CorrelateService, CorrelationOptions, CorrelationSummary } from './correlate.js'
export { decodeAlertCursor, encodeAlertCursor, makeAlertService } from './alerts.js'
export type { AlertService, AlertView } from './alerts.js'
