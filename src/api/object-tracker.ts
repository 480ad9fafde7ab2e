/**
 * Gives the API's objects Kubernetes resource versions. The site's view has one version
 * (`viewVersion`, one step per change of the view); the tracker diffs each new view
 * against the objects it last rendered and stamps the ones that changed with that
 * version, so an object's `resourceVersion` moves only when the object does. Changes
 * become ADDED/MODIFIED/DELETED events in a bounded history that watches replay from a
 * resourceVersion (older than the history: 410 Expired). The rendered objects and their
 * JSON are cached, so reads cost no rendering.
 *
 * A view change reuses unchanged records (same object references), so the diff first
 * compares inputs by reference and renders only what may have changed.
 */
import type { KubeObject } from '../model/kube.ts'
import { isWorkloadKind } from '../model/kube.ts'
import type { Logger } from '../ports/logger.ts'
import type { LocalWorkloadRecord, SiteHandle } from '../site/site-handle.ts'
import { canonicalJson } from '../k8s/index.ts'
import { renderCluster, renderPolicy, renderSite, renderWorkload } from './render.ts'
import { resourceByKind, type ApiResource } from './resources.ts'

export interface TrackedObject {
  resource: ApiResource
  namespace: string | undefined
  name: string
  /** The object as served, `metadata.resourceVersion` included. Never mutated. */
  object: KubeObject
  rv: number
  /** Content of this site's local-only record (served only to roles that may read it). */
  localOnly: boolean
}

export type TrackerEventType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface TrackerEvent {
  type: TrackerEventType
  rv: number
  /** For DELETED, the last state with the deletion's resourceVersion. */
  current: TrackedObject
  /** For MODIFIED and DELETED, the state before (a watch with a selector needs it). */
  previous?: TrackedObject
}

export interface ObjectTracker {
  /** The version the tracked objects reflect (the site's view version). */
  version (): number
  /** Re-reads the site if it moved on (cheap when it did not). */
  refresh (): void
  get (resource: ApiResource, namespace: string | undefined, name: string): TrackedObject | undefined
  /** Objects of a kind, sorted by namespace then name; all namespaces when `namespace` is undefined. */
  list (resource: ApiResource, namespace?: string): readonly TrackedObject[]
  /** Events of a kind after `rv`, or undefined when its history no longer reaches back that far. */
  since (resource: ApiResource, rv: number): TrackerEvent[] | undefined
  subscribe (listener: (e: TrackerEvent) => void): () => void
  /** The JSON of a tracked object, encoded once. */
  json (t: TrackedObject): string
  close (): void
}

export interface ObjectTrackerOptions {
  site: SiteHandle
  logger: Logger
  /** Wall clock (ms), for the first-seen time of clusters and sites. */
  now: () => number
  /** Events kept per kind for watches that resume: at least this many, at most twice (default 10,000). */
  historyLimit?: number
}

interface Entry {
  tracked: TrackedObject
  /** What the object was rendered from, compared by reference to skip re-rendering. */
  inputs: readonly unknown[]
  fingerprint?: string
}

interface Candidate {
  resource: ApiResource
  namespace: string | undefined
  name: string
  localOnly: boolean
  inputs: readonly unknown[]
  render: () => KubeObject
}

const idOf = (r: ApiResource, ns: string | undefined, name: string): string => `${r.plural}.${r.group}/${ns ?? ''}/${name}`

function sameInputs (a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function withVersion (o: KubeObject, rv: number): KubeObject {
  return { ...o, metadata: { ...o.metadata, resourceVersion: String(rv) } }
}

function fingerprintOf (o: KubeObject): string {
  const { resourceVersion: _rv, ...metadata } = o.metadata
  return canonicalJson({ ...o, metadata })
}

function compareIds (a: TrackedObject, b: TrackedObject): number {
  const ka = `${a.namespace ?? ''}/${a.name}`
  const kb = `${b.namespace ?? ''}/${b.name}`
  return ka < kb ? -1 : ka > kb ? 1 : 0
}

export function createObjectTracker (options: ObjectTrackerOptions): ObjectTracker {
  const { site, logger } = options
  const historyLimit = options.historyLimit ?? 10_000
  const entries = new Map<string, Entry>()
  const byResource = new Map<ApiResource, Map<string, Entry>>()
  const sorted = new Map<ApiResource, TrackedObject[]>()
  const firstSeen = new Map<string, number>()
  const listeners = new Set<(e: TrackerEvent) => void>()
  const encoded = new WeakMap<KubeObject, string>()
  /** Per kind, so churn in one kind (cluster status) does not expire watches of another. */
  const histories = new Map<ApiResource, { events: TrackerEvent[], compactedRv: number }>()
  let version = site.viewVersion()
  /** Events up to this version may have been dropped (for kinds without a history yet: all before the start). */
  const startRv = version
  let localSignature = ''

  function seenAt (id: string): number {
    let t = firstSeen.get(id)
    if (t === undefined) { t = options.now(); firstSeen.set(id, t) }
    return t
  }

  function placementJson (key: string): string {
    const p = site.placement(key)
    return p === undefined ? '' : JSON.stringify(p)
  }

  function candidates (locals: readonly LocalWorkloadRecord[]): Candidate[] {
    const view = site.view()
    const out: Candidate[] = []
    const conflicts = new Map<string, string[]>()
    for (const c of view.conflicts) conflicts.set(`${c.collection}/${c.key}`, c.others)
    const localKeys = new Set(locals.map((l) => l.key))
    for (const w of view.workloads) {
      if (localKeys.has(w.key)) continue
      const resource = resourceByKind(w.manifest.apiVersion, w.manifest.kind)
      if (resource === undefined) continue
      const others = conflicts.get(`workloads/${w.key}`)
      // Its status comes from the view alone (bindings and shares): this site's effective placement is no input.
      out.push({
        resource, namespace: resource.namespaced ? w.manifest.metadata.namespace : undefined, name: w.manifest.metadata.name, localOnly: false,
        inputs: [w, others],
        render: () => renderWorkload({ record: w, bindings: w.bindings, shares: w.shares, effective: undefined, ...(others === undefined ? {} : { conflictingOrigins: others }) })
      })
    }
    for (const l of locals) {
      if (!isWorkloadKind(l.manifest.kind)) continue
      const resource = resourceByKind(l.manifest.apiVersion, l.manifest.kind)
      if (resource === undefined) continue
      out.push({
        resource, namespace: resource.namespaced ? l.manifest.metadata.namespace : undefined, name: l.manifest.metadata.name, localOnly: true,
        inputs: [l, placementJson(l.key), JSON.stringify(site.localShares(l.key))],
        render: () => renderWorkload({ record: l, bindings: [], shares: site.localShares(l.key), effective: site.placement(l.key) })
      })
    }
    for (const p of view.policies) {
      const resource = resourceByKind(p.object.apiVersion, p.object.kind)
      if (resource === undefined) continue
      out.push({
        resource, namespace: resource.namespaced ? p.object.metadata.namespace : undefined, name: p.object.metadata.name, localOnly: false,
        inputs: [p], render: () => renderPolicy(p)
      })
    }
    const clusterResource = resourceByKind('cluster.flotilla.io/v1alpha1', 'Cluster') as ApiResource
    for (const c of view.clusters) {
      out.push({ resource: clusterResource, namespace: undefined, name: c.id, localOnly: false, inputs: [c], render: () => renderCluster(c, seenAt(`cluster/${c.id}`)) })
    }
    const siteResource = resourceByKind('cluster.flotilla.io/v1alpha1', 'Site') as ApiResource
    const stubCounts = new Map<string, number>()
    for (const s of view.stubs) stubCounts.set(s.origin, (stubCounts.get(s.origin) ?? 0) + 1)
    for (const s of view.sites) {
      out.push({ resource: siteResource, namespace: undefined, name: s.id, localOnly: false, inputs: [s, stubCounts.get(s.id) ?? 0], render: () => renderSite(s, view, seenAt(`site/${s.id}`)) })
    }
    return out
  }

  function signatureOf (locals: readonly LocalWorkloadRecord[]): string {
    return locals.map((l) => `${l.key}#${l.generation}#${l.updatedAt}`).join('|')
  }

  function put (id: string, entry: Entry): void {
    entries.set(id, entry)
    let m = byResource.get(entry.tracked.resource)
    if (m === undefined) { m = new Map(); byResource.set(entry.tracked.resource, m) }
    m.set(id, entry)
    sorted.delete(entry.tracked.resource)
  }

  function remove (id: string, entry: Entry): void {
    entries.delete(id)
    byResource.get(entry.tracked.resource)?.delete(id)
    sorted.delete(entry.tracked.resource)
  }

  /** Diffs the site's current state against the tracked objects; `emit` false on the first read. */
  function sync (emit: boolean): void {
    const next = site.viewVersion()
    const locals = site.localWorkloads()
    const rv = Math.max(next, version)
    const events: TrackerEvent[] = []
    const present = new Set<string>()
    for (const c of candidates(locals)) {
      const id = idOf(c.resource, c.namespace, c.name)
      if (present.has(id)) continue
      present.add(id)
      const prev = entries.get(id)
      if (prev !== undefined && prev.tracked.localOnly === c.localOnly && sameInputs(prev.inputs, c.inputs)) continue
      const rendered = c.render()
      if (prev !== undefined && prev.tracked.localOnly === c.localOnly) {
        const fingerprint = fingerprintOf(rendered)
        prev.fingerprint ??= fingerprintOf(prev.tracked.object)
        if (prev.fingerprint === fingerprint) {
          prev.inputs = c.inputs
          continue
        }
        const tracked: TrackedObject = { resource: c.resource, namespace: c.namespace, name: c.name, object: withVersion(rendered, rv), rv, localOnly: c.localOnly }
        put(id, { tracked, inputs: c.inputs, fingerprint })
        events.push({ type: 'MODIFIED', rv, current: tracked, previous: prev.tracked })
        continue
      }
      const tracked: TrackedObject = { resource: c.resource, namespace: c.namespace, name: c.name, object: withVersion(rendered, rv), rv, localOnly: c.localOnly }
      if (prev !== undefined) {
        // Switching between local-only and replicated changes who may see it: a deletion and an addition.
        events.push({ type: 'DELETED', rv, current: { ...prev.tracked, object: withVersion(prev.tracked.object, rv), rv } })
      }
      put(id, { tracked, inputs: c.inputs })
      events.push({ type: 'ADDED', rv, current: tracked })
    }
    for (const [id, entry] of [...entries]) {
      if (present.has(id)) continue
      remove(id, entry)
      events.push({ type: 'DELETED', rv, current: { ...entry.tracked, object: withVersion(entry.tracked.object, rv), rv }, previous: entry.tracked })
    }
    version = rv
    localSignature = signatureOf(locals)
    if (!emit || events.length === 0) return
    for (const e of events) {
      let h = histories.get(e.current.resource)
      if (h === undefined) { h = { events: [], compactedRv: startRv }; histories.set(e.current.resource, h) }
      h.events.push(e)
      // Trimmed in batches (to the limit once it holds twice as much), so a change costs no copy.
      if (h.events.length > historyLimit * 2) {
        const dropped = h.events.length - historyLimit
        h.compactedRv = Math.max(h.compactedRv, (h.events[dropped - 1] as TrackerEvent).rv)
        h.events = h.events.slice(dropped)
      }
    }
    for (const e of events) {
      for (const l of listeners) {
        try { l(e) } catch (err) { logger.error({ err: (err as Error).message }, 'watch listener failed') }
      }
    }
  }

  function safeSync (): void {
    try { sync(true) } catch (e) { logger.error({ err: (e as Error).message }, 'API object tracker could not read the site') }
  }

  sync(false)
  const unsubscribe = site.onViewChange(() => { safeSync() })

  return {
    version: () => version,
    refresh () {
      if (site.viewVersion() !== version || signatureOf(site.localWorkloads()) !== localSignature) safeSync()
    },
    get (resource, namespace, name) {
      return entries.get(idOf(resource, resource.namespaced ? namespace : undefined, name))?.tracked
    },
    list (resource, namespace) {
      let all = sorted.get(resource)
      if (all === undefined) {
        all = [...(byResource.get(resource)?.values() ?? [])].map((e) => e.tracked).sort(compareIds)
        sorted.set(resource, all)
      }
      return namespace === undefined || !resource.namespaced ? all : all.filter((t) => t.namespace === namespace)
    },
    since (resource, rv) {
      const h = histories.get(resource)
      if (rv < (h?.compactedRv ?? startRv) || rv > version) return undefined
      if (h === undefined) return []
      const events = h.events
      let i = events.length
      while (i > 0 && (events[i - 1] as TrackerEvent).rv > rv) i--
      return events.slice(i)
    },
    subscribe (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    },
    json (t) {
      let s = encoded.get(t.object)
      if (s === undefined) { s = JSON.stringify(t.object); encoded.set(t.object, s) }
      return s
    },
    close () {
      unsubscribe()
      listeners.clear()
    }
  }
}
