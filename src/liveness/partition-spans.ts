/**
 * Partitions, as read from an observer's own liveness events. No site records a
 * `partition` event: each observer records one `site-failed` per peer it loses, and a cut
 * that separates it from several peers shows as several failures close together. This
 * derives one span per such group, at read time, so replicated history does not grow for
 * it: two or more peers failed within `windowMs` of the group's first failure, as one
 * observer saw it, until that observer recorded every one of them recovered. Nothing here
 * can tell a partition from an outage the peers share (a region going dark); the cause
 * says so.
 */
import type { EventKind, FederationEvent } from '../model/federation.ts'
import { secondsText } from './failure-detector.ts'

/** The fields of a federation event this reads. */
export interface LivenessEvent {
  /** The observer: the site whose log holds the event. */
  site: string
  kind: EventKind
  subject: string
  at: number
  seq?: number
}

export interface PartitionSpan {
  observer: string
  /** The peers lost together, sorted. */
  peers: string[]
  /** Wall ms of the group's first failure. */
  from: number
  /** Wall ms the last of them was recorded recovered (after its last failure in the group); absent while one is not back. */
  until?: number
  /** Roster size less the observer, when known. */
  of?: number
  cause: string
}

/** Failures this close to a group's first one count as one loss (the detector judges every site on the same tick). */
export const PARTITION_WINDOW_MS = 10_000

export function partitionSpans (
  events: readonly LivenessEvent[], options: { windowMs?: number, peersOf?: (observer: string) => number | undefined } = {}
): PartitionSpan[] {
  const windowMs = options.windowMs ?? PARTITION_WINDOW_MS
  const byObserver = new Map<string, LivenessEvent[]>()
  for (const e of events) {
    if (e.kind !== 'site-failed' && e.kind !== 'site-recovered') continue
    let list = byObserver.get(e.site)
    if (list === undefined) byObserver.set(e.site, list = [])
    list.push(e)
  }
  const spans: PartitionSpan[] = []
  for (const [observer, list] of [...byObserver].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)) {
    list.sort((a, b) => a.at - b.at || (a.seq ?? 0) - (b.seq ?? 0))
    const of = options.peersOf?.(observer)
    let group: { from: number, failedAt: Map<string, number> } | undefined
    const close = (): void => {
      if (group !== undefined && group.failedAt.size >= 2) spans.push(span(observer, group.from, group.failedAt, list, of, windowMs))
      group = undefined
    }
    for (const e of list) {
      if (e.kind !== 'site-failed') continue
      if (group !== undefined && e.at - group.from > windowMs) close()
      if (group === undefined) group = { from: e.at, failedAt: new Map() }
      group.failedAt.set(e.subject, e.at)
    }
    close()
  }
  return spans.sort((a, b) => b.from - a.from || (a.observer < b.observer ? -1 : a.observer > b.observer ? 1 : 0))
}

function span (observer: string, from: number, failedAt: ReadonlyMap<string, number>, list: readonly LivenessEvent[], of: number | undefined, windowMs: number): PartitionSpan {
  const peers = [...failedAt.keys()].sort()
  let until: number | undefined = from
  for (const peer of peers) {
    const back = list.find((e) => e.kind === 'site-recovered' && e.subject === peer && e.at >= failedAt.get(peer)!)
    if (back === undefined) { until = undefined; break }
    until = Math.max(until, back.at)
  }
  const share = of === undefined ? `${peers.length} peers` : `${peers.length} of ${of} peers`
  const end = until === undefined ? 'not all back yet' : `all back after ${secondsText(until - from)}`
  const cause = `cut off from ${peers.join(', ')} — ${share} failed within ${secondsText(windowMs)} (a partition, or an outage they share); ${end}`
  return { observer, peers, from, ...(until === undefined ? {} : { until }), ...(of === undefined ? {} : { of }), cause }
}

/** A derived partition as an event a log reader shows (`span` for readers that show more). */
export interface PartitionEvent { event: FederationEvent & { kind: 'partition' }, span: PartitionSpan }

/**
 * The partitions in `events`, each as one `partition` event at its first failure (the
 * dashboard timeline and `flotilla events` both show them so). `peers` is the roster size
 * less the observer, when known.
 */
export function partitionEvents (events: readonly LivenessEvent[], peers: number): PartitionEvent[] {
  return partitionSpans(events, peers > 0 ? { peersOf: () => peers } : {}).map((span) => ({
    event: { id: `${span.observer}#partition@${span.from}`, kind: 'partition', at: span.from, site: span.observer, subject: span.peers.join(', '), cause: span.cause },
    span
  }))
}
