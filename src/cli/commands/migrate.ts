import type { Command } from 'commander'
import { nodeOptions, withNode, type NodeFlags } from '../context.js'
import { printResult } from '../output.js'

export function registerMigrate(program: Command) {
  nodeOptions(program.command('migrate'))
    .description('apply pending database migrations (they also run at start)')
    .option('--status', 'only list applied and pending migrations')
    .action(async (flags: NodeFlags & { status?: boolean }) => {
      await withNode(
        flags,
        async (node) => {
          if (flags.status) {
            const s = await node.store.migrationStatus()
            printResult(s, { json: flags.json === true, human: () => [...s.applied.map((m) => `applied  ${m}`), ...s.pending.map((m) => `pending  ${m}`)].join('\n') })
            return
          }
          const applied = await node.store.migrate()
          printResult({ applied }, { json: flags.json === true, human: () => (applied.length ? applied.map((m) => `applied ${m}`).join('\n') : 'database is up to date') })
        },
        { migrate: false },
      )
    })
}
