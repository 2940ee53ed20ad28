/**
 * `entente user password <username>`: sets a user's web sign-in password. The password is read from
 * standard input when it is not a terminal (`printf '%s\n' "$PW" | entente user password alice`),
 * else prompted for twice without echo. Never from the command line, where `ps` and shell history
 * would keep it.
 */
import type { Command } from 'commander'
import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import { PASSWORD_MAX } from '../../services/auth/auth.js'
import { cliViewer, must, nodeOptions, withNode, type NodeFlags } from '../context.js'
import { EXIT, fail, printResult } from '../output.js'

/** Reads all of a non-terminal stdin (at most PASSWORD_MAX + 2 bytes matter); drops one trailing newline. */
async function readPiped(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of stream) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(String(c))
    size += b.length
    if (size > 64 * 1024) fail(EXIT.usage, 'the password on standard input is too long')
    chunks.push(b)
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
}

/** Prompts on stderr and reads one line from a terminal without echoing it. */
function prompt(question: string): Promise<string> {
  let muted = false
  const output = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!muted) process.stderr.write(chunk)
      cb()
    },
  })
  const rl = createInterface({ input: process.stdin, output, terminal: true })
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close()
      process.stderr.write('\n')
      resolve(answer)
    })
    muted = true
  })
}

export async function readPassword(stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (!stdin.isTTY) return readPiped(stdin)
  const first = await prompt('New password: ')
  const second = await prompt('Repeat it: ')
  if (first !== second) fail(EXIT.usage, 'the two passwords differ')
  return first
}

export function registerPassword(program: Command): void {
  const user = program.commands.find((c) => c.name() === 'user') ?? program.command('user').description('users and their roles')
  nodeOptions(user.command('password'))
    .description('set a user’s web sign-in password (read from standard input or a prompt, never from arguments); ends their sessions')
    .argument('<username>', 'user name')
    .action(async (username: string, flags: NodeFlags) => {
      const password = await readPassword()
      if (password.length === 0 || password.length > PASSWORD_MAX) fail(EXIT.usage, `the password must be 12 to ${PASSWORD_MAX} characters`)
      await withNode(flags, async (node) => {
        const u = await node.store.users.getByUsername(username)
        if (!u) fail(EXIT.noInput, `not_found: user ${username} does not exist`)
        const r = must(await node.services.auth.setPassword(await cliViewer(node, 'user'), { userId: u.id, password }))
        printResult({ id: r.id, username: r.username, passwordSet: true }, { json: flags.json === true, human: () => `password set for ${r.username}; their web sessions ended` })
      })
    })
}
