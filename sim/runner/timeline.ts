/**
 * The run's timeline: what happened when, for the report (faults with their start and
 * end, crashes and restarts, failovers seen by honest sites, workload changes) and for
 * the invariants that must know whether a fault was in progress. Every entry also goes
 * into the trace, so the timeline is part of the trace hash.
 */
import type { Trace, TraceValue } from '../engine/trace.ts'

export type TimelineKind =
  | 'partition' | 'heal' | 'block' | 'unblock' | 'crash' | 'restart' | 'site-loss' | 'site-return'
  | 'slow-disk' | 'disk-recovered' | 'skew' | 'not-ready' | 'cluster-ready'
  | 'byzantine' | 'workload' | 'failover' | 'failback' | 'suspect' | 'failed' | 'recovered' | 'violation'

export interface TimelineEntry {
  timeMs: number
  kind: TimelineKind
  /** Site the entry is about, when one is. */
  site?: string
  detail: string
}

export interface Timeline {
  add (timeMs: number, kind: TimelineKind, detail: string, site?: string, fields?: Record<string, TraceValue>): void
  entries (): readonly TimelineEntry[]
  /** True time of the latest change of fault state (a fault starting or ending); -Infinity if none yet. */
  lastFaultChangeMs (): number
  /** Marks a fault-state change without a timeline entry of its own. */
  faultChanged (timeMs: number): void
}

const FAULT_KINDS: ReadonlySet<TimelineKind> = new Set([
  'partition', 'heal', 'block', 'unblock', 'crash', 'restart', 'site-loss', 'site-return', 'slow-disk', 'disk-recovered', 'skew', 'not-ready', 'cluster-ready'
])

/** Entries beyond this many are counted in the trace but not kept (failovers of huge runs). */
const MAX_ENTRIES = 20_000

export function createTimeline (trace: Trace): Timeline {
  const list: TimelineEntry[] = []
  let lastFault = -Infinity
  return {
    add (timeMs, kind, detail, site, fields = {}) {
      trace.record(timeMs, `timeline:${kind}`, { detail, site: site ?? null, ...fields })
      if (FAULT_KINDS.has(kind)) lastFault = timeMs
      if (list.length < MAX_ENTRIES) list.push(site === undefined ? { timeMs, kind, detail } : { timeMs, kind, site, detail })
    },
    entries: () => list,
    lastFaultChangeMs: () => lastFault,
    faultChanged (timeMs) { lastFault = Math.max(lastFault, timeMs) }
  }
}
