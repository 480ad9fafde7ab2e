/**
 * Spread constraints: choose the clusters of a workload by group (provider, region,
 * site, zone, a cluster label) and then by cluster, with Karmada's minGroups/maxGroups.
 * Group levels apply from the widest down, each narrowing the candidates. When
 * maxGroups cuts, groups are taken by their own rendezvous score (a hash of the group
 * value, so a group keeps its place while any of its clusters survive) and clusters by
 * rank, keeping one cluster per selected group first. When the best-ranked groups cannot
 * hold a Divided workload's replicas, the first groups in rank order that can are taken
 * instead (a group is only passed over when it cannot serve, so a removal elsewhere
 * leaves the choice alone); only when no choice holds them all is it made by capacity,
 * as a best effort. The cluster level still falls back to capacity directly. Fewer
 * groups than minGroups makes the term infeasible; the selection still proceeds over
 * what remains so a best-effort placement exists.
 */
import type { SpreadConstraint } from '../model/policy.ts'
import { capacityOf, compareRank, type Candidate } from './candidates.ts'
import { hashString, rendezvousScore, type Hash64 } from './hash.ts'
import { compareStrings } from './order.ts'
import type { SpreadBy, SpreadExplanation, SpreadGroupExplanation } from './types.ts'

export interface NormalizedSpread { by: SpreadBy, label?: string, min: number, max?: number }

const LEVEL: Record<SpreadBy, number> = { provider: 0, region: 1, site: 2, zone: 3, label: 4, cluster: 5 }

/** Karmada defaults: no field and no label means `cluster`; minGroups defaults to 1. */
export function normalizeSpread (list: readonly SpreadConstraint[] | undefined): NormalizedSpread[] {
  const out = (list ?? []).map((s): NormalizedSpread => ({
    by: s.spreadByLabel !== undefined ? 'label' : s.spreadByField ?? 'cluster',
    ...(s.spreadByLabel !== undefined ? { label: s.spreadByLabel } : {}),
    min: Math.max(1, s.minGroups ?? 1),
    ...(s.maxGroups !== undefined ? { max: s.maxGroups } : {})
  }))
  return out.sort((a, b) => LEVEL[a.by] - LEVEL[b.by] || compareStrings(a.label ?? '', b.label ?? ''))
}

export function spreadName (s: Pick<NormalizedSpread, 'by' | 'label'>): string {
  return s.by === 'label' ? `label ${s.label ?? ''}` : s.by
}

/** The group a candidate falls in for a constraint; undefined when the cluster lacks the field or label. */
export function groupValue (c: Candidate, s: NormalizedSpread): string | undefined {
  const r = c.vc.record
  const v = s.by === 'label' ? r.labels[s.label ?? ''] : s.by === 'cluster' ? r.id : r[s.by]
  return v === undefined || v === '' ? undefined : v
}

interface Group { value: string, members: Candidate[], capacity: number, score: number }

/**
 * Groups rank by their own rendezvous score alone. Nothing about their members (taints,
 * capacity) enters it: removing one cluster would then re-rank its group and could swap
 * a whole region. PreferNoSchedule taints rank clusters within the groups instead.
 */
function compareGroups (a: Group, b: Group): number {
  if (a.score !== b.score) return a.score > b.score ? -1 : 1
  return compareStrings(a.value, b.value)
}

export interface SpreadContext {
  workloadHash: Hash64
  replicas: number
  /** Divided workloads need the chosen groups to hold the replicas; Duplicated ones were filtered by fit already. */
  divided: boolean
}

export interface SpreadResult {
  /** In rank order. */
  selected: Candidate[]
  dropped: Map<Candidate, string>
  explanations: SpreadExplanation[]
  problems: string[]
}

/**
 * The first `max` groups in rank order that together hold the replicas: the selection
 * whose rank positions come first in lexicographic order among those that fit. A group
 * is never passed over for a worse-ranked one unless the better choice cannot fit, so a
 * selection that still holds the replicas after a cluster is removed is kept as it was
 * (every selection ordered before it held less before the removal, and holds no more
 * after). Undefined when no `max` groups fit.
 */
function firstFitting (groups: readonly Group[], max: number, replicas: number): Group[] | undefined {
  const n = groups.length
  // best[i][r]: the sum of the r largest capacities among groups[i..], for r <= max.
  const best: number[][] = new Array<number[]>(n + 1)
  let top: number[] = []
  best[n] = [0]
  for (let i = n - 1; i >= 0; i--) {
    const cap = groups[i]!.capacity
    let at = 0
    while (at < top.length && top[at]! >= cap) at++
    top = [...top.slice(0, at), cap, ...top.slice(at)].slice(0, max)
    const sums = [0]
    for (const c of top) sums.push(sums[sums.length - 1]! + c)
    best[i] = sums
  }
  const room = (i: number, r: number): number => { const sums = best[i]!; return sums[Math.min(r, sums.length - 1)]! }
  if (room(0, max) < replicas) return undefined
  const chosen: Group[] = []
  let held = 0
  let from = 0
  for (let slot = 0; slot < max; slot++) {
    const after = max - slot - 1
    for (let i = from; i < n - after; i++) {
      if (held + groups[i]!.capacity + room(i + 1, after) < replicas) continue
      chosen.push(groups[i]!)
      held += groups[i]!.capacity
      from = i + 1
      break
    }
  }
  return chosen
}

function takeGroups (groups: Group[], max: number, ctx: SpreadContext): { chosen: Group[], selection: SpreadExplanation['selection'] } {
  const byRank = groups.slice(0, max)
  if (!ctx.divided) return { chosen: byRank, selection: 'rank' }
  const rankCap = byRank.reduce((s, g) => s + g.capacity, 0)
  if (rankCap >= ctx.replicas) return { chosen: byRank, selection: 'rank' }
  const fitting = firstFitting(groups, max, ctx.replicas)
  if (fitting !== undefined) return { chosen: fitting, selection: 'fit' }
  // Nothing holds every replica: best effort on the groups with the most room.
  const byCap = [...groups].sort((a, b) => b.capacity - a.capacity || compareGroups(a, b)).slice(0, max)
  const cap = byCap.reduce((s, g) => s + g.capacity, 0)
  return cap > rankCap ? { chosen: byCap.sort(compareGroups), selection: 'capacity' } : { chosen: byRank, selection: 'rank' }
}

function groupLevel (cands: Candidate[], s: NormalizedSpread, ctx: SpreadContext, res: SpreadResult): { kept: Candidate[], groups: Group[] } {
  const byValue = new Map<string, Group>()
  const kept: Candidate[] = []
  for (const c of cands) {
    const v = groupValue(c, s)
    if (v === undefined) { res.dropped.set(c, `spread by ${spreadName(s)}: the cluster has no ${s.by === 'label' ? `label ${s.label ?? ''}` : s.by}`); continue }
    let g = byValue.get(v)
    if (g === undefined) {
      g = { value: v, members: [], capacity: 0, score: rendezvousScore(ctx.workloadHash, hashString(`${spreadName(s)}=${v}`)) }
      byValue.set(v, g)
    }
    g.members.push(c)
    g.capacity += c.avail
  }
  const groups = [...byValue.values()].sort(compareGroups)
  if (groups.length < s.min) res.problems.push(`spread by ${spreadName(s)}: ${groups.length} group${groups.length === 1 ? '' : 's'} available, minGroups is ${s.min}`)
  let chosen = groups
  let selection: SpreadExplanation['selection'] = 'all'
  if (s.max !== undefined && groups.length > s.max) ({ chosen, selection } = takeGroups(groups, s.max, ctx))
  const chosenSet = new Set(chosen)
  for (const g of groups) {
    if (chosenSet.has(g)) { kept.push(...g.members); continue }
    for (const c of g.members) res.dropped.set(c, `spread by ${spreadName(s)}: ${g.value} is not among the ${s.max ?? 0} selected groups`)
  }
  const groupsExpl: SpreadGroupExplanation[] = groups.map((g) => ({
    value: g.value, clusters: g.members.map((c) => c.vc.record.id), capacity: g.capacity, selected: chosenSet.has(g)
  }))
  res.explanations.push({
    by: s.by, ...(s.label !== undefined ? { label: s.label } : {}), minGroups: s.min, ...(s.max !== undefined ? { maxGroups: s.max } : {}),
    available: groups.length, selected: chosen.length, satisfied: groups.length >= s.min, selection, groups: groupsExpl
  })
  kept.sort(compareRank)
  return { kept, groups: chosen }
}

function clusterLevel (cands: Candidate[], s: NormalizedSpread, lastGroups: Group[] | undefined, ctx: SpreadContext, res: SpreadResult): Candidate[] {
  if (cands.length < s.min) res.problems.push(`spread by cluster: ${cands.length} cluster${cands.length === 1 ? '' : 's'} available, minGroups is ${s.min}`)
  let chosen = cands
  let selection: SpreadExplanation['selection'] = 'all'
  if (s.max !== undefined && cands.length > s.max) {
    const max = s.max
    // One cluster per selected group first, so a spread over groups survives the cut; then the rest.
    const present = new Set(cands)
    const pick = (order: (a: Candidate, b: Candidate) => number): Candidate[] => {
      const out: Candidate[] = []
      const taken = new Set<Candidate>()
      for (const g of lastGroups ?? []) {
        if (out.length >= max) break
        const inGroup = g.members.filter((c) => present.has(c)).sort(order)
        if (inGroup[0] !== undefined) { out.push(inGroup[0]); taken.add(inGroup[0]) }
      }
      for (const c of [...cands].sort(order)) {
        if (out.length >= max) break
        if (!taken.has(c)) { out.push(c); taken.add(c) }
      }
      return out
    }
    chosen = pick(compareRank)
    selection = 'rank'
    if (ctx.divided && capacityOf(chosen) < ctx.replicas) {
      const byCap = pick((a, b) => b.avail - a.avail || compareRank(a, b))
      if (capacityOf(byCap) > capacityOf(chosen)) { chosen = byCap; selection = 'capacity' }
    }
    chosen.sort(compareRank)
    const keep = new Set(chosen)
    for (const c of cands) if (!keep.has(c)) res.dropped.set(c, `spread by cluster: not among the ${max} clusters selected by ${selection}`)
  }
  res.explanations.push({
    by: 'cluster', minGroups: s.min, ...(s.max !== undefined ? { maxGroups: s.max } : {}),
    available: cands.length, selected: chosen.length, satisfied: cands.length >= s.min, selection
  })
  return chosen
}

/** Applies the spread constraints to candidates given in rank order. */
export function selectBySpread (cands: readonly Candidate[], constraints: readonly NormalizedSpread[], ctx: SpreadContext): SpreadResult {
  const res: SpreadResult = { selected: [], dropped: new Map(), explanations: [], problems: [] }
  let current = [...cands]
  let lastGroups: Group[] | undefined
  for (const s of constraints) {
    if (s.by === 'cluster') { current = clusterLevel(current, s, lastGroups, ctx, res); continue }
    const r = groupLevel(current, s, ctx, res)
    current = r.kept
    lastGroups = r.groups
  }
  // A cluster cap can undo a group spread; report it rather than pretend.
  for (const s of constraints) {
    if (s.by === 'cluster') continue
    const distinct = new Set(current.map((c) => groupValue(c, s))).size
    const available = res.explanations.find((e) => e.by === s.by && e.label === s.label)?.available ?? 0
    if (distinct < s.min && available >= s.min) res.problems.push(`spread by ${spreadName(s)}: the cluster limit leaves ${distinct} group${distinct === 1 ? '' : 's'}, minGroups is ${s.min}`)
  }
  res.selected = current
  return res
}

/** Distinct group count of `cands` for a group-level constraint (used by Aggregated). */
export function distinctGroups (cands: readonly Candidate[], s: NormalizedSpread): number {
  const values = new Set<string>()
  for (const c of cands) { const v = groupValue(c, s); if (v !== undefined) values.add(v) }
  return values.size
}
