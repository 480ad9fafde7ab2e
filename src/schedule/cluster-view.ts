/**
 * The clusters of the view prepared once for many placements: sorted by id (the total
 * order every tie falls back to), each with its id hash for rendezvous scores, its
 * free capacity laid out for fast fit checks, and whether the observer can use it
 * (unavailable, its site failed, or not Ready). Placing thousands of workloads against
 * one view reuses this instead of redoing it per workload.
 */
import type { ClusterId, ClusterRecord, SiteId } from '../model/federation.ts'
import { addResources, subtractResources, type Resources } from '../model/resources.ts'
import { capacityIndex, type CapacityIndex } from './fit.ts'
import { hashString, type Hash64 } from './hash.ts'
import { sortedUniqueBy } from './order.ts'

export type AvailabilityRule = 'unavailable' | 'site-failed' | 'not-ready'

export interface ViewCluster {
  record: ClusterRecord
  hash: Hash64
  capacity: CapacityIndex
  /** Why the observer cannot place here, if it cannot. */
  blocked?: { rule: AvailabilityRule, message: string }
}

export interface ClusterView {
  /** Sorted by cluster id. */
  clusters: readonly ViewCluster[]
}

export interface Availability {
  /** Clusters the observer holds unavailable (failed site, lost contact, NotReady...). */
  unavailable?: ReadonlySet<ClusterId>
  /** Sites the observer holds failed: all their clusters are unavailable. */
  failedSites?: ReadonlySet<SiteId>
}

/** Throws FlotillaError('internal') if two records share a cluster id. */
export function prepareClusterView (clusters: readonly ClusterRecord[], availability: Availability = {}): ClusterView {
  const sorted = sortedUniqueBy(clusters, (c) => c.id, 'clusters')
  return {
    clusters: sorted.map((record) => {
      const vc: ViewCluster = {
        record,
        hash: hashString(record.id),
        capacity: capacityIndex(subtractResources(record.allocatable, record.allocated), record.nodeFree)
      }
      if (availability.failedSites?.has(record.site) === true) vc.blocked = { rule: 'site-failed', message: `site ${record.site} has failed` }
      else if (availability.unavailable?.has(record.id) === true) vc.blocked = { rule: 'unavailable', message: 'unavailable to this site' }
      else if (record.health !== 'Ready') vc.blocked = { rule: 'not-ready', message: `health is ${record.health}` }
      return vc
    })
  }
}

/**
 * The view with `room` given back on some clusters: the capacity a workload's own running
 * replicas hold there, which a new placement of that same workload may reuse (a cluster
 * full of its own replicas is not full for it). The room is added to the cluster's total
 * and, when the owner reports nodes, as one more node of exactly that size, so the
 * replicas that held it fit again and nothing else fits on their account.
 */
export function withRoomGivenBack (view: ClusterView, room: ReadonlyMap<ClusterId, Resources>): ClusterView {
  if (room.size === 0) return view
  return {
    clusters: view.clusters.map((vc) => {
      const add = room.get(vc.record.id)
      if (add === undefined) return vc
      const r = vc.record
      const nodes = r.nodeFree.length === 0 ? [] : [...r.nodeFree, add]
      return { ...vc, capacity: capacityIndex(addResources(subtractResources(r.allocatable, r.allocated), add), nodes) }
    })
  }
}
