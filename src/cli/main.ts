/** The `entente` command. */
import { Command, CommanderError } from 'commander'
import { registerAdmin } from './commands/admin.js'
import { registerPassword } from './commands/password.js'
import { registerConfig } from './commands/config.js'
import { registerCorrelate } from './commands/correlate.js'
import { registerExport } from './commands/export.js'
import { registerImport } from './commands/import.js'
import { registerInit } from './commands/init.js'
import { registerLog } from './commands/log.js'
import { registerPattern } from './commands/pattern.js'
import { registerMigrate } from './commands/migrate.js'
import { registerServe } from './commands/serve.js'
import { registerPeer } from './commands/peer.js'
import { registerAgreement } from './commands/agreement.js'
import { registerCase, registerWebhook } from './commands/case.js'
import { CliFailure, EXIT, printError } from './output.js'

export function buildProgram(): Command {
  const program = new Command('entente')
    .description('Entente node: STIX 2.1 intelligence shared over TAXII 2.1 between election-security partners')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
  registerInit(program)
  registerServe(program)
  registerMigrate(program)
  registerImport(program)
  registerExport(program)
  registerAdmin(program)
  registerPassword(program)
  registerLog(program)
  registerPattern(program)
  registerCorrelate(program)
  registerPeer(program)
  registerAgreement(program)
  registerCase(program)
  registerWebhook(program)
  registerConfig(program)
  return program
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv)
  } catch (e) {
    if (e instanceof CliFailure) {
      printError(e.message)
      process.exitCode = e.exitCode
    } else if (e instanceof CommanderError) {
      // commander already printed the message (help and version exit 0).
      process.exitCode = e.exitCode === 0 ? 0 : EXIT.usage
    } else {
      printError(`internal error: ${(e as Error).message}`)
      process.exitCode = EXIT.internal
    }
  }
}

await main(process.argv)
