/**
 * The objects a site's clusters should run: a workload's manifest with its share of the
 * replicas and its origin's override policies applied for one cluster. Renderings are
 * cached by everything they depend on (workload generation, the cluster attributes
 * overrides select on, replicas, the origin's override policies), so an unchanged share
 * costs a map lookup per tick rather than a deep clone and the override pipeline;
 * renderings a tick did not use are dropped at its end.
 */
import { FlotillaError } from '../model/errors.ts'
import type { ClusterRecord, SiteId, WorkloadRecord } from '../model/federation.ts'
import type { KubeObject } from '../model/kube.ts'
import type { GlobalView } from '../model/view.ts'
import { GENERATION_ANNOTATION, type DesiredObject } from '../ports/cluster-driver.ts'
import type { Logger } from '../ports/logger.ts'
import { canonicalDigest, canonicalJson } from '../store/docs/canonical-json.ts'
import { applyOverrides } from '../schedule/index.ts'

const NAMESPACED_DEFAULT = 'default'

/** Kinds whose `spec.replicas` is divided between clusters. */
function dividesReplicas (kind: string): boolean {
  return kind === 'Deployment' || kind === 'StatefulSet'
}

export interface DesiredRenderer {
  /** Starts a tick over `view`: what `render` returns until `endTick` reads its policies. */
  beginTick (view: GlobalView): void
  render (w: WorkloadRecord, cluster: ClusterRecord, replicas: number): DesiredObject
  /** Ends the tick: renderings it did not ask for are forgotten. */
  endTick (): void
  /** A digest of one cluster's desired objects; a cached rendering counts by its key. */
  digest (objects: readonly DesiredObject[]): string
}

export function createDesiredRenderer (logger: Logger): DesiredRenderer {
  let cache = new Map<string, DesiredObject>()
  let next = new Map<string, DesiredObject>()
  /** Cache key of each rendered object: it determines the object, so digests hash the key. */
  const keys = new WeakMap<DesiredObject, string>()
  /** What a rendering depends on of a cluster, by record (records are rebuilt when they change). */
  const clusterSigs = new WeakMap<ClusterRecord, string>()
  let view: GlobalView | undefined
  let overrideSigs = new Map<SiteId, string>()

  const overridesOf = (v: GlobalView, origin: SiteId): GlobalView['policies'] =>
    v.policies.filter((p) => p.origin === origin && p.kind === 'OverridePolicy')

  function renderNew (v: GlobalView, w: WorkloadRecord, cluster: ClusterRecord, replicas: number): DesiredObject {
    const base: KubeObject = structuredClone(w.manifest)
    if (dividesReplicas(base.kind)) base.spec = { ...(base.spec ?? {}), replicas }
    const result = applyOverrides(base, overridesOf(v, w.origin), cluster)
    if (result.errors.length > 0) logger.warn({ workload: w.key, cluster: cluster.id, errors: result.errors }, 'override could not be applied')
    const object = result.object
    object.metadata = { ...object.metadata, annotations: { ...(object.metadata.annotations ?? {}), [GENERATION_ANNOTATION]: String(w.generation) } }
    return { key: w.key, object, generation: w.generation }
  }

  return {
    beginTick (v) {
      view = v
      overrideSigs = new Map()
      next = new Map()
    },

    render (w, cluster, replicas) {
      if (view === undefined) throw new FlotillaError('internal', 'a desired object was rendered outside a controller tick', 'This is a bug in the site core; report it with the log.')
      let sig = overrideSigs.get(w.origin)
      if (sig === undefined) overrideSigs.set(w.origin, sig = overridesOf(view, w.origin).map((p) => `${p.key}@${p.generation}`).join(','))
      let csig = clusterSigs.get(cluster)
      if (csig === undefined) clusterSigs.set(cluster, csig = `${cluster.id}|${cluster.provider}|${cluster.region}|${cluster.zone}|${canonicalJson(cluster.labels)}`)
      const key = `${w.key}|${w.generation}|${replicas}|${csig}|${sig}`
      const cached = cache.get(key) ?? next.get(key)
      if (cached !== undefined) { next.set(key, cached); return cached }
      const rendered = renderNew(view, w, cluster, replicas)
      keys.set(rendered, key)
      next.set(key, rendered)
      return rendered
    },

    endTick () {
      cache = next
      view = undefined
    },

    digest: (objects) => canonicalDigest(objects.map((o) => keys.get(o) ?? [o.key, o.generation, o.object]))
  }
}

/** Namespaces the desired objects live in, put first so they are created first on the member cluster. */
export function withNamespaces (objects: DesiredObject[]): DesiredObject[] {
  const present = new Set(objects.filter((o) => o.object.kind === 'Namespace').map((o) => o.object.metadata.name))
  const needed = new Set<string>()
  for (const o of objects) {
    const ns = o.object.metadata.namespace
    if (ns !== undefined && ns !== NAMESPACED_DEFAULT && !present.has(ns)) needed.add(ns)
  }
  const namespaces: DesiredObject[] = [...needed].sort().map((ns) => ({
    key: `core/Namespace/_/${ns}`, generation: 1,
    object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }
  }))
  return [...namespaces, ...objects]
}
