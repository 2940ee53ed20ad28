import type { Command } from 'commander'
import { openNode, serveNode } from '../../app/create-node.js'
import { configFrom, type NodeFlags } from '../context.js'
import { EXIT, fail, printInfo } from '../output.js'
import { describeInit, initialise } from './init.js'

interface ServeFlags extends NodeFlags {
  port?: string
  host?: string
}

export function registerServe(program: Command) {
  program
    .command('serve')
    .description('run the node: TAXII 2.1 at /taxii2/, REST API at /api/v1, OpenAPI at /api/docs')
    .option('--data <dir|url>', 'SQLite data directory, or a postgres:// URL (default ./data)')
    .option('--db <url>', 'PostgreSQL URL')
    .option('-c, --config <path>', 'configuration file (YAML or JSON); also ENTENTE_CONFIG')
    .option('-p, --port <port>', 'TCP port (default 8080)')
    .option('--host <address>', 'address to listen on (default 127.0.0.1)')
    .option('--log-level <level>', 'log level')
    .action(async (flags: ServeFlags) => {
      const http: Record<string, unknown> = {}
      if (flags.port !== undefined) {
        if (!/^\d{1,5}$/.test(flags.port)) fail(EXIT.usage, `--port must be a number from 0 to 65535, not ${JSON.stringify(flags.port)}`)
        http['port'] = Number(flags.port)
      }
      if (flags.host !== undefined) http['host'] = flags.host
      const config = configFrom(flags, Object.keys(http).length ? { http } : {})
      let node
      try {
        node = await openNode(config, { workers: true, createKey: true })
      } catch (e) {
        fail(EXIT.unavailable, `cannot open the node: ${(e as Error).message.split('\n')[0]}`)
      }
      // A fresh node initialises itself, so `npm start` works on a new machine.
      if ((await node.services.admin.nodeInfo()).initialisedAt === null) {
        const r = await initialise(node, { org: 'Host organisation', admin: 'admin' })
        if (r.ok) printInfo(describeInit({ ...r.value, token: { secret: r.value.token.secret } }, config.db.driver === 'sqlite' ? config.db.path : 'PostgreSQL'))
      }
      // The log's key: recorded at init; a node created without one adopts the configured key now.
      if (node.key && node.origin) {
        const adopted = await node.services.log.adoptKey({ publicKey: node.key.publicKey, origin: node.origin })
        if (!adopted.ok) {
          await node.close()
          fail(EXIT.config, adopted.error.code === 'conflict' ? adopted.error.detail : 'cannot use the node key')
        }
      }
      let server
      try {
        server = await serveNode(node)
      } catch (e) {
        await node.close()
        fail(EXIT.unavailable, `cannot listen on ${config.http.host}:${config.http.port}: ${(e as Error).message}`)
      }
      printInfo(`Entente node listening on ${server.url} (TAXII ${server.url}/taxii2/, API docs ${server.url}/api/docs)`)
      const stop = async (signal: string) => {
        node.logger.info({ signal }, 'shutting down')
        await server.close()
        await node.close()
        process.exit(0)
      }
      process.once('SIGINT', () => void stop('SIGINT'))
      process.once('SIGTERM', () => void stop('SIGTERM'))
    })
}
