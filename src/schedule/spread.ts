/**
 * Spread constraints: choose the clusters of a workload by group (provider, region,
 * site, zone, a cluster label) and then by cluster, with Karmada's minGroups/maxGroups.
 * Group levels apply from the widest down, each narrowing the candidates. When
 * maxGroups cuts, groups are taken by their own rendezvous score (a hash of the group
 * value, so a group keeps its place while any of its clusters survive) and clusters by
 * rank, keeping one cluster per selected group first. Only if that choice cannot fit a
 * Divided workload's replicas is the choice remade by capacity. Fewer groups than
 * minGroups makes the term infeasible; the selection still proceeds over what remains
 * so a best-effort placement exists.
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

interface Group { value: string, members: Candidate[], capacity: number, penalty: number, score: number }

function compareGroups (a: Group, b: Group): number {
  if (a.penalty !== b.penalty) return a.penalty - b.penalty
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

function takeGroups (groups: Group[], max: number, ctx: SpreadContext): { chosen: Group[], selection: 'rank' | 'capacity' } {
  const byRank = groups.slice(0, max)
  if (!ctx.divided) return { chosen: byRank, selection: 'rank' }
  const rankCap = byRank.reduce((s, g) => s + g.capacity, 0)
  if (rankCap >= ctx.replicas) return { chosen: byRank, selection: 'rank' }
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
      g = { value: v, members: [], capacity: 0, penalty: c.penalty, score: rendezvousScore(ctx.workloadHash, hashString(`${spreadName(s)}=${v}`)) }
      byValue.set(v, g)
    }
    g.members.push(c)
    g.capacity += c.avail
    g.penalty = Math.min(g.penalty, c.penalty)
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
