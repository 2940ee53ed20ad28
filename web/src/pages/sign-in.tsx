import { useState, type FormEvent } from 'react'
import { ApiError, request, type SessionUser } from '../api.js'
import { t } from '../i18n/index.js'

export function SignIn({ onSignedIn, notice }: { onSignedIn: (user: SessionUser, csrf: string) => void; notice?: string | null }) {
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  async function submit(e: FormEvent) {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const r = await request<{ user: SessionUser; csrfToken: string }>('POST', '/api/v1/session', { username, password }, { quiet401: true })
      setPassword('')
      onSignedIn(r.user, r.csrfToken)
    } catch (x) {
      if (x instanceof ApiError && x.problem.status === 429) setError(t.signIn.rateLimited(x.retryAfter ?? 60))
      else setError(t.signIn.failed)
    } finally {
      setBusy(false)
    }
  }

  return (
    <main id="main" className="sign-in">
      <form onSubmit={submit} className="card sign-in-card" aria-labelledby="sign-in-title">
        <h1 id="sign-in-title" tabIndex={-1}>
          {t.signIn.title}
        </h1>
        <p className="muted">{t.signIn.intro}</p>
        {notice ? (
          <p className="notice" role="status">
            {notice}
          </p>
        ) : null}
        <label htmlFor="username">{t.signIn.username}</label>
        <input id="username" name="username" autoComplete="username" required maxLength={64} value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />
        <label htmlFor="password">{t.signIn.password}</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required maxLength={1024} value={password} onChange={(e) => setPassword(e.target.value)} />
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t.signIn.submitting : t.signIn.submit}
        </button>
      </form>
    </main>
  )
}
