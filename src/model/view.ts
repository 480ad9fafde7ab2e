/**
 * The global view: what a site knows of the whole federation, read out of the documents
 * it holds. It is plain data in a stable order (sorted by id or key), so two sites that
 * hold the same documents build deep-equal views, and placement, failover, the API and
 * the dashboard all read the same shape. Built by `src/view/`.
 */
import type {
  Binding, ClusterId, ClusterRecord, EvidenceRecord, FederationEvent, InspectionKind, InspectionResult,
  PolicyRecord, RedactedStub, RosterMember, ShareStatus, SiteId, SiteInfo, WorkloadRecord
} from './federation.ts'

/** Federation-wide settings: small scalar values keyed by name (timings, failback defaults). */
export type FederationSettings = Record<string, string | number | boolean>

export interface FederationView {
  /** Sorted by site id. */
  members: RosterMember[]
  settings: FederationSettings
  /** Heads of the federation document the view was built from (sorted); empty if absent. */
  heads: string[]
}

export interface SiteView {
  id: SiteId
  /** Undefined until the site's document carries its info. */
  info?: SiteInfo
  /** The site's clusters (sorted). */
  clusters: ClusterId[]
  /** Whether the federation roster lists the site. */
  member: boolean
  /** Heads of the site document (sorted), for audit of decisions taken from this view. */
  heads: string[]
}

export interface WorkloadView extends WorkloadRecord {
  /** Replicas the manifest asks for (1 for kinds without replicas). */
  replicas: number
  /** Bindings written by each deciding site, sorted by `decidedBy`. */
  bindings: Binding[]
  /** Share status reported by the owners of the clusters, sorted by cluster. */
  shares: ShareStatus[]
  /** Sums over `shares`. */
  desired: number
  ready: number
  available: number
}

export interface InspectionView {
  site: SiteId
  kind: InspectionKind
  target: string
  /** Oldest first, at most the stored history length. */
  history: InspectionResult[]
}

/** Two sites claimed the same key: the lowest site id wins, the others are listed. */
export interface ViewConflict {
  collection: 'workloads' | 'policies'
  key: string
  winner: SiteId
  others: SiteId[]
}

export type ViewAnomalyCode =
  /** The document id is neither `federation` nor `site:<id>`. */
  | 'unknown-document'
  /** The document declares a schema version this build does not know. */
  | 'unsupported-version'
  /** A record does not decode: wrong type, missing field, bad JSON. */
  | 'malformed'
  /** A record sits in the wrong bucket or under a key that does not match its content. */
  | 'misplaced'
  /** A site document speaks for another site (site info, origin, decidedBy, observer). */
  | 'foreign-origin'
  /** A site document claims a cluster that is not its own (cluster record, share, stub). */
  | 'foreign-cluster'
  /** A replicated document holds a workload marked local-only. */
  | 'local-only-replicated'

/** A record the view ignored, and why. Sorted by document, collection, key, code. */
export interface ViewAnomaly {
  document: string
  collection: string
  key: string
  code: ViewAnomalyCode
  detail: string
}

export interface GlobalView {
  federation: FederationView
  sites: SiteView[]
  clusters: ClusterRecord[]
  workloads: WorkloadView[]
  policies: PolicyRecord[]
  /** Redacted stubs of other sites' local-only workloads, sorted by origin then id. */
  stubs: RedactedStub[]
  inspections: InspectionView[]
  /** Sorted by observer then id. */
  evidence: EvidenceRecord[]
  /** Sorted by time, then site, then id. */
  events: FederationEvent[]
  conflicts: ViewConflict[]
  anomalies: ViewAnomaly[]
}
