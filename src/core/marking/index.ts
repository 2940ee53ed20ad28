/** Markings: TLP 2.0 (and TLP 1.0 mapped onto it), PAP, named recipients, granular markings and redaction. Pure. */
export * from './tlp.js'
export * from './pap.js'
export * from './effective.js'
export * from './recipients.js'
export * from './granular.js'
