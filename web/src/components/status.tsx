/** Loading and error states, announced to screen readers. */
import type { ReactNode } from 'react'
import { ApiError } from '../api.js'
import { t } from '../i18n/index.js'

export function Loading() {
  return (
    <p className="muted" role="status">
      {t.common.loading}
    </p>
  )
}

export function ErrorMessage({ error, retry }: { error: unknown; retry?: () => void }) {
  let text: string = t.common.error
  let requestId: string | undefined
  if (error instanceof ApiError) {
    text = error.problem.status === 404 ? t.errors.notFound : error.problem.status === 403 ? (error.problem.detail ?? t.errors.forbidden) : (error.problem.detail ?? error.problem.title ?? text)
    requestId = error.problem.requestId
    const first = error.problem.errors?.[0]
    if (first) text = `${text} (${first.pointer}: ${first.message})`
  } else if (error instanceof Error) text = error.message
  return (
    <div className="error" role="alert">
      <p>{text}</p>
      {requestId ? <p className="muted small">{t.common.requestId(requestId)}</p> : null}
      {retry ? (
        <button type="button" onClick={retry}>
          {t.common.retry}
        </button>
      ) : null}
    </div>
  )
}

export function Section({ title, children, id, wide = false }: { title: string; children: ReactNode; id?: string; wide?: boolean }) {
  const hid = id ?? `s-${title.replace(/\W+/g, '-').toLowerCase()}`
  return (
    <section className={wide ? 'card wide' : 'card'} aria-labelledby={hid}>
      <h2 id={hid}>{title}</h2>
      {children}
    </section>
  )
}
