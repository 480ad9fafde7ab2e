/**
 * Replica division among the selected clusters, per Karmada's replicaScheduling:
 * Duplicated (each selected cluster runs the full count), Divided by equal, static
 * (`staticWeightList`, the highest matching weight per cluster) or dynamic weights
 * (available replicas), and Aggregated (the fewest clusters that fit, largest first,
 * each filled in that order). Every share is capped by what fits; a weighted split is
 * `apportion`'s stable divisor method.
 */
import type { ReplicaSchedulingStrategy, StaticClusterWeight } from '../model/policy.ts'
import { apportion } from './apportion.ts'
import { capacityOf, compareRank, type Candidate } from './candidates.ts'
import { clusterAffinityMatches } from './selectors.ts'
import { distinctGroups, groupValue, type NormalizedSpread } from './spread.ts'
import type { ArithmeticExplanation, ClusterRule, ShareArithmetic, StrategyExplanation } from './types.ts'

export interface Strategy extends StrategyExplanation {
  staticWeights?: readonly StaticClusterWeight[]
}

/** The strategy Karmada would use for this kind and policy. */
export function strategyFor (kind: string, runsPods: boolean, replicas: number, rs: ReplicaSchedulingStrategy | undefined): Strategy {
  if (!runsPods) return { type: 'Duplicated', note: `a ${kind} has no replicas: every selected cluster gets the object` }
  if (kind === 'DaemonSet') return { type: 'Duplicated', note: 'a DaemonSet runs on the nodes of every selected cluster' }
  if ((rs?.replicaSchedulingType ?? 'Duplicated') === 'Duplicated') return { type: 'Duplicated' }
  if (replicas === 0) return { type: 'Divided', note: '0 replicas: every selected cluster gets the object with 0 replicas' }
  if (rs?.replicaDivisionPreference === 'Aggregated') return { type: 'Divided', division: 'Aggregated' }
  const wp = rs?.weightPreference
  if (wp?.dynamicWeight === 'AvailableReplicas') return { type: 'Divided', division: 'Weighted', weights: 'dynamic' }
  if (wp?.staticWeightList !== undefined) return { type: 'Divided', division: 'Weighted', weights: 'static', staticWeights: wp.staticWeightList }
  return { type: 'Divided', division: 'Weighted', weights: 'equal' }
}

export interface ChosenShare { cand: Candidate, replicas: number, share?: ShareArithmetic }

export interface Division {
  /** In rank order. */
  chosen: ChosenShare[]
  dropped: Map<Candidate, { rule: ClusterRule, message: string, share?: ShareArithmetic }>
  placed: number
  arithmetic: ArithmeticExplanation
}

function staticWeight (c: Candidate, list: readonly StaticClusterWeight[]): number {
  let w = 0
  for (const rule of list) if (rule.weight > w && clusterAffinityMatches(c.vc.record, rule.targetCluster)) w = rule.weight
  return w
}

function byRoom (a: Candidate, b: Candidate): number {
  return b.avail - a.avail || compareRank(a, b)
}

/** Prefix of the clusters by room (largest first) that fits the replicas and keeps the spread minimums; in that order. */
function aggregate (selected: readonly Candidate[], replicas: number, groupSpread: readonly NormalizedSpread[], clusterMin: number): Candidate[] {
  const order = [...selected].sort(byRoom)
  const targets = groupSpread.map((s) => ({ s, need: Math.min(s.min, distinctGroups(selected, s)), seen: new Set<string>() }))
  const out: Candidate[] = []
  let room = 0
  for (const c of order) {
    const done = room >= replicas && out.length >= clusterMin && targets.every((t) => t.seen.size >= t.need)
    if (done) break
    out.push(c)
    room += c.avail
    for (const t of targets) { const v = groupValue(c, t.s); if (v !== undefined) t.seen.add(v) }
  }
  return out
}

/**
 * Aggregated shares, for clusters in room order: one replica each first (the clusters
 * past the room the replicas need are there for a spread minimum), then each filled to
 * its room in that order. Without spread minimums this fills the largest clusters and
 * leaves the last one the rest. Filling in a fixed order is what keeps it stable: a
 * removed cluster's replicas go to the clusters after it, and no other cluster loses one.
 */
function fillInOrder (pool: readonly Candidate[], replicas: number): number[] {
  const seats = pool.map(() => 0)
  let left = replicas
  for (let i = 0; i < pool.length && left > 0; i++) if (pool[i]!.avail > 0) { seats[i] = 1; left-- }
  for (let i = 0; i < pool.length && left > 0; i++) {
    const more = Math.min(left, pool[i]!.avail - seats[i]!)
    seats[i]! += more
    left -= more
  }
  return seats
}

function aggregated (selected: readonly Candidate[], replicas: number, groupSpread: readonly NormalizedSpread[], clusterMin: number): Division {
  const dropped: Division['dropped'] = new Map()
  const pool = aggregate(selected, replicas, groupSpread, clusterMin)
  const keep = new Set(pool)
  for (const c of selected) if (!keep.has(c)) dropped.set(c, { rule: 'aggregated', message: `not needed: ${pool.length} cluster${pool.length === 1 ? '' : 's'} with more room fit the replicas` })
  const seats = fillInOrder(pool, replicas)
  const chosen: ChosenShare[] = []
  let placed = 0
  pool.forEach((cand, i) => {
    const n = seats[i]!
    // The weight is the cluster's room; the ideal share is what filling in room order gives it.
    const share: ShareArithmetic = { weight: cand.avail, ideal: n, cap: cand.avail, floor: n, remainder: 0, capped: n === cand.avail }
    if (n === 0) { dropped.set(cand, { rule: 'no-share', message: 'the clusters with more room hold every replica', share }); return }
    chosen.push({ cand, replicas: n, share })
    placed += n
  })
  chosen.sort((a, b) => compareRank(a.cand, b.cand))
  return { chosen, dropped, placed, arithmetic: { method: 'largest-first', replicas, placed, capacity: capacityOf(pool) } }
}

export function divide (selected: readonly Candidate[], strategy: Strategy, replicas: number,
  groupSpread: readonly NormalizedSpread[], clusterMin: number): Division {
  const dropped: Division['dropped'] = new Map()
  if (strategy.type === 'Duplicated' || replicas === 0) {
    return {
      chosen: selected.map((cand) => ({ cand, replicas })),
      dropped,
      placed: selected.length > 0 ? replicas : 0,
      arithmetic: { method: strategy.type === 'Duplicated' ? 'duplicated' : 'none', replicas, placed: selected.length > 0 ? replicas : 0 }
    }
  }
  if (strategy.division === 'Aggregated') return aggregated(selected, replicas, groupSpread, clusterMin)
  const pool = [...selected]
  let weights: number[]
  if (strategy.weights === 'static') {
    weights = pool.map((c) => staticWeight(c, strategy.staticWeights ?? []))
    if (weights.every((w) => w === 0)) weights = pool.map(() => 1)
  } else if (strategy.weights === 'equal') {
    weights = pool.map(() => 1)
  } else {
    weights = pool.map((c) => c.avail)
  }
  const caps = pool.map((c) => c.avail)
  const seats = apportion(weights, caps, replicas)
  let totalWeight = 0
  for (let i = 0; i < pool.length; i++) if (caps[i]! > 0) totalWeight += weights[i]!
  const chosen: ChosenShare[] = []
  let placed = 0
  // Many clusters share one ideal value (equal weights): format each text once.
  const zeroShareText = new Map<number, string>()
  pool.forEach((cand, i) => {
    const weight = weights[i]!
    if (weight === 0) { dropped.set(cand, { rule: 'weight', message: 'no staticWeightList entry matches the cluster (weight 0)' }); return }
    const ideal = totalWeight === 0 ? 0 : (replicas * weight) / totalWeight
    const floor = Math.floor(ideal)
    const n = seats[i]!
    const share: ShareArithmetic = { weight, ideal, cap: caps[i]!, floor, remainder: n - floor, capped: n === caps[i]! && ideal > n }
    if (n === 0) {
      let message = zeroShareText.get(ideal)
      if (message === undefined) { message = `share rounds to 0 (ideal ${ideal.toFixed(2)})`; zeroShareText.set(ideal, message) }
      dropped.set(cand, { rule: 'no-share', message, share })
      return
    }
    chosen.push({ cand, replicas: n, share })
    placed += n
  })
  return {
    chosen,
    dropped,
    placed,
    arithmetic: { method: 'sainte-lague', replicas, placed, totalWeight, capacity: capacityOf(pool) }
  }
}
