/**
 * The emulated apiserver's verbs as data: scopes, options of each verb, watch events and
 * the hooks controllers attach. `kube-api.ts` implements them; the HTTP layer maps
 * requests onto them.
 */
import type { KubeObject } from '../../../src/model/kube.ts'
import type { KubeStatus } from '../../../src/k8s/api-errors.ts'
import type { JsonObject } from '../../../src/k8s/json.ts'
import type { Naming } from './naming.ts'
import type { ObjectStore } from './object-store.ts'
import type { OwnerIndex } from './owner-index.ts'
import type { ResourceType } from './resource-types.ts'

export interface Scope {
  resource: ResourceType
  /** The namespace of a namespaced request; undefined lists across all namespaces. */
  namespace?: string
}

export interface ListOptions {
  labelSelector?: string
  fieldSelector?: string
  limit?: number
  continue?: string
}

export interface ListResult {
  items: KubeObject[]
  resourceVersion: string
  continue?: string
  remainingItemCount?: number
}

export interface WriteOptions {
  /** Field manager; defaults to the caller's user agent name (the HTTP layer passes it). */
  fieldManager?: string
  dryRun?: boolean
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply'
export type Subresource = 'status' | 'scale'

export interface PatchOptions extends WriteOptions {
  force?: boolean
  subresource?: Subresource
}

export interface UpdateOptions extends WriteOptions {
  subresource?: Subresource
}

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground'

export interface DeleteOptions {
  propagationPolicy?: PropagationPolicy
  preconditions?: { uid?: string, resourceVersion?: string }
  dryRun?: boolean
}

export interface WatchOptions {
  resourceVersion?: string
  labelSelector?: string
  fieldSelector?: string
  allowWatchBookmarks?: boolean
  sendInitialEvents?: boolean
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'

export interface WatchEvent {
  type: WatchEventType
  object: KubeObject | KubeStatus
}

export interface WatchHandle {
  /** Sends a BOOKMARK at the current version (if the watch asked for bookmarks). */
  bookmark (): void
  stop (): void
  /** True once the watch ended by itself (e.g. after an Expired error). */
  readonly ended: boolean
}

export interface KubeApiHooks {
  /** Called on each candidate before validation (allocates service IPs, etc.). Mutates the private copy. */
  admit? (resource: ResourceType, candidate: JsonObject, old: KubeObject | undefined): void
}

export interface KubeApi {
  get (scope: Scope, name: string): KubeObject
  list (scope: Scope, options?: ListOptions): ListResult
  create (scope: Scope, body: unknown, options?: WriteOptions): KubeObject
  update (scope: Scope, name: string, body: unknown, options?: UpdateOptions): KubeObject
  /** `created` is true when a server-side apply created the object. */
  patch (scope: Scope, name: string, type: PatchType, patch: unknown, options?: PatchOptions): { object: KubeObject, created: boolean }
  /** `pending` is true when finalizers keep the object (deletionTimestamp set). */
  delete (scope: Scope, name: string, options?: DeleteOptions): { object: KubeObject, pending: boolean }
  deleteCollection (scope: Scope, list: ListOptions, options?: DeleteOptions): KubeObject[]
  watch (scope: Scope, options: WatchOptions, send: (event: WatchEvent) => void): WatchHandle
  /** The Scale view of a deployment or statefulset (`/scale` subresource). */
  getScale (scope: Scope, name: string): KubeObject
}

export interface KubeApiDeps {
  store: ObjectStore
  naming: Naming
  owners: OwnerIndex
  hooks?: KubeApiHooks
}
