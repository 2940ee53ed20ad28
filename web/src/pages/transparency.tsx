import { useState, type FormEvent } from 'react'
import { collections, get, post } from '../api.js'
import { ErrorMessage, Loading, Section } from '../components/status.js'
import { useAsync } from '../components/use-async.js'
import { formatDate, t } from '../i18n/index.js'
import { verifyCheckpoint, verifyItem, type ProvenanceItem } from '../verify.js'

async function loadCheckpoint() {
  const key = await get<{ origin: string; verifier_key: string; tree_size: number }>('/api/v1/log/key')
  const note = await get<string>('/api/v1/log/checkpoint')
  const verified = await verifyCheckpoint(note, key.verifier_key)
  return { key, note, verified }
}

export function Transparency() {
  const [cp, reload] = useAsync(loadCheckpoint, [])
  const [cols] = useAsync(collections, [])
  const [collection, setCollection] = useState('')
  const [objectId, setObjectId] = useState('')
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null)

  async function check(e: FormEvent) {
    e.preventDefault()
    setResult(null)
    try {
      const c = collection || (cols.state === 'ready' ? (cols.value.find((x) => x.canRead)?.id ?? '') : '')
      const [key, bundle] = await Promise.all([
        get<{ verifier_key: string }>('/api/v1/log/key'),
        post<{ checkpoint: string; items: ProvenanceItem[]; missing: unknown[] }>('/api/v1/log/provenance', { collection: c, objects: [{ id: objectId.trim() }] }),
      ])
      const v = await verifyCheckpoint(bundle.checkpoint, key.verifier_key)
      if (!v.ok) return setResult({ ok: false, text: t.proof.failed(v.error) })
      const item = bundle.items[0]
      if (!item) return setResult({ ok: false, text: t.proof.failed(t.errors.notFound) })
      const r = verifyItem(v.value.checkpoint, item)
      setResult(r.ok ? { ok: true, text: t.proof.verified(item.leaf_index, v.value.checkpoint.size) } : { ok: false, text: t.proof.failed(r.error) })
    } catch (x) {
      setResult({ ok: false, text: t.proof.failed(x instanceof Error ? x.message : String(x)) })
    }
  }

  return (
    <>
      <h1 tabIndex={-1}>{t.transparency.title}</h1>
      <p className="description">{t.transparency.intro}</p>
      <Section title={t.transparency.checkpoint} id="checkpoint">
        {cp.state === 'loading' ? <Loading /> : cp.state === 'error' ? <ErrorMessage error={cp.error} retry={reload} /> : (
          <>
            {cp.value.verified.ok ? (
              <p className="verified" data-testid="checkpoint-ok">
                ✔ {cp.value.verified.value.signature === true ? t.proof.signatureOk : t.proof.signatureUnchecked} {t.proof.treeSize}: {cp.value.verified.value.checkpoint.size} ·{' '}
                {formatDate(cp.value.verified.value.checkpoint.timestamp)}
              </p>
            ) : (
              <p className="error" role="alert">
                {t.proof.failed(cp.value.verified.error)}
              </p>
            )}
            <pre className="json" tabIndex={0} data-testid="checkpoint-note">
              {cp.value.note}
            </pre>
            <p>
              <strong>{t.transparency.key}:</strong> <code className="wrap">{cp.value.key.verifier_key}</code>
            </p>
            <p className="muted small">{t.transparency.keyHint}</p>
          </>
        )}
      </Section>
      <Section title={t.transparency.checkTitle} id="inclusion">
        <form onSubmit={check} className="filters">
          <div className="field">
            <label htmlFor="t-collection">{t.common.collection}</label>
            <select id="t-collection" value={collection} onChange={(e) => setCollection(e.target.value)}>
              {cols.state === 'ready'
                ? cols.value.filter((c) => c.canRead).map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.title}
                    </option>
                  ))
                : null}
            </select>
          </div>
          <div className="field wide">
            <label htmlFor="t-object">{t.transparency.objectId}</label>
            <input id="t-object" required maxLength={300} pattern="[a-z0-9\-]+--[0-9a-fA-F\-]{36}" value={objectId} onChange={(e) => setObjectId(e.target.value)} placeholder="indicator--…" />
          </div>
          <div className="actions">
            <button type="submit" className="primary">
              {t.transparency.check}
            </button>
          </div>
        </form>
        <div aria-live="polite">{result ? <p className={result.ok ? 'verified' : 'error'} data-testid="inclusion-result">{result.text}</p> : null}</div>
      </Section>
    </>
  )
}
