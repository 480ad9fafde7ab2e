/**
 * The one import point for pure Kubernetes API semantics that the cluster emulator
 * already implements (Status errors, patches, server-side apply with field managers,
 * selectors, object validation, body decoding, human durations). The API server takes
 * them only from here, so moving those modules to a shared `src/k8s/` later changes
 * this file alone.
 */
export {
  alreadyExists, badRequest, expired, invalid, isKubeApiError, KubeApiError, methodNotAllowed, notFound,
  qualifiedResource, staleConflict, statusError, successStatus,
  type KubeStatus, type StatusCause, type StatusReason, type StatusSubject
} from '../../sim/kube/model/api-errors.ts'
export { applyJsonPatch } from '../../sim/kube/model/json-patch.ts'
export { applyMergePatch } from '../../sim/kube/model/merge-patch.ts'
export { applyStrategicMergePatch } from '../../sim/kube/model/strategic-merge-patch.ts'
export { serverSideApply, trackUpdate, type ManagedFieldsEntry } from '../../sim/kube/model/server-side-apply.ts'
export {
  formatLabelSelector, fromStructured, matchesLabels, parseLabelSelector, type LabelSelector, type StructuredSelector
} from '../../sim/kube/model/label-selector.ts'
export { matchesFields, parseFieldSelector, pinnedName, type FieldSelector } from '../../sim/kube/model/field-selector.ts'
export { validateObject } from '../../sim/kube/model/validation.ts'
export { canonicalJson, deepEqual, isPlainObject, type Json, type JsonObject } from '../../sim/kube/model/json.ts'
export { humanDuration } from '../../sim/kube/server/table.ts'
export { decodeBody, mediaType, readBody, representationOf, type Representation } from '../../sim/kube/server/http-io.ts'
