/** `entente correlate --all` (re-correlate the whole store) and `entente alerts` (list correlation alerts). */
import type { Command } from 'commander'
import { cliViewer, must, nodeOptions, withNode, type NodeFlags } from '../context.js'
import { EXIT, createProgress, fail, printResult } from '../output.js'

interface CorrelateFlags extends NodeFlags {
  all?: boolean
}

interface AlertsFlags extends NodeFlags {
  org?: string
  limit: string
  suppressed?: boolean
}

export function registerCorrelate(program: Command) {
  nodeOptions(program.command('correlate'))
    .description('rebuild the correlation index and correlate every stored observation against every indicator (idempotent)')
    .option('--all', 'correlate the whole store (required)')
    .action(async (flags: CorrelateFlags) => {
      if (flags.all !== true) fail(EXIT.usage, 'nothing to do: pass --all to re-correlate the whole store')
      const json = flags.json === true
      await withNode(flags, async (node) => {
        await cliViewer(node, 'correlate')
        const progress = createProgress({ label: 'correlating', json })
        let indicators = 0
        const summary = must(
          await node.services.correlate.correlateAll({
            onProgress: (p) => {
              if (p.phase === 'indicators') {
                indicators = p.done
                progress.update(p.done, { indicators: p.done })
              } else progress.update(indicators + p.done, { indicators, observations: p.done })
            },
          }),
        )
        progress.done()
        const result = { ...summary, seconds: Number(summary.seconds.toFixed(2)) }
        printResult(result, {
          json,
          human: () =>
            [
              `indicators indexed   ${summary.indicators}`,
              `observations scanned ${summary.observations}`,
              `matches              ${summary.matches}`,
              `sightings created    ${summary.sightings}`,
              `alerts               ${summary.alerts}`,
              ...Object.entries(summary.suppressed).map(([reason, n]) => `suppressed           ${n} (${reason})`),
              ...(summary.errors > 0 ? [`errors               ${summary.errors}`] : []),
              `time                 ${summary.seconds.toFixed(1)} s`,
            ].join('\n'),
        })
        if (summary.errors > 0) process.exitCode = EXIT.dataErr
      })
    })

  nodeOptions(program.command('alerts'))
    .description("list correlation alerts, newest first (every organisation's, or one's with --org)")
    .option('--org <name>', 'only this organisation’s alerts')
    .option('--limit <n>', 'how many (1–10000)', '50')
    .option('--suppressed', 'the suppressed matches (warninglists, over-correlation) instead')
    .action(async (flags: AlertsFlags) => {
      const limit = Number(flags.limit)
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) fail(EXIT.usage, '--limit must be an integer from 1 to 10000')
      if (flags.org !== undefined && (flags.org === '' || flags.org.length > 200)) fail(EXIT.usage, '--org must be an organisation name')
      const json = flags.json === true
      await withNode(flags, async (node) => {
        const viewer = await cliViewer(node, 'alerts')
        let orgId: string | undefined
        if (flags.org !== undefined) {
          const org = await node.store.orgs.getByName(flags.org)
          if (!org) fail(EXIT.noInput, `not_found: organisation ${flags.org} does not exist`)
          orgId = org.id
        }
        const page = must(await node.services.alerts.list(viewer, { limit, ...(orgId !== undefined ? { orgId } : {}), ...(flags.suppressed ? { suppressed: true } : {}) }))
        const names = new Map((await node.store.orgs.list()).map((o) => [o.id, o.name]))
        printResult(page.items, {
          json,
          human: () =>
            page.items.length === 0
              ? 'no alerts'
              : page.items
                  .map((a) => {
                    const who = names.get(a.orgId) ?? a.orgId
                    const what = a.kind === 'indicator_sighted' ? 'indicator sighted' : 'observation matched'
                    const why = a.suppressed !== null ? `  SUPPRESSED: ${a.suppressed}` : ''
                    return `${a.createdAt}  ${who}  ${what}  ${a.value ?? '(no value)'}  ${a.indicatorId ?? 'an indicator of another organisation'}${why}`
                  })
                  .join('\n'),
        })
      })
    })
}
