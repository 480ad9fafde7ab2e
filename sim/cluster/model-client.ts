/**
 * A `KubeClient` straight over the emulator's in-memory cluster model (no HTTP), for the
 * simulator: the same reconciler that drives real clusters drives the model, on the
 * simulator's clock. It honours the model's API-level faults as a network would: while
 * `unreachable` is set every call fails as a refused connection and open watches end
 * with that error; `latencyMs` delays each call on the clock. Results resolve through
 * promises only (never a real timer), so runs replay exactly.
 */
import { FIELD_MANAGER } from '../../src/ports/cluster-driver.ts'
import { sleep } from '../../src/ports/clock.ts'
import { KubeCallError, type KindRef, type KubeClient, type WatchHandlers } from '../../src/kube/kube-client.ts'
import type { KubeObject } from '../../src/model/kube.ts'
import { isKubeApiError, resourceByKind, type ClusterModel, type ResourceType, type Scope } from '../kube/index.ts'

function resourceOf (kind: KindRef): ResourceType {
  const r = resourceByKind(kind.apiVersion, kind.kind)
  if (r === undefined) throw new KubeCallError(`the emulated cluster does not serve ${kind.apiVersion} ${kind.kind}`, { transport: false, status: 404, reason: 'NotFound' })
  return r
}

function scopeOf (kind: KindRef, namespace?: string): Scope {
  const resource = resourceOf(kind)
  return resource.namespaced && namespace !== undefined ? { resource, namespace } : { resource }
}

function toCallError (e: unknown, what: string): unknown {
  if (isKubeApiError(e)) {
    const s = e.status
    return new KubeCallError(`${what}: ${s.message}`, {
      transport: false, status: s.code, cause: e,
      ...(s.reason === '' ? {} : { reason: s.reason }),
      ...(s.details?.kind === undefined ? {} : { detailsKind: s.details.kind })
    })
  }
  return e
}

export function createModelClient (model: ClusterModel): KubeClient {
  const clock = model.clock
  const open = new Set<{ stop (): void, fail (e: unknown): void }>()

  const refused = (what: string): KubeCallError =>
    new KubeCallError(`${what}: connect ECONNREFUSED (emulated cluster ${model.name} is unreachable)`, { transport: true })

  model.onFault((f) => {
    if (f.unreachable === false) return
    for (const w of [...open]) w.fail(refused('watch'))
  })

  async function call<T> (what: string, fn: () => T): Promise<T> {
    const f = model.faults()
    if (f.latencyMs > 0) await sleep(clock, f.latencyMs)
    if (model.faults().unreachable !== false) throw refused(what)
    try {
      return fn()
    } catch (e) {
      throw toCallError(e, what)
    }
  }

  return {
    apply (object, { force }) {
      return call(`apply ${object.kind} ${object.metadata.name}`, () => {
        const scope = scopeOf({ apiVersion: object.apiVersion, kind: object.kind, plural: '', namespaced: true }, object.metadata.namespace)
        return model.api.patch(scope, object.metadata.name, 'apply', object, { fieldManager: FIELD_MANAGER, force }).object
      })
    },
    delete (ref, preconditions) {
      return call(`delete ${ref.kind.kind} ${ref.name}`, () => {
        try {
          model.api.delete(scopeOf(ref.kind, ref.namespace), ref.name, {
            propagationPolicy: 'Background',
            ...(preconditions.uid === undefined ? {} : { preconditions: { uid: preconditions.uid } })
          })
        } catch (e) {
          if (isKubeApiError(e, 'NotFound')) return
          throw e
        }
      })
    },
    list (kind, { labelSelector }) {
      return call(`list ${kind.plural}`, () => {
        const result = model.api.list(scopeOf(kind), labelSelector === undefined ? {} : { labelSelector })
        return { items: result.items, resourceVersion: result.resourceVersion }
      })
    },
    watch (kind, { resourceVersion, labelSelector }, handlers: WatchHandlers) {
      let finished = false
      let stopped = false
      const finish = (error?: unknown): void => {
        if (finished) return
        finished = true
        open.delete(entry)
        // Delivered on a later microtask, as a stream ending would be.
        queueMicrotask(() => { if (!stopped) handlers.done(error) })
      }
      let handle: { stop (): void, readonly ended: boolean } | undefined
      const entry = {
        stop: () => { handle?.stop() },
        fail: (e: unknown) => { handle?.stop(); finish(e) }
      }
      if (model.faults().unreachable !== false) {
        finish(refused(`watch ${kind.plural}`))
        return { stop () { stopped = true } }
      }
      open.add(entry)
      try {
        handle = model.api.watch(scopeOf(kind), { resourceVersion, allowWatchBookmarks: true, ...(labelSelector === undefined ? {} : { labelSelector }) }, (e) => {
          if (stopped || finished) return
          handlers.event(e.type, e.object as KubeObject)
          if (e.type === 'ERROR') finish()
        })
      } catch (e) {
        finish(toCallError(e, `watch ${kind.plural}`))
      }
      return {
        stop () {
          stopped = true
          handle?.stop()
          open.delete(entry)
        }
      }
    },
    ping () {
      return call('ping', () => undefined)
    },
    close () {
      for (const w of [...open]) w.stop()
      open.clear()
    }
  }
}
