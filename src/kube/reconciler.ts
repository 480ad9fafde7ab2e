/**
 * The cluster reconciler: a `ClusterDriver` over any `KubeClient`. It is the machinery
 * shared by push mode (client-node against a member cluster), the pull-mode agent (the
 * same, against its local cluster) and the simulator (the emulator's model in process).
 *
 * - Observation: reflectors list and watch every object of the workload kinds (a compact
 *   projection each: ownership marks, body hash, readiness), the nodes, and the pods (for
 *   what each node has allocated). Any failed call or watch marks the cluster
 *   unreachable with the error; the first call that succeeds again marks it reachable,
 *   re-lists and retries what was waiting, writing only what differs. Until the site
 *   declares a desired set, owned objects found in the cluster are reported as they are
 *   (`listed` once every kind was listed), so a restarted site counts what runs.
 * - Desired set: `setDesired` renders each object (render.ts) and queues only keys whose
 *   body hash differs from the one the cluster's copy carries; a bounded pool of workers
 *   applies them with server-side apply (force only over our own copy), Namespaces
 *   first, and retries failures with exponential backoff.
 * - Ownership: an object is Flotilla's only with the managed-by label and the workload
 *   annotation naming that very object. A desired object whose name is taken by anything
 *   else gets a per-object `conflict` error and is never written — decided from the
 *   watched cache, so it costs no request; pruning deletes only owned objects that are no
 *   longer desired (with a uid precondition), and only after the site has declared a
 *   desired set once.
 */
import type { Clock, Timer } from '../ports/clock.ts'
import type { ClusterDriver, ClusterObservation, DesiredObject, ObjectState } from '../ports/cluster-driver.ts'
import type { Logger } from '../ports/logger.ts'
import type { WorkloadKey } from '../model/kube.ts'
import {
  isClusterFailure, isKubeCallError, NODE_KIND, POD_KIND, WORKLOAD_KIND_REFS,
  type KindRef, type KubeClient, type ObjectRef
} from './kube-client.ts'
import { createReflector, type Reflector, type ReflectorChange } from './reflector.ts'
import { CREATED_NAMESPACE_ANNOTATION } from './render.ts'
import { liveObjectOf, nodeInfoOf, podAllocationOf, type LiveObject, type NodeInfo, type PodAllocation } from './object-status.ts'
import { createApplyQueue } from './apply-queue.ts'
import { createDesiredEntries, type DesiredEntry } from './desired-entry.ts'
import { createClusterContact } from './cluster-contact.ts'
import { createNodeAllocation } from './node-allocation.ts'
import { errorCodeOf, keyOf, messageOf, nameOf, parseKey } from './object-keys.ts'
import { createObservedState } from './observed-state.ts'
import { createKeyRetries } from './key-retries.ts'

export interface ReconcilerOptions {
  name: string
  client: KubeClient
  clock: Clock
  logger: Logger
  /** Applies and deletes in flight at once. Default 16. */
  concurrency?: number
  /** Retry backoff of a failed object: first delay and ceiling. Defaults 500 ms and 60,000 ms. */
  retryBaseMs?: number
  retryMaxMs?: number
  /** Ceiling of the list/watch reconnection backoff. Default 10,000 ms. */
  watchBackoffMaxMs?: number
  /** A quiet API is pinged this often to confirm contact. Default 5,000 ms. */
  probeMs?: number
  /** Every desired object is re-applied this often to repair drift (0: never). Default 600,000 ms. */
  resyncMs?: number
  /** Watch pods to report what each node has allocated. Default true. */
  watchPods?: boolean
}

/** Counters of the driver's own calls, for tests and benchmarks. */
export interface ReconcilerStats {
  applies: number
  deletes: number
  namespacesCreated: number
  /** Desired objects found already applied (no write needed). */
  unchanged: number
}

export interface ReconcilingDriver extends ClusterDriver {
  stats (): ReconcilerStats
}

/** Apply order: namespaces, then config and services, then workloads, then ingresses. */
const APPLY_RANK: Record<string, number> = { Namespace: 0, ConfigMap: 1, Service: 1, Deployment: 2, StatefulSet: 2, DaemonSet: 2, Ingress: 3 }
const RANKS = 6
const PRUNE_NAMESPACE_RANK = 5

export function createReconciler (options: ReconcilerOptions): ReconcilingDriver {
  const { client, clock, name: clusterName } = options
  const logger = options.logger.child({ component: 'cluster-driver', cluster: clusterName })
  const concurrency = options.concurrency ?? 16
  const retryBaseMs = options.retryBaseMs ?? 500
  const retryMaxMs = options.retryMaxMs ?? 60_000
  const probeMs = options.probeMs ?? 5_000
  const resyncMs = options.resyncMs ?? 600_000
  const watchPods = options.watchPods ?? true
  for (const [field, v] of [['concurrency', concurrency], ['retryBaseMs', retryBaseMs], ['retryMaxMs', retryMaxMs], ['probeMs', probeMs]] as const) {
    if (!Number.isFinite(v) || v <= 0) throw new Error(`'${field}' must be a positive number: received ${v}`)
  }

  const stats: ReconcilerStats = { applies: 0, deletes: 0, namespacesCreated: 0, unchanged: 0 }
  let running = false
  let desiredKnown = false
  let desired = new Map<WorkloadKey, DesiredEntry>()
  const entryFor = createDesiredEntries()

  const observed = createObservedState({ logger, running: () => running })
  const changed = observed.changed
  const allocation = createNodeAllocation()

  const forced = new Set<WorkloadKey>()
  const pendingNamespaces = new Map<string, Promise<void>>()
  /** Kinds the cluster refuses to list (403, 404), with the error shown on their objects. */
  const kindErrors = new Map<string, { code: string, message: string }>()
  let resyncTimer: Timer | undefined

  // --- observation -------------------------------------------------------------------

  function kindReflector (kind: string): Reflector<LiveObject> | undefined {
    return byKind.get(kind)
  }

  function liveOf (entry: { kind: KindRef, namespace: string | undefined, name: string }): LiveObject | undefined {
    return kindReflector(entry.kind.kind)?.get(nameOf(entry.namespace, entry.name))
  }

  function refreshObject (key: WorkloadKey): void {
    const d = desired.get(key)
    if (d === undefined) {
      if (!desiredKnown) { refreshFound(key); return }
      observed.deleteObject(key)
      return
    }
    const st = keys.of(key)
    const live = liveOf(d)
    const mine = live !== undefined && live.owner === key ? live : undefined
    let next: ObjectState
    if (mine !== undefined) {
      if (mine.observed && mine.flotillaGeneration !== undefined) st.observedGeneration = mine.flotillaGeneration
      next = {
        key,
        desired: d.kind.kind === 'DaemonSet' ? (mine.replicas ?? 0) : d.replicas,
        ready: mine.ready,
        available: mine.available,
        conditions: mine.conditions,
        observedGeneration: st.observedGeneration
      }
    } else {
      next = { key, desired: d.kind.kind === 'DaemonSet' ? 0 : d.replicas, ready: 0, available: 0, conditions: [], observedGeneration: st.observedGeneration }
    }
    if (st.error !== undefined) next.error = { ...st.error }
    observed.setObject(key, next)
  }

  /**
   * Before the site's first desired set: an owned object the cluster holds is reported as
   * found, asking for its live replicas, so a restarted site counts what already runs.
   */
  function refreshFound (key: WorkloadKey): void {
    const parsed = parseKey(key)
    const live = parsed === undefined ? undefined : kindReflector(parsed.kind.kind)?.get(nameOf(parsed.namespace, parsed.name))
    if (live === undefined || live.owner !== key) { observed.deleteObject(key); return }
    observed.setObject(key, {
      key,
      desired: live.replicas ?? 0,
      ready: live.ready,
      available: live.available,
      conditions: live.conditions,
      observedGeneration: live.observed && live.flotillaGeneration !== undefined ? live.flotillaGeneration : 0
    })
  }

  /** Every workload kind listed once (or refused, so nothing of it can be seen): sticky. */
  let listed = false
  function noteListed (): void {
    if (listed) return
    for (const [kind, r] of byKind) if (!r.synced && !kindErrors.has(kind)) return
    listed = true
    changed()
  }

  function refreshNode (name: string): void {
    observed.setNode(name, nodeReflector.get(`/${name}`), allocation.allocated(name))
  }


  // --- reachability ------------------------------------------------------------------

  const contact = createClusterContact({
    clock, logger, probeMs,
    ping: async () => { await client.ping() },
    onChanged: changed,
    onRecovered
  })
  const noteContact = contact.noteContact
  const noteFailure = contact.noteFailure

  /**
   * A list or watch failed. No answer (or a server error) means the cluster is
   * unreachable; a refusal for one kind (403 without RBAC rights, 404 for a kind the
   * cluster does not serve) is not, or the cluster would flap with every other call that
   * succeeds: it is logged and shown on the desired objects of that kind.
   */
  function watchFailed (kind: string, e: unknown): void {
    if (isClusterFailure(e)) { noteFailure(e); return }
    noteContact()
    const error = { code: errorCodeOf(e), message: `cannot list ${kind} objects: ${messageOf(e)}` }
    if (kindErrors.get(kind)?.message !== error.message) logger.error({ kind, err: error.message }, 'the cluster refuses to list a kind the driver needs')
    kindErrors.set(kind, error)
    for (const [key, d] of desired) if (d.kind.kind === kind) keys.setError(key, error)
    noteListed()
  }

  function onRecovered (): void {
    // Runs from a contact callback, so the reflectors exist by then.
    for (const r of allReflectors()) r.retryNow()
    keys.retryBlockedNow()
  }


  // --- desired set and work queue ----------------------------------------------------

  const work = createApplyQueue({ ranks: RANKS, concurrency, rankOf, run: reconcileKey, running: () => running, logger })
  const enqueue = work.enqueue
  const keys = createKeyRetries({ clock, retryBaseMs, retryMaxMs, enqueue, running: () => running, onErrorChanged: refreshObject })
  const { setError, scheduleRetry, succeeded } = keys

  function rankOf (key: WorkloadKey): number {
    const d = desired.get(key)
    if (d !== undefined) return APPLY_RANK[d.kind.kind] ?? 2
    return key.startsWith('core/Namespace/') ? PRUNE_NAMESPACE_RANK : 4
  }

  function refOf (d: { kind: KindRef, namespace: string | undefined, name: string }): ObjectRef {
    return { kind: d.kind, name: d.name, ...(d.namespace === undefined ? {} : { namespace: d.namespace }) }
  }

  async function reconcileKey (key: WorkloadKey): Promise<void> {
    const d = desired.get(key)
    if (d !== undefined) { await applyKey(key, d); return }
    await pruneKey(key)
  }

  async function applyKey (key: WorkloadKey, d: DesiredEntry): Promise<void> {
    if (d.invalid !== undefined) { setError(key, { code: 'invalid', message: d.invalid }); return }
    const reflector = kindReflector(d.kind.kind)
    if (reflector === undefined || !reflector.synced) {
      // Queued again when its kind is listed; say why if listing it is refused.
      const why = kindErrors.get(d.kind.kind)
      if (why !== undefined) setError(key, why)
      return
    }
    if (d.namespace !== undefined) {
      // A Namespace in the desired set goes first; its objects wait for it rather than fail.
      const nsKey = `core/Namespace/_/${d.namespace}`
      const ns = desired.get(nsKey)
      const nsState = keys.get(nsKey)
      if (ns !== undefined && ns.invalid === undefined && nsState?.applied !== true && nsState?.error === undefined) {
        keys.park(nsKey, key)
        return
      }
    }
    const live = reflector.get(nameOf(d.namespace, d.name))
    const force = forced.delete(key)
    if (live !== undefined && live.owner !== key) {
      // The name is taken by an object that is not ours: never take it over. Its own
      // watch events (deleted, or handed back) bring the key back here.
      setError(key, {
        code: 'conflict',
        message: `${d.kind.kind} ${d.namespace === undefined ? '' : `${d.namespace}/`}${d.name} already exists in cluster ${clusterName} and is not managed by Flotilla; it is left untouched`
      })
      return
    }
    if (live !== undefined && live.hash === d.rendered.hash && !force) {
      stats.unchanged++
      succeeded(key)
      return
    }
    try {
      // Force only over our own object; a create without force meets any object made meanwhile as a 409.
      const exists = live !== undefined
      await client.apply(d.rendered.body, { force: exists })
      stats.applies++
      noteContact()
      succeeded(key)
    } catch (e) {
      if (isClusterFailure(e)) {
        noteFailure(e)
        scheduleRetry(key, true)
        return
      }
      noteContact()
      if (isKubeCallError(e) && e.status === 404 && e.detailsKind === 'namespaces' && d.namespace !== undefined) {
        const created = await ensureNamespace(d.namespace, key)
        if (created) { enqueue(key); return }
      }
      setError(key, { code: errorCodeOf(e), message: messageOf(e) })
      scheduleRetry(key, false)
    }
  }

  /** Creates a namespace a desired object needs (unless the desired set brings it); true if it now exists. */
  async function ensureNamespace (namespace: string, forKey: WorkloadKey): Promise<boolean> {
    if (desired.has(`core/Namespace/_/${namespace}`)) return false
    let pending = pendingNamespaces.get(namespace)
    if (pending === undefined) {
      pending = (async () => {
        await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, annotations: { [CREATED_NAMESPACE_ANNOTATION]: forKey } } }, { force: false })
        stats.namespacesCreated++
        logger.info({ namespace }, 'created a namespace a desired object needs')
      })().finally(() => pendingNamespaces.delete(namespace))
      pendingNamespaces.set(namespace, pending)
    }
    try {
      await pending
      return true
    } catch (e) {
      if (isClusterFailure(e)) noteFailure(e)
      return false
    }
  }

  async function pruneKey (key: WorkloadKey): Promise<void> {
    if (!desiredKnown) return
    const parsed = parseKey(key)
    if (parsed === undefined) return
    const live = kindReflector(parsed.kind.kind)?.get(nameOf(parsed.namespace, parsed.name))
    if (live === undefined || live.owner !== key) return
    try {
      await client.delete(refOf(parsed), { uid: live.uid })
      stats.deletes++
      noteContact()
      keys.forget(key)
    } catch (e) {
      if (isClusterFailure(e)) { noteFailure(e); scheduleRetry(key, true); return }
      noteContact()
      // 409 on the uid precondition: the object was replaced by someone else; it is not ours to delete.
      if (isKubeCallError(e) && e.status === 409) return
      logger.warn({ key, err: messageOf(e) }, 'pruning an object failed; retrying')
      scheduleRetry(key, false)
    }
  }

  /** Queues `key` unless the cluster already holds exactly this body. */
  function considerApply (key: WorkloadKey, d: DesiredEntry): void {
    const live = liveOf(d)
    const st = keys.of(key)
    if (d.invalid === undefined && live !== undefined && live.owner === key && live.hash === d.rendered.hash && st.error === undefined) {
      stats.unchanged++
      succeeded(key)
      return
    }
    st.applied = false
    enqueue(key)
  }

  /** Takes a new desired set: queues what differs, prunes what is gone (inside one queue batch). */
  function declare (objects: readonly DesiredObject[], first: boolean): void {
    const previous = desired
    const next = new Map<WorkloadKey, DesiredEntry>()
    for (const o of objects) next.set(o.key, entryFor(o))
    desired = next
    for (const [key, d] of next) {
      const before = previous.get(key)
      if (before !== undefined && before.rendered.hash === d.rendered.hash && before.invalid === d.invalid) {
        if (before.replicas !== d.replicas) refreshObject(key)
        continue
      }
      keys.restart(key)
      refreshObject(key)
      considerApply(key, d)
    }
    for (const key of previous.keys()) {
      if (next.has(key)) continue
      keys.forget(key)
      refreshObject(key)
      enqueue(key)
    }
    if (first) {
      // Owned objects found before the site declared what it wants: prune those it does not.
      for (const [kind, reflector] of byKind) {
        const ref = WORKLOAD_KIND_REFS.find((k) => k.kind === kind) as KindRef
        for (const [name, live] of reflector.entries()) {
          const key = keyOf(ref, name)
          if (live.owner === key && !next.has(key)) {
            refreshObject(key) // no longer reported as found
            enqueue(key)
          }
        }
      }
    }
  }

  // --- reflectors --------------------------------------------------------------------

  const byKind = new Map<string, Reflector<LiveObject>>()
  for (const kind of WORKLOAD_KIND_REFS) {
    byKind.set(kind.kind, createReflector<LiveObject>({
      client, kind, clock,
      project: liveObjectOf,
      onChanges: (changes, relisted) => onObjectChanges(kind, changes, relisted),
      onContact: noteContact,
      onFailure: (e) => watchFailed(kind.kind, e),
      ...(options.watchBackoffMaxMs === undefined ? {} : { backoffMaxMs: options.watchBackoffMaxMs })
    }))
  }

  function onObjectChanges (kind: KindRef, changes: ReadonlyArray<ReflectorChange<LiveObject>>, relisted: boolean): void {
    if (relisted && kindErrors.delete(kind.kind)) {
      for (const [key, d] of desired) if (d.kind.kind === kind.kind) setError(key, undefined)
    }
    for (const { name, value } of changes) {
      const key = value?.owner ?? keyOf(kind, name)
      const d = desired.get(key)
      if (d !== undefined) {
        refreshObject(key)
        // Gone, taken by someone else (a local conflict check, no request), or changed
        // behind our back: look again. A changed hash with a retry pending is an apply
        // that failed; its backoff decides, not status updates.
        const ours = value !== undefined && value.owner === key
        if (!ours || (value.hash !== d.rendered.hash && keys.get(key)?.retry === undefined)) {
          if (!work.inFlight(key)) enqueue(key)
        }
      } else if (!desiredKnown) {
        refreshFound(key)
      } else if (value !== undefined && value.owner === key) {
        enqueue(key)
      }
    }
    if (relisted) {
      // Desired objects of this kind that are missing or waited for the first list.
      for (const [key, d] of desired) if (d.kind.kind === kind.kind) considerApply(key, d)
      noteListed()
    }
  }

  const nodeReflector: Reflector<NodeInfo> = createReflector<NodeInfo>({
    client, kind: NODE_KIND, clock,
    project: nodeInfoOf,
    onChanges: (changes) => { for (const c of changes) refreshNode(c.name.slice(1)) },
    onContact: noteContact,
    onFailure: (e) => watchFailed('Node', e),
    ...(options.watchBackoffMaxMs === undefined ? {} : { backoffMaxMs: options.watchBackoffMaxMs })
  })

  const podReflector: Reflector<PodAllocation | undefined> = createReflector<PodAllocation | undefined>({
    client, kind: POD_KIND, clock,
    project: podAllocationOf,
    onChanges: (changes) => { for (const n of allocation.applyPodChanges(changes)) refreshNode(n) },
    onContact: noteContact,
    onFailure: (e) => watchFailed('Pod', e),
    ...(options.watchBackoffMaxMs === undefined ? {} : { backoffMaxMs: options.watchBackoffMaxMs })
  })

  function allReflectors (): Array<Reflector<unknown>> {
    const out: Array<Reflector<unknown>> = [...byKind.values(), nodeReflector]
    if (watchPods) out.push(podReflector)
    return out
  }

  function scheduleResync (): void {
    if (resyncMs <= 0) return
    resyncTimer = clock.setTimer(resyncMs, () => {
      if (!running) return
      for (const key of desired.keys()) { forced.add(key); enqueue(key) }
      scheduleResync()
    })
  }

  return {
    name: clusterName,
    async start () {
      if (running) return
      running = true
      for (const r of allReflectors()) r.start()
      contact.start()
      scheduleResync()
      work.pump()
    },
    async stop () {
      if (!running) return
      running = false
      for (const r of allReflectors()) r.stop()
      contact.stop()
      resyncTimer?.cancel()
      keys.cancelAll()
      client.close()
    },
    setDesired (objects) {
      const first = !desiredKnown
      desiredKnown = true
      work.batch(() => { declare(objects, first) })
    },
    observe (): ClusterObservation {
      const snapshot = observed.snapshot()
      const obs: ClusterObservation = { reachable: contact.reachable(), lastContactMs: contact.lastContactMs(), nodes: snapshot.nodes, objects: snapshot.objects, listed }
      const lastError = contact.lastError()
      if (lastError !== undefined) obs.lastError = lastError
      return obs
    },
    onChange: observed.onChange,
    stats: () => ({ ...stats })
  }
}
