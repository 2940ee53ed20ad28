/**
 * The STIX 2.1 model of Entente: validation, RFC 8785 canonical JSON, identifiers (UUIDv5, SCO
 * deterministic ids), timestamps and the type/vocabulary definitions. Pure and browser-safe.
 */
export { canonicalize } from './canonical.js'
export { SCO_ID_CONTRIBUTING_PROPERTIES, SCO_ID_NAMESPACE, deterministicScoId, idType, isStixId, isUuid, uuidVersion, uuidv5 } from './id.js'
export { sha1, sha1Hex, utf8Bytes } from './sha1.js'
export type { ParsedStixTimestamp } from './time.js'
export { compareParsedTimestamps, parseStixTimestamp, stixTimestampFromStored, storedTimestampFromMs, toStoredTimestamp } from './time.js'
export type { StixCategory } from './types.js'
export { META_TYPES, PREDEFINED_EXTENSIONS, SCO_TYPES, SDO_TYPES, SRO_TYPES, isValidTypeName, stixCategory } from './types.js'
export type { EnumerationName, OpenVocabularyName } from './vocab.js'
export { ENUMERATIONS, OPEN_VOCABULARIES } from './vocab.js'
export { STIX_EXAMPLES } from './examples.js'
export { TLP1_MARKINGS, TLP2_EXTENSION_ID, TLP2_MARKINGS } from './defs-meta.js'
export type { StixObject, StixValidation } from './validate.js'
export { validateBundle, validateStixObject } from './validate.js'
