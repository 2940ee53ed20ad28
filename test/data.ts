/** Real public data sets from ../shared/data, for tests (never invented toy data where real data exists). */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'

export const SHARED_DATA = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data')
export const ATTACK_BUNDLE = join(SHARED_DATA, 'attack', 'enterprise-attack-18.1.json.gz')
export const DISARM_BUNDLE = join(SHARED_DATA, 'disarm', 'DISARM.json')

type Obj = Record<string, unknown> & { type: string; id: string }
let attack: Obj[] | null = null

/** The 24,772 objects of MITRE ATT&CK Enterprise 18.1 (cached per test file). */
export function attackObjects(): Obj[] {
  attack ??= (JSON.parse(gunzipSync(readFileSync(ATTACK_BUNDLE)).toString('utf8')) as { objects: Obj[] }).objects
  return attack
}

/** The DISARM Red Framework bundle's objects. */
export function disarmObjects(): Obj[] {
  return (JSON.parse(readFileSync(DISARM_BUNDLE, 'utf8')) as { objects: Obj[] }).objects
}

/** The first `n` ATT&CK objects of a type. */
export function attackOfType(type: string, n: number): Obj[] {
  return attackObjects().filter((o) => o.type === type).slice(0, n)
}
