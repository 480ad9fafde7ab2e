/**
 * The dashboard every site serves: `createDashboardServer` binds a `SiteHandle` to a
 * plain HTTP listener (loopback by default; TLS belongs to a reverse proxy in front)
 * and answers the app (`/`, `/assets/*`), its JSON (`/ui/api/*`), live update notices
 * (`/ui/events`, Server-Sent Events) and Prometheus metrics (`/metrics`). It only
 * reads: nothing here writes to the site. Requests whose Host header names neither a
 * loopback name nor a configured host are refused, so a web page elsewhere cannot read
 * the dashboard through DNS rebinding.
 */
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { FlotillaError } from '../model/errors.ts'
import type { Logger } from '../ports/logger.ts'
import type { SiteHandle } from '../site/site-handle.ts'
import { loadAssets, type Asset } from './assets.ts'
import { createDashboardData } from './dashboard-data.ts'
import { errorStatus, send, sendError, sendJson, SECURITY_HEADERS } from './http.ts'
import { createLiveUpdates, type LiveUpdateSettings } from './live-updates.ts'
import { EXPOSITION_CONTENT_TYPE, renderExposition } from './metrics/exposition.ts'
import { createLatencyHistogram } from './metrics/histogram.ts'
import { siteMetricFamilies } from './metrics/site-metrics.ts'
import { listClusters, listSites, summarize } from './queries/overview.ts'
import { queryEvents, queryEvidence } from './queries/timeline.ts'
import { workloadDetail } from './queries/workload-detail.ts'
import { parseWorkloadQuery, queryWorkloads } from './queries/workload-index.ts'
import { textParam } from './queries/query-params.ts'

export interface DashboardServerOptions {
  site: SiteHandle
  /** `host:port` or `{ host, port }`; port 0 picks a free one. Keep it on loopback unless a proxy guards it. */
  listen: string | { host: string, port: number }
  logger: Logger
  /**
   * Extra Host header values accepted besides loopback names and the listen address:
   * `name` (any port) or `name:port`, e.g. the name a reverse proxy forwards; `*` accepts any.
   */
  allowedHosts?: readonly string[]
  live?: LiveUpdateSettings
  /** Wall clock (default Date.now). */
  now?: () => number
  /** Folder of the browser files (default `src/ui/assets`). */
  assetsDir?: string
}

export interface DashboardServer {
  start (): Promise<void>
  stop (): Promise<void>
  /** `http://host:port/`, once started. */
  readonly url: string
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]']

function parseListen (listen: DashboardServerOptions['listen']): { host: string, port: number } {
  if (typeof listen !== 'string') return listen
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(listen)
  if (m === null || Number(m[2]) > 65535) {
    throw new FlotillaError('config-invalid', `'dashboard.listen' must be "host:port": received ${JSON.stringify(listen)}`, 'Use e.g. "127.0.0.1:8080".')
  }
  return { host: m[1] as string, port: Number(m[2]) }
}

function buildInfo (): { version: string, node: string } {
  let version = '0.0.0'
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown }
    if (typeof pkg.version === 'string') version = pkg.version
  } catch { /* a trimmed install without package.json still serves; the version says unknown */ }
  return { version, node: process.version }
}

function hostLabel (host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}

export function createDashboardServer (options: DashboardServerOptions): DashboardServer {
  const { site, logger } = options
  const listen = parseListen(options.listen)
  const now = options.now ?? Date.now
  const assets: Map<string, Asset> = loadAssets(options.assetsDir)
  const data = createDashboardData(site)
  const live = createLiveUpdates(site, logger, options.live, now)
  const requests = createLatencyHistogram()
  const build = buildInfo()
  const sockets = new Set<Socket>()
  const extraHosts = (options.allowedHosts ?? []).map((h) => h.toLowerCase())
  let allowed = new Set<string>()
  let url = ''

  function hostAllowed (header: string | undefined): boolean {
    if (extraHosts.includes('*')) return true
    if (header === undefined) return false
    const h = header.toLowerCase()
    if (allowed.has(h) || extraHosts.includes(h)) return true
    const name = h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.split(':')[0] as string
    return extraHosts.includes(name)
  }

  function serveAsset (req: IncomingMessage, res: ServerResponse, name: string, head: boolean): void {
    const asset = assets.get(name)
    if (asset === undefined) { sendJson(res, 404, { code: 'not-found', message: `no asset ${name}`, hint: 'Reload the dashboard.' }, head); return }
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, { ...SECURITY_HEADERS, ETag: asset.etag, 'Cache-Control': 'no-cache' })
      res.end()
      return
    }
    send(res, 200, asset.body, asset.contentType, { ETag: asset.etag, 'Cache-Control': 'no-cache' }, head)
  }

  function answerApi (path: string, q: URLSearchParams): unknown {
    switch (path) {
      case 'summary': {
        const at = now()
        const status = site.status()
        const index = data.index()
        return summarize({
          view: site.view(), version: site.viewVersion(), status, index, sites: listSites(site.view(), status, index, at),
          events: data.events().length, evidence: data.evidence().length, build, at
        })
      }
      case 'sites': return listSites(site.view(), site.status(), data.index(), now())
      case 'clusters': return listClusters(site.view(), site.status())
      case 'workloads': return queryWorkloads(data.index(), parseWorkloadQuery(q))
      case 'workload': {
        const key = textParam(q, 'key', 600)
        if (key === undefined) throw new FlotillaError('input-invalid', "'key' is required: received nothing", 'Add ?key=<group>/<kind>/<namespace>/<name>.')
        return workloadDetail(site, data.index(), key)
      }
      case 'events': return queryEvents(data.events(), q)
      case 'evidence': return queryEvidence(data.evidence(), q)
      default:
        throw new FlotillaError('not-found', `no dashboard endpoint /ui/api/${path}`, 'Use summary, sites, clusters, workloads, workload, events or evidence.')
    }
  }

  function handle (req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET'
    const head = method === 'HEAD'
    if (!hostAllowed(req.headers.host)) {
      send(res, 421, `host ${JSON.stringify(req.headers.host ?? '')} is not served here; add it to dashboard allowedHosts if a proxy forwards it\n`, 'text/plain; charset=utf-8')
      return
    }
    if (method !== 'GET' && !head) {
      send(res, 405, 'the dashboard is read-only\n', 'text/plain; charset=utf-8', { Allow: 'GET, HEAD' })
      return
    }
    const u = new URL(req.url ?? '/', 'http://dashboard')
    const path = u.pathname
    if (path === '/' || path === '/index.html') { serveAsset(req, res, 'index.html', head); return }
    if (path.startsWith('/assets/')) { serveAsset(req, res, path.slice('/assets/'.length), head); return }
    if (path === '/ui/events') { live.attach(req, res); return }
    if (path === '/healthz') { send(res, 200, 'ok\n', 'text/plain; charset=utf-8', { 'Cache-Control': 'no-store' }, head); return }
    const t0 = performance.now()
    try {
      if (path === '/metrics') {
        const text = renderExposition(siteMetricFamilies({ site, data, build, dashboard: { liveClients: live.clients, requests } }))
        send(res, 200, text, EXPOSITION_CONTENT_TYPE, { 'Cache-Control': 'no-store' }, head)
      } else if (path.startsWith('/ui/api/')) {
        sendJson(res, 200, answerApi(path.slice('/ui/api/'.length), u.searchParams), head)
      } else {
        throw new FlotillaError('not-found', `nothing is served at ${path}`, 'Open / for the dashboard or /metrics for Prometheus.')
      }
    } catch (e) {
      if (errorStatus(e) >= 500) logger.error({ err: (e as Error).message, url: req.url }, 'dashboard request failed')
      if (res.headersSent) res.destroy()
      else sendError(res, e, head)
    } finally {
      requests.observe((performance.now() - t0) / 1000)
    }
  }

  const server: Server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    try {
      handle(req, res)
    } catch (e) {
      logger.error({ err: (e as Error).message, url: req.url }, 'dashboard request failed')
      if (!res.headersSent) sendError(res, e)
      else res.destroy()
    }
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  return {
    get url () { return url },

    async start () {
      await new Promise<void>((resolve, reject) => {
        const onError = (e: NodeJS.ErrnoException): void => {
          reject(e.code === 'EADDRINUSE'
            ? new FlotillaError('port-in-use', `port ${listen.port} on ${listen.host} (dashboard) is not available: EADDRINUSE`,
              'Another program holds the port (another site, or one still stopping): stop it, or pick a free port in dashboard.listen of the site config.',
              { cause: e, details: { port: listen.port, host: listen.host, what: 'dashboard' } })
            : new FlotillaError('config-invalid', `the dashboard cannot listen on ${listen.host}:${listen.port}: ${e.message}`,
              'Pick a free port in dashboard.listen, or stop the process that holds it.', { cause: e }))
        }
        server.once('error', onError)
        server.listen(listen.port, listen.host, () => { server.off('error', onError); resolve() })
      })
      const port = (server.address() as AddressInfo).port
      allowed = new Set([...LOOPBACK_NAMES, hostLabel(listen.host)].map((h) => `${h.toLowerCase()}:${port}`))
      url = `http://${hostLabel(listen.host === '0.0.0.0' || listen.host === '::' ? '127.0.0.1' : listen.host)}:${port}/`
      // Build the workload index now, so the first browser does not wait for it.
      setImmediate(() => {
        try { data.index() } catch (e) { logger.warn({ err: (e as Error).message }, 'dashboard could not index the view') }
      })
      logger.info({ url }, 'dashboard listening')
    },

    async stop () {
      live.close()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const s of sockets) s.destroy()
      await closed
    }
  }
}
