/**
 * Binding repositories to a connection or a transaction, the Result-aware transaction runner, and the
 * guards that turn misuse (nested transactions, root calls from inside a transaction, a `Tx` used after
 * its transaction ended) into immediate errors instead of deadlocks or writes outside the transaction.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { Kysely, KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely'
import type { DomainError } from '../../core/shared/errors.js'
import type { Result } from '../../core/shared/result.js'
import type { TransactionOptions, Tx } from '../port.js'
import type { StoreDialect } from './dialect.js'
import type { DB } from './schema.js'
import type { RepoContext } from './repos/context.js'
import { makeAlertRepo } from './repos/alerts.js'
import { makeCaseRepo } from './repos/cases.js'
import { makeWebhookRepo } from './repos/webhooks.js'
import { makeAuditRepo } from './repos/audit.js'
import { makeCollectionRepo } from './repos/collections.js'
import { makeJobRepo } from './repos/jobs.js'
import { makeLogRepo } from './repos/log.js'
import { makeMetaRepo } from './repos/meta.js'
import { makeObjectRepo } from './repos/objects.js'
import { makeOrgRepo } from './repos/orgs.js'
import { makeStatusRepo } from './repos/statuses.js'
import { makeTokenRepo } from './repos/tokens.js'
import { makeUserRepo } from './repos/users.js'
import { makeWitnessRepo } from './repos/witness.js'
import { makePeerRepo } from './repos/peers.js'
import { makeSearchRepo } from './repos/search.js'
import { makeSessionRepo } from './repos/sessions.js'

/** Runs a check before every query built on the Kysely instance it is attached to. */
class GuardPlugin implements KyselyPlugin {
  constructor(private readonly check: () => void) {}
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.check()
    return args.node
  }
  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result)
  }
}

/** The private sentinel that carries an `err` Result out of Kysely's transaction callback. */
class Rollback {
  constructor(readonly result: { readonly ok: false; readonly error: DomainError }) {}
}

export function makeRepos(ctx: RepoContext): Tx {
  return {
    orgs: makeOrgRepo(ctx),
    users: makeUserRepo(ctx),
    tokens: makeTokenRepo(ctx),
    collections: makeCollectionRepo(ctx),
    objects: makeObjectRepo(ctx),
    statuses: makeStatusRepo(ctx),
    jobs: makeJobRepo(ctx),
    meta: makeMetaRepo(ctx),
    log: makeLogRepo(ctx),
    witness: makeWitnessRepo(ctx),
    audit: makeAuditRepo(ctx),
    alerts: makeAlertRepo(ctx),
    peers: makePeerRepo(ctx),
    sessions: makeSessionRepo(ctx),
    search: makeSearchRepo(ctx),
    cases: makeCaseRepo(ctx),
    webhooks: makeWebhookRepo(ctx),
  }
}

/** The transaction machinery of one store. */
export function makeTransactions(dialect: StoreDialect): {
  /** Repositories on the root instance (outside any transaction). */
  readonly root: Tx
  /** Throws when called inside one of this store's transactions. */
  readonly assertOutsideTransaction: (what: string) => void
  transaction<T>(fn: (tx: Tx) => Promise<Result<T, DomainError>>, opts?: TransactionOptions): Promise<Result<T, DomainError>>
} {
  // Set for the async context of a transaction callback. A mutable flag (not just presence) so that
  // work the callback leaves running after the transaction ended is not mistaken for being inside it.
  const current = new AsyncLocalStorage<{ open: boolean }>()
  const assertOutsideTransaction = (what: string) => {
    if (current.getStore()?.open)
      throw new Error(
        `store: ${what} was called inside store.transaction(); use the tx passed to the callback ` +
          '(on SQLite this call would wait for the transaction forever)',
      )
  }

  const runTransaction = <T>(fn: (trx: Kysely<DB>) => Promise<T>, opts?: TransactionOptions): Promise<T> => {
    if (opts?.durability !== 'relaxed') return dialect.exclusive(() => dialect.db.transaction().execute(fn))
    const { wrap, begin } = dialect.relaxed
    const body = (trx: Kysely<DB>) => (begin ? begin(trx).then(() => fn(trx)) : fn(trx))
    const run = () => dialect.db.transaction().execute(body)
    return dialect.exclusive(() => (wrap ? wrap(run) : run()))
  }

  const rootDb = dialect.db.withPlugin(new GuardPlugin(() => assertOutsideTransaction('a store method')))
  const root = makeRepos({
    db: rootDb,
    dialect,
    atomic: async (fn) => {
      assertOutsideTransaction('a store method')
      return runTransaction(fn)
    },
    inTransaction: false,
  })

  async function transaction<T>(fn: (tx: Tx) => Promise<Result<T, DomainError>>, opts?: TransactionOptions): Promise<Result<T, DomainError>> {
    assertOutsideTransaction('store.transaction (nested transactions are not supported)')
    const flag = { open: true }
    const assertOpen = () => {
      if (!flag.open) throw new Error('store: a Tx was used after its transaction ended')
    }
    try {
      return await current.run(flag, () =>
        runTransaction(async (trx) => {
          const db = trx.withPlugin(new GuardPlugin(assertOpen))
          const tx = makeRepos({
            db,
            dialect,
            atomic: async (f) => {
              assertOpen()
              return f(db)
            },
            inTransaction: true,
          })
          try {
            const r = await fn(tx)
            if (!r.ok) throw new Rollback(r)
            return r
          } finally {
            flag.open = false
          }
        }, opts),
      )
    } catch (e) {
      if (e instanceof Rollback) return e.result
      throw e
    }
  }

  return { root, assertOutsideTransaction, transaction }
}
