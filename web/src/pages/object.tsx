import { useCallback, useState } from 'react'
import { get, labelOf, post, type ObjectDetail, type StixObject } from '../api.js'
import { RelationshipGraph } from '../components/graph.js'
import { ErrorMessage, Loading, Section } from '../components/status.js'
import { TlpBadge } from '../components/tlp-badge.js'
import { useAsync } from '../components/use-async.js'
import { formatDate, t } from '../i18n/index.js'
import { Link, useRouter } from '../router.js'
import { verifyCheckpoint, verifyItem, type ProvenanceItem } from '../verify.js'

type Check = { state: 'idle' } | { state: 'checking' } | { state: 'ok'; index: number; size: number; signature: true | null; entry: string; root: string } | { state: 'failed'; why: string }

export function ObjectPage({ collection, id }: { collection: string; id: string }) {
  const { navigate } = useRouter()
  const [detail, reload] = useAsync(() => get<ObjectDetail>(`/api/v1/collections/${encodeURIComponent(collection)}/objects/${encodeURIComponent(id)}`), [collection, id])
  const [shown, setShown] = useState<number | null>(null)
  const [check, setCheck] = useState<Check>({ state: 'idle' })
  const open = useCallback((other: string) => navigate(`/objects/${encodeURIComponent(collection)}/${encodeURIComponent(other)}`), [collection, navigate])

  if (detail.state === 'loading') return <Loading />
  if (detail.state === 'error')
    return (
      <>
        <h1 tabIndex={-1}>{t.object.title}</h1>
        <ErrorMessage error={detail.error} retry={reload} />
      </>
    )
  const d = detail.value
  const latest = d.versions[d.versions.length - 1] as StixObject
  const index = shown ?? d.versions.length - 1
  const o = d.versions[index] ?? latest
  const names = new Map(d.nodes.map((n) => [n.id, n.name ?? n.id]))
  const label = (x: string) => (x === id ? (latest.name ?? id) : (names.get(x) ?? x))

  async function runCheck() {
    setCheck({ state: 'checking' })
    try {
      const [key, bundle] = await Promise.all([
        get<{ verifier_key: string }>('/api/v1/log/key'),
        post<{ checkpoint: string; items: ProvenanceItem[] }>('/api/v1/log/provenance', { collection: d.collectionId, objects: [{ id }] }),
      ])
      const cp = await verifyCheckpoint(bundle.checkpoint, key.verifier_key)
      if (!cp.ok) return setCheck({ state: 'failed', why: cp.error })
      const item = bundle.items[0]
      if (!item) return setCheck({ state: 'failed', why: t.errors.notFound })
      const v = verifyItem(cp.value.checkpoint, item, latest)
      if (!v.ok) return setCheck({ state: 'failed', why: v.error })
      setCheck({ state: 'ok', index: item.leaf_index, size: cp.value.checkpoint.size, signature: cp.value.signature, entry: v.value.entryText, root: cp.value.rootB64 })
    } catch (e) {
      setCheck({ state: 'failed', why: e instanceof Error ? e.message : String(e) })
    }
  }

  return (
    <>
      <div className="object-head">
        <TlpBadge object={o} large />
        <h1 tabIndex={-1}>{labelOf(o)}</h1>
        <p className="muted">
          {o.type} · <code>{o.id}</code>
        </p>
      </div>
      {typeof o.description === 'string' ? <p className="description">{o.description}</p> : null}

      <div className="grid">
        <Section title={t.object.versions} id="versions">
          <ol className="list">
            {d.versions.map((v, i) => (
              <li key={`${v.modified ?? i}`}>
                <button type="button" className="link" aria-pressed={i === index} onClick={() => setShown(i)}>
                  {t.object.version(i + 1, d.versions.length)} — {formatDate(v.modified ?? v.created)}
                </button>
              </li>
            ))}
          </ol>
        </Section>

        <Section title={t.object.log} id="log">
          <button type="button" className="primary" onClick={() => void runCheck()} disabled={check.state === 'checking'}>
            {check.state === 'checking' ? t.object.checking : t.object.checkInclusion}
          </button>
          <div aria-live="polite">
            {check.state === 'ok' ? (
              <div className="verified" data-testid="inclusion-ok">
                <p>✔ {t.proof.verified(check.index, check.size)}</p>
                <p className="small">{check.signature === true ? t.proof.signatureOk : t.proof.signatureUnchecked}</p>
                <dl className="small">
                  <dt>{t.proof.root}</dt>
                  <dd>
                    <code>{check.root}</code>
                  </dd>
                  <dt>{t.proof.entry}</dt>
                  <dd>
                    <code className="wrap">{check.entry}</code>
                  </dd>
                </dl>
              </div>
            ) : check.state === 'failed' ? (
              <p className="error" role="alert">
                {t.proof.failed(check.why)}
              </p>
            ) : null}
          </div>
        </Section>
      </div>

      <Section title={t.object.relationships} id="relationships">
        {d.edges.length === 0 ? (
          <p className="muted">{t.object.noRelationships}</p>
        ) : (
          <>
            {d.truncated ? <p className="notice">{t.object.truncated}</p> : null}
            <RelationshipGraph center={id} centerLabel={String(latest.name ?? id)} detail={d} onOpen={open} label={t.object.graphLabel(d.nodes.length + 1, d.edges.length)} />
            <details>
              <summary>{t.object.relationshipList}</summary>
              <ul className="list">
                {d.edges.slice(0, 2000).map((e) => (
                  <li key={e.id}>
                    {e.source === id ? label(e.source) : <Link to={`/objects/${encodeURIComponent(collection)}/${encodeURIComponent(e.source)}`}>{label(e.source)}</Link>} <em>{e.relationshipType}</em>{' '}
                    {e.target === id ? label(e.target) : <Link to={`/objects/${encodeURIComponent(collection)}/${encodeURIComponent(e.target)}`}>{label(e.target)}</Link>}
                  </li>
                ))}
              </ul>
            </details>
          </>
        )}
      </Section>

      <Section title={t.object.json} id="json">
        <pre className="json" tabIndex={0}>
          {JSON.stringify(o, null, 2)}
        </pre>
      </Section>
    </>
  )
}
