/**
 * Which propagation policy governs a workload, with Karmada's precedence: a namespaced
 * PropagationPolicy always beats a ClusterPropagationPolicy; then the higher explicit
 * `priority`; then the more specific match (name > labelSelector > kind only); then the
 * policy name, namespace and record key, a total order. Policies are validated and
 * parsed once (`preparePolicies`) so placing many workloads does not redo it; invalid
 * policies are kept aside and reported, never applied.
 */
import type { PolicyRecord } from '../model/federation.ts'
import type { KubeObject } from '../model/kube.ts'
import type { PropagationSpec, ResourceSelector } from '../model/policy.ts'
import { isRecord } from './field-checks.ts'
import { compareStrings, tieError } from './order.ts'
import { matchedByName, resourceSelectorsPriority, type ImplicitPriority, type MatchedBy } from './selectors.ts'
import { validatePropagationPolicy, type FieldError } from './validate.ts'

export interface PreparedPolicy {
  key: string
  kind: 'PropagationPolicy' | 'ClusterPropagationPolicy'
  name: string
  /** Namespace of a PropagationPolicy (defaults to `default`); undefined for cluster-scoped ones. */
  namespace: string | undefined
  priority: number
  spec: PropagationSpec
}

export interface InvalidPolicy {
  key: string
  kind: string
  name: string
  namespace: string | undefined
  errors: FieldError[]
  /** Selectors read as far as they could be, to tell a workload which invalid policy would have matched. */
  selectors: ResourceSelector[]
}

export interface PolicySet {
  /** Valid propagation policies in precedence-independent key order. */
  policies: readonly PreparedPolicy[]
  invalid: readonly InvalidPolicy[]
}

function looseSelectors (spec: unknown): ResourceSelector[] {
  if (!isRecord(spec) || !Array.isArray(spec['resourceSelectors'])) return []
  return spec['resourceSelectors'].filter((s): s is ResourceSelector =>
    isRecord(s) && typeof s['apiVersion'] === 'string' && typeof s['kind'] === 'string')
}

/** Validates and parses the propagation policies among `records`; other kinds are ignored. */
export function preparePolicies (records: readonly PolicyRecord[]): PolicySet {
  const policies: PreparedPolicy[] = []
  const invalid: InvalidPolicy[] = []
  for (const r of records) {
    if (r.kind !== 'PropagationPolicy' && r.kind !== 'ClusterPropagationPolicy') continue
    const o = r.object
    const namespace = r.kind === 'PropagationPolicy' ? (o.metadata?.namespace ?? 'default') : undefined
    const name = typeof o.metadata?.name === 'string' ? o.metadata.name : ''
    const errors = validatePropagationPolicy(o)
    if (o.kind !== r.kind) errors.push({ path: 'kind', message: `must match the record kind ${r.kind}: received ${JSON.stringify(o.kind)}` })
    if (errors.length > 0) {
      invalid.push({ key: r.key, kind: r.kind, name, namespace, errors, selectors: looseSelectors(o.spec) })
      continue
    }
    const spec = o.spec as unknown as PropagationSpec
    policies.push({ key: r.key, kind: r.kind, name, namespace, priority: spec.priority ?? 0, spec })
  }
  policies.sort((a, b) => compareStrings(a.key, b.key))
  invalid.sort((a, b) => compareStrings(a.key, b.key))
  for (let i = 1; i < policies.length; i++) {
    if (policies[i - 1]!.key === policies[i]!.key) throw tieError('policy records', policies[i]!.key, policies[i]!.key)
  }
  return { policies, invalid }
}

export interface PolicyCandidate {
  key: string
  kind: string
  name: string
  namespace?: string
  priority: number
  matchedBy: MatchedBy
  verdict: 'selected' | 'outranked' | 'invalid'
  /** Why it lost, or the validation errors of an invalid policy. */
  note?: string
}

export interface PolicyChoice {
  policy: PreparedPolicy | undefined
  matchedBy: MatchedBy | undefined
  /** Every policy that selects the workload, best first, then invalid ones that would have. */
  candidates: PolicyCandidate[]
}

function scopeAllows (kind: string, namespace: string | undefined, obj: Pick<KubeObject, 'metadata'>): boolean {
  if (kind === 'ClusterPropagationPolicy') return true
  return obj.metadata.namespace !== undefined && obj.metadata.namespace === namespace
}

interface Ranked { p: PreparedPolicy, implicit: ImplicitPriority }

function comparePrecedence (a: Ranked, b: Ranked): number {
  const kind = (a.p.kind === 'PropagationPolicy' ? 0 : 1) - (b.p.kind === 'PropagationPolicy' ? 0 : 1)
  if (kind !== 0) return kind
  if (a.p.priority !== b.p.priority) return b.p.priority - a.p.priority
  if (a.implicit !== b.implicit) return b.implicit - a.implicit
  const c = compareStrings(a.p.name, b.p.name) || compareStrings(a.p.namespace ?? '', b.p.namespace ?? '') || compareStrings(a.p.key, b.p.key)
  if (c === 0 && a.p !== b.p) throw tieError('policies', a.p.key, b.p.key)
  return c
}

function lossReason (winner: Ranked, loser: Ranked): string {
  if (winner.p.kind !== loser.p.kind) return 'a PropagationPolicy takes precedence over a ClusterPropagationPolicy'
  if (winner.p.priority !== loser.p.priority) return `lower priority (${loser.p.priority} < ${winner.p.priority})`
  if (winner.implicit !== loser.implicit) return `less specific match (${matchedByName(loser.implicit) ?? '?'} < ${matchedByName(winner.implicit) ?? '?'})`
  return `same priority and specificity; ${winner.p.name} sorts first by name`
}

/** The policy that governs `obj` among `set`, with the ranking for `explain`. */
export function selectPolicy (set: PolicySet, obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): PolicyChoice {
  const matches: Ranked[] = []
  for (const p of set.policies) {
    if (!scopeAllows(p.kind, p.namespace, obj)) continue
    const implicit = resourceSelectorsPriority(obj, p.spec.resourceSelectors)
    if (implicit > 0) matches.push({ p, implicit })
  }
  matches.sort(comparePrecedence)
  const winner = matches[0]
  const candidates: PolicyCandidate[] = matches.map((m, i) => ({
    key: m.p.key,
    kind: m.p.kind,
    name: m.p.name,
    ...(m.p.namespace !== undefined ? { namespace: m.p.namespace } : {}),
    priority: m.p.priority,
    matchedBy: matchedByName(m.implicit)!,
    verdict: i === 0 ? 'selected' as const : 'outranked' as const,
    ...(i === 0 ? {} : { note: lossReason(winner!, m) })
  }))
  for (const bad of set.invalid) {
    if (!scopeAllows(bad.kind, bad.namespace, obj)) continue
    const implicit = resourceSelectorsPriority(obj, bad.selectors)
    if (implicit === 0) continue
    candidates.push({
      key: bad.key,
      kind: bad.kind,
      name: bad.name,
      ...(bad.namespace !== undefined ? { namespace: bad.namespace } : {}),
      priority: 0,
      matchedBy: matchedByName(implicit)!,
      verdict: 'invalid',
      note: `ignored, invalid: ${bad.errors.slice(0, 3).map((e) => `${e.path} ${e.message}`).join('; ')}${bad.errors.length > 3 ? ` (+${bad.errors.length - 3} more)` : ''}`
    })
  }
  return { policy: winner?.p, matchedBy: winner === undefined ? undefined : matchedByName(winner.implicit), candidates }
}
