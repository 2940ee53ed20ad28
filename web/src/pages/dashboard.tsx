import { ApiError, collections, get, labelOf, qs, type AlertView, type SearchPage, type StixObject } from '../api.js'
import { ErrorMessage, Loading, Section } from '../components/status.js'
import { TlpBadge } from '../components/tlp-badge.js'
import { useAsync } from '../components/use-async.js'
import { ELECTIONS_AS_OF, upcoming } from '../data/elections.js'
import { formatDate, t } from '../i18n/index.js'
import { useLiveEvents } from '../live.js'
import { Link } from '../router.js'

async function recentIntelligence(): Promise<{ object: StixObject; collectionId: string }[]> {
  const cols = (await collections()).filter((c) => c.canRead)
  const pages = await Promise.all(cols.map(async (c) => ({ c, page: await get<SearchPage>(`/api/v1/collections/${encodeURIComponent(c.id)}/search${qs({ limit: 40 })}`) })))
  // Newest first in each collection (the order they were added); relationships are left to the explorer.
  const lists = pages.map(({ c, page }) => page.items.filter((o) => o.type !== 'relationship').map((object) => ({ object, collectionId: c.id })))
  const out: { object: StixObject; collectionId: string }[] = []
  for (let i = 0; out.length < 10 && lists.some((l) => i < l.length); i++) for (const l of lists) if (l[i] && out.length < 10) out.push(l[i] as (typeof out)[number])
  return out
}

/** A list that is unavailable (404) or forbidden (403) on this node is shown as such, not as an error. */
async function optional<T>(path: string): Promise<{ kind: 'ok'; value: T } | { kind: 'missing' } | { kind: 'forbidden' }> {
  try {
    return { kind: 'ok', value: await get<T>(path) }
  } catch (e) {
    if (e instanceof ApiError && e.problem.status === 404) return { kind: 'missing' }
    if (e instanceof ApiError && e.problem.status === 403) return { kind: 'forbidden' }
    throw e
  }
}

interface CaseSummary {
  readonly id: string
  readonly title: string
  readonly status: string
  readonly severity?: string
}

export function Dashboard({ isAdmin }: { isAdmin: boolean }) {
  const [recent, reloadRecent] = useAsync(recentIntelligence, [])
  const [alerts, reloadAlerts] = useAsync(() => get<{ items: AlertView[] }>('/api/v1/alerts?limit=8'), [])
  const [cases, reloadCases] = useAsync(() => optional<{ items: CaseSummary[] }>('/api/v1/cases?limit=8&status=new,triage,active,contained'), [])
  // Partner connections are for administrators; other users see the placeholder without asking.
  const [peers] = useAsync(
    () => (isAdmin ? optional<{ items: { id: string; name?: string; url: string; status: string; lastSyncAt?: string | null }[] }>('/api/v1/peers') : Promise.resolve({ kind: 'forbidden' as const })),
    [isAdmin],
  )
  useLiveEvents((e) => {
    if (e.kind === 'object' || e.kind === 'reset') reloadRecent()
    if (e.kind === 'alert' || e.kind === 'reset') reloadAlerts()
    if (e.kind === 'case' || e.kind === 'reset') reloadCases()
  })
  const elections = upcoming(new Date())
  const now = Date.now()

  return (
    <>
      <h1 tabIndex={-1}>{t.dashboard.title}</h1>
      <div className="grid">
        <Section title={t.dashboard.recent} id="recent">
          {recent.state === 'loading' ? <Loading /> : recent.state === 'error' ? <ErrorMessage error={recent.error} retry={reloadRecent} /> : recent.value.length === 0 ? (
            <p className="muted">{t.common.none}</p>
          ) : (
            <ul className="list" data-testid="recent-list">
              {recent.value.map(({ object, collectionId }) => (
                <li key={`${collectionId}/${object.id}`}>
                  <TlpBadge object={object} />{' '}
                  <Link to={`/objects/${encodeURIComponent(collectionId)}/${encodeURIComponent(object.id)}`}>{labelOf(object)}</Link>
                  <span className="muted small"> · {object.type}</span>
                </li>
              ))}
            </ul>
          )}
        </Section>

        <Section title={t.dashboard.alerts} id="alerts">
          {alerts.state === 'loading' ? <Loading /> : alerts.state === 'error' ? <ErrorMessage error={alerts.error} retry={reloadAlerts} /> : alerts.value.items.length === 0 ? (
            <p className="muted">{t.dashboard.noAlerts}</p>
          ) : (
            <ul className="list">
              {alerts.value.items.map((a) => (
                <li key={a.id} className={a.readAt ? '' : 'unread'}>
                  <strong>{a.kind === 'indicator_sighted' ? t.dashboard.alertSighted : t.dashboard.alertMatched}</strong>
                  {a.value ? <code> {a.value}</code> : null}
                  <span className="muted small"> · {formatDate(a.createdAt)}</span>
                </li>
              ))}
            </ul>
          )}
        </Section>

        <Section title={t.dashboard.cases} id="cases">
          {cases.state === 'loading' ? <Loading /> : cases.state === 'error' ? <ErrorMessage error={cases.error} retry={reloadCases} /> : cases.value.kind !== 'ok' ? (
            <p className="muted">{t.dashboard.casesUnavailable}</p>
          ) : cases.value.value.items.length === 0 ? (
            <p className="muted">{t.dashboard.noCases}</p>
          ) : (
            <ul className="list">
              {cases.value.value.items.map((c) => (
                <li key={c.id}>
                  <Link to={`/cases/${encodeURIComponent(c.id)}`}>{c.title}</Link> <span className={`status status-${c.status}`}>{c.status}</span>
                </li>
              ))}
            </ul>
          )}
        </Section>

        <Section title={t.dashboard.partners} id="partners">
          {peers.state === 'loading' ? <Loading /> : peers.state === 'error' || peers.value.kind === 'missing' ? (
            <p className="muted" data-testid="partners-placeholder">{t.dashboard.partnersPlaceholder}</p>
          ) : peers.value.kind === 'forbidden' ? (
            <p className="muted">{t.dashboard.partnersForbidden}</p>
          ) : (
            <ul className="list">
              {peers.value.value.items.map((p) => (
                <li key={p.id}>
                  {p.name ?? p.url} <span className={`status status-${p.status}`}>{p.status}</span>
                  {p.lastSyncAt ? <span className="muted small"> · {formatDate(p.lastSyncAt)}</span> : null}
                </li>
              ))}
            </ul>
          )}
        </Section>

        <Section title={t.dashboard.elections} id="elections" wide>
          <p className="muted small">{t.dashboard.electionsNote(ELECTIONS_AS_OF)}</p>
          <table>
            <thead>
              <tr>
                <th scope="col">{t.common.name}</th>
                <th scope="col">{t.common.date}</th>
                <th scope="col">{t.dashboard.source}</th>
              </tr>
            </thead>
            <tbody>
              {elections.map((e) => {
                const active = now >= e.windowFrom.getTime() && now <= e.windowTo.getTime()
                return (
                  <tr key={`${e.iso}-${e.date}`} className={active ? 'alert-window' : ''}>
                    <td>
                      <strong>{e.country}</strong> — {e.election}
                      {active ? <span className="status status-active"> {t.dashboard.inWindow}</span> : null}
                      <div className="muted small">{t.dashboard.window(formatDate(e.windowFrom.toISOString(), false), formatDate(e.windowTo.toISOString(), false))}</div>
                    </td>
                    <td>
                      {e.kind === 'dueBy' ? `${t.dashboard.dueBy} ` : ''}
                      {formatDate(`${e.date}T12:00:00Z`, false)}
                    </td>
                    <td className="small" title={e.rule}>
                      <a href={e.source.split(' ')[0]} rel="noreferrer noopener" target="_blank">
                        {e.source.split(' ').slice(1).join(' ').replace(/^\((.*)\)$/, '$1') || e.source}
                      </a>
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </Section>
      </div>
    </>
  )
}
