import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import type { Command } from 'commander'
import { prescanBundle, fingerprintFile, readBundleBatches } from '../../platform/import-files.js'
import { cliViewer, must, nodeOptions, withNode, type NodeFlags } from '../context.js'
import { EXIT, createProgress, fail, printError, printResult } from '../output.js'

interface ImportFlags extends NodeFlags {
  collection: string
  batchSize: string
}

export function registerImport(program: Command) {
  nodeOptions(program.command('import'))
    .description('import STIX 2.1 bundle files (.json or .json.gz) into a collection; re-running an interrupted import resumes it')
    .argument('<files...>', 'bundle files')
    .option('--collection <id|alias>', 'target collection', 'default')
    .option('--batch-size <n>', 'objects per transaction', '2000')
    .action(async (files: string[], flags: ImportFlags) => {
      const batchSize = Number(flags.batchSize)
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) fail(EXIT.usage, '--batch-size must be an integer from 1 to 10000')
      for (const f of files) {
        const s = await stat(f).catch(() => null)
        if (!s || !s.isFile()) fail(EXIT.noInput, `cannot read ${f}: no such file`)
      }
      const json = flags.json === true
      // Worker threads pay off on big files; for small ones their start-up costs more than they save.
      let totalBytes = 0
      for (const f of files) totalBytes += (await stat(f)).size
      const workers = totalBytes > 32 * 1024 * 1024
      const summaries: unknown[] = []
      let anyFailed = false
      await withNode(
        flags,
        async (node) => {
          const viewer = await cliViewer(node, 'import')
          for (const file of files) {
            const size = (await stat(file)).size
            const check = createProgress({ label: `checking ${basename(file)}`, total: size, json: json || !process.stderr.isTTY, unit: 'bytes' })
            let total: number
            try {
              total = await prescanBundle(file, (n) => check.update(n))
            } catch (e) {
              check.done()
              fail(EXIT.dataErr, `${file}: ${(e as Error).message}`)
            }
            check.done()
            const fingerprint = await fingerprintFile(file)
            const started = Date.now()
            const progress = createProgress({ label: `importing ${basename(file)}`, total, json })
            let resumed = 0
            const job = must(
              await node.services.ingest.importStream(viewer, {
                collection: flags.collection,
                source: basename(file),
                fingerprint,
                batches: readBundleBatches(file, batchSize),
                onJob: (j) => {
                  resumed = j.resumedFrom
                },
                onProgress: (p) => progress.update(p.processed, { added: p.added, duplicates: p.duplicates, failed: p.failed }),
              }),
            )
            const seconds = (Date.now() - started) / 1000
            progress.done()
            anyFailed ||= job.failed > 0
            const summary = {
              file, job: job.id, objects: total, added: job.added, duplicates: job.duplicates, failed: job.failed,
              resumedFrom: resumed, seconds: Number(seconds.toFixed(2)), failures: job.failures.slice(0, 100),
            }
            summaries.push(summary)
            if (!json) {
              const rate = Math.round((total - resumed) / Math.max(seconds, 0.001))
              printResult(null, {
                json: false,
                human: () =>
                  `${file}: ${total} objects — ${job.added} added, ${job.duplicates} duplicates, ${job.failed} failed` +
                  `${resumed ? ` (resumed after ${resumed})` : ''} in ${seconds.toFixed(1)} s (${rate} objects/s), job ${job.id}`,
              })
              for (const f of job.failures.slice(0, 20)) printError(`  #${f.index} ${f.id ?? '(no id)'}: ${f.code} ${f.pointer ?? ''} ${f.message}`)
              if (job.failed > 20) printError(`  … ${job.failed - 20} more failures (entente import --json, or GET /api/v1/imports/${job.id})`)
            }
          }
        },
        { workers },
      )
      if (json) printResult(files.length === 1 ? summaries[0] : summaries, { json: true, human: () => '' })
      if (anyFailed) process.exitCode = EXIT.dataErr
    })
}
