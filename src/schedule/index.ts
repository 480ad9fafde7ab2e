/**
 * Public surface of the scheduler (layer 2, pure): placement, overrides, explanation
 * text and policy validation. Everything here is a deterministic function of its
 * arguments; nothing reads time, randomness or I/O.
 */
export { placeInView, placeWorkload, type PlacementInput } from './place.ts'
export { prepareClusterView, withRoomGivenBack, type Availability, type ClusterView } from './cluster-view.ts'
export { preparePolicies, selectPolicy, type PolicySet, type PolicyCandidate } from './policies.ts'
export { formatExplanation } from './format-explanation.ts'
export { validateOverridePolicy, validatePropagationPolicy, type FieldError } from './validate.ts'
export { applyOverrides, type AppliedOverride, type OverrideError, type OverrideResult } from './overrides.ts'
export { movedReplicas } from './movement.ts'
export type * from './types.ts'
