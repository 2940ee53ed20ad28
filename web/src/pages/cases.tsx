import { useState, type FormEvent } from 'react'
import { CASE_STATUSES, CLOSE_REASONS, SEVERITIES, TLP_LEVELS } from '../../../src/core/case/model.js'
import { ApiError, get, request } from '../api.js'
import { ErrorMessage, Loading, Section } from '../components/status.js'
import { useAsync } from '../components/use-async.js'
import { formatDate, t } from '../i18n/index.js'
import { useLiveEvents } from '../live.js'
import { Link, useRouter } from '../router.js'
import { RequestsSection, type AssistanceRequest } from './case-requests.js'

interface OrgRef {
  readonly identityRef: string
  readonly orgId: string | null
  readonly name: string | null
}
interface CaseItem {
  readonly id: string
  readonly title: string
  readonly status: string
  readonly severity: string
  readonly tlp: string
  readonly lead: OrgRef
  readonly modified: string
}
interface Playbook {
  readonly id: string
  readonly title: string
  readonly description: string
  readonly severity: string
  readonly tasks: readonly unknown[]
}
interface Case extends CaseItem {
  readonly version: string
  readonly description: string | null
  readonly participants: readonly OrgRef[]
  readonly statusReason: string | null
  readonly allowedTransitions: readonly string[]
  readonly role: string
}
interface Task {
  readonly id: string
  readonly version: string
  readonly title: string
  readonly status: string
  readonly due: string | null
  readonly assignee: { kind: string; username: string | null; organisation: OrgRef | null; userId: string | null } | null
  readonly techniques: readonly { framework: string; id: string; url: string }[]
}
interface Members {
  readonly items: readonly { organisation: OrgRef; users: readonly { userId: string; username: string }[] }[]
}
interface TimelineEntry {
  readonly at: string
  readonly kind: string
  readonly objectId: string
  readonly data: Record<string, string | string[] | null>
}
interface Note {
  readonly id: string
  readonly content: string
  readonly organisation: OrgRef
  readonly authors: readonly string[]
  readonly created: string
}

/** Cases are optional on a node: a 404 on the list means the API is not there. */
async function listCases() {
  try {
    return { available: true as const, items: (await get<{ items: CaseItem[] }>('/api/v1/cases?limit=100')).items }
  } catch (e) {
    if (e instanceof ApiError && e.problem.status === 404) return { available: false as const, items: [] }
    throw e
  }
}

const orgName = (o: OrgRef | null | undefined) => (o ? (o.name ?? o.identityRef) : '—')

export function Cases() {
  const { navigate } = useRouter()
  const [cases, reload] = useAsync(listCases, [])
  const [playbooks] = useAsync(() => get<{ items: Playbook[] }>('/api/v1/playbooks').catch(() => ({ items: [] as Playbook[] })), [])
  const [orgs] = useAsync(() => get<{ items: OrgRef[] }>('/api/v1/cases/organisations').catch(() => ({ items: [] as OrgRef[] })), [])
  const [playbook, setPlaybook] = useState('')
  const [title, setTitle] = useState('')
  const [severity, setSeverity] = useState('')
  const [tlp, setTlp] = useState('amber')
  const [participants, setParticipants] = useState<string[]>([])
  const [error, setError] = useState<unknown>(null)
  useLiveEvents((e) => {
    if (e.kind === 'case' || e.kind === 'reset') reload()
  })

  async function open(e: FormEvent) {
    e.preventDefault()
    setError(null)
    const pb = playbook || (playbooks.state === 'ready' ? playbooks.value.items[0]?.id : '') || ''
    try {
      const c = await request<Case>('POST', '/api/v1/cases/from-playbook', {
        playbook: pb, ...(title ? { title } : {}), ...(severity ? { severity } : {}), tlp, ...(participants.length ? { participants } : {}),
      })
      navigate(`/cases/${encodeURIComponent(c.id)}`)
    } catch (x) {
      setError(x)
    }
  }

  if (cases.state === 'loading') return <Loading />
  if (cases.state === 'error') return <ErrorMessage error={cases.error} retry={reload} />
  if (!cases.value.available)
    return (
      <>
        <h1 tabIndex={-1}>{t.cases.title}</h1>
        <p className="notice">{t.cases.unavailable}</p>
      </>
    )
  return (
    <>
      <h1 tabIndex={-1}>{t.cases.title}</h1>
      <div className="grid">
        <Section title={t.cases.title} id="case-list">
          {cases.value.items.length === 0 ? <p className="muted">{t.cases.none}</p> : (
            <div className="table-scroll">
              <table data-testid="case-list">
                <thead>
                  <tr>
                    <th scope="col">{t.cases.caseTitle}</th>
                    <th scope="col">{t.cases.status}</th>
                    <th scope="col">{t.cases.severity}</th>
                    <th scope="col">{t.cases.lead}</th>
                    <th scope="col">{t.common.modified}</th>
                  </tr>
                </thead>
                <tbody>
                  {cases.value.items.map((c) => (
                    <tr key={c.id}>
                      <td>
                        <Link to={`/cases/${encodeURIComponent(c.id)}`}>{c.title}</Link>
                      </td>
                      <td>
                        <span className={`status status-${c.status}`}>{c.status}</span>
                      </td>
                      <td>{c.severity}</td>
                      <td>{orgName(c.lead)}</td>
                      <td>{formatDate(c.modified)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Section>
        <Section title={t.cases.openFromPlaybook} id="open-case">
          <form onSubmit={open} className="stack">
            <label htmlFor="c-playbook">{t.cases.playbook}</label>
            <select id="c-playbook" value={playbook} onChange={(e) => setPlaybook(e.target.value)}>
              {playbooks.state === 'ready'
                ? playbooks.value.items.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.title} ({p.tasks.length})
                    </option>
                  ))
                : null}
            </select>
            <label htmlFor="c-title">{t.cases.caseTitle}</label>
            <input id="c-title" maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />
            <label htmlFor="c-severity">{t.cases.severity}</label>
            <select id="c-severity" value={severity} onChange={(e) => setSeverity(e.target.value)}>
              <option value="">—</option>
              {SEVERITIES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
            <label htmlFor="c-tlp">{t.cases.tlp}</label>
            <select id="c-tlp" value={tlp} onChange={(e) => setTlp(e.target.value)}>
              {TLP_LEVELS.map((l) => (
                <option key={l} value={l}>
                  TLP:{l.toUpperCase()}
                </option>
              ))}
            </select>
            <fieldset>
              <legend>{t.cases.participants}</legend>
              {orgs.state === 'ready'
                ? orgs.value.items.map((o) => {
                    const v = o.orgId ?? o.identityRef
                    return (
                      <label key={v} className="check">
                        <input type="checkbox" checked={participants.includes(v)} onChange={(e) => setParticipants(e.target.checked ? [...participants, v] : participants.filter((x) => x !== v))} /> {orgName(o)}
                      </label>
                    )
                  })
                : null}
            </fieldset>
            {error ? <ErrorMessage error={error} /> : null}
            <button type="submit" className="primary">
              {t.cases.open}
            </button>
          </form>
        </Section>
      </div>
    </>
  )
}

/** `canWrite`: the user's role lets them write (not read-only); the node checks again on every change. */
export function CaseDetail({ id, canWrite = true }: { id: string; canWrite?: boolean }) {
  const base = `/api/v1/cases/${encodeURIComponent(id)}`
  const [data, reload] = useAsync(async () => {
    const [c, tasks, members, timeline, notes, requests] = await Promise.all([
      get<{ case: Case }>(base),
      get<{ items: Task[] }>(`${base}/tasks`),
      get<Members>(`${base}/members`),
      get<{ items: TimelineEntry[] }>(`${base}/timeline`),
      get<{ items: Note[] }>(`${base}/notes`),
      get<{ items: AssistanceRequest[] }>(`${base}/requests`),
    ])
    return { c: c.case, tasks: tasks.items, members: members.items, timeline: timeline.items, notes: notes.items, requests: requests.items }
  }, [id])
  const [note, setNote] = useState('')
  const [status, setStatus] = useState('')
  const [reason, setReason] = useState('')
  const [closeReason, setCloseReason] = useState<string>(CLOSE_REASONS[0])
  const [error, setError] = useState<unknown>(null)
  useLiveEvents((e) => {
    if ((e.kind === 'case' && e.data.caseId === id) || e.kind === 'reset') reload()
  })

  async function act(fn: () => Promise<unknown>) {
    setError(null)
    try {
      await fn()
      reload()
    } catch (x) {
      setError(x)
    }
  }

  if (data.state === 'loading') return <Loading />
  if (data.state === 'error')
    return (
      <>
        <h1 tabIndex={-1}>{t.cases.title}</h1>
        <ErrorMessage error={data.error} retry={reload} />
      </>
    )
  const { c, tasks, members, timeline, notes, requests } = data.value
  const ifMatch = (v: string) => ({ 'if-match': `"${v}"` })
  const assignees = members.flatMap((m) => [
    { value: `org:${m.organisation.orgId ?? m.organisation.identityRef}`, label: orgName(m.organisation) },
    ...m.users.map((u) => ({ value: `user:${u.userId}`, label: `${u.username} (${orgName(m.organisation)})` })),
  ])
  const target = status || c.allowedTransitions[0] || ''
  // Timeline values that are ids of organisations or requests in this case are shown by name.
  const names = new Map<string, string>([
    ...[c.lead, ...c.participants, ...members.map((m) => m.organisation)].map((o): [string, string] => [o.identityRef, orgName(o)]),
    ...requests.map((r): [string, string] => [r.id, t.cases.requestKinds[r.kind] ?? r.kind]),
  ])
  const shown = (k: string, v: string) => names.get(v) ?? (k === 'kind' ? (t.cases.requestKinds[v] ?? v) : v)

  return (
    <>
      <div className="object-head">
        <span className={`tlp tlp-${c.tlp.replace('+', '-')} tlp-large`}>TLP:{c.tlp.toUpperCase()}</span>
        <h1 tabIndex={-1}>{c.title}</h1>
        <p>
          <span className={`status status-${c.status}`} data-testid="case-status">
            {c.status}
          </span>{' '}
          · {t.cases.severity}: {c.severity} · {t.cases.lead}: {orgName(c.lead)} · {t.cases.participants}: {c.participants.map(orgName).join(', ') || '—'}
        </p>
      </div>
      {c.description ? <p className="description">{c.description}</p> : null}
      {error ? <ErrorMessage error={error} /> : null}

      {c.allowedTransitions.length > 0 ? (
        <Section title={t.cases.changeStatus} id="status">
          <form
            className="filters"
            onSubmit={(e) => {
              e.preventDefault()
              void act(async () => {
                await request('PATCH', base, { status: target, ...(reason ? { reason } : {}), ...(target === 'closed' ? { closeReason } : {}) }, { headers: ifMatch(c.version) })
                setStatus('')
                setReason('')
              })
            }}
          >
            <div className="field">
              <label htmlFor="cs-status">{t.cases.status}</label>
              <select id="cs-status" value={target} onChange={(e) => setStatus(e.target.value)}>
                {c.allowedTransitions.map((s) => (
                  <option key={s}>{s}</option>
                ))}
              </select>
            </div>
            <div className="field wide">
              <label htmlFor="cs-reason">{t.cases.reason}</label>
              <input id="cs-reason" maxLength={1000} value={reason} onChange={(e) => setReason(e.target.value)} />
            </div>
            {target === 'closed' ? (
              <div className="field">
                <label htmlFor="cs-close">{t.cases.reason} (closed)</label>
                <select id="cs-close" value={closeReason} onChange={(e) => setCloseReason(e.target.value)}>
                  {CLOSE_REASONS.map((r) => (
                    <option key={r}>{r}</option>
                  ))}
                </select>
              </div>
            ) : null}
            <div className="actions">
              <button type="submit" className="primary">
                {t.cases.apply}
              </button>
            </div>
          </form>
        </Section>
      ) : null}

      <Section title={t.cases.tasks} id="tasks">
        <div className="table-scroll">
          <table data-testid="task-table">
            <thead>
              <tr>
                <th scope="col">{t.cases.caseTitle}</th>
                <th scope="col">{t.cases.assignee}</th>
                <th scope="col">{t.cases.due}</th>
                <th scope="col">{t.cases.status}</th>
              </tr>
            </thead>
            <tbody>
              {tasks.map((task) => (
                <tr key={task.id} data-testid="task-row">
                  <td>
                    {task.title}
                    <div className="small">
                      {task.techniques.map((x) => (
                        <a key={x.id} href={x.url} target="_blank" rel="noreferrer noopener" className="chip">
                          {x.id}
                        </a>
                      ))}
                    </div>
                  </td>
                  <td>
                    <label className="visually-hidden" htmlFor={`as-${task.id}`}>
                      {t.cases.assignee}: {task.title}
                    </label>
                    <select
                      id={`as-${task.id}`}
                      value={task.assignee ? (task.assignee.userId ? `user:${task.assignee.userId}` : `org:${task.assignee.organisation?.orgId ?? task.assignee.organisation?.identityRef ?? ''}`) : ''}
                      disabled={c.role === 'participant'}
                      onChange={(e) => {
                        const v = e.target.value
                        const assignee = v === '' ? null : v.startsWith('user:') ? { userId: v.slice(5) } : { organisation: v.slice(4) }
                        void act(() => request('POST', `${base}/tasks/${encodeURIComponent(task.id)}/assign`, { assignee }, { headers: ifMatch(task.version) }))
                      }}
                    >
                      <option value="">{t.cases.nobody}</option>
                      {assignees.map((a) => (
                        <option key={a.value} value={a.value}>
                          {a.label}
                        </option>
                      ))}
                    </select>
                    <div className="small muted" data-testid="task-assignee">
                      {task.assignee ? (task.assignee.username ?? orgName(task.assignee.organisation)) : ''}
                    </div>
                  </td>
                  <td>{formatDate(task.due)}</td>
                  <td>
                    <span className={`status status-${task.status}`}>{task.status}</span>
                    {task.status !== 'done' && task.status !== 'cancelled' ? (
                      <button type="button" className="small-button" onClick={() => void act(() => request('POST', `${base}/tasks/${encodeURIComponent(task.id)}/complete`, {}, { headers: ifMatch(task.version) }))}>
                        {t.cases.complete}
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>

      <RequestsSection base={base} role={c.role} canWrite={canWrite} requests={requests} act={act} />

      <div className="grid">
        <Section title={t.cases.addNote} id="notes">
          <form
            className="stack"
            onSubmit={(e) => {
              e.preventDefault()
              void act(async () => {
                await request('POST', `${base}/notes`, { content: note })
                setNote('')
              })
            }}
          >
            <label htmlFor="n-text">{t.cases.noteText}</label>
            <textarea id="n-text" required maxLength={10000} rows={3} value={note} onChange={(e) => setNote(e.target.value)} />
            <button type="submit" className="primary">
              {t.cases.post}
            </button>
          </form>
          <ul className="list" data-testid="notes">
            {notes.map((n) => (
              <li key={n.id}>
                <p>{n.content}</p>
                <span className="muted small">
                  {orgName(n.organisation)} · {formatDate(n.created)}
                </span>
              </li>
            ))}
          </ul>
        </Section>
        <Section title={t.cases.timeline} id="timeline">
          <ol className="timeline" data-testid="timeline">
            {timeline.map((e, i) => (
              <li key={`${e.at}-${i}`}>
                <time dateTime={e.at}>{formatDate(e.at)}</time> <strong>{t.cases.timelineKinds[e.kind] ?? e.kind.replace(/_/g, ' ')}</strong>
                <span className="muted small"> {Object.entries(e.data).filter(([, v]) => v !== null && v !== '').map(([k, v]) => `${k}: ${Array.isArray(v) ? v.map((x) => shown(k, x)).join(', ') : shown(k, v as string)}`).join(' · ')}</span>
              </li>
            ))}
          </ol>
        </Section>
      </div>
      <p className="muted small">{CASE_STATUSES.join(' → ')}</p>
    </>
  )
}
