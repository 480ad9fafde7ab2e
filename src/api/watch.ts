/**
 * Watch over HTTP: a chunked stream of `{"type":...,"object":...}` lines. Without a
 * resourceVersion it starts with the current objects as ADDED; with one it replays the
 * tracker's history after it (too old, or newer than this site has — e.g. from before a
 * restart — gets an ERROR event carrying a 410 Expired Status, so clients list again).
 * An object that stops matching the selector leaves the watch as a DELETED. BOOKMARKs
 * come at an interval when asked for; the stream ends after `timeoutSeconds`. In Table
 * mode each event carries a one-row Table (columns on the first only), which is what
 * `kubectl get -w` prints.
 */
import type { IncomingMessage } from 'node:http'
import type { KubeObject } from '../model/kube.ts'
import { flag } from './http.ts'
import { badRequest } from '../k8s/index.ts'
import type { TrackedObject, TrackerEvent } from './object-tracker.ts'
import { matches, selectorsOf, visibleTo, type ReadContext } from './reads.ts'
import { apiVersionOf } from './resources.ts'
import { failure } from './status-table.ts'
import { includeObjectOf, toTable } from './tables.ts'

export interface WatchSettings {
  /** Interval of BOOKMARK events for watches that allow them. */
  bookmarkIntervalMs: number
  /** Longest a watch runs (also when the client asks for longer). */
  maxTimeoutMs: number
  /** Registers an open watch so the server can end it on stop; returns the unregister function. */
  track: (end: () => void) => () => void
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'

export function serveWatch (req: IncomingMessage, ctx: ReadContext, name: string | undefined, settings: WatchSettings): void {
  const { res, query: q, resource, tracker } = ctx
  const sel = selectorsOf(resource, q)
  const rvParam = q.get('resourceVersion') ?? ''
  if (rvParam !== '' && !/^\d+$/.test(rvParam)) throw badRequest(`resourceVersion: Invalid value: "${rvParam}": must be a non-negative integer`)
  const bookmarks = flag(q, 'allowWatchBookmarks')
  const sendInitial = q.get('sendInitialEvents')
  const include = includeObjectOf(q)
  tracker.refresh()

  const inScope = (t: TrackedObject): boolean => t.resource === resource &&
    (ctx.namespace === undefined || !resource.namespaced || t.namespace === ctx.namespace) &&
    (name === undefined || t.name === name) && visibleTo(ctx.who, t) && matches(sel, t.object)

  let firstTable = true
  const encode = (type: EventType, object: KubeObject | ReturnType<typeof failure>, tracked?: TrackedObject): string => {
    let body: string
    if (tracked !== undefined && ctx.as === 'table') {
      body = JSON.stringify(toTable(resource, [ctx.decorate(tracked.object)], ctx.now(), include, { resourceVersion: String(tracked.rv) }, ctx.live, firstTable))
      firstTable = false
    } else if (tracked !== undefined && ctx.as === 'metadata') {
      body = JSON.stringify({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: tracked.object.metadata })
    } else {
      body = tracked !== undefined && ctx.decorate(tracked.object) === tracked.object ? tracker.json(tracked) : JSON.stringify(tracked === undefined ? object : ctx.decorate(tracked.object))
    }
    return `{"type":"${type}","object":${body}}\n`
  }
  const write = (line: string): void => { if (!res.destroyed) res.write(line) }
  const bookmark = (annotations?: Record<string, string>): void => {
    write(encode('BOOKMARK', {
      apiVersion: apiVersionOf(resource), kind: resource.kind,
      metadata: { name: '', resourceVersion: String(tracker.version()), ...(annotations === undefined ? {} : { annotations }) }
    }))
  }
  const forward = (e: TrackerEvent): void => {
    if (e.current.resource !== resource) return
    if (e.type === 'DELETED') { if (inScope(e.current)) write(encode('DELETED', e.current.object, e.current)); return }
    const now = inScope(e.current)
    const before = e.previous !== undefined && inScope(e.previous)
    if (now && before) write(encode('MODIFIED', e.current.object, e.current))
    else if (now) write(encode('ADDED', e.current.object, e.current))
    else if (before) write(encode('DELETED', e.current.object, e.current))
  }

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' })
  if (rvParam === '' || rvParam === '0') {
    if (sendInitial !== 'false') {
      for (const t of tracker.list(resource, ctx.namespace)) if (inScope(t)) write(encode('ADDED', t.object, t))
    }
    if (sendInitial === 'true' && bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' })
  } else {
    const events = tracker.since(resource, Number(rvParam))
    if (events === undefined) {
      const status = failure(410, 'Expired', `too old resource version: ${rvParam} (${tracker.version()})`)
      write(encode('ERROR', status))
      res.end()
      return
    }
    for (const e of events) forward(e)
    if (sendInitial === 'true' && bookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' })
  }

  let ended = false
  const timers: Array<ReturnType<typeof setTimeout>> = []
  const unsubscribe = tracker.subscribe(forward)
  let untrack = (): void => {}
  const end = (): void => {
    if (ended) return
    ended = true
    unsubscribe()
    for (const t of timers) clearTimeout(t)
    untrack()
    if (!res.destroyed) res.end()
  }
  untrack = settings.track(end)
  if (bookmarks && settings.bookmarkIntervalMs > 0) {
    const interval = setInterval(() => bookmark(), settings.bookmarkIntervalMs)
    interval.unref()
    timers.push(interval as unknown as ReturnType<typeof setTimeout>)
  }
  const asked = q.get('timeoutSeconds')
  const askedMs = asked !== null && /^\d+$/.test(asked) && Number(asked) > 0 ? Number(asked) * 1000 : settings.maxTimeoutMs
  const timer = setTimeout(end, Math.min(askedMs, settings.maxTimeoutMs))
  timer.unref()
  timers.push(timer)
  req.on('close', end)
  res.on('close', end)
}
