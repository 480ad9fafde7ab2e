/**
 * Pure Kubernetes API semantics shared by the site's API server (src/api) and the
 * cluster emulator (sim/kube): Status errors, JSON/merge/strategic patches, server-side
 * apply with field managers, label and field selectors, object validation, request body
 * decoding (JSON, YAML, protobuf) and human durations. Nothing here touches a socket or
 * a clock, so both a production site and the emulator get the same answers.
 */
export {
  alreadyExists, badRequest, expired, invalid, isKubeApiError, KubeApiError, methodNotAllowed, notFound,
  qualifiedResource, staleConflict, statusError, successStatus,
  type KubeStatus, type StatusCause, type StatusReason, type StatusSubject
} from './api-errors.ts'
export { applyJsonPatch } from './json-patch.ts'
export { applyMergePatch } from './merge-patch.ts'
export { applyStrategicMergePatch } from './strategic-merge-patch.ts'
export { serverSideApply, trackUpdate, type ManagedFieldsEntry } from './server-side-apply.ts'
export {
  formatLabelSelector, fromStructured, matchesLabels, parseLabelSelector, type LabelSelector, type StructuredSelector
} from './label-selector.ts'
export { matchesFields, parseFieldSelector, pinnedName, type FieldSelector } from './field-selector.ts'
export { validateObject } from './validation.ts'
export { canonicalJson, deepEqual, isPlainObject, type Json, type JsonObject } from './json.ts'
export { humanDuration } from './duration.ts'
export { decodeBody, mediaType, readBody, representationOf, type Representation } from './http-io.ts'
