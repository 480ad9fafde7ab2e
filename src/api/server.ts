/**
 * The site's Kubernetes-compatible HTTPS API: `createApiServer` binds a `SiteHandle` to
 * a TLS listener that asks for (but does not require) client certificates, then for
 * each request authenticates (401), routes (version, health, discovery, OpenAPI,
 * resources), authorizes by role (403), and hands resource requests to the read, watch
 * and write handlers. Everything a handler throws leaves as a Status. Reads come from
 * the global view through the object tracker; writes go to `site.putObject` and
 * `site.deleteObject`, so they land in this site's document even while it is cut off.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { FlotillaError } from '../model/errors.ts'
import type { KubeObject } from '../model/kube.ts'
import type { Logger } from '../ports/logger.ts'
import type { TokenRecord } from '../pki/index.ts'
import type { SiteHandle } from '../site/site-handle.ts'
import { authorize, createAuthenticator, UNAUTHORIZED, type Identity } from './auth.ts'
import {
  aggregatedDiscovery, AGGREGATED_DISCOVERY_TYPE, apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo, wantsAggregated
} from './discovery.ts'
import { flag, sendBytes, sendJson, sendStatus } from './http.ts'
import { createLatencyHistogram } from '../ui/metrics/histogram.ts'
import type { HistogramSnapshot } from '../site/site-handle.ts'
import { isFlotillaPath, serveFlotillaRoute } from './flotilla-routes.ts'
import { decodeBody, methodNotAllowed, readBody, representationOf, statusError } from '../k8s/index.ts'
import { createObjectTracker, type ObjectTracker } from './object-tracker.ts'
import { openApiV2, openApiV2Protobuf, openApiV3GroupVersion, openApiV3Index, OPENAPI_V2_PROTOBUF } from './openapi.ts'
import { getObject, listObjects, type ReadContext } from './reads.ts'
import type { Verb } from './resources.ts'
import { parseRoute, type Route } from './routes.ts'
import { statusOf, type StatusContext } from './status-table.ts'
import type { LiveFacts } from './tables.ts'
import { serveWatch } from './watch.ts'
import { createObject, deleteObject, getScale, patchObject, updateObject, writeScale, type WriteContext } from './writes.ts'

export interface ApiServerOptions {
  site: SiteHandle
  /** `host:port` or `{ host, port }`; port 0 picks a free one. */
  listen: string | { host: string, port: number }
  /** Server key and certificate, and the CA whose client certificates are accepted (PEM). */
  tls: { cert: string | Buffer, key: string | Buffer, ca: string | Buffer }
  /** Hashes of the bearer tokens this site accepts (src/pki). */
  auth: { tokens: readonly TokenRecord[] }
  logger: Logger
  /** Wall clock for ages and managedFields times (default Date.now). */
  now?: () => number
  watch?: {
    /** BOOKMARK interval (default 60,000 ms, about what a kube-apiserver sends). */
    bookmarkIntervalMs?: number
    /** Longest watch (default 1,800 s). */
    maxTimeoutSeconds?: number
    /** Changes kept for watches that resume from a resourceVersion (default 10,000). */
    historyLimit?: number
  }
  /** Largest request body (default 3 MiB, as the apiserver). */
  maxBodyBytes?: number
  /**
   * Handlers that authenticate on their own (the pull-mode agent endpoint signs every
   * request with the agent's key); each returns true when it took the request.
   */
  extraHandlers?: ReadonlyArray<(req: IncomingMessage, res: ServerResponse) => boolean>
}

export interface ApiServer {
  start (): Promise<void>
  stop (): Promise<void>
  /** Requests answered by verb and status code, and latency of non-watch requests. */
  metrics (): { requests: Array<{ verb: string, code: number, count: number }>, latency: HistogramSnapshot }
  /** `https://host:port`, once started. */
  readonly url: string
}

function parseListen (listen: ApiServerOptions['listen']): { host: string, port: number } {
  if (typeof listen !== 'string') return listen
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(listen)
  if (m === null) {
    throw new FlotillaError('config-invalid', `'api.listen' must be "host:port": received ${JSON.stringify(listen)}`, 'Use e.g. "127.0.0.1:6443".')
  }
  return { host: m[1] as string, port: Number(m[2]) }
}

function managerFrom (q: URLSearchParams, req: IncomingMessage): string | undefined {
  const explicit = q.get('fieldManager')
  if (explicit !== null && explicit !== '') return explicit.slice(0, 128)
  const ua = req.headers['user-agent']
  if (ua === undefined || ua === '') return undefined
  return ua.split('/')[0]?.trim().slice(0, 128)
}

function dryRunOf (q: URLSearchParams): boolean {
  const values = q.getAll('dryRun')
  for (const v of values) if (v !== 'All') throw statusError(400, 'BadRequest', `dryRun: Unsupported value: "${v}": supported values: "All"`)
  return values.length > 0
}

function verbOf (method: string, name: string | undefined, watch: boolean): Verb | undefined {
  switch (method) {
    case 'GET': return watch ? 'watch' : name === undefined ? 'list' : 'get'
    case 'POST': return name === undefined ? 'create' : undefined
    case 'PUT': return name === undefined ? undefined : 'update'
    case 'PATCH': return name === undefined ? undefined : 'patch'
    case 'DELETE': return name === undefined ? undefined : 'delete'
    default: return undefined
  }
}

export function createApiServer (options: ApiServerOptions): ApiServer {
  const { site, logger } = options
  const listen = parseListen(options.listen)
  const now = options.now ?? Date.now
  const authenticate = createAuthenticator(options.auth.tokens)
  const maxBodyBytes = options.maxBodyBytes ?? 3 * 1024 * 1024
  const sockets = new Set<Socket>()
  const watches = new Set<() => void>()
  const watchSettings = {
    bookmarkIntervalMs: options.watch?.bookmarkIntervalMs ?? 60_000,
    maxTimeoutMs: (options.watch?.maxTimeoutSeconds ?? 1800) * 1000,
    track: (end: () => void) => { watches.add(end); return () => { watches.delete(end) } }
  }
  let tracker: ObjectTracker | undefined
  let url = ''
  const writeQueues = new Map<string, Promise<void>>()
  const requestCounts = new Map<string, number>()
  const latency = createLatencyHistogram()

  const server: Server = createServer({
    cert: options.tls.cert, key: options.tls.key, ca: options.tls.ca,
    requestCert: true, rejectUnauthorized: false, keepAliveTimeout: 30_000
  }, (req, res) => {
    const t0 = performance.now()
    res.on('finish', () => {
      const watch = /[?&]watch=(1|true)/.test(req.url ?? '')
      const verb = watch ? 'watch' : (req.method ?? 'GET').toLowerCase()
      const key = `${verb} ${res.statusCode}`
      requestCounts.set(key, (requestCounts.get(key) ?? 0) + 1)
      if (!watch) latency.observe((performance.now() - t0) / 1000)
    })
    void dispatch(req, res)
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.on('tlsClientError', (e) => { logger.debug({ err: e.message }, 'TLS handshake failed') })

  function livenessOf (name: string): Record<string, string> {
    if (name === site.siteId) return { liveness: 'self', connected: 'true' }
    const peer = site.status().peers.find((p) => p.siteId === name)
    return peer === undefined ? { liveness: 'unknown', connected: 'false' } : { liveness: peer.liveness, connected: String(peer.connected) }
  }
  const live: LiveFacts = (kind, name) => (kind === 'Site' ? livenessOf(name) : undefined)
  const decorate = (o: KubeObject): KubeObject => {
    if (o.kind !== 'Site') return o
    const facts = livenessOf(o.metadata.name)
    return { ...o, status: { ...o.status, liveness: facts['liveness'], connected: facts['connected'] === 'true' } }
  }

  async function handleResource (req: IncomingMessage, res: ServerResponse, who: Identity, route: Extract<Route, { type: 'resource' }>, q: URLSearchParams): Promise<void> {
    const t = tracker as ObjectTracker
    const { resource, namespace, name } = route
    const method = req.method ?? 'GET'
    const verb = verbOf(method, name, route.watch || (method === 'GET' && flag(q, 'watch')))
    if (verb === undefined) throw methodNotAllowed('the server does not allow this method on the requested resource')
    const scale = route.subresource === 'scale' && resource.scale && (verb === 'get' || verb === 'update' || verb === 'patch')
    if (route.subresource !== undefined && !scale) throw statusError(404, 'NotFound', `the server could not find the requested resource (${resource.plural}/${route.subresource} is not served)`)
    if (name !== undefined && resource.namespaced && namespace === undefined) throw statusError(404, 'NotFound', 'the server could not find the requested resource')
    const denied = authorize(who, { verb, resource, namespace, name })
    if (denied !== undefined) {
      logger.info({ user: who.user, role: who.role, verb, resource: resource.plural, group: resource.group, namespace, name }, 'api request refused by role')
      sendStatus(res, denied)
      return
    }
    const ctx: ReadContext = { res, who, resource, namespace, query: q, as: representationOf(req.headers.accept), tracker: t, now, live, decorate }
    if (scale && verb === 'get') { t.refresh(); getScale(ctx, name as string); return }
    switch (verb) {
      case 'get': t.refresh(); getObject(ctx, name as string); return
      case 'list': t.refresh(); listObjects(ctx); return
      case 'watch': serveWatch(req, ctx, name, watchSettings); return
      default: break
    }
    const text = await readBody(req, maxBodyBytes)
    const body = decodeBody(text, req.headers['content-type'] ?? 'application/json')
    const w: WriteContext = { ...ctx, req, site, logger, body, manager: managerFrom(q, req), dryRun: verb === 'delete' ? q.getAll('dryRun').includes('All') : dryRunOf(q) }
    const bodyName = typeof body === 'object' && body !== null ? (body as { metadata?: { name?: unknown } }).metadata?.name : undefined
    const lockKey = `${resource.plural}.${resource.group}/${namespace ?? ''}/${name ?? (typeof bodyName === 'string' ? bodyName : '')}`
    await oneWriterAtATime(lockKey, async () => {
      t.refresh()
      if (scale) { await writeScale(w, name as string, method === 'PUT' ? 'PUT' : 'PATCH'); return }
      switch (verb) {
        case 'create': await createObject(w); return
        case 'update': await updateObject(w, name as string); return
        case 'patch': await patchObject(w, name as string); return
        case 'delete': await deleteObject(w, name as string); return
      }
    })
  }

  /**
   * Writes to one object run one after another: a write reads the live object (its
   * resourceVersion, its field managers) before `putObject` resolves, so two concurrent
   * writes would otherwise both pass the optimistic-concurrency check.
   */
  async function oneWriterAtATime (key: string, write: () => Promise<void>): Promise<void> {
    const previous = writeQueues.get(key) ?? Promise.resolve()
    const mine = previous.then(write, write)
    const tail = mine.catch(() => {})
    writeQueues.set(key, tail)
    try {
      await mine
    } finally {
      if (writeQueues.get(key) === tail) writeQueues.delete(key)
    }
  }

  async function dispatch (req: IncomingMessage, res: ServerResponse): Promise<void> {
    let context: StatusContext | undefined
    try {
      for (const handler of options.extraHandlers ?? []) if (handler(req, res)) return
      const u = new URL(req.url ?? '/', 'https://api')
      const route = parseRoute(u.pathname)
      if (route.type === 'version') { sendJson(res, 200, JSON.stringify(versionInfo())); return }
      if (route.type === 'health') { sendJson(res, 200, 'ok', 'text/plain; charset=utf-8'); return }
      const who = authenticate(req)
      if (who === undefined) { sendStatus(res, UNAUTHORIZED); return }
      if (isFlotillaPath(u.pathname)) { serveFlotillaRoute({ req, res, who, site, url: u, now }); return }
      const accept = req.headers.accept
      switch (route.type) {
        case 'api':
          if (wantsAggregated(accept)) sendJson(res, 200, JSON.stringify(aggregatedDiscovery(true)), AGGREGATED_DISCOVERY_TYPE)
          else sendJson(res, 200, JSON.stringify(apiVersions(`${listen.host}:${server.address() === null ? 0 : (server.address() as AddressInfo).port}`)))
          return
        case 'apis':
          if (wantsAggregated(accept)) sendJson(res, 200, JSON.stringify(aggregatedDiscovery(false)), AGGREGATED_DISCOVERY_TYPE)
          else sendJson(res, 200, JSON.stringify(apiGroupList()))
          return
        case 'group': {
          const g = apiGroup(route.group)
          if (g === undefined) throw statusError(404, 'NotFound', 'the server could not find the requested resource')
          sendJson(res, 200, JSON.stringify(g))
          return
        }
        case 'group-version': {
          const list = apiResourceList(route.group, route.version)
          if (list === undefined) throw statusError(404, 'NotFound', 'the server could not find the requested resource')
          sendJson(res, 200, JSON.stringify(list))
          return
        }
        case 'openapi-v2':
          if (accept !== undefined && accept.includes(OPENAPI_V2_PROTOBUF) && !/application\/json|\*\/\*/.test(accept)) {
            sendBytes(res, 200, openApiV2Protobuf(), 'application/octet-stream')
            return
          }
          sendJson(res, 200, openApiV2())
          return
        case 'openapi-v3': sendJson(res, 200, openApiV3Index()); return
        case 'openapi-v3-gv': {
          const doc = openApiV3GroupVersion(route.group, route.version)
          if (doc === undefined) throw statusError(404, 'NotFound', 'the server could not find the requested resource')
          sendJson(res, 200, doc)
          return
        }
        case 'resource':
          context = { plural: route.resource.plural, group: route.resource.group, kind: route.resource.kind, ...(route.name === undefined ? {} : { name: route.name }) }
          await handleResource(req, res, who, route, u.searchParams)
          return
        default:
          throw statusError(404, 'NotFound', 'the server could not find the requested resource')
      }
    } catch (e) {
      const status = statusOf(e, context)
      if (status.code >= 500) logger.error({ err: (e as Error).message, method: req.method, url: req.url }, 'API request failed')
      if (res.headersSent) { res.destroy(); return }
      sendStatus(res, status)
    }
  }

  return {
    get url () { return url },
    async start () {
      if (tracker !== undefined) return
      tracker = createObjectTracker({ site, logger: logger.child({ component: 'api-tracker' }), now, ...(options.watch?.historyLimit === undefined ? {} : { historyLimit: options.watch.historyLimit }) })
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(listen.port, listen.host, () => { server.off('error', reject); resolve() })
      }).catch((e: unknown) => {
        tracker?.close()
        tracker = undefined
        if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          throw new FlotillaError('port-in-use', `port ${listen.port} on ${listen.host} (Kubernetes API) is not available: EADDRINUSE`,
            'Another program holds the port (another site, or one still stopping): stop it, or pick a free port in api.listen of the site config.',
            { cause: e, details: { port: listen.port, host: listen.host, what: 'Kubernetes API' } })
        }
        throw new FlotillaError('config-invalid', `the API cannot listen on ${listen.host}:${listen.port}: ${(e as Error).message}`,
          'Pick a free port for api.listen, or stop what holds it.', { cause: e })
      })
      const port = (server.address() as AddressInfo).port
      url = `https://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}`
      logger.info({ url }, 'Kubernetes API listening')
    },
    metrics () {
      const requests = [...requestCounts].map(([k, count]) => {
        const [verb, code] = k.split(' ')
        return { verb: verb!, code: Number(code), count }
      }).sort((a, b) => a.verb < b.verb ? -1 : a.verb > b.verb ? 1 : a.code - b.code)
      return { requests, latency: latency.snapshot() }
    },
    async stop () {
      if (tracker === undefined) return
      for (const end of [...watches]) end()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const s of sockets) s.destroy()
      await closed
      tracker.close()
      tracker = undefined
    }
  }
}
