/**
 * The narrow Kubernetes client the cluster reconciler needs: server-side apply, delete
 * with a uid precondition, list and watch (optionally by label selector), and a ping. Two
 * adapters implement it: `client-node-client.ts` over @kubernetes/client-node (push
 * mode and the agent) and the simulator's in-process client over the emulator's model
 * (sim/cluster). Failures are `KubeCallError`s that say whether the API answered
 * (`status`, a per-object problem) or not (`transport`, the cluster is unreachable).
 */
import { FlotillaError } from '../model/errors.ts'
import { WORKLOAD_KINDS, type KubeObject } from '../model/kube.ts'

/** What the client needs to know to address a kind. */
export interface KindRef {
  apiVersion: string
  kind: string
  plural: string
  namespaced: boolean
}

export interface ObjectRef {
  kind: KindRef
  namespace?: string
  name: string
}

export interface ListResult {
  items: KubeObject[]
  resourceVersion: string
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'

export interface WatchHandlers {
  event (type: WatchEventType, object: KubeObject): void
  /** The watch ended: cleanly (`undefined`) or with an error. Called once. */
  done (error?: unknown): void
}

export interface WatchHandle {
  stop (): void
}

export interface KubeClient {
  /** Server-side apply as the `flotilla` field manager. */
  apply (object: KubeObject, options: { force: boolean }): Promise<KubeObject>
  /** Deletes the object if it still has `uid`; resolves if it is already gone. */
  delete (ref: ObjectRef, preconditions: { uid?: string }): Promise<void>
  /** Lists across all namespaces. */
  list (kind: KindRef, options: { labelSelector?: string }): Promise<ListResult>
  watch (kind: KindRef, options: { resourceVersion: string, labelSelector?: string }, handlers: WatchHandlers): WatchHandle
  /** A cheap call that succeeds when the API answers. */
  ping (): Promise<void>
  /** Releases connections; in-flight calls may still settle. */
  close (): void
}

export interface KubeCallErrorInit {
  /** True when the API did not answer (connection refused or reset, timeout). */
  transport: boolean
  /** HTTP status of the answer, when there was one. */
  status?: number
  /** The Status `reason` (`NotFound`, `Invalid`, `Conflict`, `Expired`...). */
  reason?: string
  /** `details.kind` of the Status (e.g. `namespaces` when a namespace is missing). */
  detailsKind?: string
  cause?: unknown
}

export class KubeCallError extends FlotillaError {
  readonly transport: boolean
  readonly status: number | undefined
  readonly reason: string | undefined
  readonly detailsKind: string | undefined

  constructor (message: string, init: KubeCallErrorInit) {
    super(init.transport ? 'cluster-unreachable' : 'apply-failed', message,
      init.transport
        ? 'Check that the cluster API is up and reachable from this host, and the kubeconfig\'s server address.'
        : 'See the message from the cluster API; fix the object or the cluster, the driver retries.',
      { cause: init.cause, details: { status: init.status, reason: init.reason } })
    this.name = 'KubeCallError'
    this.transport = init.transport
    this.status = init.status
    this.reason = init.reason
    this.detailsKind = init.detailsKind
  }
}

export function isKubeCallError (e: unknown): e is KubeCallError {
  return e instanceof KubeCallError
}

/**
 * True for failures that say the API itself is not usable (no answer, bad credentials,
 * overload, server error), as opposed to one object being refused (400, 403, 404, 409, 422).
 */
export function isClusterFailure (e: unknown): boolean {
  if (!isKubeCallError(e)) return true
  if (e.transport) return true
  const s = e.status ?? 0
  return s === 401 || s === 429 || s >= 500
}

/** The kinds a site may place on a member cluster. */
export const WORKLOAD_KIND_REFS: readonly KindRef[] = Object.entries(WORKLOAD_KINDS).map(([kind, k]) =>
  ({ apiVersion: k.apiVersion, kind, plural: k.plural, namespaced: k.namespaced }))

export const NODE_KIND: KindRef = { apiVersion: 'v1', kind: 'Node', plural: 'nodes', namespaced: false }
export const POD_KIND: KindRef = { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true }
export const NAMESPACE_KIND = WORKLOAD_KIND_REFS.find((k) => k.kind === 'Namespace') as KindRef

export function kindRefOf (apiVersion: string, kind: string): KindRef | undefined {
  return WORKLOAD_KIND_REFS.find((k) => k.apiVersion === apiVersion && k.kind === kind)
}

/** `/api/v1/pods`, `/apis/apps/v1/namespaces/ns/deployments/name`... */
export function resourcePath (kind: KindRef, namespace?: string, name?: string): string {
  const root = kind.apiVersion.includes('/') ? `/apis/${kind.apiVersion}` : `/api/${kind.apiVersion}`
  const ns = kind.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : ''
  return `${root}${ns}/${kind.plural}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`
}

/** `namespace/name` (cluster-scoped: `/name`), the key of an object within its kind. */
export function objectName (o: { metadata: { namespace?: string, name: string } }): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`
}
