/**
 * `flotilla status`: one screen on the site the kubeconfig points at — who it is, its
 * peers (connected, liveness), how far behind them it is, how far its bootstrap sync has
 * come, its own clusters (health and capacity) and its alarms. `--wait` polls until the
 * bootstrap sync is complete, with a progress bar on a terminal.
 */
import type { Command } from 'commander'
import type { OwnClusterRow, SiteStatusBody } from '../../api/flotilla-routes.ts'
import { FlotillaError } from '../../model/errors.ts'
import { addConnectionOptions, addOutputOption, withSiteClient, type ConnectionFlags, type OutputFlags } from '../client/connection.ts'
import { fetchStatus, type Answer } from '../client/flotilla-api.ts'
import { formatMs, type SiteClient } from '../client/site-client.ts'
import { humanAge, isoTime, parseDuration } from '../format/durations.ts'
import { parseOutputFormat, printAs } from '../format/output-format.ts'
import { createProgress, progressBar } from '../format/progress.ts'
import { cpuText, memoryText } from '../format/quantities.ts'
import { renderTable } from '../format/table.ts'
import type { CliStreams } from '../output.ts'
import { peersTable } from './peers.ts'

type Status = Answer<SiteStatusBody>

function countBy<T> (items: readonly T[], key: (t: T) => string): string {
  const m = new Map<string, number>()
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1)
  return [...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, n]) => `${k} ${n}`).join(', ')
}

export function clustersTable (clusters: readonly OwnClusterRow[], indent = ''): string {
  const gpus = clusters.some((c) => c.allocatable.gpu > 0)
  return renderTable(['name', 'health', 'nodes', 'cpu', 'memory', ...(gpus ? ['gpu'] : [])], clusters.map((c) => [
    c.id, c.health, `${c.nodes.ready}/${c.nodes.total}`, `${cpuText(c.allocated.cpuMilli)}/${cpuText(c.allocatable.cpuMilli)}`,
    `${memoryText(c.allocated.memoryBytes)}/${memoryText(c.allocatable.memoryBytes)}`, ...(gpus ? [`${c.allocated.gpu}/${c.allocatable.gpu}`] : [])
  ]), indent)
}

function bootstrapText (b: SiteStatusBody['bootstrap']): string {
  const figures = `${b.documents.have}/${b.documents.total} documents, ${b.changes.have}/${b.changes.total} changes`
  return b.complete ? `complete (${figures})` : `${progressBar(b.changes.have, b.changes.total)} (${figures})`
}

function syncText (s: Status): string {
  const age = s.sync.oldestSyncAgeSeconds === undefined ? '' : `; oldest reconciliation ${humanAge(s.sync.oldestSyncAgeSeconds * 1000)} ago`
  if (s.peers.length === 0) return 'no peers'
  return s.sync.behind === 0 ? `in sync with every connected peer${age}` : `${s.sync.behind} change(s) behind ${s.sync.peersBehind} peer(s)${age}`
}

export function statusText (s: Status): string {
  const id = s.identity
  const connected = s.peers.filter((p) => p.connected).length
  const lines = [
    `site:       ${id.siteId} (region ${id.region}, zone ${id.zone})`,
    `peer id:    ${id.peerId}`,
    ...(id.startedAt > 0 ? [`up:         ${humanAge(s.now - id.startedAt)} (since ${isoTime(id.startedAt)})`] : []),
    `signed in:  ${s.caller.user} (role ${s.caller.role})`,
    `view:       version ${s.view.version}: ${s.view.sites} site(s), ${s.view.clusters} cluster(s), ${s.view.workloads} workload(s), ${s.view.policies} polic${s.view.policies === 1 ? 'y' : 'ies'}, ${s.view.localOnly} local-only`,
    '',
    `peers:      ${s.peers.length === 0 ? 'none (alone in its roster)' : `${connected} of ${s.peers.length} connected (${countBy(s.peers, (p) => p.liveness)})`}`
  ]
  const out = [lines.join('\n') + '\n']
  if (s.peers.length > 0) out.push(peersTable(s.peers, '  '))
  out.push(`sync:       ${syncText(s)}\n`, `bootstrap:  ${bootstrapText(s.bootstrap)}\n`, '\n')
  out.push(`clusters:   ${s.clusters.length === 0 ? 'none attached' : `${s.clusters.length} (${countBy(s.clusters, (c) => c.health)})`}\n`)
  if (s.clusters.length > 0) out.push(clustersTable(s.clusters, '  '))
  out.push(`alarms:     ${s.alarms.length === 0 ? 'none' : String(s.alarms.length)}\n`, ...s.alarms.map((a) => `  - ${a}\n`))
  return out.join('')
}

async function waitForBootstrap (client: SiteClient, streams: CliStreams, timeoutMs: number): Promise<Status> {
  const progress = createProgress(streams)
  const deadline = Date.now() + timeoutMs
  let last = ''
  for (;;) {
    const s = await fetchStatus(client)
    const b = s.bootstrap
    progress.update(b.changes.have, b.changes.total, `bootstrap: ${b.documents.have}/${b.documents.total} documents`)
    const figures = `${b.documents.have}/${b.documents.total} documents, ${b.changes.have}/${b.changes.total} changes`
    if (streams.errIsTTY !== true && figures !== last) streams.err(`bootstrap: ${figures}\n`)
    last = figures
    if (b.complete) { progress.finish(); return s }
    if (Date.now() >= deadline) {
      progress.finish()
      throw new FlotillaError('timed-out', `site ${s.site} did not finish its bootstrap sync within ${formatMs(timeoutMs)} (${figures})`,
        'Check that its peers are up and connected (`flotilla peers`), or wait longer with --wait-timeout.')
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, Math.max(0, deadline - Date.now()))))
  }
}

export function registerStatusCommand (program: Command, streams: CliStreams): void {
  const cmd = program.command('status')
    .description('this site: identity, peers, sync lag, bootstrap progress, clusters (health, capacity), alarms')
    .option('--wait', 'wait until the bootstrap sync is complete (progress bar on a terminal)')
    .option('--wait-timeout <duration>', 'give up waiting after this long', '5m')
  addOutputOption(addConnectionOptions(cmd))
  cmd.action(async (flags: ConnectionFlags & OutputFlags & { wait?: boolean, waitTimeout: string }) => {
    const format = parseOutputFormat(flags.output)
    const waitMs = parseDuration('wait-timeout', flags.waitTimeout)
    const status = await withSiteClient(flags, 'admin', (c) => (flags.wait === true ? waitForBootstrap(c, streams, waitMs) : fetchStatus(c)))
    printAs(streams, format, status, () => statusText(status))
  })
}
