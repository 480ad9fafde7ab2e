/**
 * The events an owner site records when one of its own clusters changes health: one
 * `cluster-not-ready` when a cluster stops being Ready (or is first found with no Ready
 * node), with the reason its record gives, and one `cluster-ready` when it is Ready again.
 * A pure step per cluster and tick: the site writes the event in the same change as the
 * cluster record, so a health change costs no extra write. `down` remembers that a
 * `cluster-not-ready` is open, so its return is recorded even when the record went through
 * `Unknown` in between; a cluster that was never Ready yet (a site's first minutes, its
 * driver still connecting) records nothing on its way to Ready.
 */
import type { ClusterHealth, ClusterRecord } from '../model/federation.ts'
import type { NewEvent } from '../store/docs/index.ts'

export interface ClusterHealthStep {
  /** The cluster's health as the document held it before this tick (undefined: no record yet). */
  previous: ClusterHealth | undefined
  /** Wall ms that health had held since (the record's `healthSince`), when there is a record. */
  previousSince?: number
  next: ClusterRecord
  /** Whether a `cluster-not-ready` event for this cluster is open. */
  down: boolean
  /** Wall ms, for the event. */
  at: number
}

export function clusterHealthEvent (step: ClusterHealthStep): { event?: NewEvent, down: boolean } {
  const { previous, next, at } = step
  const reason = next.conditions.find((c) => c.type === 'Ready')?.message ?? ''
  if (next.health === 'Ready') {
    if (!step.down) return { down: false }
    const after = step.previousSince === undefined || previous === 'Ready' ? '' : ` (not Ready for ${durationText(at - step.previousSince)})`
    return { event: { kind: 'cluster-ready', at, subject: next.id, cause: `Ready: ${reason}${after}` }, down: false }
  }
  if (step.down) return { down: true }
  // Unknown after never having been Ready is a cluster not heard from yet, not a failure.
  if (previous !== 'Ready' && next.health === 'Unknown') return { down: false }
  return { event: { kind: 'cluster-not-ready', at, subject: next.id, cause: `${next.health}: ${reason}` }, down: true }
}

/** Whether a cluster first seen by this process (after a restart) has a `cluster-not-ready` open: its record says it is not Ready. */
export function initiallyDown (held: ClusterHealth | undefined): boolean {
  return held !== undefined && held !== 'Ready'
}

function durationText (ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`
}
