/**
 * A list-then-watch loop for one kind, keeping a projected cache of its objects. It lists
 * (replacing the cache and reporting what changed), then watches from the list's
 * resourceVersion, following bookmarks. A watch that ends cleanly (server timeout,
 * client-node's 30 s idle limit) is resumed from the last version; one that reports
 * `410 Expired` is re-listed at once; one that fails, or a list that fails, reports the
 * failure, waits with exponential backoff (cut short by `retryNow`, e.g. when another
 * call shows the API is back) and re-lists, since events may have been missed while
 * disconnected. Time and timers come from the Clock port, so it runs on virtual time.
 */
import type { Clock, Timer } from '../ports/clock.ts'
import type { KubeObject } from '../model/kube.ts'
import { isKubeCallError, objectName, type KindRef, type KubeClient, type WatchHandle } from './kube-client.ts'

export interface ReflectorChange<T> {
  name: string
  value: T | undefined
}

export interface ReflectorOptions<T> {
  client: KubeClient
  kind: KindRef
  labelSelector?: string
  clock: Clock
  /** What to keep of each object; called for every listed or watched object. */
  project: (obj: KubeObject) => T
  /** Changes to the cache; `relisted` is true for the batch of a (re)list. */
  onChanges: (changes: ReadonlyArray<ReflectorChange<T>>, relisted: boolean) => void
  /** A list or watch event arrived: the API answered. */
  onContact: () => void
  /** A list or watch failed; the reflector retries by itself. */
  onFailure: (error: unknown) => void
  /** Retry backoff: first delay and ceiling. Defaults 250 ms and 10,000 ms. */
  backoffBaseMs?: number
  backoffMaxMs?: number
}

export interface Reflector<T> {
  start (): void
  stop (): void
  /** True once the first list succeeded. */
  readonly synced: boolean
  get (name: string): T | undefined
  entries (): IterableIterator<[string, T]>
  /** Ends a pending backoff wait so the loop retries now. */
  retryNow (): void
}

type WatchOutcome = { type: 'expired' } | { type: 'closed', events: number } | { type: 'failed', error: unknown }

/** Objects from lists may lack apiVersion/kind (a real apiserver leaves them out of list items). */
function withKind (obj: KubeObject, kind: KindRef): KubeObject {
  if (obj.apiVersion === kind.apiVersion && obj.kind === kind.kind) return obj
  return { ...obj, apiVersion: kind.apiVersion, kind: kind.kind }
}

export function createReflector<T> (options: ReflectorOptions<T>): Reflector<T> {
  const { client, kind, clock, project } = options
  const baseMs = options.backoffBaseMs ?? 250
  const maxMs = options.backoffMaxMs ?? 10_000
  const cache = new Map<string, T>()
  let synced = false
  let stopped = true
  let watch: { handle: WatchHandle, end: () => void } | undefined
  let wait: { timer: Timer, wake: () => void } | undefined
  let failures = 0
  let generation = 0

  const selector = options.labelSelector === undefined ? {} : { labelSelector: options.labelSelector }

  function pause (ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        if (wait?.wake !== wake) return
        wait.timer.cancel()
        wait = undefined
        resolve()
      }
      wait = { timer: clock.setTimer(ms, wake), wake }
    })
  }

  async function backoff (): Promise<void> {
    const ms = Math.min(maxMs, baseMs * 2 ** Math.min(failures, 20))
    failures++
    await pause(ms)
  }

  function watchOnce (resourceVersion: string, onVersion: (rv: string) => void): Promise<WatchOutcome> {
    return new Promise((resolve) => {
      let expired = false
      let events = 0
      let settled = false
      const settle = (o: WatchOutcome): void => {
        if (settled) return
        settled = true
        watch = undefined
        resolve(o)
      }
      const handle = client.watch(kind, { resourceVersion, ...selector }, {
        event (type, raw) {
          if (stopped || settled) return
          events++
          options.onContact()
          if (type === 'ERROR') {
            const code = (raw as unknown as { code?: number }).code
            if (code === 410) expired = true
            else settle({ type: 'failed', error: new Error(`watch ${kind.plural}: ${(raw as unknown as { message?: string }).message ?? 'error event'}`) })
            return
          }
          const rv = raw.metadata?.resourceVersion
          if (typeof rv === 'string' && rv !== '') onVersion(rv)
          if (type === 'BOOKMARK') return
          const obj = withKind(raw, kind)
          const name = objectName(obj)
          if (type === 'DELETED') {
            if (cache.delete(name)) options.onChanges([{ name, value: undefined }], false)
          } else {
            const value = project(obj)
            cache.set(name, value)
            options.onChanges([{ name, value }], false)
          }
        },
        done (error) {
          if (expired) settle({ type: 'expired' })
          else if (error !== undefined && isKubeCallError(error) && error.status === 410) settle({ type: 'expired' })
          else if (error !== undefined) settle({ type: 'failed', error })
          else settle({ type: 'closed', events })
        }
      })
      // A stopped watch reports nothing more; end the wait so the loop can exit.
      if (!settled) watch = { handle, end: () => settle({ type: 'closed', events }) }
    })
  }

  function replace (items: readonly KubeObject[]): void {
    const changes: Array<ReflectorChange<T>> = []
    const seen = new Set<string>()
    for (const raw of items) {
      const obj = withKind(raw, kind)
      const name = objectName(obj)
      seen.add(name)
      const value = project(obj)
      cache.set(name, value)
      changes.push({ name, value })
    }
    for (const name of [...cache.keys()]) {
      if (!seen.has(name)) {
        cache.delete(name)
        changes.push({ name, value: undefined })
      }
    }
    synced = true
    options.onChanges(changes, true)
  }

  async function run (myGeneration: number): Promise<void> {
    const live = (): boolean => !stopped && generation === myGeneration
    while (live()) {
      let rv: string
      try {
        const list = await client.list(kind, selector)
        if (!live()) return
        options.onContact()
        failures = 0
        replace(list.items)
        rv = list.resourceVersion
      } catch (e) {
        if (!live()) return
        options.onFailure(e)
        await backoff()
        continue
      }
      // Watch until the history expires (re-list now) or the connection fails (re-list after a pause).
      let quickCloses = 0
      for (;;) {
        const started = clock.monotonicMs()
        const outcome = await watchOnce(rv, (v) => { rv = v })
        if (!live()) return
        if (outcome.type === 'expired') break
        if (outcome.type === 'failed') {
          options.onFailure(outcome.error)
          await backoff()
          break
        }
        // A watch the server closes at once, again and again, must not spin.
        if (outcome.events === 0 && clock.monotonicMs() - started < 1000) {
          if (++quickCloses >= 3) { await backoff(); break }
        } else {
          quickCloses = 0
        }
      }
    }
  }

  return {
    start () {
      if (!stopped) return
      stopped = false
      const g = ++generation
      void run(g)
    },
    stop () {
      stopped = true
      generation++
      const w = watch
      watch = undefined
      w?.handle.stop()
      w?.end()
      wait?.wake()
    },
    get synced () { return synced },
    get: (name) => cache.get(name),
    entries: () => cache.entries(),
    retryNow () {
      failures = 0
      wait?.wake()
    }
  }
}
