/**
 * Placement: a pure, deterministic function of (workload, policies, clusters of the
 * view, the observer's unavailable clusters and failed sites). The governing policy is
 * chosen; every cluster is checked in a fixed order — residency, availability, the
 * affinity term, taints, fit — and the survivors ranked by rendezvous score; affinity
 * terms are tried in order until one yields a feasible placement; spread constraints
 * pick groups and clusters; replicas are divided by the stable divisor method. Nothing
 * depends on input order: clusters are sorted by id, policies by a total order, and
 * every tie falls back to ids. When no term is feasible the decision is degraded and
 * holds the best effort that stays inside every hard line (residency, affinity,
 * taints, fit, availability), or nothing.
 */
import { isFlotillaError } from '../model/errors.ts'
import type { ClusterAssignment, ClusterId, ClusterRecord, PolicyRecord, SiteId, WorkloadRecord } from '../model/federation.ts'
import { desiredReplicas, runsPods } from '../model/kube.ts'
import type { ClusterAffinity, Placement } from '../model/policy.ts'
import { RESOURCE_KEYS, type Resources } from '../model/resources.ts'
import { compareRank, type Candidate } from './candidates.ts'
import { prepareClusterView, type ClusterView, type ViewCluster } from './cluster-view.ts'
import { describeResources, RESOURCE_NAMES } from './describe.ts'
import { divide, strategyFor, type Division, type Strategy } from './divide.ts'
import { availableReplicas, MAX_AVAILABLE_REPLICAS, needVector, perReplicaResources, type NeedVector } from './fit.ts'
import { hashString, RENDEZVOUS_RANGE, rendezvousScore } from './hash.ts'
import { compareStrings } from './order.ts'
import { preparePolicies, selectPolicy, type PolicySet, type PreparedPolicy } from './policies.ts'
import { describeResidency, effectiveResidency, residencyAllows, residencyMiss, type EffectiveResidency } from './residency.ts'
import { clusterAffinityMiss } from './selectors.ts'
import { normalizeSpread, selectBySpread, type NormalizedSpread, type SpreadResult } from './spread.ts'
import { checkTaints, describeTaint, type TaintVerdict } from './tolerations.ts'
import type {
  ClusterExplanation, ClusterRule, DegradedReason, PlacementDecision, PlacementExplanation, TermExplanation
} from './types.ts'

export interface PlacementInput {
  workload: WorkloadRecord
  /** Propagation and cluster propagation policies of the workload's origin site (other kinds are ignored). */
  policies: readonly PolicyRecord[]
  /** Every cluster of the view. */
  clusters: readonly ClusterRecord[]
  /** Clusters this observer holds unavailable. */
  unavailable?: ReadonlySet<ClusterId>
  /** Sites this observer holds failed. */
  failedSites?: ReadonlySet<SiteId>
}

/** Places one workload. Equal to `placeInView(prepareClusterView(...), preparePolicies(...), workload)`. */
export function placeWorkload (input: PlacementInput): PlacementDecision {
  const availability = {
    ...(input.unavailable !== undefined ? { unavailable: input.unavailable } : {}),
    ...(input.failedSites !== undefined ? { failedSites: input.failedSites } : {})
  }
  return placeInView(prepareClusterView(input.clusters, availability), preparePolicies(input.policies), input.workload)
}

interface Miss { rule: ClusterRule, message: string }

interface Term { index: number, name?: string, affinity: ClusterAffinity }

interface TermResult {
  term: Term
  reasons: Array<Miss | undefined>
  candidates: Candidate[]
  spread: SpreadResult
  division: Division
  problems: string[]
  feasible: boolean
  blockedByResidency: number
  filtered: Partial<Record<ClusterRule, number>>
}

function termsOf (placement: Placement): Term[] {
  const list = placement.clusterAffinities ?? []
  if (list.length > 0) return list.map((t, index) => ({ index, name: t.affinityName, affinity: t }))
  return [{ index: 0, affinity: placement.clusterAffinity ?? {} }]
}

function termLabel (t: Term): string {
  return t.name === undefined ? 'clusterAffinity' : `affinity term ${JSON.stringify(t.name)}`
}

function limitingResource (vc: ViewCluster, need: NeedVector): string {
  let best = ''
  let bestFit = Infinity
  for (let j = 0; j < need.idx.length; j++) {
    const fit = Math.floor(vc.capacity.free[need.idx[j]!]! / need.amount[j]!)
    if (fit < bestFit) { bestFit = fit; best = RESOURCE_NAMES[RESOURCE_KEYS[need.idx[j]!]!] }
  }
  return bestFit === 0 ? `no free ${best}` : `no node with room for one replica`
}

const NO_TAINT: TaintVerdict = { penalty: 0 }

/** Everything about a workload that does not depend on the affinity term. */
interface Prepared {
  strategy: Strategy
  replicas: number
  perReplica: Resources | undefined
  residency: EffectiveResidency
  cands: Candidate[]
  pre: Array<Miss | undefined>
  post: Array<Miss | undefined>
  spread: NormalizedSpread[]
}

function prepareWorkload (view: ClusterView, policy: PreparedPolicy, workload: WorkloadRecord, perReplica: Resources | undefined): Prepared {
  const obj = workload.manifest
  const placement = policy.spec.placement ?? {}
  const replicas = desiredReplicas(obj)
  const strategy = strategyFor(obj.kind, runsPods(obj.kind), replicas, placement.replicaScheduling)
  const residency = effectiveResidency(workload.residency, policy.spec.residency, workload.origin)
  const need = perReplica === undefined ? undefined : needVector(perReplica)
  const required = strategy.type === 'Duplicated' ? replicas : Math.min(1, replicas)
  const wHash = hashString(workload.key)
  const tolerations = placement.clusterTolerations ?? []
  const n = view.clusters.length
  const cands = new Array<Candidate>(n)
  const pre = new Array<Miss | undefined>(n)
  const post = new Array<Miss | undefined>(n)
  // Reasons repeat across clusters (same region, same shortfall): build each text once.
  const residencyReasons = new Map<string, Miss>()
  let needText: string | undefined
  for (let i = 0; i < n; i++) {
    const vc = view.clusters[i]!
    const r = vc.record
    if (!residencyAllows(residency, r)) {
      const where = residency.localOnly && r.site !== residency.origin ? `site:${r.site}` : `region:${r.region}`
      let outside = residencyReasons.get(where)
      if (outside === undefined) {
        outside = { rule: 'residency', message: residencyMiss(residency, r) ?? '' }
        residencyReasons.set(where, outside)
      }
      pre[i] = outside
    } else if (vc.blocked !== undefined) pre[i] = vc.blocked
    const taint = r.taints.length === 0 ? NO_TAINT : checkTaints(r.taints, tolerations)
    const avail = need === undefined ? MAX_AVAILABLE_REPLICAS : availableReplicas(vc.capacity, need)
    if (taint.blocking !== undefined) post[i] = { rule: 'taint', message: `taint ${describeTaint(taint.blocking)} is not tolerated` }
    else if (need !== undefined && avail < required) {
      needText ??= describeResources(perReplica!)
      post[i] = {
        rule: 'fit',
        message: strategy.type === 'Duplicated'
          ? `fits ${avail} of the ${required} replicas Duplicated needs in every cluster`
          : `${limitingResource(vc, need)} (one replica needs ${needText})`
      }
    }
    cands[i] = { vc, avail, penalty: taint.penalty, hrw: rendezvousScore(wHash, vc.hash) }
  }
  return { strategy, replicas, perReplica, residency, cands, pre, post, spread: normalizeSpread(placement.spreadConstraints) }
}

function evaluateTerm (view: ClusterView, w: Prepared, term: Term, workloadHash: ReturnType<typeof hashString>): TermResult {
  const n = view.clusters.length
  const reasons = new Array<Miss | undefined>(n)
  const candidates: Candidate[] = []
  const counts = new Map<ClusterRule, number>()
  let blockedByResidency = 0
  const hasAffinity = Object.keys(term.affinity).some((k) => k !== 'affinityName')
  const affinityReasons = new Map<string, Miss>()
  for (let i = 0; i < n; i++) {
    const vc = view.clusters[i]!
    const aff = hasAffinity ? clusterAffinityMiss(vc.record, term.affinity) : undefined
    let miss = w.pre[i]
    if (miss === undefined && aff !== undefined) {
      miss = affinityReasons.get(aff.message)
      if (miss === undefined) {
        miss = { rule: 'affinity', message: `${termLabel(term)}: ${aff.message}` }
        affinityReasons.set(aff.message, miss)
      }
    }
    if (miss === undefined) miss = w.post[i]
    if (miss?.rule === 'residency' && vc.blocked === undefined && aff === undefined && w.post[i] === undefined) blockedByResidency++
    reasons[i] = miss
    if (miss === undefined) candidates.push(w.cands[i]!)
    else counts.set(miss.rule, (counts.get(miss.rule) ?? 0) + 1)
  }
  const filtered: Partial<Record<ClusterRule, number>> = {}
  for (const rule of [...counts.keys()].sort(compareStrings)) filtered[rule] = counts.get(rule)!
  candidates.sort(compareRank)
  const divided = w.strategy.type === 'Divided' && w.replicas > 0
  const spread = selectBySpread(candidates, w.spread, { workloadHash, replicas: w.replicas, divided })
  const clusterMin = w.spread.find((s) => s.by === 'cluster')?.min ?? 1
  const division = divide(spread.selected, w.strategy, w.replicas, w.spread.filter((s) => s.by !== 'cluster'), clusterMin)
  const problems = [...spread.problems]
  if (candidates.length === 0) problems.unshift('no cluster passes the filters')
  else if (divided && division.placed < w.replicas) problems.push(`the selected clusters fit ${division.placed} of ${w.replicas} replicas`)
  return {
    term, reasons, candidates, spread, division, problems, blockedByResidency, filtered,
    feasible: candidates.length > 0 && division.chosen.length > 0 && problems.length === 0
  }
}

function countsText (filtered: Partial<Record<ClusterRule, number>>): string {
  return Object.keys(filtered).sort(compareStrings).map((k) => `${filtered[k as ClusterRule]!} ${k}`).join(', ')
}

function degradedFor (r: TermResult, w: Prepared): DegradedReason {
  const extra = r.blockedByResidency > 0 ? { blockedByResidency: r.blockedByResidency } : {}
  if (r.division.chosen.length === 0) {
    if (r.blockedByResidency > 0) {
      return {
        code: 'residency',
        message: `no cluster inside the residency (${describeResidency(w.residency)}) can take the workload; ${r.blockedByResidency} cluster${r.blockedByResidency === 1 ? '' : 's'} outside it could, and residency forbids them`,
        ...extra
      }
    }
    return { code: 'no-feasible-cluster', message: `no cluster can take the workload (${countsText(r.filtered) || 'the view has no clusters'})`, ...extra }
  }
  if (r.spread.problems.length > 0) return { code: 'spread-unsatisfiable', message: `${r.problems.join('; ')}; placed over what remains`, ...extra }
  return { code: 'insufficient-capacity', message: `placed ${r.division.placed} of ${w.replicas} replicas: ${r.problems.join('; ')}`, ...extra }
}

function explainClusters (view: ClusterView, w: Prepared, r: TermResult): ClusterExplanation[] {
  const rank = new Map<Candidate, number>()
  r.candidates.forEach((c, i) => rank.set(c, i + 1))
  const chosen = new Map(r.division.chosen.map((c) => [c.cand, c]))
  const out = new Array<ClusterExplanation>(view.clusters.length)
  for (let i = 0; i < view.clusters.length; i++) {
    const rec = view.clusters[i]!.record
    const cand = w.cands[i]!
    const e: ClusterExplanation = {
      cluster: rec.id, site: rec.site, region: rec.region, zone: rec.zone, provider: rec.provider, health: rec.health,
      verdict: 'chosen', replicas: 0, score: { rendezvous: cand.hrw / RENDEZVOUS_RANGE, penalty: cand.penalty }
    }
    const position = rank.get(cand)
    if (position !== undefined) e.score!.rank = position
    if (w.perReplica !== undefined) e.availableReplicas = cand.avail
    const miss = r.reasons[i]
    const spreadDrop = miss === undefined ? r.spread.dropped.get(cand) : undefined
    const divDrop = miss === undefined && spreadDrop === undefined ? r.division.dropped.get(cand) : undefined
    if (miss !== undefined) {
      e.verdict = 'filtered'; e.rule = miss.rule; e.reason = miss.message
    } else if (spreadDrop !== undefined) {
      e.verdict = 'not-selected'; e.rule = 'spread'; e.reason = spreadDrop
    } else if (divDrop !== undefined) {
      e.verdict = 'not-selected'; e.rule = divDrop.rule; e.reason = divDrop.message
      if (divDrop.share !== undefined) e.share = divDrop.share
    } else {
      const c = chosen.get(cand)!
      e.replicas = c.replicas
      if (c.share !== undefined) e.share = c.share
    }
    out[i] = e
  }
  return out
}

function strategyText (s: Strategy): string {
  if (s.type === 'Duplicated') return 'Duplicated'
  if (s.division === 'Aggregated') return 'Divided, Aggregated'
  if (s.division === undefined) return 'Divided'
  return `Divided, ${s.weights ?? 'equal'} weights`
}

function notEvaluated (view: ClusterView, rule: 'no-policy' | 'invalid-workload', reason: string): ClusterExplanation[] {
  return view.clusters.map((vc) => ({
    cluster: vc.record.id, site: vc.record.site, region: vc.record.region, zone: vc.record.zone, provider: vc.record.provider,
    health: vc.record.health, verdict: 'not-selected' as const, rule, reason, replicas: 0
  }))
}

function unmatched (view: ClusterView, workload: WorkloadRecord, candidates: PlacementExplanation['policy']['candidates']): PlacementDecision {
  const replicas = desiredReplicas(workload.manifest)
  const summary = 'no PropagationPolicy or ClusterPropagationPolicy selects this workload: it is not propagated'
  return {
    workload: workload.key,
    assignments: [],
    explanation: {
      workload: workload.key, kind: workload.manifest.kind, origin: workload.origin, generation: workload.generation,
      desiredReplicas: replicas, placedReplicas: 0,
      policy: { candidates }, terms: [], spread: [],
      clusters: notEvaluated(view, 'no-policy', 'no policy selects the workload'),
      summary
    }
  }
}

/**
 * Places one workload against a prepared view and policy set. Pure: the same view,
 * policies and workload give the same decision on every site, whatever the order of
 * the arrays they were built from.
 */
export function placeInView (view: ClusterView, policies: PolicySet, workload: WorkloadRecord): PlacementDecision {
  const obj = workload.manifest
  const choice = selectPolicy(policies, obj)
  const policy = choice.policy
  if (policy === undefined) return unmatched(view, workload, choice.candidates)
  const policyExpl = { selected: policy.key, ...(choice.matchedBy !== undefined ? { matchedBy: choice.matchedBy } : {}), candidates: choice.candidates }
  let perReplica: Resources | undefined
  try {
    perReplica = perReplicaResources(obj)
  } catch (e) {
    if (!isFlotillaError(e)) throw e
    const degraded: DegradedReason = { code: 'invalid-workload', message: e.message }
    return {
      workload: workload.key, assignments: [], policy: policy.key, degraded,
      explanation: {
        workload: workload.key, kind: obj.kind, origin: workload.origin, generation: workload.generation,
        desiredReplicas: desiredReplicas(obj), placedReplicas: 0, policy: policyExpl, terms: [], spread: [],
        clusters: notEvaluated(view, 'invalid-workload', 'the manifest cannot be placed'),
        summary: `not placed: ${e.message}`
      }
    }
  }
  const w = prepareWorkload(view, policy, workload, perReplica)
  const workloadHash = hashString(workload.key)
  const terms = termsOf(policy.spec.placement ?? {})
  const results: TermResult[] = []
  let used: TermResult | undefined
  for (const term of terms) {
    const r = evaluateTerm(view, w, term, workloadHash)
    results.push(r)
    if (r.feasible) { used = r; break }
  }
  const bestEffort = used === undefined
  // Best effort: the first term that places anything; if none does, the term where residency
  // stood in the way most (that is the story to tell), else the first.
  used ??= results.find((r) => r.division.chosen.length > 0) ??
    results.reduce((best, r) => (r.blockedByResidency > best.blockedByResidency ? r : best), results[0]!)
  const termExpl: TermExplanation[] = terms.map((t) => {
    const r = results.find((x) => x.term === t)
    if (r === undefined) return { index: t.index, ...(t.name !== undefined ? { name: t.name } : {}), outcome: 'not-tried' as const, candidates: 0, filtered: {}, problems: [] }
    const outcome = r === used ? (bestEffort ? 'best-effort' as const : 'used' as const) : 'infeasible' as const
    return { index: t.index, ...(t.name !== undefined ? { name: t.name } : {}), outcome, candidates: r.candidates.length, filtered: r.filtered, problems: r.problems }
  })
  const assignments: ClusterAssignment[] = used.division.chosen
    .map((c) => ({ cluster: c.cand.vc.record.id, replicas: c.replicas }))
    .sort((a, b) => compareStrings(a.cluster, b.cluster))
  const degraded = bestEffort ? degradedFor(used, w) : undefined
  const placed = used.division.placed
  const where = assignments.map((a) => `${a.cluster}=${a.replicas}`).join(' ')
  const termNote = terms.length > 1 || used.term.name !== undefined ? `, ${termLabel(used.term)}` : ''
  const summary = degraded === undefined
    ? `${policy.kind} ${policy.namespace !== undefined ? `${policy.namespace}/` : ''}${policy.name}: ${strategyText(w.strategy)}${termNote}; ${where}`
    : `degraded (${degraded.code}): ${degraded.message}${assignments.length > 0 ? `; ${where}` : ''}`
  const explanation: PlacementExplanation = {
    workload: workload.key, kind: obj.kind, origin: workload.origin, generation: workload.generation,
    desiredReplicas: w.replicas, placedReplicas: placed,
    ...(perReplica !== undefined ? { perReplica } : {}),
    residency: { ...w.residency, description: describeResidency(w.residency) },
    policy: policyExpl,
    strategy: { type: w.strategy.type, ...(w.strategy.division !== undefined ? { division: w.strategy.division } : {}), ...(w.strategy.weights !== undefined ? { weights: w.strategy.weights } : {}), ...(w.strategy.note !== undefined ? { note: w.strategy.note } : {}) },
    terms: termExpl,
    spread: used.spread.explanations,
    arithmetic: used.division.arithmetic,
    clusters: explainClusters(view, w, used),
    summary
  }
  return { workload: workload.key, assignments, policy: policy.key, ...(degraded !== undefined ? { degraded } : {}), explanation }
}
