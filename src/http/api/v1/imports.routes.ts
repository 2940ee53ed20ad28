/**
 * REST import jobs: a bundle (JSON or gzip) is streamed to the spool, then imported in the background
 * through `ingest.importStream` (batches, resumable); 202 + Location to follow progress.
 */
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { IdParams } from '../../../contract/api/common.js'
import { ImportJob, ImportJobList, ListImportsQuery, StartImportQuery } from '../../../contract/api/imports.js'
import type { Viewer } from '../../../core/policy/viewer.js'
import type { Result } from '../../../core/shared/result.js'
import { DomainFailure, HttpFailure, unwrap } from '../../errors.js'
import { viewerOf } from '../../plugins/auth.js'
import { presentImportJob } from '../../presenters/api.presenter.js'
import type { ImportFiles } from '../../options.js'
import { problems, type ApiContext } from './context.js'

const UPLOAD_TYPES = ['application/json', 'application/gzip', 'application/x-gzip']

/** True for the spool's "upload too large" error (platform's SpoolTooLarge carries `maxBytes`). */
function isTooLarge(e: unknown): e is { maxBytes: number } {
  return e !== null && typeof e === 'object' && typeof (e as { maxBytes?: unknown }).maxBytes === 'number'
}

export const importsRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const { ingest } = ctx.services

  app.get(
    '/imports',
    { schema: { tags: ['Imports'], summary: 'Recent import jobs (yours; administrators: all)', querystring: ListImportsQuery, response: { 200: ImportJobList, ...problems(400, 401) } } },
    async (request) => ({ items: unwrap(await ingest.listImportJobs(viewerOf(request), request.query.limit ?? 50)).map(presentImportJob) }),
  )

  app.get(
    '/imports/:id',
    { schema: { tags: ['Imports'], summary: 'Progress and results of an import job', params: IdParams, response: { 200: ImportJob, ...problems(401, 404) } } },
    async (request) => presentImportJob(unwrap(await ingest.getImportJob(viewerOf(request), request.params.id))),
  )

  // The upload route streams its body: a context of its own with pass-through parsers.
  await app.register(async (instance) => {
    const upload = instance.withTypeProvider<TypeBoxTypeProvider>()
    upload.removeAllContentTypeParsers()
    upload.addContentTypeParser(UPLOAD_TYPES, (_request, payload, done) => done(null, payload))

    upload.post(
      '/collections/:id/imports',
      {
        schema: {
          tags: ['Imports'],
          summary: 'Import a STIX bundle file in the background',
          description:
            'Body: a STIX bundle as `application/json`, or gzip-compressed as `application/gzip`. Answers 202 with the job and a Location to poll. ' +
            'Uploading the same file again after an interruption resumes the same job.',
          params: IdParams,
          querystring: StartImportQuery,
          response: { 202: ImportJob, ...problems(401, 403, 404, 413, 415, 503) },
        },
      },
      async (request, reply) => {
        const files = ctx.options.imports
        if (!files) throw new HttpFailure('unavailable', 'imports are not enabled on this node')
        const viewer = viewerOf(request)
        const collection = request.params.id
        // Refuse before reading the body when the caller may not write here.
        unwrap(await ingest.writableCollection(viewer, collection))
        let spooled: { path: string; fingerprint: string; bytes: number }
        try {
          spooled = await files.spool(request.body as AsyncIterable<Uint8Array>)
        } catch (e) {
          if (isTooLarge(e)) throw new DomainFailure({ code: 'limit_exceeded', limit: 'import upload size', max: e.maxBytes })
          throw e
        }
        const source = request.query.source ?? 'upload'
        const jobId = await startImport(ctx, files, viewer, { collection, source, ...spooled }, request.log)
        const job = unwrap(await ingest.getImportJob(viewer, jobId))
        return reply.code(202).header('location', `/api/v1/imports/${job.id}`).send(presentImportJob(job))
      },
    )
  })
}

/**
 * Starts `importStream` in the background and resolves with the job id once the job exists. The
 * spooled file is removed when the import ends; failures end up in the job (state `failed`).
 */
function startImport(
  ctx: ApiContext,
  files: ImportFiles,
  viewer: Viewer,
  input: { collection: string; source: string; path: string; fingerprint: string; bytes: number },
  log: { info(o: object, m: string): void; warn(o: object, m: string): void },
): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let started = false
    const run = ctx.services.ingest
      .importStream(viewer, {
        collection: input.collection,
        source: input.source,
        fingerprint: input.fingerprint,
        batches: files.read(input.path),
        onJob: (job) => {
          started = true
          log.info({ job: job.id, bytes: input.bytes, resumedFrom: job.resumedFrom }, 'import started')
          resolve(job.id)
        },
      })
      .then((r: Result<{ id: string; added: number; duplicates: number; failed: number }>) => {
        if (!r.ok) {
          if (!started) reject(new DomainFailure(r.error))
          return
        }
        ctx.metrics.ingested('import', r.value)
        log.info({ job: r.value.id, added: r.value.added, duplicates: r.value.duplicates, failed: r.value.failed }, 'import completed')
      })
      .catch((e: unknown) => {
        if (!started) reject(e)
        else log.warn({ err: e }, 'import failed')
      })
      .finally(() => files.remove(input.path).catch(() => undefined))
    ctx.background.add(run)
    void run.finally(() => ctx.background.delete(run))
  })
}
