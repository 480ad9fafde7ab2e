/**
 * The `KubeClient` over @kubernetes/client-node 2.x: server-side apply through
 * `KubernetesObjectApi.patch(..., PatchStrategy.ServerSideApply)` (the typed helpers
 * default to JSON patch), generic list/delete, and `Watch` for watches. Every call
 * is bounded by a timeout on the given clock (client-node sets none), and every failure
 * becomes a `KubeCallError`: an `ApiException` carries the cluster's Status (a
 * per-object answer), anything else means the API did not answer.
 */
import {
  ApiException, KubernetesObjectApi, PatchStrategy, VersionApi, Watch, type KubeConfig, type KubernetesObject
} from '@kubernetes/client-node'
import { FIELD_MANAGER } from '../ports/cluster-driver.ts'
import type { Clock } from '../ports/clock.ts'
import type { KubeObject } from '../model/kube.ts'
import {
  KubeCallError, resourcePath, type KindRef, type KubeClient, type ListResult, type WatchEventType, type WatchHandle
} from './kube-client.ts'

export interface ClientNodeClientOptions {
  kubeconfig: KubeConfig
  clock: Clock
  /** Longest wait for one API call. Default 30,000 ms. */
  requestTimeoutMs?: number
  /** Field manager of applies. Default `flotilla`. */
  fieldManager?: string
}

interface StatusBody { reason?: string, message?: string, details?: { kind?: string } }

function parseBody (body: unknown): StatusBody {
  if (typeof body === 'string') {
    try { return JSON.parse(body) as StatusBody } catch { return { message: body } }
  }
  return (body ?? {}) as StatusBody
}

/** Maps anything client-node throws to a `KubeCallError`. */
export function toKubeCallError (e: unknown, what: string): KubeCallError {
  if (e instanceof KubeCallError) return e
  if (e instanceof ApiException) {
    const s = parseBody(e.body)
    const init = { transport: false, status: e.code, cause: e, ...(s.reason === undefined ? {} : { reason: s.reason }), ...(s.details?.kind === undefined ? {} : { detailsKind: s.details.kind }) }
    return new KubeCallError(`${what}: ${s.message ?? `HTTP ${e.code}`}`, init)
  }
  const err = e as Error & { statusCode?: number, cause?: { code?: string, message?: string } }
  if (typeof err.statusCode === 'number') {
    return new KubeCallError(`${what}: HTTP ${err.statusCode} ${err.message}`, { transport: false, status: err.statusCode, cause: e })
  }
  // client-node's discovery answers a kind the server does not serve with a plain Error.
  if (err instanceof Error && err.message.includes('Unrecognized API version and kind')) {
    return new KubeCallError(`${what}: ${err.message}`, { transport: false, status: 404, reason: 'NotFound', cause: e })
  }
  const detail = err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e)
  return new KubeCallError(`${what}: ${detail}`, { transport: true, cause: e })
}

/** client-node's Watch aborts with a TimeoutError after 30 s without data. */
export function isIdleTimeout (e: unknown): boolean {
  return e instanceof Error && e.name === 'TimeoutError'
}

export function createClientNodeClient (options: ClientNodeClientOptions): KubeClient {
  const { kubeconfig: kc, clock } = options
  const timeoutMs = options.requestTimeoutMs ?? 30_000
  const manager = options.fieldManager ?? FIELD_MANAGER
  const objects = KubernetesObjectApi.makeApiClient(kc)
  const version = kc.makeApiClient(VersionApi)
  const watcher = new Watch(kc)
  const server = kc.getCurrentCluster()?.server ?? '(no server)'

  function bounded<T> (what: string, call: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false
      const timer = clock.setTimer(timeoutMs, () => {
        if (settled) return
        settled = true
        reject(new KubeCallError(`${what}: no answer from ${server} within ${timeoutMs} ms`, { transport: true }))
      })
      call().then((v) => {
        if (settled) return
        settled = true
        timer.cancel()
        resolve(v)
      }, (e: unknown) => {
        if (settled) return
        settled = true
        timer.cancel()
        reject(toKubeCallError(e, what))
      })
    })
  }

  const describe = (o: { kind: string, metadata: { namespace?: string, name: string } }): string =>
    `${o.kind} ${o.metadata.namespace === undefined ? '' : `${o.metadata.namespace}/`}${o.metadata.name}`

  return {
    apply (object, { force }) {
      return bounded(`apply ${describe(object)}`, async () =>
        await objects.patch(object as KubernetesObject, undefined, undefined, manager, force, PatchStrategy.ServerSideApply) as KubeObject)
    },
    async delete (ref, preconditions) {
      const spec = { apiVersion: ref.kind.apiVersion, kind: ref.kind.kind, metadata: { name: ref.name, ...(ref.namespace === undefined ? {} : { namespace: ref.namespace }) } }
      try {
        await bounded(`delete ${describe(spec)}`, () => objects.delete(spec, undefined, undefined, undefined, undefined, 'Background',
          preconditions.uid === undefined ? undefined : { preconditions: { uid: preconditions.uid } }))
      } catch (e) {
        if (e instanceof KubeCallError && e.status === 404) return
        throw e
      }
    },
    list (kind, { labelSelector }) {
      return bounded(`list ${kind.plural}`, async () => {
        const list = await objects.list(kind.apiVersion, kind.kind, undefined, undefined, undefined, undefined, undefined, labelSelector)
        const out: ListResult = { items: list.items as KubeObject[], resourceVersion: list.metadata?.resourceVersion ?? '' }
        return out
      })
    },
    watch (kind: KindRef, { resourceVersion, labelSelector }, handlers): WatchHandle {
      let stopped = false
      let finished = false
      let controller: AbortController | undefined
      const finish = (err?: unknown): void => {
        if (finished) return
        finished = true
        if (stopped) return
        // client-node ends a watch that received nothing for 30 s; that is a quiet
        // cluster, not a lost one: resume (a dead API shows when the watch is re-opened).
        handlers.done(err === undefined || err === null || isIdleTimeout(err) ? undefined : toKubeCallError(err, `watch ${kind.plural}`))
      }
      watcher.watch(resourcePath(kind), { resourceVersion, allowWatchBookmarks: true, labelSelector }, (type: string, obj: unknown) => {
        if (!stopped && !finished) handlers.event(type as WatchEventType, obj as KubeObject)
      }, finish).then((c) => {
        controller = c
        if (stopped) c.abort()
      }, (e: unknown) => finish(e))
      return {
        stop () {
          stopped = true
          controller?.abort()
        }
      }
    },
    ping () {
      return bounded('get /version', async () => { await version.getCode() })
    },
    close () { /* client-node keeps no pool we own; watches are stopped by their owners */ }
  }
}
