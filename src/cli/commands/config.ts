import type { Command } from 'commander'
import { redactConfig } from '../../config/redact.js'
import { configFrom, type NodeFlags } from '../context.js'
import { printResult } from '../output.js'

export function registerConfig(program: Command) {
  const config = program.command('config').description('check or print the effective configuration')
  config
    .command('check')
    .description('validate the configuration (defaults < file < ENTENTE_* < flags); exit 78 on problems')
    .option('-c, --config <path>', 'configuration file')
    .option('--data <dir|url>', 'SQLite data directory, or a postgres:// URL')
    .option('--json', 'machine-readable output')
    .action((flags: NodeFlags) => {
      configFrom(flags)
      printResult({ valid: true }, { json: flags.json === true, human: () => 'configuration is valid' })
    })
  config
    .command('print')
    .description('print the effective configuration with secrets redacted')
    .option('-c, --config <path>', 'configuration file')
    .option('--data <dir|url>', 'SQLite data directory, or a postgres:// URL')
    .action((flags: NodeFlags) => {
      const c = redactConfig(configFrom(flags))
      printResult(c, { json: true, human: () => '' })
    })
}
