/** The active message catalogue. English first; every visible string comes from here. */
import { en, type Messages } from './en.js'

export const t: Messages = en

/** Dates in the reader's locale, with the time zone written out. */
export function formatDate(iso: string | null | undefined, withTime = true): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return withTime ? d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : d.toLocaleDateString(undefined, { dateStyle: 'medium' })
}
