/**
 * What the surfaces of a site (the Kubernetes-compatible API, the dashboard, the CLI's
 * status commands) may ask of a running site. Reads come from the global view; writes
 * land in this site's own document (this site becomes the object's origin) or, for
 * local-only objects, in its non-replicated local store. The site core implements it;
 * surfaces depend only on this interface, so they can be tested against a fake.
 */
import type { ClusterAssignment, EvidenceRecord, FederationEvent, PolicyRecord, Residency, ShareStatus, WorkloadRecord } from '../model/federation.ts'
import type { KubeObject } from '../model/kube.ts'
import type { GlobalView } from '../model/view.ts'

/** Annotation a user sets on a workload to restrict where it may run. */
export const RESIDENCY_ANNOTATION = 'flotilla.io/residency'
/** Annotation the site sets on stored objects: the origin site. */
export const ORIGIN_ANNOTATION = 'flotilla.io/origin'

/** A local-only workload as its own site stores it (never replicated). */
export interface LocalWorkloadRecord {
  key: string
  manifest: KubeObject
  generation: number
  updatedAt: number
}

export interface PutResult {
  /** The object as stored, with origin annotation, generation and timestamps. */
  object: KubeObject
  created: boolean
  /** False when the stored object was already equal (nothing written). */
  changed: boolean
  residency: Residency
}

export interface ObjectRef {
  apiVersion: string
  kind: string
  namespace?: string
  name: string
}

export interface EffectivePlacement {
  assignments: ClusterAssignment[]
  mode: string
  degraded?: string
  reason: string
}

export interface PeerStatus {
  siteId: string
  peerId: string
  connected: boolean
  liveness: string
  lastHeartbeatAgoMs?: number
  /** Changes the peer holds that this site lacks (approximate). */
  behind: number
  bytesIn: number
  bytesOut: number
}

export interface SiteStatus {
  siteId: string
  region: string
  zone: string
  peerId: string
  startedAt: number
  peers: PeerStatus[]
  bootstrap: { documents: { have: number, total: number }, changes: { have: number, total: number } }
  alarms: string[]
}

/**
 * A latency histogram as Prometheus reads it: cumulative counts of observations at or
 * below each upper bound (seconds, ascending, without +Inf), their sum and their count.
 */
export interface HistogramSnapshot {
  buckets: Array<{ le: number, count: number }>
  sum: number
  count: number
}

/** Per-peer figures `status()` does not carry. */
export interface PeerMetrics {
  siteId: string
  /** Seconds since the last reconciliation with this peer completed (absent before the first). */
  syncAgeSeconds?: number
  /** The replication guard's score of the peer (lower is worse). */
  score?: number
}

/**
 * Counters a site keeps for `/metrics`. Counters count from the site process's start.
 * Peers, liveness, sync lag in changes and bytes per peer come from `status()`.
 */
export interface SiteMetrics {
  replication: {
    /** Changes from peers accepted into documents. */
    changesAccepted: number
    /** Changes received again that this site already held. */
    changesDuplicate: number
    /** Changes refused or dropped, by reason (`bad-signature`, `unauthorized-writer`, `rate-limited`, ...). */
    changesRejected: Record<string, number>
    sessions: { started: number, completed: number, timedOut: number }
  }
  peers: PeerMetrics[]
  controllers: {
    /** Bindings (placement decisions) this site wrote. */
    placements: number
    /** Workloads this site moved off a failed or not-ready cluster. */
    migrations: number
    /** Workloads this site moved back after a failed site or cluster returned. */
    failbacks: number
    ticks: number
  }
  /** The failure detector's refusals (absent from sites that do not count them). */
  liveness?: {
    /**
     * Per site, heartbeats refused since the process started because their wall time was
     * further from this site's clock than `failover.maxClockSkewMs`, and the skew of the
     * last one (seconds; positive: the sender's clock is ahead).
     */
    refusedForSkew: Array<{ siteId: string, count: number, lastSkewSeconds: number }>
  }
  /** The Kubernetes-compatible API of this site, when it runs in the same process. */
  api?: {
    /** Requests answered, by verb (`get`, `list`, `watch`, `create`, ...) and HTTP status code. */
    requests: Array<{ verb: string, code: number, count: number }>
    latency: HistogramSnapshot
  }
}

export interface SiteHandle {
  readonly siteId: string
  readonly region: string
  /** The current global view (cached; rebuilt when documents change). */
  view (): GlobalView
  /** Grows by one on every change of the view. */
  viewVersion (): number
  onViewChange (listener: (version: number) => void): () => void
  /**
   * Stores a workload (Deployment, StatefulSet, DaemonSet, Service, ConfigMap, Namespace,
   * Ingress) or a policy with this site as origin. The object must be valid; residency
   * comes from the `flotilla.io/residency` annotation (`global`, `local-only`,
   * `regions=a,b`). Refuses with `origin-mismatch` an object another site originated,
   * and with `input-invalid` anything malformed (nothing is written then).
   * When it resolves, `view()`, `viewVersion()`, `getRecord()` and `localWorkloads()`
   * already reflect the write and `onViewChange` listeners have run: the API answers a
   * write with the stored object and its new resourceVersion, read back from them.
   */
  putObject (obj: KubeObject, options?: { dryRun?: boolean }): Promise<PutResult>
  /**
   * Deletes an object this site originated; false if there was none. `origin-mismatch` if
   * another site owns it. Like `putObject`, reads reflect the deletion once it resolves.
   */
  deleteObject (ref: ObjectRef, options?: { dryRun?: boolean }): Promise<boolean>
  /** The stored workload or policy record for a key, from the view or (local-only) the local store. */
  getRecord (key: string): WorkloadRecord | PolicyRecord | LocalWorkloadRecord | undefined
  /** This site's local-only workloads (for the auditor role; never replicated). */
  localWorkloads (): LocalWorkloadRecord[]
  /** What this site's clusters report of one of its local-only workloads (never replicated, so not in the view). */
  localShares (key: string): ShareStatus[]
  /** Where this site believes the workload runs now, and why. */
  placement (key: string): EffectivePlacement | undefined
  /** `flotilla explain`: the scheduler's full explanation for a workload, as text. */
  explain (key: string): string | undefined
  events (): FederationEvent[]
  evidence (): EvidenceRecord[]
  status (): SiteStatus
  /** Counters for `/metrics`; optional until every site implementation provides it. */
  metrics? (): SiteMetrics
  /**
   * Every replicated document this site holds, saved (`Automerge.save`), for the
   * local-only leak scan of `flotilla compliance`; optional until every site
   * implementation provides it (the compliance report then says the scan is unavailable).
   */
  replicatedDocuments? (): Array<{ id: string, bytes: Uint8Array }>
}
