/**
 * Live updates for open dashboards over Server-Sent Events (`/ui/events`). The stream
 * carries no data of the view, only notices: `version` when the view changed (at most
 * one per `minIntervalMs`, always the latest, so a burst of changes costs one refetch)
 * and `status` when a peer's connection or liveness or the alarms changed (and every
 * `statusRefreshMs` anyway, to correct heartbeat ages). Each browser then refetches
 * only what it shows — a page of workloads, not 10,000. A client that reads slowly
 * skips notices until its socket drains and then gets the latest one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from '../ports/logger.ts'
import type { SiteHandle, SiteStatus } from '../site/site-handle.ts'

export interface LiveUpdateSettings {
  /** Least time between two `version` notices (default 250 ms). */
  minIntervalMs?: number
  /** How often the site's status is looked at for changes (default 1,000 ms). */
  statusIntervalMs?: number
  /** A `status` notice is sent at least this often (default 10,000 ms). */
  statusRefreshMs?: number
  /** A comment line keeps idle proxies from closing the stream (default 15,000 ms). */
  keepAliveMs?: number
  /** Streams served at once; more are refused with 503 (default 100). */
  maxClients?: number
}

export interface LiveUpdates {
  /** Serves one event stream until the client goes or `close` is called. */
  attach (req: IncomingMessage, res: ServerResponse): void
  readonly clients: number
  close (): void
}

export interface StatusNotice {
  at: number
  peers: Array<{ siteId: string, connected: boolean, liveness: string, lastHeartbeatAgoMs?: number }>
  alarms: string[]
}

interface Client {
  res: ServerResponse
  blocked: boolean
  /** A version the client missed while blocked. */
  owed: boolean
}

export function statusNotice (s: SiteStatus, at: number): StatusNotice {
  return {
    at,
    peers: s.peers.map((p) => ({ siteId: p.siteId, connected: p.connected, liveness: p.liveness, ...(p.lastHeartbeatAgoMs === undefined ? {} : { lastHeartbeatAgoMs: p.lastHeartbeatAgoMs }) })),
    alarms: s.alarms
  }
}

function fingerprint (n: StatusNotice): string {
  return JSON.stringify([n.peers.map((p) => [p.siteId, p.connected, p.liveness]), n.alarms])
}

export function createLiveUpdates (site: SiteHandle, logger: Logger, settings: LiveUpdateSettings = {}, now: () => number = Date.now): LiveUpdates {
  const minIntervalMs = settings.minIntervalMs ?? 250
  const statusIntervalMs = settings.statusIntervalMs ?? 1000
  const statusRefreshMs = settings.statusRefreshMs ?? 10_000
  const keepAliveMs = settings.keepAliveMs ?? 15_000
  const maxClients = settings.maxClients ?? 100
  const clients = new Set<Client>()
  let unsubscribe: (() => void) | undefined
  let versionTimer: NodeJS.Timeout | undefined
  let statusTimer: NodeJS.Timeout | undefined
  let keepAliveTimer: NodeJS.Timeout | undefined
  let lastVersionSentAt = -Infinity
  let lastStatus = ''
  let lastStatusSentAt = -Infinity

  function write (c: Client, text: string): void {
    if (c.res.writableEnded || c.res.destroyed) return
    if (!c.res.write(text)) c.blocked = true
  }

  function versionFrame (): string {
    return `event: version\ndata: ${JSON.stringify({ version: site.viewVersion() })}\n\n`
  }

  function sendVersion (): void {
    versionTimer = undefined
    lastVersionSentAt = now()
    const frame = versionFrame()
    for (const c of clients) {
      if (c.blocked) c.owed = true
      else write(c, frame)
    }
  }

  function onViewChange (): void {
    if (versionTimer !== undefined) return
    const wait = lastVersionSentAt + minIntervalMs - now()
    if (wait <= 0) sendVersion()
    else versionTimer = setTimeout(sendVersion, wait)
  }

  function checkStatus (force: boolean): void {
    let notice: StatusNotice
    try {
      notice = statusNotice(site.status(), now())
    } catch (e) {
      logger.warn({ err: (e as Error).message }, 'dashboard could not read the site status')
      return
    }
    const fp = fingerprint(notice)
    if (!force && fp === lastStatus && now() - lastStatusSentAt < statusRefreshMs) return
    lastStatus = fp
    lastStatusSentAt = now()
    const frame = `event: status\ndata: ${JSON.stringify(notice)}\n\n`
    for (const c of clients) if (!c.blocked) write(c, frame)
  }

  function startWatching (): void {
    unsubscribe = site.onViewChange(onViewChange)
    statusTimer = setInterval(() => { checkStatus(false) }, statusIntervalMs)
    keepAliveTimer = setInterval(() => { for (const c of clients) if (!c.blocked) write(c, ': keep-alive\n\n') }, keepAliveMs)
    statusTimer.unref()
    keepAliveTimer.unref()
  }

  function stopWatching (): void {
    unsubscribe?.()
    unsubscribe = undefined
    if (versionTimer !== undefined) clearTimeout(versionTimer)
    versionTimer = undefined
    clearInterval(statusTimer)
    clearInterval(keepAliveTimer)
    statusTimer = undefined
    keepAliveTimer = undefined
  }

  function drop (c: Client): void {
    if (!clients.delete(c)) return
    if (clients.size === 0) stopWatching()
  }

  return {
    get clients () { return clients.size },

    attach (req, res) {
      if (clients.size >= maxClients) {
        res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '10' })
        res.end(`too many live dashboards (${maxClients}); close one or raise dashboard.live.maxClients\n`)
        return
      }
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        // Reverse proxies (nginx) must not buffer the stream.
        'X-Accel-Buffering': 'no'
      })
      res.socket?.setNoDelay(true)
      const c: Client = { res, blocked: false, owed: false }
      res.on('drain', () => {
        c.blocked = false
        if (c.owed) { c.owed = false; write(c, versionFrame()) }
      })
      req.on('close', () => { drop(c) })
      res.on('error', () => { drop(c) })
      if (clients.size === 0) startWatching()
      clients.add(c)
      // The client reconnects after 2 s if the stream breaks, and refetches everything then.
      write(c, `retry: 2000\nevent: hello\ndata: ${JSON.stringify({ site: site.siteId, version: site.viewVersion() })}\n\n`)
      checkStatus(true)
    },

    close () {
      stopWatching()
      for (const c of clients) c.res.end()
      clients.clear()
    }
  }
}
