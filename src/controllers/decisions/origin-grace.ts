/**
 * Whether an observer leaves a workload to its origin for now instead of acting for it.
 * A workload reaches the other sites a moment before its origin's binding does (the
 * origin writes the record, then places it in its next tick), and at start-up every site
 * sees every workload before any binding. Acting then — computing the placement and
 * writing an acting binding and shares, only to delete them when the origin's binding
 * arrives — is churn every site replicates to every other (it grew with the square of
 * the sites). So while the origin is alive per this observer's failure detector (its
 * heartbeat is fresh: not suspected, failed or recovering) and a named grace has not run
 * out since the observer first saw this generation unbound, the observer waits and keeps
 * running what it already runs. An origin that is not alive, or that stays silent past
 * the grace, is acted for as before: failover never waits on a site that is gone.
 */
import type { Binding, SiteId, WorkloadRecord } from '../../model/federation.ts'
import { checkDuration } from './availability.ts'

export interface OriginGraceInput {
  /** The observing site. */
  observer: SiteId
  workload: Pick<WorkloadRecord, 'key' | 'origin' | 'generation'>
  /** The binding the origin wrote for the workload, of any generation (`originBindingOf`). */
  originBinding: Binding | undefined
  /** Whether the observer's failure detector holds the origin alive (a fresh heartbeat). */
  originAlive: boolean
  /** Observer's monotonic ms when it first saw this generation without an origin binding for it. */
  unboundSince: number
  /** Observer's monotonic ms. */
  now: number
  /** How long an alive origin is given to bind a generation (`failover.originGraceMs`). */
  graceMs: number
}

export type OriginGrace =
  /** The origin's binding is for this generation, or the observer is the origin: decide as usual. */
  | { wait: false, unbound: false }
  /** Unbound, and the origin is not alive or its grace ran out: act for it. */
  | { wait: false, unbound: true }
  /** Unbound and within the grace of an alive origin: keep what runs, write nothing, look again by `until`. */
  | { wait: true, unbound: true, until: number }

/** Whether the observer waits for the origin to bind `workload` (see the module comment). */
export function originGrace (input: OriginGraceInput): OriginGrace {
  checkDuration('graceMs', input.graceMs)
  const { workload: w, originBinding: b } = input
  if (w.origin === input.observer) return { wait: false, unbound: false }
  if (b !== undefined && b.decidedBy === w.origin && b.generation === w.generation) return { wait: false, unbound: false }
  const until = input.unboundSince + input.graceMs
  if (!input.originAlive || input.now >= until) return { wait: false, unbound: true }
  return { wait: true, unbound: true, until }
}
