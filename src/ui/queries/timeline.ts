/**
 * The timeline of failures, partitions and migrations, and the Byzantine evidence list.
 * Both merge what the view holds of every site (their replicated event logs and evidence)
 * with what this site has written itself but may not have folded into its view yet, keep
 * one copy of each (by writing site and id), and list the newest first. Partitions are
 * derived from each observer's `site-failed` events (src/liveness/partition-spans.ts) and
 * listed as `partition` events of that observer, marked `derived`.
 */
import type { EventKind, EvidenceRecord, FederationEvent } from '../../model/federation.ts'
import type { GlobalView } from '../../model/view.ts'
import { compareStrings } from '../../schedule/order.ts'
import type { EventsJson, EvidenceJson, TimelineEvent } from '../dashboard-types.ts'
import { intParam, listParam, textParam } from './query-params.ts'
import { partitionEvents } from '../../liveness/partition-spans.ts'

export const EVENT_KINDS: readonly EventKind[] = [
  'site-suspected', 'site-failed', 'site-recovered', 'cluster-not-ready', 'cluster-ready',
  'migration', 'failback', 'degraded', 'partition', 'evidence', 'info'
]

function newestFirst (a: TimelineEvent, b: TimelineEvent): number {
  return b.at - a.at || compareStrings(a.site, b.site) || (b.seq ?? 0) - (a.seq ?? 0) || compareStrings(b.id, a.id)
}

/**
 * Every event the view and this site's own log hold, once each, and the partitions they
 * show, newest first. A partition's peer count is the view's sites less the observer.
 */
export function mergeEvents (view: GlobalView, own: readonly FederationEvent[]): TimelineEvent[] {
  const seen = new Set<string>()
  const out: TimelineEvent[] = []
  for (const e of view.events) {
    seen.add(`${e.site}\n${e.id}`)
    out.push(e)
  }
  for (const e of own) if (!seen.has(`${e.site}\n${e.id}`)) out.push({ ...e, localOnly: true })
  for (const { event, span } of partitionEvents(out, Math.max(0, view.sites.length - 1))) {
    out.push({ ...event, derived: { peers: span.peers, ...(span.until === undefined ? {} : { until: span.until }) } })
  }
  return out.sort(newestFirst)
}

/** Every evidence record of every observer, once each, most recently seen first. */
export function mergeEvidence (view: GlobalView, own: readonly EvidenceRecord[]): EvidenceRecord[] {
  const byId = new Map<string, EvidenceRecord>()
  for (const e of view.evidence) byId.set(`${e.observedBy}\n${e.id}`, e)
  // This site's own copy is the freshest word on what it observed (counts grow locally first).
  for (const e of own) byId.set(`${e.observedBy}\n${e.id}`, e)
  return [...byId.values()].sort((a, b) => b.at - a.at || compareStrings(a.observedBy, b.observedBy) || compareStrings(a.id, b.id))
}

export function queryEvents (events: readonly TimelineEvent[], q: URLSearchParams): EventsJson {
  const kinds = listParam(q, 'kind', EVENT_KINDS)
  const site = textParam(q, 'site', 253)
  const offset = intParam(q, 'offset', 0, 0, 10_000_000)
  const limit = intParam(q, 'limit', 100, 1, 500)
  const wanted = kinds === undefined ? undefined : new Set<string>(kinds)
  const matched = wanted === undefined && site === undefined
    ? events
    : events.filter((e) => (wanted === undefined || wanted.has(e.kind)) && (site === undefined || e.site === site || e.subject === site || e.derived?.peers.includes(site) === true))
  return { total: matched.length, offset, limit, items: matched.slice(offset, offset + limit) }
}

export function queryEvidence (records: readonly EvidenceRecord[], q: URLSearchParams): EvidenceJson {
  const offset = intParam(q, 'offset', 0, 0, 10_000_000)
  const limit = intParam(q, 'limit', 100, 1, 500)
  const items = records.slice(offset, offset + limit).map(({ proof, ...rest }) => ({ ...rest, proofs: proof?.length ?? 0 }))
  return { total: records.length, offset, limit, items }
}
