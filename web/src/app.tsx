import { useEffect, useState } from 'react'
import { onSessionEnded, request, setCsrfToken, type SessionUser } from './api.js'
import { Loading } from './components/status.js'
import { t } from './i18n/index.js'
import { LiveProvider, useLive, useLiveEvents } from './live.js'
import { CaseDetail, Cases } from './pages/cases.js'
import { Dashboard } from './pages/dashboard.js'
import { Explorer } from './pages/explorer.js'
import { Import } from './pages/import.js'
import { ObjectPage } from './pages/object.js'
import { SignIn } from './pages/sign-in.js'
import { Transparency } from './pages/transparency.js'
import { Link, Router, useRouter } from './router.js'

type Auth = { state: 'checking' } | { state: 'out'; notice: string | null } | { state: 'in'; user: SessionUser }

function Page({ user }: { user: SessionUser }) {
  const { location } = useRouter()
  const p = location.path
  const object = /^\/objects\/([^/]+)\/([^/]+)$/.exec(p)
  if (object) return <ObjectPage collection={decodeURIComponent(object[1] as string)} id={decodeURIComponent(object[2] as string)} />
  const kase = /^\/cases\/([^/]+)$/.exec(p)
  if (kase) return <CaseDetail id={decodeURIComponent(kase[1] as string)} canWrite={user.role !== 'read_only'} />
  switch (p) {
    case '/explorer':
      return <Explorer />
    case '/import':
      return <Import />
    case '/cases':
      return <Cases />
    case '/transparency':
      return <Transparency />
    default:
      return <Dashboard isAdmin={user.role === 'admin'} />
  }
}

/** Announces live events to screen readers and shows the latest few as toasts. */
function LiveAnnouncer() {
  const [messages, setMessages] = useState<{ id: number; text: string }[]>([])
  useLiveEvents((e) => {
    // Named objects only (relationships and observables would flood the corner); the same text once.
    const text = e.kind === 'object' ? (e.data.name ? t.live.newObject(e.data.name, e.data.type) : null) : e.kind === 'alert' ? t.live.newAlert : e.kind === 'case' ? t.live.caseChanged : null
    if (text === null) return
    const id = Date.now() + Math.random()
    setMessages((m) => [...m.filter((x) => x.text !== text).slice(-2), { id, text }])
    setTimeout(() => setMessages((m) => m.filter((x) => x.id !== id)), 6000)
  })
  return (
    <div className="toasts" role="status" aria-live="polite" data-testid="live-toasts">
      {messages.map((m) => (
        <p key={m.id} className="toast">
          {m.text}
        </p>
      ))}
    </div>
  )
}

function Shell({ user, onSignOut }: { user: SessionUser; onSignOut: () => void }) {
  const { connected } = useLive()
  const [menuOpen, setMenuOpen] = useState(false)
  const { location } = useRouter()
  useEffect(() => setMenuOpen(false), [location.path])
  return (
    <>
      <a className="skip" href="#main">
        {t.skipToContent}
      </a>
      <header className="top">
        <Link to="/" className="brand">
          {t.appName}
        </Link>
        <button type="button" className="menu-button" aria-expanded={menuOpen} aria-controls="main-nav" onClick={() => setMenuOpen(!menuOpen)}>
          {t.menu}
        </button>
        <nav id="main-nav" aria-label={t.navLabel} className={menuOpen ? 'open' : ''}>
          <Link to="/">{t.nav.dashboard}</Link>
          <Link to="/explorer">{t.nav.explorer}</Link>
          <Link to="/import">{t.nav.import}</Link>
          <Link to="/cases">{t.nav.cases}</Link>
          <Link to="/transparency">{t.nav.transparency}</Link>
        </nav>
        <div className="who">
          <span className={`live-dot${connected ? ' on' : ''}`} title={connected ? t.live.connected : t.live.connecting} aria-label={connected ? t.live.connected : t.live.connecting} role="img" data-testid="live-indicator" data-connected={connected} />
          <span className="small">{t.signIn.signedInAs(user.username, user.role)}</span>
          <button type="button" onClick={onSignOut}>
            {t.signIn.signOut}
          </button>
        </div>
      </header>
      <main id="main">
        <Page user={user} />
      </main>
      <LiveAnnouncer />
    </>
  )
}

export function App() {
  const [auth, setAuth] = useState<Auth>({ state: 'checking' })
  useEffect(() => {
    onSessionEnded(() => {
      setCsrfToken(null)
      setAuth({ state: 'out', notice: t.signIn.sessionEnded })
    })
    request<{ user: SessionUser; csrfToken: string }>('GET', '/api/v1/session', undefined, { quiet401: true }).then(
      (s) => {
        setCsrfToken(s.csrfToken)
        setAuth({ state: 'in', user: s.user })
      },
      () => setAuth({ state: 'out', notice: null }),
    )
  }, [])

  async function signOut() {
    try {
      await request('DELETE', '/api/v1/session', undefined, { quiet401: true })
    } finally {
      setCsrfToken(null)
      setAuth({ state: 'out', notice: null })
    }
  }

  if (auth.state === 'checking') return <Loading />
  if (auth.state === 'out')
    return (
      <SignIn
        notice={auth.notice}
        onSignedIn={(user, csrf) => {
          setCsrfToken(csrf)
          setAuth({ state: 'in', user })
        }}
      />
    )
  return (
    <Router>
      <LiveProvider key={auth.user.userId}>
        <Shell user={auth.user} onSignOut={() => void signOut()} />
      </LiveProvider>
    </Router>
  )
}
