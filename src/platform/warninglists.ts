/**
 * Loads MISP warninglists from disk: a directory with one sub-directory per list, each holding a
 * `list.json` (the layout of the misp-warninglists repository's `lists/` and of
 * ../shared/data/misp/warninglists). Parsing and matching are pure (src/core/correlate/warninglists.ts).
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { parseWarninglist, type Warninglist } from '../core/correlate/warninglists.js'

/** Largest list.json read (the biggest MISP lists are a few MB). */
export const MAX_WARNINGLIST_FILE_BYTES = 64 * 1024 * 1024

export interface LoadedWarninglists {
  /** Lists in directory-name order. */
  readonly lists: readonly Warninglist[]
  /** The directory name of each list (same order as `lists`). */
  readonly directories: readonly string[]
  /** Lists that could not be used, with the reason (the others still load). */
  readonly problems: readonly { readonly path: string; readonly message: string }[]
}

/** Reads every `<dir>/<name>/list.json`. Throws only when `dir` itself cannot be read. */
export async function loadWarninglists(dir: string): Promise<LoadedWarninglists> {
  const entries = await readdir(dir, { withFileTypes: true })
  const lists: Warninglist[] = []
  const directories: string[] = []
  const problems: { path: string; message: string }[] = []
  for (const e of entries.filter((x) => x.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, e.name, 'list.json')
    try {
      const info = await stat(path)
      if (info.size > MAX_WARNINGLIST_FILE_BYTES) {
        problems.push({ path, message: `is larger than ${MAX_WARNINGLIST_FILE_BYTES} bytes` })
        continue
      }
      const parsed = parseWarninglist(JSON.parse(await readFile(path, 'utf8')) as unknown)
      if (parsed.ok) {
        lists.push(parsed.value)
        directories.push(e.name)
      }
      else problems.push({ path, message: parsed.error })
    } catch (x) {
      const code = (x as NodeJS.ErrnoException).code
      if (code === 'ENOENT') continue // a directory without a list (e.g. docs)
      problems.push({ path, message: x instanceof SyntaxError ? `is not JSON: ${x.message}` : (x as Error).message })
    }
  }
  return { lists, directories, problems }
}
