import { useRef, useState, type DragEvent } from 'react'
import { ApiError, collections, currentCsrfToken, get, type ImportJob, type Problem } from '../api.js'
import { ErrorMessage, Section } from '../components/status.js'
import { useAsync } from '../components/use-async.js'
import { t } from '../i18n/index.js'

type Phase = { kind: 'idle' } | { kind: 'uploading'; fraction: number } | { kind: 'importing'; job: ImportJob } | { kind: 'done'; job: ImportJob } | { kind: 'error'; error: unknown }

interface Listed {
  readonly index: number
  readonly id: string
  readonly type: string
}

/** Uploads with XMLHttpRequest, the one browser API that reports upload progress. */
function upload(url: string, file: File, onProgress: (f: number) => void): Promise<ImportJob> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', url)
    xhr.setRequestHeader('content-type', /\.gz$/i.test(file.name) ? 'application/gzip' : 'application/json')
    xhr.setRequestHeader('accept', 'application/json')
    const csrf = currentCsrfToken()
    if (csrf) xhr.setRequestHeader('x-csrf-token', csrf)
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total)
    xhr.onload = () => {
      let body: unknown = null
      try {
        body = JSON.parse(xhr.responseText)
      } catch {
        // not JSON
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as ImportJob)
      else reject(new ApiError({ status: xhr.status, code: 'http_error', ...(body as Partial<Problem>) }))
    }
    xhr.onerror = () => reject(new Error('network error'))
    xhr.send(file)
  })
}

export function Import() {
  const [cols] = useAsync(collections, [])
  const writable = cols.state === 'ready' ? cols.value.filter((c) => c.canWrite) : []
  const [collection, setCollection] = useState('')
  const [file, setFile] = useState<File | null>(null)
  const [over, setOver] = useState(false)
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' })
  const [listed, setListed] = useState<Listed[] | null>(null)
  const input = useRef<HTMLInputElement>(null)
  const target = collection || writable[0]?.id || ''

  function pick(f: File | undefined) {
    if (!f) return
    setFile(f)
    setPhase({ kind: 'idle' })
    setListed(null)
  }

  function onDrop(e: DragEvent) {
    e.preventDefault()
    setOver(false)
    pick(e.dataTransfer.files[0])
  }

  async function start() {
    if (!file || !target) return
    // A plain JSON bundle is read here too, for the progress total and the per-object report.
    let objects: Listed[] | null = null
    if (!/\.gz$/i.test(file.name) && file.size < 50 * 1024 * 1024) {
      try {
        const b = JSON.parse(await file.text()) as { objects?: { id?: unknown; type?: unknown }[] }
        if (Array.isArray(b.objects)) objects = b.objects.map((o, index) => ({ index, id: typeof o?.id === 'string' ? o.id : '', type: typeof o?.type === 'string' ? o.type : '' }))
      } catch {
        objects = null // the node reports what is wrong with it
      }
    }
    setListed(objects)
    try {
      setPhase({ kind: 'uploading', fraction: 0 })
      let job = await upload(`/api/v1/collections/${encodeURIComponent(target)}/imports?source=${encodeURIComponent(file.name.slice(0, 200))}`, file, (fraction) => setPhase({ kind: 'uploading', fraction }))
      while (job.state === 'running') {
        setPhase({ kind: 'importing', job })
        await new Promise((r) => setTimeout(r, 400))
        job = await get<ImportJob>(`/api/v1/imports/${encodeURIComponent(job.id)}`)
      }
      setPhase({ kind: 'done', job })
    } catch (e) {
      setPhase({ kind: 'error', error: e })
    }
  }

  const total = listed?.length
  const job = phase.kind === 'importing' || phase.kind === 'done' ? phase.job : null
  const value = phase.kind === 'uploading' ? phase.fraction : job && total ? Math.min(1, job.processed / Math.max(1, total)) : phase.kind === 'done' ? 1 : undefined
  const failures = new Map((job?.failures ?? []).map((f) => [f.index, f]))

  return (
    <>
      <h1 tabIndex={-1}>{t.import.title}</h1>
      <Section title={t.import.target} id="target">
        {cols.state === 'error' ? <ErrorMessage error={cols.error} /> : null}
        {cols.state === 'ready' && writable.length === 0 ? <p className="muted">{t.import.noWritable}</p> : null}
        <label htmlFor="i-collection">{t.import.target}</label>
        <select id="i-collection" value={target} onChange={(e) => setCollection(e.target.value)}>
          {writable.map((c) => (
            <option key={c.id} value={c.id}>
              {c.title}
            </option>
          ))}
        </select>
        <div
          className={`dropzone${over ? ' over' : ''}`}
          onDragOver={(e) => {
            e.preventDefault()
            setOver(true)
          }}
          onDragLeave={() => setOver(false)}
          onDrop={onDrop}
          data-testid="dropzone"
        >
          <p>{t.import.drop}</p>
          <input ref={input} id="i-file" type="file" accept=".json,.gz,application/json,application/gzip" className="visually-hidden" onChange={(e) => pick(e.target.files?.[0])} />
          <label htmlFor="i-file" className="button">
            {t.import.choose}
          </label>
          {file ? (
            <p>
              <strong>{file.name}</strong> <span className="muted">({Math.ceil(file.size / 1024)} KiB)</span>
            </p>
          ) : null}
        </div>
        <button type="button" className="primary" disabled={!file || !target || phase.kind === 'uploading' || phase.kind === 'importing'} onClick={() => void start()}>
          {t.import.start}
        </button>
      </Section>

      {phase.kind !== 'idle' ? (
        <Section title={phase.kind === 'done' ? t.import.done : t.import.uploading} id="progress">
          <progress max={1} {...(value !== undefined ? { value } : {})} aria-label={t.import.uploading} data-testid="import-progress" />
          <p role="status">
            {phase.kind === 'uploading' ? `${Math.round(phase.fraction * 100)} %` : job ? t.import.progress(job.processed, total === undefined ? '?' : String(total)) : null}
          </p>
          {phase.kind === 'error' ? <ErrorMessage error={phase.error} /> : null}
          {phase.kind === 'done' && phase.job.state === 'failed' ? <p className="error" role="alert">{t.import.failedJob(phase.job.error ?? '')}</p> : null}
          {phase.kind === 'done' ? (
            <>
              <dl className="counts" data-testid="import-counts">
                <dt>{t.import.added}</dt>
                <dd data-testid="count-added">{phase.job.added}</dd>
                <dt>{t.import.duplicates}</dt>
                <dd>{phase.job.duplicates}</dd>
                <dt>{t.import.failed}</dt>
                <dd>{phase.job.failed}</dd>
              </dl>
              <h3>{t.import.report}</h3>
              <div className="table-scroll">
                <table data-testid="import-report">
                  <thead>
                    <tr>
                      <th scope="col">{t.import.index}</th>
                      <th scope="col">{t.common.id}</th>
                      <th scope="col">{t.import.outcome}</th>
                      <th scope="col">{t.import.problem}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {(listed ?? [...failures.values()].map((f) => ({ index: f.index, id: f.id ?? '', type: '' }))).slice(0, 5000).map((o) => {
                      const f = failures.get(o.index)
                      return (
                        <tr key={o.index} className={f ? 'failed' : ''}>
                          <td>{o.index}</td>
                          <td>
                            <code>{o.id || '—'}</code>
                          </td>
                          <td>{f ? t.import.failed : `${t.import.added} / ${t.import.duplicates}`}</td>
                          <td>{f ? `${f.code}${f.pointer ? ` ${f.pointer}` : ''}: ${f.message}` : ''}</td>
                        </tr>
                      )
                    })}
                  </tbody>
                </table>
              </div>
            </>
          ) : null}
        </Section>
      ) : null}
    </>
  )
}
