/**
 * Builds the web app (web/dist) with Vite's build() API when it is missing or older than any of its
 * sources (web/src, web/index.html, web/vite.config.ts, and src/core, which the app bundles). Run by
 * `npm start` before the node starts (so `npm install && npm start` serves the app on a fresh clone)
 * and as the Vitest global setup of the e2e project (so a clean clone passes).
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const WEB_DIST = join(ROOT, 'web', 'dist')

function newest(path: string): number {
  if (!existsSync(path)) return 0
  const s = statSync(path)
  if (!s.isDirectory()) return s.mtimeMs
  let m = 0
  for (const name of readdirSync(path)) if (!name.endsWith('.test.ts')) m = Math.max(m, newest(join(path, name)))
  return m
}

export function webIsStale(): boolean {
  const built = join(WEB_DIST, 'index.html')
  if (!existsSync(built)) return true
  const sources = Math.max(...['web/src', 'web/index.html', 'web/vite.config.ts', 'web/public', 'src/core'].map((p) => newest(join(ROOT, p))))
  return sources > statSync(built).mtimeMs
}

export default async function setup(): Promise<void> {
  if (!webIsStale()) return
  const { build } = await import('vite')
  await build({ configFile: join(ROOT, 'web', 'vite.config.ts'), logLevel: 'warn' })
}

// Run directly (`node --import tsx scripts/build-web.ts`): build when stale, say so in one line.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (webIsStale()) {
    console.log('Building the web app (web/dist)…')
    try {
      await setup()
    } catch (err) {
      // Without the dev dependencies (npm ci --omit=dev) the node still serves the API and TAXII.
      console.error(`The web app could not be built (${(err as Error).message.split('\n')[0]}); the node starts without it.`)
    }
  }
}
