/**
 * Contradictions a PropagationPolicy, ClusterPropagationPolicy or OverridePolicy carries
 * on its own, whatever clusters exist: an affinity whose own rules leave no cluster, a
 * residency whose regions the affinity never admits, a spread that asks for more groups
 * than its own maximum or than the placement can reach, static weights that only name
 * clusters the placement leaves out, weights on replicas that are duplicated, selectors
 * that can select nothing. The write path refuses such a policy (`unsatisfiable-policy`,
 * a 422 listing each field); `validate.ts` checks the form, and the two contradictions
 * it also reports (minGroups above maxGroups, group minimums above the cluster maximum)
 * carry its wording here so the write path can tell them apart. A part that can never
 * take effect while the rest can (or a failback window with failback Never) is a
 * `note`: the policy is accepted with a warning.
 * Pure and total over any input: malformed parts are skipped (validation reports them).
 */
import { isWorkloadKind, WORKLOAD_KINDS } from '../model/kube.ts'
import { isRecord, type FieldError } from './field-checks.ts'

export interface Contradiction extends FieldError {
  /** validate.ts reports the same finding at the same path with this message. */
  validation?: string
}

export interface PolicyFindings {
  /** The policy cannot be satisfied by any set of clusters: refuse it. */
  contradictions: Contradiction[]
  /** Parts that never take effect while the rest can: accept, with a warning. */
  notes: FieldError[]
}

type FieldKey = 'provider' | 'region' | 'zone' | 'site'
const FIELD_KEYS: readonly string[] = ['provider', 'region', 'zone', 'site']

/** Values a rule admits: those of `only` (every value when undefined) not in `not`; `said` words the rules. */
interface ValueRule { only?: Set<string>, not: Set<string>, said: string[] }
interface LabelRule extends ValueRule { present: boolean, absent: boolean }

/** What a cluster affinity (or several, and-ed) admits, as far as it can be known without clusters. */
interface ClusterSet {
  names?: Set<string>
  exclude: Set<string>
  fields: Map<FieldKey, ValueRule>
  labels: Map<string, LabelRule>
}

/** Why a cluster set admits no cluster, naming the affinity part that makes it so. */
interface Emptiness { part: 'clusterNames' | 'fieldSelector' | 'labelSelector', message: string }

const BOUNDLESS = Number.POSITIVE_INFINITY

function strings (v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v as string[] : undefined
}

function list (values: Iterable<string>): string {
  return `[${[...values].join(', ')}]`
}

function emptySet (): ClusterSet {
  return { exclude: new Set(), fields: new Map(), labels: new Map() }
}

function narrow (rule: ValueRule, values: readonly string[], said: string): void {
  rule.only = rule.only === undefined ? new Set(values) : new Set(values.filter((v) => rule.only!.has(v)))
  rule.said.push(said)
}

function refuse (rule: ValueRule, values: readonly string[], said: string): void {
  for (const v of values) rule.not.add(v)
  rule.said.push(said)
}

function admitted (rule: ValueRule | undefined): Set<string> | undefined {
  if (rule?.only === undefined) return undefined
  return new Set([...rule.only].filter((v) => !rule.not.has(v)))
}

function fieldRule (set: ClusterSet, key: FieldKey): ValueRule {
  let r = set.fields.get(key)
  if (r === undefined) set.fields.set(key, r = { not: new Set(), said: [] })
  return r
}

function labelRule (set: ClusterSet, key: string): LabelRule {
  let r = set.labels.get(key)
  if (r === undefined) set.labels.set(key, r = { not: new Set(), said: [], present: false, absent: false })
  return r
}

/** Adds a label selector's requirements to `set` (malformed parts are skipped). */
function addLabelSelector (set: ClusterSet, selector: unknown): void {
  if (!isRecord(selector)) return
  if (isRecord(selector['matchLabels'])) {
    for (const [k, v] of Object.entries(selector['matchLabels'])) {
      if (typeof v !== 'string') continue
      const r = labelRule(set, k)
      r.present = true
      narrow(r, [v], `${k}=${v}`)
    }
  }
  for (const e of Array.isArray(selector['matchExpressions']) ? selector['matchExpressions'] : []) {
    if (!isRecord(e) || typeof e['key'] !== 'string') continue
    const values = strings(e['values']) ?? []
    const r = labelRule(set, e['key'])
    switch (e['operator']) {
      case 'In': r.present = true; narrow(r, values, `${e['key']} In ${list(values)}`); break
      case 'NotIn': refuse(r, values, `${e['key']} NotIn ${list(values)}`); break
      case 'Exists': r.present = true; r.said.push(`${e['key']} Exists`); break
      case 'DoesNotExist': r.absent = true; r.said.push(`${e['key']} DoesNotExist`); break
      default: break
    }
  }
}

/** The cluster set of a Karmada ClusterAffinity; anything but an object admits every cluster. */
function affinitySet (affinity: unknown): ClusterSet {
  const set = emptySet()
  if (!isRecord(affinity)) return set
  const names = strings(affinity['clusterNames'])
  if (names !== undefined && names.length > 0) set.names = new Set(names)
  for (const n of strings(affinity['exclude']) ?? []) set.exclude.add(n)
  addLabelSelector(set, affinity['labelSelector'])
  const fs = affinity['fieldSelector']
  for (const e of isRecord(fs) && Array.isArray(fs['matchExpressions']) ? fs['matchExpressions'] : []) {
    if (!isRecord(e) || typeof e['key'] !== 'string' || !FIELD_KEYS.includes(e['key'])) continue
    const values = strings(e['values']) ?? []
    const key = e['key'] as FieldKey
    if (e['operator'] === 'In') narrow(fieldRule(set, key), values, `${key} In ${list(values)}`)
    else if (e['operator'] === 'NotIn') refuse(fieldRule(set, key), values, `${key} NotIn ${list(values)}`)
  }
  return set
}

/** Clusters must satisfy both sets. */
function both (a: ClusterSet, b: ClusterSet): ClusterSet {
  const out = emptySet()
  if (a.names !== undefined || b.names !== undefined) {
    out.names = a.names === undefined ? new Set(b.names) : b.names === undefined ? new Set(a.names) : new Set([...a.names].filter((n) => b.names!.has(n)))
  }
  for (const n of [...a.exclude, ...b.exclude]) out.exclude.add(n)
  for (const side of [a, b]) {
    for (const [k, r] of side.fields) {
      const o = fieldRule(out, k)
      if (r.only !== undefined) o.only = o.only === undefined ? new Set(r.only) : new Set([...o.only].filter((v) => r.only!.has(v)))
      for (const v of r.not) o.not.add(v)
      o.said.push(...r.said)
    }
    for (const [k, r] of side.labels) {
      const o = labelRule(out, k)
      if (r.only !== undefined) o.only = o.only === undefined ? new Set(r.only) : new Set([...o.only].filter((v) => r.only!.has(v)))
      for (const v of r.not) o.not.add(v)
      o.said.push(...r.said)
      o.present ||= r.present
      o.absent ||= r.absent
    }
  }
  return out
}

/** Cluster ids are `<site>.<cluster>` and site ids have no dot: the site is what precedes the first dot. */
function siteOf (clusterName: string): string | undefined {
  const dot = clusterName.indexOf('.')
  return dot > 0 && dot < clusterName.length - 1 ? clusterName.slice(0, dot) : undefined
}

function admits (rule: ValueRule | undefined, value: string): boolean {
  if (rule === undefined) return true
  return (rule.only === undefined || rule.only.has(value)) && !rule.not.has(value)
}

/** The named clusters the set can still match, when it names clusters. */
function reachableNames (set: ClusterSet): string[] | undefined {
  if (set.names === undefined) return undefined
  const site = set.fields.get('site')
  return [...set.names].filter((n) => !set.exclude.has(n) && siteOf(n) !== undefined && admits(site, siteOf(n)!))
}

function emptiness (set: ClusterSet): Emptiness | undefined {
  if (set.names !== undefined && reachableNames(set)!.length === 0) {
    const names = [...set.names]
    const notExcluded = names.filter((n) => !set.exclude.has(n))
    if (names.length === 0) return { part: 'clusterNames', message: 'its clusterNames and those it must also satisfy have no cluster in common' }
    if (notExcluded.length === 0) return { part: 'clusterNames', message: `every cluster it names is also excluded (exclude ${list(set.exclude)})` }
    const ids = notExcluded.filter((n) => siteOf(n) !== undefined)
    if (ids.length === 0) return { part: 'clusterNames', message: `no name in ${list(notExcluded)} is a cluster id: Flotilla names clusters "<site>.<cluster>"` }
    return { part: 'clusterNames', message: `every cluster it names belongs to a site the fieldSelector leaves out (${set.fields.get('site')?.said.join(' and ') ?? ''})` }
  }
  for (const [key, rule] of set.fields) {
    if (admitted(rule)?.size === 0) return { part: 'fieldSelector', message: `no ${key} satisfies ${rule.said.join(' and ')}` }
  }
  for (const [key, rule] of set.labels) {
    if (rule.absent && rule.present) return { part: 'labelSelector', message: `label ${key} must both be set and be absent (${rule.said.join(' and ')})` }
    if (admitted(rule)?.size === 0) return { part: 'labelSelector', message: `no value of label ${key} satisfies ${rule.said.join(' and ')}` }
  }
  return undefined
}

interface Bound { count: number, why: string }

/** At most how many groups of `by` (a field, `cluster`, or `label:<key>`) the set can span. */
function groupBound (set: ClusterSet, by: string, localOnly: boolean): Bound {
  const names = reachableNames(set)
  const bounds: Bound[] = []
  if (names !== undefined) bounds.push({ count: names.length, why: `clusterNames leaves ${names.length} cluster${names.length === 1 ? '' : 's'} (${names.join(', ')})` })
  if (by === 'site') {
    if (localOnly) bounds.push({ count: 1, why: 'residency localOnly keeps every workload at its origin site' })
    if (names !== undefined) {
      const sites = new Set(names.map((n) => siteOf(n)!))
      bounds.push({ count: sites.size, why: `clusterNames names clusters of ${sites.size} site${sites.size === 1 ? '' : 's'} (${[...sites].join(', ')})` })
    }
  }
  if (FIELD_KEYS.includes(by)) {
    const rule = set.fields.get(by as FieldKey)
    const values = admitted(rule)
    if (values !== undefined) bounds.push({ count: values.size, why: `${rule!.said.join(' and ')} admits ${values.size} (${[...values].join(', ')})` })
  }
  if (by.startsWith('label:')) {
    const key = by.slice('label:'.length)
    const rule = set.labels.get(key)
    if (rule?.absent === true) bounds.push({ count: 0, why: `the clusters must not have label ${key}` })
    const values = admitted(rule)
    if (values !== undefined) bounds.push({ count: values.size, why: `${rule!.said.join(' and ')} admits ${values.size} value${values.size === 1 ? '' : 's'}` })
  }
  return bounds.reduce((a, b) => (b.count < a.count ? b : a), { count: BOUNDLESS, why: '' })
}

function spreadKey (c: Record<string, unknown>): string {
  return typeof c['spreadByLabel'] === 'string' ? `label:${c['spreadByLabel']}` : typeof c['spreadByField'] === 'string' ? c['spreadByField'] : 'cluster'
}

function unsatisfiable (path: string, message: string, validation?: string): Contradiction {
  return { path, message: `cannot be satisfied: ${message}`, ...(validation === undefined ? {} : { validation }) }
}

/** minGroups above maxGroups, and group minimums above the cluster maximum, as validate.ts words them. */
function spreadOwnLimits (constraints: unknown[], path: string, out: Contradiction[]): void {
  let clusterMax: number | undefined
  let groupMin = 0
  let groupMinName = ''
  constraints.forEach((c, i) => {
    if (!isRecord(c)) return
    const min = c['minGroups']
    const max = c['maxGroups']
    if (typeof min === 'number' && typeof max === 'number' && min > max) {
      const text = `must be <= maxGroups (${max}): received ${min}`
      out.push(unsatisfiable(`${path}[${i}].minGroups`, text, text))
    }
    const by = spreadKey(c)
    if (by === 'cluster' && typeof max === 'number') clusterMax = max
    if (by !== 'cluster' && typeof min === 'number' && min > groupMin) { groupMin = min; groupMinName = by }
  })
  if (clusterMax !== undefined && groupMin > clusterMax) {
    const text = `spreading over at least ${groupMin} ${groupMinName} groups needs at least ${groupMin} clusters, but the cluster constraint allows at most ${clusterMax}`
    out.push(unsatisfiable(path, text, text))
  }
}

interface Term { path: string, set: ClusterSet }

/** Selectors that can select nothing: a kind Flotilla does not store, another namespace, a label selector that contradicts itself. */
function deadSelectors (spec: Record<string, unknown>, policyKind: string, policyNamespace: string | undefined): { total: number, dead: FieldError[] } {
  const selectors = Array.isArray(spec['resourceSelectors']) ? spec['resourceSelectors'] : []
  const dead: FieldError[] = []
  let total = 0
  selectors.forEach((s, i) => {
    if (!isRecord(s) || typeof s['kind'] !== 'string' || typeof s['apiVersion'] !== 'string') return
    total++
    const path = `spec.resourceSelectors[${i}]`
    const kind = s['kind']
    const ns = typeof s['namespace'] === 'string' && s['namespace'] !== '' ? s['namespace'] : undefined
    if (!isWorkloadKind(kind)) {
      dead.push({ path: `${path}.kind`, message: `Flotilla propagates ${Object.keys(WORKLOAD_KINDS).join(', ')}, not ${kind}` })
      return
    }
    const def = WORKLOAD_KINDS[kind]
    if (s['apiVersion'] !== def.apiVersion) {
      dead.push({ path: `${path}.apiVersion`, message: `${kind} is stored as ${def.apiVersion}, not ${s['apiVersion']}` })
      return
    }
    if (!def.namespaced && policyNamespace !== undefined) {
      dead.push({ path: `${path}.kind`, message: `a ${policyKind} selects only objects of its namespace "${policyNamespace}", and ${kind} is cluster-scoped` })
      return
    }
    if (!def.namespaced && ns !== undefined) {
      dead.push({ path: `${path}.namespace`, message: `${kind} is cluster-scoped and has no namespace` })
      return
    }
    if (policyNamespace !== undefined && ns !== undefined && ns !== policyNamespace) {
      dead.push({ path: `${path}.namespace`, message: `a ${policyKind} in namespace "${policyNamespace}" selects only objects of that namespace, not of "${ns}"` })
      return
    }
    const labels = emptySet()
    addLabelSelector(labels, s['labelSelector'])
    const why = emptiness(labels)
    if (why !== undefined) dead.push({ path: `${path}.labelSelector`, message: `${why.message.replace(/^label/, 'object label')}` })
  })
  return { total, dead }
}

/**
 * Parts of one list that can never take effect (each `message` says why): when every
 * part is dead the policy is unsatisfiable (`all` words it), otherwise each is a note
 * (`some` words it).
 */
function sortOut (total: number, dead: FieldError[], f: PolicyFindings, words: { all: string, some: string }): void {
  if (dead.length === 0) return
  if (dead.length === total) f.contradictions.push(...dead.map((d) => unsatisfiable(d.path, `${words.all} (${d.message})`)))
  else f.notes.push(...dead.map((d) => ({ path: d.path, message: `${words.some}: ${d.message}` })))
}

const SELECTORS = { all: 'no resource selector can select anything; this one', some: 'selects nothing' }

function propagationFindings (spec: Record<string, unknown>, kind: string, namespace: string | undefined, f: PolicyFindings): void {
  const selectors = deadSelectors(spec, kind, namespace)
  sortOut(selectors.total, selectors.dead, f, SELECTORS)

  const failover = isRecord(spec['failover']) ? spec['failover'] : {}
  const failback = isRecord(failover['failback']) ? failover['failback'] : {}
  if (failback['policy'] === 'Never' && failback['stabilizationSeconds'] !== undefined) {
    f.notes.push({ path: 'spec.failover.failback.stabilizationSeconds', message: 'is never used: with failback policy Never, work does not move back' })
  }

  const placement = isRecord(spec['placement']) ? spec['placement'] : {}
  const residency = isRecord(spec['residency']) ? spec['residency'] : {}
  const localOnly = residency['localOnly'] === true
  const regions = strings(residency['regions'])
  const residencySet = emptySet()
  if (regions !== undefined && regions.length > 0) narrow(fieldRule(residencySet, 'region'), regions, `spec.residency.regions ${list(regions)}`)

  const terms: Term[] = Array.isArray(placement['clusterAffinities'])
    ? placement['clusterAffinities'].flatMap((t, i) => (isRecord(t) ? [{ path: `spec.placement.clusterAffinities[${i}]`, set: affinitySet(t) }] : []))
    : [{ path: 'spec.placement.clusterAffinity', set: affinitySet(placement['clusterAffinity']) }]
  const dead = terms.flatMap((t) => { const why = emptiness(t.set); return why === undefined ? [] : [{ path: `${t.path}.${why.part}`, message: why.message }] })
  sortOut(terms.length, dead, f, terms.length > 1
    ? { all: 'no term of clusterAffinities matches a cluster; this one', some: 'matches no cluster (the other terms still apply)' }
    : { all: 'matches no cluster', some: 'matches no cluster' })
  const liveTerms = terms.filter((t) => emptiness(t.set) === undefined)
  // The residency applies on top of every term: a term it empties can place nothing.
  const live = liveTerms.map((t) => ({ ...t, set: both(t.set, residencySet) })).filter((t) => emptiness(t.set) === undefined)
  if (liveTerms.length > 0 && live.length === 0) {
    const why = emptiness(both(liveTerms[0]!.set, residencySet))!
    f.contradictions.push(unsatisfiable('spec.residency.regions', `no region it allows is admitted by ${liveTerms.map((t) => t.path).join(' or ')}: ${why.message}`))
  }

  const spread = Array.isArray(placement['spreadConstraints']) ? placement['spreadConstraints'] : undefined
  if (spread !== undefined) {
    spreadOwnLimits(spread, 'spec.placement.spreadConstraints', f.contradictions)
    if (live.length > 0) {
      spread.forEach((c, i) => {
        if (!isRecord(c)) return
        const min = Math.max(1, typeof c['minGroups'] === 'number' ? c['minGroups'] : 1)
        const by = spreadKey(c)
        // Any live term may end up placing: the policy is unsatisfiable only if none reaches the minimum.
        const best = live.map((t) => groupBound(t.set, by, localOnly)).reduce((a, b) => (b.count > a.count ? b : a))
        if (best.count < min) {
          const name = by.startsWith('label:') ? `label ${by.slice('label:'.length)}` : by
          f.contradictions.push(unsatisfiable(`spec.placement.spreadConstraints[${i}].minGroups`, `asks for at least ${min} ${name} group${min === 1 ? '' : 's'}, but the placement reaches at most ${best.count}: ${best.why}`))
        }
      })
    }
  }

  const rs = isRecord(placement['replicaScheduling']) ? placement['replicaScheduling'] : undefined
  if (rs === undefined) return
  const type = rs['replicaSchedulingType']
  const division = rs['replicaDivisionPreference']
  const weights = rs['weightPreference']
  const base = 'spec.placement.replicaScheduling'
  if (type === undefined || type === 'Duplicated') {
    const how = type === undefined ? 'replicaSchedulingType is unset, so replicas are Duplicated' : 'replicaSchedulingType is Duplicated'
    if (division !== undefined) f.contradictions.push(unsatisfiable(`${base}.replicaDivisionPreference`, `divides replicas, but ${how} (every selected cluster runs them all); set replicaSchedulingType: Divided or remove it`))
    if (weights !== undefined) f.contradictions.push(unsatisfiable(`${base}.weightPreference`, `weighs a division of replicas, but ${how} (every selected cluster runs them all); set replicaSchedulingType: Divided or remove it`))
    return
  }
  if (type !== 'Divided' || !isRecord(weights)) return
  if (division === 'Aggregated') {
    f.contradictions.push(unsatisfiable(`${base}.weightPreference`, 'weights are not used with replicaDivisionPreference Aggregated (the fewest clusters that fit get the replicas); use Weighted or remove them'))
    return
  }
  const entries = Array.isArray(weights['staticWeightList']) ? weights['staticWeightList'] : []
  if (live.length === 0) return
  let total = 0
  const deadWeights: FieldError[] = []
  entries.forEach((e, i) => {
    if (!isRecord(e) || !isRecord(e['targetCluster'])) return
    total++
    const target = affinitySet(e['targetCluster'])
    const own = emptiness(target)
    const path = `${base}.weightPreference.staticWeightList[${i}].targetCluster`
    if (own !== undefined) { deadWeights.push({ path, message: own.message }); return }
    const misses = live.map((t) => emptiness(both(t.set, target)))
    if (misses.every((m) => m !== undefined)) {
      const within = `${live.map((t) => t.path).join(' or ')}${regions === undefined ? '' : ' and spec.residency.regions'}`
      deadWeights.push({ path, message: `it names only clusters outside ${within}: ${misses[0]!.message}` })
    }
  })
  sortOut(total, deadWeights, f, { all: 'no cluster the placement admits gets a weight, so no replica is placed; this entry', some: 'weighs no cluster the placement admits' })
}

function overrideFindings (spec: Record<string, unknown>, namespace: string, f: PolicyFindings): void {
  const selectors = deadSelectors(spec, 'OverridePolicy', namespace)
  sortOut(selectors.total, selectors.dead, f, SELECTORS)
  const rules = Array.isArray(spec['overrideRules']) ? spec['overrideRules'] : []
  let total = 0
  const dead: FieldError[] = []
  rules.forEach((r, i) => {
    if (!isRecord(r)) return
    total++
    const why = isRecord(r['targetCluster']) ? emptiness(affinitySet(r['targetCluster'])) : undefined
    if (why !== undefined) dead.push({ path: `spec.overrideRules[${i}].targetCluster.${why.part}`, message: why.message })
  })
  sortOut(total, dead, f, { all: 'no override rule reaches a cluster; this one', some: 'matches no cluster, so the rule applies nowhere' })
}

/** Contradictions and notes of a policy object; both empty for anything else. */
export function policyFindings (obj: unknown): PolicyFindings {
  const f: PolicyFindings = { contradictions: [], notes: [] }
  if (!isRecord(obj) || !isRecord(obj['spec'])) return f
  const meta = isRecord(obj['metadata']) ? obj['metadata'] : {}
  const namespace = typeof meta['namespace'] === 'string' && meta['namespace'] !== '' ? meta['namespace'] : 'default'
  switch (obj['kind']) {
    case 'PropagationPolicy': propagationFindings(obj['spec'], 'PropagationPolicy', namespace, f); break
    case 'ClusterPropagationPolicy': propagationFindings(obj['spec'], 'ClusterPropagationPolicy', undefined, f); break
    case 'OverridePolicy': overrideFindings(obj['spec'], namespace, f); break
    default: break
  }
  return f
}
