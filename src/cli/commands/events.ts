/**
 * `flotilla events`: the event log of the site the kubeconfig points at — suspicions,
 * failures and recoveries of sites, cluster readiness, migrations and failbacks,
 * degraded workloads, partitions, evidence — oldest first, newest last, like a log.
 * `--since` takes a duration (10m) or a time (RFC 3339); `--limit` keeps the newest N;
 * `--all-sites` reads the events every site wrote, from the replicated view.
 */
import type { Command } from 'commander'
import type { FederationEvent } from '../../model/federation.ts'
import { FlotillaError } from '../../model/errors.ts'
import { addConnectionOptions, addOutputOption, withSiteClient, type ConnectionFlags, type OutputFlags } from '../client/connection.ts'
import { fetchEvents, type EventQuery } from '../client/flotilla-api.ts'
import { isoTime, parseDuration } from '../format/durations.ts'
import { parseCount } from '../format/flags.ts'
import { parseOutputFormat, printAs } from '../format/output-format.ts'
import { renderTable } from '../format/table.ts'
import type { CliStreams } from '../output.ts'

interface EventFlags extends ConnectionFlags, OutputFlags {
  since?: string
  limit: string
  allSites?: boolean
}

/** `--since`: a duration back from the site's now, or an absolute time. */
export function sinceQuery (value: string): Pick<EventQuery, 'sinceSeconds' | 'sinceTime'> {
  if (/^\d/.test(value) && !/[-:T]/.test(value)) return { sinceSeconds: Math.floor(parseDuration('since', value) / 1000) }
  const t = Date.parse(value)
  if (Number.isNaN(t)) {
    throw new FlotillaError('input-invalid', `'--since' must be a duration (10m, 2h) or a time (2025-06-01T12:00:00Z): received ${JSON.stringify(value)}`,
      'E.g. --since 1h for the last hour.')
  }
  return { sinceTime: new Date(t).toISOString() }
}

function movedText (e: FederationEvent): string {
  if (e.moved === undefined || e.moved.length === 0) return '-'
  return e.moved.map((m) => `${m.workload}: ${m.from.join(',') || '-'} -> ${m.to.join(',') || '-'}`).join('; ')
}

export function eventsTable (items: readonly FederationEvent[]): string {
  return renderTable(['time', 'site', 'kind', 'subject', 'cause', 'moved'], items.map((e) => [isoTime(e.at), e.site, e.kind, e.subject, e.cause, movedText(e)]))
}

export function registerEventsCommand (program: Command, streams: CliStreams): void {
  const cmd = program.command('events')
    .description('the site\'s event log (failovers, migrations, suspicions, partitions), newest last')
    .option('--since <when>', 'only events since a duration ago (10m, 2h) or a time (RFC 3339)')
    .option('--limit <n>', 'at most the newest n events (0: all)', '200')
    .option('--all-sites', 'events written by every site (from the replicated view), not only this one\'s')
  addOutputOption(addConnectionOptions(cmd))
  cmd.action(async (flags: EventFlags) => {
    const format = parseOutputFormat(flags.output)
    const query: EventQuery = {
      ...(flags.since === undefined ? {} : sinceQuery(flags.since)),
      limit: parseCount('limit', flags.limit, 0),
      scope: flags.allSites === true ? 'federation' : 'site'
    }
    const answer = await withSiteClient(flags, 'admin', (c) => fetchEvents(c, query))
    if (format === 'table' && answer.items.length === 0) { streams.err(`No events${flags.since === undefined ? '' : ` since ${flags.since}`} at site ${answer.site}.\n`); return }
    printAs(streams, format, answer, () => {
      const shown = answer.items.length < answer.total ? `(newest ${answer.items.length} of ${answer.total}; --limit 0 shows all)\n` : ''
      return shown + eventsTable(answer.items)
    })
  })
}
