/**
 * The scheduler decision behind a workload's placement in force, for `explain`: the
 * function the controller ran for it, with the inputs it ran it with, so the replica
 * arithmetic explain shows is that of the placement it explains. An origin binding comes
 * from `originPlacement` (the room the workload's Ready replicas hold given back), a
 * failover from `placeWithOwnRoom` over the origin binding and the observer's previous
 * placement, a placement computed before any origin binding from `placeFresh`. A binding
 * is sticky — written on a trigger, kept until the next — so once the view has moved on,
 * the decision recomputed now may differ from the one in force: `differsFrom` says where,
 * and the caller says so rather than pass one off as the other.
 */
import type { ClusterAssignment, ShareStatus, WorkloadRecord } from '../../model/federation.ts'
import type { PlacementDecision } from '../../schedule/index.ts'
import { formatAssignments, sameAssignments } from './assignments.ts'
import type { PlacementContext } from './context.ts'
import { placeFresh, placeWithOwnRoom, type EffectivePlacement } from './effective-placement.ts'
import { originPlacement } from './origin-binding.ts'

export interface PlacementBehindInput {
  context: PlacementContext
  workload: WorkloadRecord
  /** The share statuses the controller gives `originBinding` for the workload (none for a local-only one). */
  shares: readonly ShareStatus[]
  /** The observer's effective placement of the workload at its last tick, if it has one. */
  effective?: EffectivePlacement
  /** The previous placement that tick's `effectivePlacement` started from, if any. */
  previous?: readonly ClusterAssignment[]
}

/** The decision behind the placement in force, recomputed with the controller's function and inputs. */
export function placementBehind (input: PlacementBehindInput): PlacementDecision {
  const { context: ctx, workload: w, effective: e } = input
  if (e?.mode === 'failover' && e.base !== undefined) return placeWithOwnRoom(ctx, w, [e.base.assignments, input.previous ?? []])
  if (e?.mode === 'computed') return placeFresh(ctx, w)
  return originPlacement(ctx, w, input.shares)
}

/** Undefined when `decision` places what is in force; otherwise one line saying what differs. */
export function differsFrom (decision: PlacementDecision, inForce: readonly ClusterAssignment[]): string | undefined {
  if (sameAssignments(decision.assignments, inForce)) return undefined
  return `in force: ${formatAssignments(inForce)}; placed now: ${formatAssignments(decision.assignments)}`
}
