/**
 * Public surface of the failover and propagation decisions (layer 3, pure): which
 * clusters an observer can use, the effective placement every site acts on, when the
 * origin rewrites its binding (and the decision behind a placement, for explain), the
 * shares a site runs on its own clusters with graceful eviction, the events a change of
 * placement writes, and a workload's aggregated status. Plain data in and out, `now` as
 * a parameter; the controllers call these each tick and do the I/O.
 */
export {
  clusterAvailability, stabilizedSince, stabilizingWithin, trackAvailability, unavailabilityReason,
  type AvailabilityMemory, type AvailabilityRecord, type ClusterAvailability, type ClusterAvailabilityInput
} from './availability.ts'
export {
  failbackRule, preparePlacementContext,
  type FailbackPolicy, type FailbackRule, type FailoverSettings, type PlacementContext, type PlacementContextInput, type PlacementView
} from './context.ts'
export {
  effectivePlacement, originBindingOf, restoredDecision,
  type ActedRecord, type BaseBinding, type DisplacedCluster, type EffectiveMode, type EffectivePlacement, type EffectivePlacementInput
} from './effective-placement.ts'
export { originBinding, originPlacement, type OriginBindingDecision, type OriginBindingInput, type OriginTrigger } from './origin-binding.ts'
export { differsFrom, placementBehind, type PlacementBehindInput } from './placement-behind.ts'
export { originGrace, type OriginGrace, type OriginGraceInput } from './origin-grace.ts'
export { ownShares, type OwnShare, type OwnSharesInput, type ShareAction } from './own-shares.ts'
export { migrationEvents, type DecisionEvent } from './migration-events.ts'
export { aggregateStatus, type ClusterStatus, type WorkloadPhase, type WorkloadStatus } from './aggregate-status.ts'
export { siteOfCluster, sortAssignments, totalReplicas } from './assignments.ts'
