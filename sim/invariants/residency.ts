/**
 * Residency: nothing naming a local-only record ever leaves its site — no honest site's
 * replicated log holds such a change and no frame an honest origin sends carries one
 * (searched with the compliance scan, which also decodes Automerge chunks inside the
 * bytes, for the strong needles: workload key, uid and namespace/name) — and no
 * workload ever runs, or is bound by an honest site, outside the regions its user
 * allowed (annotation and policy residency together; local-only: the origin's clusters),
 * failover included. Placement is judged on ground truth: the objects the cluster models
 * of honest sites actually hold, as they change.
 */
import type { Binding, WorkloadRecord } from '../../src/model/federation.ts'
import { localOnlyNeedles, STRONG_NEEDLES, type Needle } from '../../src/compliance/needles.ts'
import { scanForLocalOnlyLeaks } from '../../src/compliance/scan.ts'
import type { Violation } from './types.ts'

export interface ResidencyRule {
  key: string
  origin: string
  localOnly: boolean
  /** Allowed regions; undefined: any. */
  regions?: readonly string[]
}

export interface PlacedCluster {
  id: string
  site: string
  region: string
}

/** Why `cluster` is outside what `rule` allows, or undefined when inside. */
export function outsideResidency (rule: ResidencyRule, cluster: PlacedCluster): string | undefined {
  if (rule.localOnly && cluster.site !== rule.origin) return `${rule.key} is local-only to ${rule.origin} but runs on ${cluster.id}`
  if (rule.regions !== undefined && !rule.regions.includes(cluster.region)) {
    return `${rule.key} may run only in [${rule.regions.join(', ')}] but runs on ${cluster.id} in ${cluster.region}`
  }
  return undefined
}

/** Violations for bindings honest sites wrote that place a workload outside its residency. */
export function bindingsOutside (bindings: readonly Binding[], rule: ResidencyRule, clusters: ReadonlyMap<string, PlacedCluster>, timeMs: number): Violation[] {
  const out: Violation[] = []
  for (const b of bindings) {
    for (const a of b.placement) {
      if (a.replicas <= 0) continue
      const c = clusters.get(a.cluster)
      if (c === undefined) continue
      const why = outsideResidency(rule, c)
      if (why !== undefined) out.push({ invariant: 'residency', rule: 'binding', timeMs, site: b.decidedBy, subject: rule.key, message: `${b.decidedBy} bound ${a.replicas} replica(s) outside the residency: ${why.replace(' runs on ', ' is bound to ')}` })
    }
  }
  return out
}

/** The strong needles (key, uid, namespace/name) of local-only records. */
export function strongNeedles (records: readonly WorkloadRecord[]): Needle[] {
  return localOnlyNeedles(records).filter((n) => STRONG_NEEDLES.has(n.kind))
}

/** Where the bytes carry a needle (raw or inside a decoded Automerge chunk); empty when clean. */
export function leaksIn (label: string, bytes: Uint8Array, needles: readonly Needle[]): string[] {
  if (needles.length === 0) return []
  return scanForLocalOnlyLeaks([{ label, bytes }], needles).findings.map((f) => `${f.needle.kind} "${f.needle.text}" of ${f.needle.record} at ${f.where}`)
}
