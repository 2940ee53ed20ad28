/** A small history router: paths in the address bar, links that do not reload, focus moved on navigation. */
import { createContext, useCallback, useContext, useEffect, useState, type AnchorHTMLAttributes, type ReactNode } from 'react'

interface Location {
  readonly path: string
  readonly query: URLSearchParams
}

const read = (): Location => ({ path: window.location.pathname, query: new URLSearchParams(window.location.search) })

const RouterContext = createContext<{ location: Location; navigate: (to: string, replace?: boolean) => void }>({ location: read(), navigate: () => undefined })

export function Router({ children }: { children: ReactNode }) {
  const [location, setLocation] = useState(read)
  useEffect(() => {
    const onPop = () => setLocation(read())
    window.addEventListener('popstate', onPop)
    return () => window.removeEventListener('popstate', onPop)
  }, [])
  const navigate = useCallback((to: string, replace = false) => {
    if (replace) window.history.replaceState(null, '', to)
    else window.history.pushState(null, '', to)
    setLocation(read())
    // Screen readers and keyboards start at the new page's heading.
    requestAnimationFrame(() => document.querySelector<HTMLElement>('main h1')?.focus())
  }, [])
  return <RouterContext.Provider value={{ location, navigate }}>{children}</RouterContext.Provider>
}

export const useRouter = () => useContext(RouterContext)

export function Link({ to, children, ...rest }: { to: string; children: ReactNode } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const { navigate, location } = useRouter()
  const current = location.path === to || (to !== '/' && location.path.startsWith(`${to}/`))
  return (
    <a
      href={to}
      aria-current={current ? 'page' : undefined}
      onClick={(e) => {
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
        e.preventDefault()
        navigate(to)
      }}
      {...rest}
    >
      {children}
    </a>
  )
}
