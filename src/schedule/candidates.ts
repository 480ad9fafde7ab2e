/**
 * A candidate cluster for one workload and the rank order over candidates: fewer
 * untolerated PreferNoSchedule taints first, then the higher rendezvous score, then
 * cluster id and site id. The order is total; a tie between two different candidates
 * throws, because it would let input order decide.
 */
import type { ViewCluster } from './cluster-view.ts'
import { compareStrings, tieError } from './order.ts'

export interface Candidate {
  vc: ViewCluster
  /** Replicas of this workload that fit (MAX_AVAILABLE_REPLICAS for kinds without pods). */
  avail: number
  penalty: number
  /** Rendezvous score, an integer in [0, 2^53). */
  hrw: number
}

export function compareRank (a: Candidate, b: Candidate): number {
  if (a.penalty !== b.penalty) return a.penalty - b.penalty
  if (a.hrw !== b.hrw) return a.hrw > b.hrw ? -1 : 1
  const c = compareStrings(a.vc.record.id, b.vc.record.id) || compareStrings(a.vc.record.site, b.vc.record.site)
  if (c === 0 && a !== b) throw tieError('clusters', a.vc.record.id, b.vc.record.id)
  return c
}

export function capacityOf (cands: readonly Candidate[]): number {
  let sum = 0
  for (const c of cands) sum += c.avail
  return sum
}
