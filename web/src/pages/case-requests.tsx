/**
 * Requests for assistance on the case page: the lead asks partners for a kind of help, a participating
 * organisation offers, the lead accepts or declines (POST /api/v1/cases/{id}/requests, …/offers,
 * …/decision). The list is reloaded by the case page on its live `case` events.
 */
import { useState } from 'react'
import { REQUEST_KINDS } from '../../../src/core/case/model.js'
import { request } from '../api.js'
import { Section } from '../components/status.js'
import { formatDate, t } from '../i18n/index.js'

export interface OrgRef {
  readonly identityRef: string
  readonly orgId: string | null
  readonly name: string | null
}
export interface Offer {
  readonly id: string
  readonly requestId: string
  readonly organisation: OrgRef
  readonly description: string
  readonly status: string
  readonly decisionReason: string | null
  readonly created: string
}
export interface AssistanceRequest {
  readonly id: string
  readonly kind: string
  readonly description: string
  readonly status: string
  readonly created: string
  readonly offers: readonly Offer[]
}

const orgName = (o: OrgRef) => o.name ?? o.identityRef
const kindLabel = (k: string) => t.cases.requestKinds[k] ?? k

/**
 * `role`: the viewer's organisation's role in the case; `canWrite`: the user may write at all (not
 * read-only). `act` runs a change, shows its error and reloads the page's data.
 */
export function RequestsSection({ base, role, canWrite, requests, act }: {
  base: string
  role: string
  canWrite: boolean
  requests: readonly AssistanceRequest[]
  act: (fn: () => Promise<unknown>) => Promise<void>
}) {
  const runs = canWrite && (role === 'lead' || role === 'admin')
  const offers = canWrite && role === 'participant'
  const [kind, setKind] = useState<string>(REQUEST_KINDS[0])
  const [description, setDescription] = useState('')
  const [offerText, setOfferText] = useState<Record<string, string>>({})
  const [reasons, setReasons] = useState<Record<string, string>>({})

  return (
    <Section title={t.cases.requests} id="requests">
      {runs ? (
        <form
          className="stack"
          aria-labelledby="ask-heading"
          onSubmit={(e) => {
            e.preventDefault()
            void act(async () => {
              await request('POST', `${base}/requests`, { kind, description })
              setDescription('')
            })
          }}
        >
          <h3 id="ask-heading">{t.cases.askForHelp}</h3>
          <label htmlFor="rq-kind">{t.cases.requestKind}</label>
          <select id="rq-kind" value={kind} onChange={(e) => setKind(e.target.value)}>
            {REQUEST_KINDS.map((k) => (
              <option key={k} value={k}>
                {kindLabel(k)}
              </option>
            ))}
          </select>
          <label htmlFor="rq-description">{t.cases.requestDescription}</label>
          <textarea id="rq-description" required maxLength={10000} rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />
          <button type="submit" className="primary">
            {t.cases.ask}
          </button>
        </form>
      ) : null}
      {requests.length === 0 ? <p className="muted">{t.cases.noRequests}</p> : null}
      <ul className="list" data-testid="requests">
        {requests.map((r) => (
          <li key={r.id} data-testid="request" aria-labelledby={`rq-h-${r.id}`}>
            <h3 id={`rq-h-${r.id}`}>
              {kindLabel(r.kind)} <span className={`status status-${r.status}`}>{t.cases.requestStatuses[r.status] ?? r.status}</span>
            </h3>
            <p className="description">{r.description}</p>
            <p className="muted small">{formatDate(r.created)}</p>
            <h4>{t.cases.offers}</h4>
            {r.offers.length === 0 ? <p className="muted small">{t.cases.noOffers}</p> : null}
            <ul className="list" data-testid="offers">
              {r.offers.map((o) => (
                <li key={o.id} data-testid="offer">
                  <p>{o.description}</p>
                  <span className="muted small">{t.cases.offeredBy(orgName(o.organisation), formatDate(o.created))}</span>{' '}
                  <span className={`status status-${o.status}`} data-testid="offer-status">
                    {t.cases.offerStatuses[o.status] ?? o.status}
                  </span>
                  {o.decisionReason ? <p className="small">{t.cases.decisionReasonShown(o.decisionReason)}</p> : null}
                  {runs && o.status === 'pending' && r.status === 'open' ? (
                    <div className="filters">
                      <div className="field wide">
                        <label htmlFor={`dr-${o.id}`}>{t.cases.decisionReason(orgName(o.organisation))}</label>
                        <input id={`dr-${o.id}`} maxLength={1000} value={reasons[o.id] ?? ''} onChange={(e) => setReasons({ ...reasons, [o.id]: e.target.value })} />
                      </div>
                      <div className="actions">
                        {(['accept', 'decline'] as const).map((decision) => (
                          <button
                            key={decision}
                            type="button"
                            className={decision === 'accept' ? 'primary' : undefined}
                            aria-label={decision === 'accept' ? t.cases.acceptOffer(orgName(o.organisation)) : t.cases.declineOffer(orgName(o.organisation))}
                            onClick={() => {
                              const reason = reasons[o.id]
                              void act(() => request('POST', `${base}/offers/${encodeURIComponent(o.id)}/decision`, { decision, ...(reason ? { reason } : {}) }))
                            }}
                          >
                            {decision === 'accept' ? t.cases.accept : t.cases.decline}
                          </button>
                        ))}
                      </div>
                    </div>
                  ) : null}
                </li>
              ))}
            </ul>
            {offers && r.status === 'open' ? (
              <form
                className="stack"
                onSubmit={(e) => {
                  e.preventDefault()
                  void act(async () => {
                    await request('POST', `${base}/requests/${encodeURIComponent(r.id)}/offers`, { description: offerText[r.id] ?? '' })
                    setOfferText((m) => ({ ...m, [r.id]: '' }))
                  })
                }}
              >
                <label htmlFor={`of-${r.id}`}>{t.cases.yourOffer(kindLabel(r.kind))}</label>
                <textarea id={`of-${r.id}`} required maxLength={10000} rows={2} value={offerText[r.id] ?? ''} onChange={(e) => setOfferText({ ...offerText, [r.id]: e.target.value })} />
                <button type="submit">{t.cases.offerHelp}</button>
              </form>
            ) : null}
          </li>
        ))}
      </ul>
    </Section>
  )
}
