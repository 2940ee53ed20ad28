/**
 * Upcoming national elections of EU member states, for the dashboard's heightened-alert windows.
 * Dated data: review it regularly. `exact` dates are fixed by law (the rule is quoted with its
 * source); `dueBy` entries are the legal deadline while the date itself is not set yet (shown as
 * such, never as an announced date). The alert window runs from `alertDaysBefore` before to
 * `alertDaysAfter` after the date (results, complaints and certification attract attacks too).
 */
export const ELECTIONS_AS_OF = '2026-11-24'

export interface Election {
  readonly country: string
  readonly iso: string
  readonly election: string
  readonly date: string
  readonly kind: 'exact' | 'dueBy'
  readonly rule: string
  readonly source: string
  readonly alertDaysBefore: number
  readonly alertDaysAfter: number
}

export const ELECTIONS: readonly Election[] = [
  {
    country: 'Estonia',
    iso: 'EE',
    election: 'Riigikogu (parliament)',
    date: '2027-03-07',
    kind: 'exact',
    rule: 'Regular elections are held on the first Sunday of March of the fourth year after the previous ones (2023).',
    source: 'https://www.riigiteataja.ee/en/ (Riigikogu Election Act, § 2; search the act by name)',
    alertDaysBefore: 45,
    alertDaysAfter: 14,
  },
  {
    country: 'Finland',
    iso: 'FI',
    election: 'Eduskunta (parliament)',
    date: '2027-04-18',
    kind: 'exact',
    rule: 'Parliamentary elections are held on the third Sunday of April of the fourth year after the previous ones (2023).',
    source: 'https://www.finlex.fi/en/laki/kaannokset/1998/en19980714 (Election Act 714/1998, section 2)',
    alertDaysBefore: 45,
    alertDaysAfter: 14,
  },
  {
    country: 'France',
    iso: 'FR',
    election: 'Presidential election (first round)',
    date: '2027-04-23',
    kind: 'dueBy',
    rule: 'The election is held 20 to 35 days before the end of the President’s term (13 May 2027); the date is set by decree.',
    source: 'https://www.conseil-constitutionnel.fr/le-bloc-de-constitutionnalite/texte-integral-de-la-constitution-du-4-octobre-1958-en-vigueur (Constitution, article 7)',
    alertDaysBefore: 60,
    alertDaysAfter: 30,
  },
  {
    country: 'Spain',
    iso: 'ES',
    election: 'Cortes Generales (general election)',
    date: '2027-08-22',
    kind: 'dueBy',
    rule: 'The Cortes are elected for four years (last election 23 July 2023); an earlier dissolution is possible.',
    source: 'https://www.boe.es/buscar/act.php?id=BOE-A-1978-31229 (Constitution, article 68)',
    alertDaysBefore: 54,
    alertDaysAfter: 14,
  },
  {
    country: 'Poland',
    iso: 'PL',
    election: 'Sejm and Senate',
    date: '2027-11-11',
    kind: 'dueBy',
    rule: 'Elections are ordered by the President on a non-working day within the 30 days before the end of the four-year term (which began 13 November 2023).',
    source: 'https://www.sejm.gov.pl/prawo/konst/angielski/kon1.htm (Constitution, article 98)',
    alertDaysBefore: 60,
    alertDaysAfter: 14,
  },
]

/** Elections from `today` on (and those whose alert window is still open), soonest first. */
export function upcoming(today: Date, list: readonly Election[] = ELECTIONS) {
  const day = 86_400_000
  return list
    .map((e) => {
      const at = Date.parse(`${e.date}T00:00:00Z`)
      return { ...e, windowFrom: new Date(at - e.alertDaysBefore * day), windowTo: new Date(at + e.alertDaysAfter * day) }
    })
    .filter((e) => e.windowTo.getTime() >= today.getTime())
    .sort((a, b) => a.date.localeCompare(b.date))
}
