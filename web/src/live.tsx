/**
 * Live updates: one EventSource on /api/v1/events for the whole app (the node filters it by what the
 * user may read). Pages subscribe to the kinds they show; the browser reconnects and resumes with
 * Last-Event-ID by itself.
 */
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from 'react'

export type LiveEvent =
  | { kind: 'object'; data: { collectionId: string; id: string; type: string; dateAdded: string; name: string | null } }
  | { kind: 'alert'; data: { alertId: string; kind: string } }
  | { kind: 'case'; data: { caseId: string; change: string } }
  | { kind: 'reset'; data: Record<string, never> }

type Listener = (e: LiveEvent) => void

const LiveContext = createContext<{ connected: boolean; subscribe: (fn: Listener) => () => void }>({ connected: false, subscribe: () => () => undefined })

export function LiveProvider({ children }: { children: ReactNode }) {
  const listeners = useRef(new Set<Listener>())
  const [connected, setConnected] = useState(false)
  useEffect(() => {
    const source = new EventSource('/api/v1/events')
    const emit = (e: LiveEvent) => {
      for (const l of listeners.current) l(e)
    }
    source.onopen = () => setConnected(true)
    source.onerror = () => setConnected(false)
    for (const kind of ['object', 'alert', 'case', 'reset'] as const) {
      source.addEventListener(kind, (m) => {
        try {
          emit({ kind, data: JSON.parse((m as MessageEvent<string>).data) } as LiveEvent)
        } catch {
          // a malformed event is ignored
        }
      })
    }
    return () => source.close()
  }, [])
  const subscribe = useCallback((fn: Listener) => {
    listeners.current.add(fn)
    return () => void listeners.current.delete(fn)
  }, [])
  return <LiveContext.Provider value={{ connected, subscribe }}>{children}</LiveContext.Provider>
}

export const useLive = () => useContext(LiveContext)

/** Calls `fn` for each live event while the component is mounted. */
export function useLiveEvents(fn: Listener): void {
  const { subscribe } = useLive()
  const ref = useRef(fn)
  ref.current = fn
  useEffect(() => subscribe((e) => ref.current(e)), [subscribe])
}
