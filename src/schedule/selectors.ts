/**
 * Selector semantics shared by propagation and override policies: Kubernetes label
 * selectors, Karmada's cluster field selectors and cluster affinities, and resource
 * selectors with Karmada's implicit priority (name > labelSelector > kind only). Cluster
 * affinity checks return the first rule that refused a cluster, for `explain`.
 */
import type { ClusterRecord } from '../model/federation.ts'
import type { KubeObject } from '../model/kube.ts'
import type { ClusterAffinity, FieldSelectorRequirement, LabelSelector, ResourceSelector } from '../model/policy.ts'

/** True when `labels` satisfy the selector; an empty selector matches everything. */
export function labelSelectorMatches (selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {}
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (!Object.hasOwn(l, k) || l[k] !== v) return false
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(l, e.key)
    const value = has ? l[e.key]! : undefined
    switch (e.operator) {
      case 'In': if (!has || !(e.values ?? []).includes(value!)) return false; break
      case 'NotIn': if (has && (e.values ?? []).includes(value!)) return false; break
      case 'Exists': if (!has) return false; break
      case 'DoesNotExist': if (has) return false; break
      default: return false
    }
  }
  return true
}

// Placement describes the same selector for many clusters; remember the text per selector object.
const descriptions = new WeakMap<LabelSelector, string>()

/** Readable form of a label selector for explanations: `app=web,tier in (a,b)`. */
export function describeLabelSelector (selector: LabelSelector): string {
  let text = descriptions.get(selector)
  if (text === undefined) { text = describeSelectorText(selector); descriptions.set(selector, text) }
  return text
}

function describeSelectorText (selector: LabelSelector): string {
  const parts: string[] = []
  for (const k of Object.keys(selector.matchLabels ?? {}).sort()) parts.push(`${k}=${selector.matchLabels![k]!}`)
  for (const e of selector.matchExpressions ?? []) {
    if (e.operator === 'Exists') parts.push(e.key)
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`)
    else parts.push(`${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${(e.values ?? []).join(',')})`)
  }
  return parts.length === 0 ? '(everything)' : parts.join(',')
}

/** The value of a field-selector key on a cluster; empty fields count as absent, as in Karmada. */
export function clusterField (cluster: Pick<ClusterRecord, 'provider' | 'region' | 'zone' | 'site'>, key: FieldSelectorRequirement['key']): string | undefined {
  const v = cluster[key]
  return v === '' ? undefined : v
}

function fieldRequirementMatches (cluster: Pick<ClusterRecord, 'provider' | 'region' | 'zone' | 'site'>, r: FieldSelectorRequirement): boolean {
  const v = clusterField(cluster, r.key)
  if (r.operator === 'In') return v !== undefined && r.values.includes(v)
  if (r.operator === 'NotIn') return v === undefined || !r.values.includes(v)
  return false
}

export type AffinityRule = 'exclude' | 'clusterNames' | 'labelSelector' | 'fieldSelector'

export interface AffinityMiss { rule: AffinityRule, message: string }

type AffinityCluster = Pick<ClusterRecord, 'id' | 'provider' | 'region' | 'zone' | 'site' | 'labels'>

/**
 * Checks a cluster against a Karmada ClusterAffinity (all parts must hold; `exclude`
 * first). Cluster names are Flotilla's global ids `<site>.<cluster>`. Returns undefined
 * when the cluster matches, else the first refusing rule.
 */
export function clusterAffinityMiss (cluster: AffinityCluster, affinity: ClusterAffinity): AffinityMiss | undefined {
  if (affinity.exclude?.includes(cluster.id) === true) return { rule: 'exclude', message: `listed in exclude` }
  if (affinity.labelSelector !== undefined && !labelSelectorMatches(affinity.labelSelector, cluster.labels)) {
    return { rule: 'labelSelector', message: `labels do not match ${describeLabelSelector(affinity.labelSelector)}` }
  }
  for (const r of affinity.fieldSelector?.matchExpressions ?? []) {
    if (!fieldRequirementMatches(cluster, r)) {
      return { rule: 'fieldSelector', message: `${r.key} ${clusterField(cluster, r.key) ?? '(unset)'} is not ${r.operator === 'In' ? 'in' : 'outside'} [${r.values.join(', ')}]` }
    }
  }
  if (affinity.clusterNames !== undefined && affinity.clusterNames.length > 0 && !affinity.clusterNames.includes(cluster.id)) {
    return { rule: 'clusterNames', message: 'not listed in clusterNames' }
  }
  return undefined
}

export function clusterAffinityMatches (cluster: AffinityCluster, affinity: ClusterAffinity): boolean {
  return clusterAffinityMiss(cluster, affinity) === undefined
}

/** Karmada's implicit priority of a resource-selector match; higher is more specific. */
export const IMPLICIT_PRIORITY = { mismatch: 0, matchAll: 1, labelSelector: 2, name: 3 } as const
export type ImplicitPriority = typeof IMPLICIT_PRIORITY[keyof typeof IMPLICIT_PRIORITY]
export type MatchedBy = 'kind' | 'labelSelector' | 'name'

export function matchedByName (p: ImplicitPriority): MatchedBy | undefined {
  return p === 3 ? 'name' : p === 2 ? 'labelSelector' : p === 1 ? 'kind' : undefined
}

/** How specifically `rs` selects `obj`: a name wins and then the label selector is ignored. */
export function resourceSelectorPriority (obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>, rs: ResourceSelector): ImplicitPriority {
  if (obj.apiVersion !== rs.apiVersion || obj.kind !== rs.kind) return 0
  if (rs.namespace !== undefined && rs.namespace !== '' && obj.metadata.namespace !== rs.namespace) return 0
  if (rs.name !== undefined && rs.name !== '') return rs.name === obj.metadata.name ? 3 : 0
  if (rs.labelSelector === undefined) return 1
  return labelSelectorMatches(rs.labelSelector, obj.metadata.labels) ? 2 : 0
}

/** The best priority over a list of selectors (0 when none matches). */
export function resourceSelectorsPriority (obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>, selectors: readonly ResourceSelector[]): ImplicitPriority {
  let best: ImplicitPriority = 0
  for (const rs of selectors) {
    const p = resourceSelectorPriority(obj, rs)
    if (p > best) best = p
  }
  return best
}
