/**
 * Watch over HTTP: a chunked stream of `{"type":...,"object":...}` lines. Starts with the
 * current objects (no resourceVersion) or the retained history after a resourceVersion;
 * a version older than the history gets an ERROR event carrying a 410 Expired Status and
 * the stream ends, as on a real apiserver. Sends BOOKMARKs at the configured interval when
 * asked to, ends after `timeoutSeconds`, and in Table mode sends rows (column definitions
 * on the first event only), which is what `kubectl get -w` prints.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { KubeObject } from '../../../src/model/kube.ts'
import type { ClusterModel } from '../model/cluster-model.ts'
import type { Scope, WatchEvent } from '../model/kube-api-types.ts'
import { objectJson, sendError, type Representation } from '../../../src/k8s/http-io.ts'
import { toTable, type IncludeObject } from './table.ts'

export interface WatchSettings {
  /** Interval between BOOKMARK events for watches that allow them. */
  bookmarkIntervalMs: number
  /** Longest a watch runs when the client gives no timeoutSeconds. */
  defaultTimeoutMs: number
  /** Registers an open watch so the server can end it on close or fault; returns the unregister function. */
  track: (end: () => void) => () => void
}

function flag (q: URLSearchParams, name: string): boolean {
  const v = q.get(name)
  return v === 'true' || v === '1'
}

export function serveWatch (req: IncomingMessage, res: ServerResponse, model: ClusterModel, scope: Scope, q: URLSearchParams, as: Representation, settings: WatchSettings): void {
  const include: IncludeObject = q.get('includeObject') === 'Object' ? 'Object' : q.get('includeObject') === 'None' ? 'None' : 'Metadata'
  let firstTable = true
  const encode = (e: WatchEvent): string => {
    let object: string
    if (as === 'table' && e.type !== 'ERROR' && e.type !== 'BOOKMARK') {
      object = JSON.stringify(toTable(scope.resource.kind, [e.object as KubeObject], model.clock.wallMs(), include, {
        resourceVersion: (e.object as KubeObject).metadata.resourceVersion
      }, firstTable))
      firstTable = false
    } else if (as === 'metadata' && e.type !== 'ERROR') {
      const o = e.object as KubeObject
      object = JSON.stringify({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata })
    } else {
      object = objectJson(e.object)
    }
    return `{"type":"${e.type}","object":${object}}\n`
  }

  let headersSent = false
  const buffered: string[] = []
  const send = (e: WatchEvent): void => {
    const line = encode(e)
    if (!headersSent) { buffered.push(line); return }
    if (!res.destroyed) res.write(line)
  }
  const timeoutSeconds = q.get('timeoutSeconds')
  const sendInitial = q.get('sendInitialEvents')
  let handle
  try {
    handle = model.api.watch(scope, {
      resourceVersion: q.get('resourceVersion') ?? undefined,
      labelSelector: q.get('labelSelector') ?? undefined,
      fieldSelector: q.get('fieldSelector') ?? undefined,
      allowWatchBookmarks: flag(q, 'allowWatchBookmarks'),
      ...(sendInitial === null ? {} : { sendInitialEvents: sendInitial === 'true' })
    }, send)
  } catch (e) {
    sendError(res, e)
    return
  }
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' })
  headersSent = true
  res.write(buffered.join(''))
  buffered.length = 0
  if (handle.ended) { res.end(); return }

  let ended = false
  const timers: Array<ReturnType<typeof setTimeout>> = []
  let untrack = (): void => {}
  const end = (): void => {
    if (ended) return
    ended = true
    handle.stop()
    for (const t of timers) clearTimeout(t)
    untrack()
    if (!res.destroyed) res.end()
  }
  untrack = settings.track(end)
  if (flag(q, 'allowWatchBookmarks') && settings.bookmarkIntervalMs > 0) {
    const interval = setInterval(() => handle.bookmark(), settings.bookmarkIntervalMs)
    interval.unref()
    timers.push(interval as unknown as ReturnType<typeof setTimeout>)
  }
  const timeoutMs = timeoutSeconds !== null && /^\d+$/.test(timeoutSeconds) && Number(timeoutSeconds) > 0 ? Number(timeoutSeconds) * 1000 : settings.defaultTimeoutMs
  const timer = setTimeout(() => {
    // A real apiserver sends a last bookmark as a watch times out, so the client resumes from there.
    handle.bookmark()
    end()
  }, timeoutMs)
  timer.unref()
  timers.push(timer)
  req.on('close', end)
  res.on('close', end)
}
