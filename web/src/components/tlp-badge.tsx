/** The TLP marking of an object, in FIRST's colours on black (TLP 2.0), with its meaning as text. */
import { objectTlp } from '../../../src/core/marking/effective.js'
import { t } from '../i18n/index.js'

export function TlpBadge({ object, large = false }: { object: Readonly<Record<string, unknown>>; large?: boolean }) {
  const level = objectTlp(object)
  if (level === null)
    return (
      <span className={`tlp tlp-none${large ? ' tlp-large' : ''}`} title={t.tlp.none}>
        {t.tlp.none}
      </span>
    )
  const label = `TLP:${level.toUpperCase()}`
  return (
    <span className={`tlp tlp-${level.replace('+', '-')}${large ? ' tlp-large' : ''}`} title={t.tlp.meaning[level] ?? ''} aria-label={`${t.tlp.label}: ${label}. ${t.tlp.meaning[level] ?? ''}`}>
      {label}
    </span>
  )
}
