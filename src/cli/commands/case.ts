/**
 * `entente case list|show|open|status|reindex` and `entente webhook add|list|remove|deliveries`: joint
 * cases and webhooks from the shell (docs/cases.md, docs/webhooks.md). The operator acts as the node
 * on behalf of the host organisation, like every CLI command. Scriptable: --json everywhere, one-line
 * errors, sysexits codes.
 */
import type { Command } from 'commander'
import { CASE_STATUSES, CLOSE_REASONS, SEVERITIES, TLP_LEVELS, type CaseStatus, type CloseReason, type Severity, type TlpLevel } from '../../core/case/model.js'
import type { EntenteNode } from '../../app/create-node.js'
import type { CaseView, TaskView } from '../../services/cases/cases.js'
import { WEBHOOK_EVENTS, type WebhookEventType } from '../../services/webhooks/webhooks.js'
import { cliViewer, collectList, commaList, must, nodeOptions, withNode, type NodeFlags } from '../context.js'
import { EXIT, fail, printResult } from '../output.js'

function table(rows: string[][]): string {
  if (rows.length <= 1) return '(none)'
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n')
}


/** A value from a closed list, or a usage error naming the choices. */
function oneOf<T extends string>(v: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (v === undefined) return undefined
  const x = v.trim().toLowerCase()
  if (!(allowed as readonly string[]).includes(x)) fail(EXIT.usage, `${flag} must be one of ${allowed.join(', ')} (got ${JSON.stringify(v.slice(0, 50))})`)
  return x as T
}

function listOf<T extends string>(v: string | undefined, allowed: readonly T[], flag: string): T[] | undefined {
  const l = commaList(v)
  return l === undefined ? undefined : l.map((x) => oneOf(x, allowed, flag) as T)
}

function limitOf(v: string | undefined, max: number): number | undefined {
  if (v === undefined) return undefined
  if (!/^\d{1,6}$/.test(v) || Number(v) < 1 || Number(v) > max) fail(EXIT.usage, `--limit must be a whole number from 1 to ${max}`)
  return Number(v)
}

/** An organisation named by name or id (local organisations only). */
async function orgIdOf(node: EntenteNode, nameOrId: string): Promise<string> {
  if (/^identity--/i.test(nameOrId)) return nameOrId
  const o = (await node.store.orgs.getByName(nameOrId)) ?? (await node.store.orgs.get(nameOrId))
  if (!o) fail(EXIT.dataErr, `not_found: organisation ${nameOrId} does not exist on this node`)
  return o.id
}

const who = (r: { name: string | null; identityRef: string }) => r.name ?? r.identityRef

function humanCase(c: CaseView, tasks: readonly TaskView[] | null): string {
  const lines = [
    `${c.id}  ${c.status}  ${c.title}`,
    `  version       ${c.version}`,
    `  severity      ${c.severity}    TLP:${c.tlp.toUpperCase()}`,
    `  lead          ${who(c.lead)}`,
    `  participants  ${c.participants.map(who).join(', ') || '-'}`,
    `  playbook      ${c.playbook ?? '-'}`,
    `  status        ${c.status}${c.statusReason ? ` (${c.statusReason})` : ''}${c.closeReason ? ` [${c.closeReason}]` : ''}`,
    `  next          ${c.allowedTransitions.join(', ') || '-'}`,
    `  linked        ${c.linkedObjects.length} object(s)`,
  ]
  if (c.description) lines.push(`  description   ${c.description.split('\n')[0] ?? ''}`)
  if (tasks) {
    lines.push('', tasks.length === 0 ? 'no tasks' : table([['TASK', 'STATUS', 'ASSIGNEE', 'DUE', 'TITLE'], ...tasks.map((t) => [t.id, t.status, t.assignee?.username ?? t.assignee?.organisation?.name ?? t.assignee?.ref ?? '-', t.due ?? '-', t.title])]))
  }
  return lines.join('\n')
}

export function registerCase(program: Command) {
  const cmd = program.command('case').description('joint cases: list, show, open (from a playbook), move through the workflow, rebuild the index')

  nodeOptions(cmd.command('list'))
    .description('cases of this node, newest first')
    .option('--status <list>', `only these statuses (comma-separated: ${CASE_STATUSES.join(', ')})`)
    .option('--severity <list>', `only these severities (comma-separated: ${SEVERITIES.join(', ')})`)
    .option('--limit <n>', 'at most this many (1–500, default 50)')
    .option('--cursor <cursor>', 'the next page (nextCursor of the previous answer)')
    .action(async (flags: NodeFlags & { status?: string; severity?: string; limit?: string; cursor?: string }) => {
      const status = listOf<CaseStatus>(flags.status, CASE_STATUSES, '--status')
      const severity = listOf<Severity>(flags.severity, SEVERITIES, '--severity')
      const limit = limitOf(flags.limit, 500)
      await withNode(flags, async (node) => {
        const r = must(
          await node.services.cases.list(await cliViewer(node, 'case'), {
            ...(status ? { status } : {}), ...(severity ? { severity } : {}), ...(limit !== undefined ? { limit } : {}), ...(flags.cursor !== undefined ? { cursor: flags.cursor } : {}),
          }),
        )
        printResult(r, {
          json: flags.json === true,
          human: () =>
            table([['ID', 'STATUS', 'SEVERITY', 'TLP', 'LEAD', 'TITLE'], ...r.items.map((c) => [c.id, c.status, c.severity, c.tlp, who(c.lead), c.title])]) +
            (r.nextCursor ? `\n\nmore: entente case list --cursor ${r.nextCursor}` : ''),
        })
      })
    })

  nodeOptions(cmd.command('show <id>'))
    .description('one case with its tasks')
    .action(async (id: string, flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        const v = await cliViewer(node, 'case')
        const c = must(await node.services.cases.get(v, id))
        const tasks = must(await node.services.cases.listTasks(v, id))
        printResult({ case: c.case, tasks }, { json: flags.json === true, human: () => humanCase(c.case, tasks) })
      })
    })

  nodeOptions(cmd.command('open'))
    .description('open a case led by the host organisation, blank or from a playbook (with all its tasks)')
    .option('--title <text>', 'the title (required without --playbook; default: the playbook title)')
    .option('--playbook <id>', 'an election playbook (GET /api/v1/playbooks), e.g. ddos-results-site')
    .option('--description <text>', 'what happened')
    .option('--severity <level>', `${SEVERITIES.join(', ')}`)
    .option('--tlp <level>', `${TLP_LEVELS.join(', ')} (default amber)`)
    .option('--participant <org>', 'a participating organisation (name, id, or identity id); repeatable or comma-separated', collectList)
    .action(async (flags: NodeFlags & { title?: string; playbook?: string; description?: string; severity?: string; tlp?: string; participant?: string[] }) => {
      if (flags.title === undefined && flags.playbook === undefined) fail(EXIT.usage, 'name the case: --title <text>, or open it from a playbook with --playbook <id>')
      const severity = oneOf<Severity>(flags.severity, SEVERITIES, '--severity')
      const tlp = oneOf<TlpLevel>(flags.tlp?.replace(/^tlp:/i, ''), TLP_LEVELS, '--tlp')
      await withNode(flags, async (node) => {
        const v = await cliViewer(node, 'case')
        const participants: string[] = []
        for (const p of flags.participant ?? []) participants.push(await orgIdOf(node, p))
        const input = {
          ...(flags.title !== undefined ? { title: flags.title } : {}), ...(flags.description !== undefined ? { description: flags.description } : {}),
          ...(severity ? { severity } : {}), ...(tlp ? { tlp } : {}), ...(participants.length > 0 ? { participants } : {}),
        }
        const c = must(flags.playbook !== undefined ? await node.services.cases.createFromPlaybook(v, flags.playbook, input) : await node.services.cases.create(v, { ...input, title: flags.title ?? '' }))
        const tasks = must(await node.services.cases.listTasks(v, c.id))
        printResult({ case: c, tasks }, { json: flags.json === true, human: () => humanCase(c, tasks) })
      })
    })

  nodeOptions(cmd.command('status <id>'))
    .description('move a case through the workflow (new → triage → active → contained → resolved → closed)')
    .requiredOption('--to <status>', CASE_STATUSES.join(', '))
    .option('--reason <text>', 'why (required to close, except as resolved, and to reopen)')
    .option('--close-reason <reason>', `when closing: ${CLOSE_REASONS.join(', ')}`)
    .option('--if-version <version>', 'fail unless the case is still at this version (default: the version read now)')
    .action(async (id: string, flags: NodeFlags & { to: string; reason?: string; closeReason?: string; ifVersion?: string }) => {
      const to = oneOf<CaseStatus>(flags.to, CASE_STATUSES, '--to') as CaseStatus
      const closeReason = oneOf<CloseReason>(flags.closeReason, CLOSE_REASONS, '--close-reason')
      await withNode(flags, async (node) => {
        const v = await cliViewer(node, 'case')
        const cur = must(await node.services.cases.get(v, id))
        const c = must(
          await node.services.cases.update(v, id, flags.ifVersion ?? cur.case.version, {
            status: to, ...(flags.reason !== undefined ? { reason: flags.reason } : {}), ...(closeReason ? { closeReason } : {}),
          }),
        )
        printResult(c, { json: flags.json === true, human: () => humanCase(c, null) })
      })
    })

  nodeOptions(cmd.command('reindex'))
    .description('check the case index against the stored case versions and rebuild it (--check: only report)')
    .option('--check', 'only report how many objects are out of step (exit 65 when some are)')
    .action(async (flags: NodeFlags & { check?: boolean }) => {
      await withNode(flags, async (node) => {
        const check = await node.services.cases.checkIndex()
        if (flags.check === true) {
          printResult(check, { json: flags.json === true, human: () => `checked ${check.checked} case object(s): ${check.drifted} out of step` })
          if (check.drifted > 0) fail(EXIT.dataErr, `the case index is out of step for ${check.drifted} object(s); run entente case reindex`)
          return
        }
        const r = must(await node.services.cases.reindex())
        const out = { ...r, drifted: check.drifted }
        printResult(out, { json: flags.json === true, human: () => `reindexed ${r.cases} case(s) and ${r.objects} object(s) (${check.drifted} were out of step)` })
      })
    })
}

export function registerWebhook(program: Command) {
  const cmd = program.command('webhook').description('signed webhooks of an organisation: add, list, remove, delivery log')

  nodeOptions(cmd.command('add'))
    .description('register a webhook; its secret is printed once and never again')
    .requiredOption('--url <url>', 'where events are POSTed (http or https; internal addresses are refused)')
    .requiredOption('--events <list>', `comma-separated: ${WEBHOOK_EVENTS.join(', ')}`)
    .option('--org <name|id>', 'the organisation it belongs to (default: the host organisation)')
    .option('--description <text>', 'what it is for')
    .action(async (flags: NodeFlags & { url: string; events: string; org?: string; description?: string }) => {
      const events = listOf<WebhookEventType>(flags.events, WEBHOOK_EVENTS, '--events') ?? []
      if (events.length === 0) fail(EXIT.usage, `--events needs one or more of ${WEBHOOK_EVENTS.join(', ')}`)
      await withNode(flags, async (node) => {
        const v = await cliViewer(node, 'webhook')
        const orgId = flags.org !== undefined ? await orgIdOf(node, flags.org) : v.orgId
        const r = must(await node.services.webhooks.create(v, { orgId, url: flags.url, events, ...(flags.description !== undefined ? { description: flags.description } : {}) }))
        printResult(r, {
          json: flags.json === true,
          human: () => `${r.webhook.id}  ${r.webhook.url}  ${r.webhook.events.join(',')}\nsecret ${r.secret}\n(shown once: give it to the receiver now; it verifies Entente-Signature with it)`,
        })
      })
    })

  nodeOptions(cmd.command('list'))
    .description('webhooks, with their organisation and events (never their secrets)')
    .option('--org <name|id>', "only this organisation's")
    .action(async (flags: NodeFlags & { org?: string }) => {
      await withNode(flags, async (node) => {
        const v = await cliViewer(node, 'webhook')
        const orgId = flags.org !== undefined ? await orgIdOf(node, flags.org) : undefined
        const r = must(await node.services.webhooks.list(v, orgId))
        printResult(r, {
          json: flags.json === true,
          human: () => table([['ID', 'ORG', 'ACTIVE', 'EVENTS', 'URL'], ...r.map((w) => [w.id, w.orgId, w.active ? 'yes' : 'no', w.events.join(','), w.url])]),
        })
      })
    })

  nodeOptions(cmd.command('remove <id>'))
    .description('delete a webhook and its delivery log')
    .action(async (id: string, flags: NodeFlags) => {
      await withNode(flags, async (node) => {
        must(await node.services.webhooks.remove(await cliViewer(node, 'webhook'), id))
        printResult({ id, removed: true }, { json: flags.json === true, human: () => `removed ${id}` })
      })
    })

  nodeOptions(cmd.command('deliveries <id>'))
    .description("a webhook's delivery log, newest first: state, attempts, last status and error")
    .option('--limit <n>', 'at most this many (1–500, default 50)')
    .action(async (id: string, flags: NodeFlags & { limit?: string }) => {
      const limit = limitOf(flags.limit, 500)
      await withNode(flags, async (node) => {
        const r = must(await node.services.webhooks.deliveries(await cliViewer(node, 'webhook'), id, limit !== undefined ? { limit } : {}))
        printResult(r, {
          json: flags.json === true,
          human: () =>
            table([
              ['DELIVERY', 'EVENT', 'STATE', 'ATTEMPTS', 'LAST', 'NEXT', 'CREATED'],
              ...r.map((d) => [d.id, d.eventType, d.state, String(d.attempts), d.lastStatus !== null ? String(d.lastStatus) : (d.lastError ?? '-'), d.nextAttemptAt ?? '-', d.createdAt]),
            ]),
        })
      })
    })
}
