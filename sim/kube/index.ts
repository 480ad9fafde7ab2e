/**
 * The Kubernetes cluster emulator: an in-memory cluster model on the Clock port
 * (`createClusterModel`, for the simulator and in-process drivers) and the same model
 * behind a Kubernetes-compatible HTTP(S) API (`startKubeEmulator`, for kubectl,
 * @kubernetes/client-node, the demo and tests). See docs/kube-emulator.md.
 */
export {
  createClusterModel,
  type ClusterModel, type ClusterModelOptions, type ClusterSnapshot, type FaultState, type NodeSnapshot,
  type UnreachableMode, type WorkloadSnapshot
} from './model/cluster-model.ts'
export { uniformNodes, capacityOf, type NodeSpec, type UniformNodesOptions } from './model/nodes.ts'
export {
  type KubeApi, type Scope, type ListOptions, type ListResult, type WriteOptions, type PatchType, type PatchOptions,
  type DeleteOptions, type WatchOptions, type WatchEvent, type WatchHandle, type PropagationPolicy
} from './model/kube-api-types.ts'
export { KubeApiError, isKubeApiError, type KubeStatus, type StatusCause, type StatusReason } from '../../src/k8s/api-errors.ts'
export { RESOURCE_TYPES, resourceByKind, resourceByPlural, mustResource, apiVersionOf, type ResourceType } from './model/resource-types.ts'
export type { StoreEvent, ChangeType } from './model/object-store.ts'
export { READY_DELAY_ANNOTATION, NEVER_READY_ANNOTATION } from './model/pod-template.ts'
export { startKubeEmulator, type KubeEmulator, type KubeEmulatorOptions } from './server/start.ts'
export { createKubeHttpServer, type KubeHttpServer, type KubeHttpServerOptions, type TlsMaterial } from './server/http-server.ts'
export { renderKubeconfig } from './server/kubeconfig.ts'
