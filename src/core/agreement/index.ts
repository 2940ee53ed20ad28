/** Sharing agreements: the STIX model, strict validation, signing and lifecycle, and the policy view. Pure. */
export * from './model.js'
export * from './validate.js'
export * from './fingerprint.js'
export * from './sign.js'
export * from './view.js'
