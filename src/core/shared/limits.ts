/** Every input size limit, declared once. Schemas, parsers and the HTTP layer read them from here. */
export const LIMITS = {
  /** Largest request body accepted by TAXII Add Objects and the REST API (bytes); also advertised as max_content_length. */
  maxContentLength: 16 * 1024 * 1024,
  /** Largest single STIX object in an import or a request (bytes of JSON). ATT&CK's x-mitre-collection is 2.8 MB. */
  maxObjectBytes: 16 * 1024 * 1024,
  /** Deepest JSON nesting accepted inside one STIX object. */
  maxJsonDepth: 64,
  /** Most objects in one TAXII envelope / REST bundle request. */
  maxObjectsPerRequest: 10_000,
  /** TAXII page size: default and maximum. */
  taxiiDefaultLimit: 1000,
  taxiiMaxLimit: 10_000,
  /** Most values in one match[...] filter. */
  maxFilterValues: 100,
  /** Longest STIX pattern accepted (characters). */
  maxPatternLength: 64 * 1024,
  /** Longest string property value (characters). */
  maxStringLength: 1024 * 1024,
  /** Most failures kept verbatim in a status resource or import report (the counts stay exact). */
  maxReportedFailures: 10_000,
  /** Longest names (organisation, user, collection title, token name). */
  maxNameLength: 200,
} as const
