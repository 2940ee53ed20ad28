/** A tiny data-loading hook: state for a promise-returning loader, reloadable. */
import { useCallback, useEffect, useState } from 'react'

export type Async<T> = { state: 'loading' } | { state: 'error'; error: unknown } | { state: 'ready'; value: T }

export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): [Async<T>, () => void] {
  const [state, setState] = useState<Async<T>>({ state: 'loading' })
  const [n, setN] = useState(0)
  useEffect(() => {
    let live = true
    load().then(
      (value) => live && setState({ state: 'ready', value }),
      (error: unknown) => live && setState({ state: 'error', error }),
    )
    return () => {
      live = false
    }
  }, [...deps, n])
  return [state, useCallback(() => setN((x) => x + 1), [])]
}
