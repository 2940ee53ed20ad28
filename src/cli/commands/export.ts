import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { rename, rm } from 'node:fs/promises'
import type { Command } from 'commander'
import type { Writable } from 'node:stream'
import { cliViewer, must, nodeOptions, withNode, type NodeFlags } from '../context.js'
import { createProgress, resultStream } from '../output.js'

interface ExportFlags extends NodeFlags {
  collection?: string
  all?: boolean
  output?: string
  type?: string[]
}

/** Writes with backpressure; `once` rejects if the stream fails and leaves no listener behind. */
async function write(out: Writable, s: string): Promise<void> {
  if (!out.write(s)) await once(out, 'drain')
}

export function registerExport(program: Command) {
  nodeOptions(program.command('export'))
    .description('export the latest version of every object of a collection (or of all) as a STIX 2.1 bundle')
    .option('--collection <id|alias>', 'collection to export (default: default)')
    .option('--all', 'export every collection')
    .option('--type <type...>', 'only these STIX types')
    .option('-o, --output <file>', 'write to a file instead of stdout (written atomically)')
    .action(async (flags: ExportFlags) => {
      await withNode(flags, async (node) => {
        const viewer = await cliViewer(node, 'export')
        const batches = must(await node.services.objects.exportLatest(viewer, { collection: flags.all ? null : (flags.collection ?? 'default') }))
        const types = flags.type ? new Set(flags.type) : null
        const tmp = flags.output ? `${flags.output}.${randomUUID().slice(0, 8)}.tmp` : null
        const out: Writable = tmp ? createWriteStream(tmp) : resultStream()
        const progress = createProgress({ label: 'exporting', json: flags.json === true || !flags.output })
        let n = 0
        try {
          await write(out, `{"type":"bundle","id":"bundle--${randomUUID()}","objects":[`)
          for await (const batch of batches) {
            const chosen = types ? batch.filter((j) => types.has((JSON.parse(j) as { type: string }).type)) : batch
            if (chosen.length === 0) continue
            await write(out, (n > 0 ? ',\n' : '\n') + chosen.join(',\n'))
            n += chosen.length
            progress.update(n)
          }
          await write(out, '\n]}\n')
          if (tmp && flags.output) {
            await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())))
            await rename(tmp, flags.output)
          }
        } catch (e) {
          if (tmp) await rm(tmp, { force: true })
          throw e
        }
        progress.done(`${n} objects exported${flags.output ? ` to ${flags.output}` : ''}`)
      })
    })
}
