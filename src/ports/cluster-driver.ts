/**
 * ClusterDriver port: how a site acts on one member cluster. The site declares the
 * complete set of objects it wants there; the driver applies what changed, prunes only
 * objects it owns and no longer wants, and reports what it observes (reachability,
 * nodes, per-object readiness and per-object errors, and what it found running before
 * the site declared anything). Production binds
 * `@kubernetes/client-node` (push mode) or an agent's reports (pull mode); the simulator
 * binds an in-memory cluster model.
 */
import type { Condition, KubeObject, WorkloadKey } from '../model/kube.ts'
import type { Resources } from '../model/resources.ts'

export interface DesiredObject {
  key: WorkloadKey
  /** Rendered for this cluster (overrides applied), without status. */
  object: KubeObject
  /** Generation of the workload this object was rendered from. */
  generation: number
}

export interface ObjectState {
  key: WorkloadKey
  desired: number
  ready: number
  available: number
  conditions: Condition[]
  observedGeneration: number
  /** Set when the last apply of this object failed; the driver retries. */
  error?: { code: string, message: string }
}

export interface NodeState {
  name: string
  ready: boolean
  /** The node's `status.capacity`; absent from agents of earlier releases (then: allocatable). */
  capacity?: Resources
  allocatable: Resources
  allocated: Resources
}

export interface ClusterObservation {
  /** Whether the last contact with the cluster's API succeeded. */
  reachable: boolean
  /** Monotonic ms of the last successful contact (the driver's clock). */
  lastContactMs: number | undefined
  /** Why the cluster is unreachable, when it is. */
  lastError?: string
  nodes: NodeState[]
  /**
   * Each desired object; and, until the site first declares a desired set, each object
   * Flotilla owns that the cluster already holds, with the replicas it asks for: what a
   * restarted site finds running, which it must count before it decides what to remove.
   */
  objects: ReadonlyMap<WorkloadKey, ObjectState>
  /**
   * Whether the driver has seen what the cluster holds since it started (every workload
   * kind listed once; in pull mode, the agent's first report). Until then `objects` may
   * miss what runs there, so a site declares no desired set before it: its first one
   * prunes every owned object it leaves out.
   */
  listed: boolean
}

export interface ClusterDriver {
  /** The cluster's local name within its site. */
  readonly name: string
  start (): Promise<void>
  stop (): Promise<void>
  /**
   * Replaces the desired set. Returns at once; the driver converges in the background
   * and calls the change listeners when its observation changes. Owned objects left out
   * are pruned, those found at start included, so call it only once `listed`.
   */
  setDesired (objects: readonly DesiredObject[]): void
  observe (): ClusterObservation
  onChange (listener: () => void): () => void
}

/** Labels and annotations a driver puts on every object it owns. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by'
export const MANAGED_BY_VALUE = 'flotilla'
export const WORKLOAD_KEY_ANNOTATION = 'flotilla.io/workload'
export const GENERATION_ANNOTATION = 'flotilla.io/generation'
export const FIELD_MANAGER = 'flotilla'
