/** The events of the live event bus (bus.ts), and what the read policy (policy.ts) decides on. */
/** What an event says. Only ids and short labels: the client fetches the thing through the API. */
export type EventBody =
  | {
      readonly kind: 'object'
      readonly collectionId: string
      readonly stixId: string
      readonly type: string
      readonly dateAdded: string
      /** The object's `name`, when it has one (at most 200 characters). */
      readonly name: string | null
      /** The object's canonical JSON, for the read decision (markings); never sent to clients. */
      readonly json?: string
      /** The stored version's sequence number: how another process loads it (fanout.ts). */
      readonly objectSeq?: number
    }
  | {
      readonly kind: 'alert'
      readonly orgId: string
      readonly alertId: string
      readonly alertKind: string
      readonly indicatorId: string
      readonly suppressed: boolean
    }
  | {
      readonly kind: 'case'
      readonly caseId: string
      /** What changed: `created`, `updated`, `task`, `note`, … (the cases service says). */
      readonly change: string
      /** The case object the decision is made on (not sent to clients). */
      readonly caseObject: Readonly<Record<string, unknown>>
    }
