import { useEffect, useState, type FormEvent } from 'react'
import { TLP2_IDS, TLP_LEVELS } from '../../../src/core/marking/tlp.js'
import { collections, get, labelOf, qs, type CollectionView, type SearchPage, type StixObject } from '../api.js'
import { ErrorMessage, Loading } from '../components/status.js'
import { TlpBadge } from '../components/tlp-badge.js'
import { useAsync } from '../components/use-async.js'
import { formatDate, t } from '../i18n/index.js'
import { useLiveEvents } from '../live.js'
import { Link, useRouter } from '../router.js'

const TYPES = [
  'attack-pattern', 'campaign', 'course-of-action', 'grouping', 'identity', 'incident', 'indicator', 'infrastructure', 'intrusion-set', 'location', 'malware',
  'malware-analysis', 'note', 'observed-data', 'opinion', 'relationship', 'report', 'sighting', 'threat-actor', 'tool', 'vulnerability',
  'domain-name', 'ipv4-addr', 'ipv6-addr', 'url', 'file', 'email-addr',
]

const FIELDS = ['collection', 'text', 'type', 'marking', 'source', 'from', 'to'] as const
type Filters = Record<(typeof FIELDS)[number], string>

function filtersFrom(q: URLSearchParams): Filters {
  const f = {} as Filters
  for (const k of FIELDS) f[k] = q.get(k) ?? ''
  return f
}

/** A date input (YYYY-MM-DD) as the start of that day in UTC. */
const dayStart = (d: string) => (d ? `${d}T00:00:00Z` : undefined)

export function Explorer() {
  const { location, navigate } = useRouter()
  const applied = filtersFrom(location.query)
  const [draft, setDraft] = useState<Filters>(applied)
  const [cols] = useAsync(collections, [])
  const readable: CollectionView[] = cols.state === 'ready' ? cols.value.filter((c) => c.canRead) : []
  const collection = applied.collection || readable[0]?.id || ''
  const [items, setItems] = useState<StixObject[]>([])
  const [cursor, setCursor] = useState<string | undefined>()
  const [state, setState] = useState<'idle' | 'loading' | 'error'>('idle')
  const [error, setError] = useState<unknown>(null)
  const [fresh, setFresh] = useState(0)
  const key = JSON.stringify({ ...applied, collection })

  async function load(after?: string) {
    if (!collection) return
    setState('loading')
    try {
      const page = await get<SearchPage>(
        `/api/v1/collections/${encodeURIComponent(collection)}/search${qs({
          text: applied.text, type: applied.type, marking: applied.marking, source: applied.source, from: dayStart(applied.from), to: dayStart(applied.to), limit: 50, cursor: after,
        })}`,
      )
      setItems((prev) => (after ? [...prev, ...page.items] : [...page.items]))
      setCursor(page.nextCursor)
      setState('idle')
    } catch (e) {
      setError(e)
      setState('error')
    }
  }

  useEffect(() => {
    setDraft(filtersFrom(location.query))
    setFresh(0)
    void load()
  }, [key])

  useLiveEvents((e) => {
    if (e.kind === 'object' && e.data.collectionId === collection) setFresh((n) => n + 1)
  })

  function submit(e: FormEvent) {
    e.preventDefault()
    navigate(`/explorer${qs({ ...draft, collection: draft.collection || collection })}`)
  }

  const field = (k: keyof Filters) => ({ id: `f-${k}`, name: k, value: draft[k], onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value }) })

  return (
    <>
      <h1 tabIndex={-1}>{t.explorer.title}</h1>
      <form className="card filters" onSubmit={submit} role="search" aria-label={t.explorer.filters}>
        <div className="field">
          <label htmlFor="f-collection">{t.common.collection}</label>
          <select {...field('collection')} value={draft.collection || collection}>
            {readable.map((c) => (
              <option key={c.id} value={c.id}>
                {c.title}
              </option>
            ))}
          </select>
        </div>
        <div className="field wide">
          <label htmlFor="f-text">{t.explorer.text}</label>
          <input type="search" maxLength={200} aria-describedby="f-text-hint" {...field('text')} />
          <span id="f-text-hint" className="muted small">
            {t.explorer.textHint}
          </span>
        </div>
        <div className="field">
          <label htmlFor="f-type">{t.explorer.type}</label>
          <select {...field('type')}>
            <option value="">{t.explorer.anyType}</option>
            {TYPES.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-marking">{t.explorer.marking}</label>
          <select {...field('marking')}>
            <option value="">{t.explorer.anyMarking}</option>
            {TLP_LEVELS.map((l) => (
              <option key={l} value={TLP2_IDS[l]}>
                TLP:{l.toUpperCase()}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-source">{t.explorer.source}</label>
          <input maxLength={100} pattern="identity--[0-9a-fA-F\-]{36}" placeholder="identity--…" {...field('source')} />
        </div>
        <div className="field">
          <label htmlFor="f-from">{t.explorer.from}</label>
          <input type="date" {...field('from')} />
        </div>
        <div className="field">
          <label htmlFor="f-to">{t.explorer.to}</label>
          <input type="date" {...field('to')} />
        </div>
        <div className="actions">
          <button type="submit" className="primary">
            {t.explorer.search}
          </button>
          <button type="button" onClick={() => navigate(`/explorer${qs({ collection })}`)}>
            {t.explorer.reset}
          </button>
        </div>
      </form>

      {fresh > 0 ? (
        <p className="notice" role="status">
          {t.explorer.newArrived(fresh)}{' '}
          <button type="button" onClick={() => { setFresh(0); void load() }}>
            {t.explorer.showNew}
          </button>
        </p>
      ) : null}

      <section className="card" aria-labelledby="results-title" aria-busy={state === 'loading'}>
        <h2 id="results-title">{t.explorer.results}</h2>
        {cols.state === 'error' ? <ErrorMessage error={cols.error} /> : null}
        {state === 'error' ? <ErrorMessage error={error} retry={() => void load()} /> : null}
        {items.length === 0 && state === 'idle' && !cursor ? <p className="muted">{t.explorer.noResults}</p> : null}
        {items.length > 0 ? (
          <div className="table-scroll">
            <table data-testid="results">
              <thead>
                <tr>
                  <th scope="col">{t.common.name}</th>
                  <th scope="col">{t.common.type}</th>
                  <th scope="col">TLP</th>
                  <th scope="col">{t.common.modified}</th>
                </tr>
              </thead>
              <tbody>
                {items.map((o) => (
                  <tr key={`${o.id}/${o.modified ?? ''}`}>
                    <td>
                      <Link to={`/objects/${encodeURIComponent(collection)}/${encodeURIComponent(o.id)}`}>{labelOf(o)}</Link>
                    </td>
                    <td>{o.type}</td>
                    <td>
                      <TlpBadge object={o} />
                    </td>
                    <td>{formatDate(o.modified ?? o.created)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {state === 'loading' ? <Loading /> : null}
        {cursor && state !== 'loading' ? (
          <>
            {items.length < 50 ? <p className="muted small">{t.explorer.scanned}</p> : null}
            <button type="button" onClick={() => void load(cursor)}>
              {t.common.more}
            </button>
          </>
        ) : null}
      </section>
    </>
  )
}
