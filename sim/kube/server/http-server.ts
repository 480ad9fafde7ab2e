/**
 * The emulator's HTTP(S) listener: bearer-token check (when configured), routing to
 * discovery, OpenAPI, admin and resource handlers, and the API-level fault knobs. With
 * `unreachable: "refuse"` it stops listening (clients get ECONNREFUSED) and cuts every
 * open connection, watches included; with `"reset"` it keeps listening but resets every
 * connection; `latencyMs` delays each request. Recovery listens again on the same port.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { statusError } from '../../../src/k8s/api-errors.ts'
import type { ClusterModel, FaultState } from '../model/cluster-model.ts'
import { handleAdmin } from './admin-handler.ts'
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery.ts'
import { sendError, sendJson } from '../../../src/k8s/http-io.ts'
import { openApiV2, openApiV3Index, openApiV3GroupVersion } from './openapi.ts'
import { parseRoute } from './request-path.ts'
import { createResourceHandler } from './resource-handler.ts'

export interface TlsMaterial {
  cert: string | Buffer
  key: string | Buffer
}

export interface KubeHttpServerOptions {
  model: ClusterModel
  /** When set, every API request must carry `Authorization: Bearer <token>`. */
  token?: string
  tls?: TlsMaterial
  /** Interval of watch BOOKMARK events. Default 60,000 ms (a real apiserver sends about one a minute). */
  bookmarkIntervalMs?: number
  /** Longest watch without timeoutSeconds. Default 30 minutes. */
  watchTimeoutMs?: number
  /** Largest accepted request body. Default 3 MiB, as the apiserver. */
  maxBodyBytes?: number
  /** Serve `/_emulator/*` on this listener too. Default true. */
  admin?: boolean
}

export interface KubeHttpServer {
  listen (port: number, host: string): Promise<number>
  /** Resolves once the listener reflects the latest fault state (refusing or listening again). */
  settled (): Promise<void>
  close (): Promise<void>
}

export function createKubeHttpServer (options: KubeHttpServerOptions): KubeHttpServer {
  const { model } = options
  const sockets = new Set<Socket>()
  const watches = new Set<() => void>()
  const handleResource = createResourceHandler({
    model,
    maxBodyBytes: options.maxBodyBytes ?? 3 * 1024 * 1024,
    watch: {
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
      defaultTimeoutMs: options.watchTimeoutMs ?? 30 * 60_000,
      track: (end) => { watches.add(end); return () => { watches.delete(end) } }
    }
  })
  let address: { port: number, host: string } | undefined
  let closed = false
  let transition: Promise<void> = Promise.resolve()

  const server: Server = options.tls === undefined
    ? createHttpServer({ keepAliveTimeout: 30_000 }, (req, res) => { void dispatch(req, res) })
    : createHttpsServer({ cert: options.tls.cert, key: options.tls.key, keepAliveTimeout: 30_000 }, (req, res) => { void dispatch(req, res) })

  server.on('connection', (socket: Socket) => {
    if (model.faults().unreachable !== false) { socket.resetAndDestroy(); return }
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  function cutConnections (): void {
    for (const end of [...watches]) end()
    for (const s of sockets) s.destroy()
    sockets.clear()
  }

  function stopListening (): Promise<void> {
    return new Promise((resolve) => {
      if (!server.listening) { resolve(); return }
      server.close(() => resolve())
      cutConnections()
    })
  }

  function startListening (): Promise<void> {
    return new Promise((resolve, reject) => {
      if (server.listening || address === undefined || closed) { resolve(); return }
      server.once('error', reject)
      server.listen(address.port, address.host, () => { server.off('error', reject); resolve() })
    })
  }

  const unsubscribe = model.onFault((f: FaultState) => {
    if (f.unreachable === 'refuse') transition = transition.then(stopListening)
    else if (f.unreachable === 'reset') { cutConnections(); transition = transition.then(startListening) } else transition = transition.then(startListening)
  })

  function authorised (req: IncomingMessage): boolean {
    if (options.token === undefined) return true
    return req.headers.authorization === `Bearer ${options.token}`
  }

  async function dispatch (req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const faults = model.faults()
      if (faults.unreachable !== false) { req.socket.resetAndDestroy(); return }
      const url = new URL(req.url ?? '/', 'http://emulator')
      const route = parseRoute(url.pathname)
      if (!authorised(req)) {
        sendJson(res, 401, JSON.stringify(statusError(401, 'Unauthorized', 'Unauthorized').status))
        return
      }
      if (route.type === 'admin') {
        if (options.admin === false) throw statusError(404, 'NotFound', 'the server could not find the requested resource')
        await handleAdmin(req, res, model, route.path)
        return
      }
      if (faults.latencyMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, faults.latencyMs))
        if (model.faults().unreachable !== false) { req.socket.resetAndDestroy(); return }
      }
      switch (route.type) {
        case 'version': sendJson(res, 200, JSON.stringify(versionInfo(model.kubernetesVersion))); return
        case 'health': sendJson(res, 200, 'ok'); return
        case 'api': sendJson(res, 200, JSON.stringify(apiVersions(`${address?.host ?? '127.0.0.1'}:${address?.port ?? 0}`))); return
        case 'apis': sendJson(res, 200, JSON.stringify(apiGroupList())); return
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
        case 'openapi-v2': sendJson(res, 200, openApiV2(model.kubernetesVersion)); return
        case 'openapi-v3': sendJson(res, 200, JSON.stringify(openApiV3Index())); return
        case 'openapi-v3-gv': {
          const doc = openApiV3GroupVersion(route.group, route.version, model.kubernetesVersion)
          if (doc === undefined) throw statusError(404, 'NotFound', 'the server could not find the requested resource')
          sendJson(res, 200, doc)
          return
        }
        case 'resource':
          await handleResource(req, res, { resource: route.resource, namespace: route.namespace, name: route.name, subresource: route.subresource, watchPath: route.watch }, url.searchParams)
          return
        default:
          throw statusError(404, 'NotFound', 'the server could not find the requested resource')
      }
    } catch (e) {
      sendError(res, e)
    }
  }

  return {
    listen (port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, host, () => {
          server.off('error', reject)
          const a = server.address() as AddressInfo
          address = { port: a.port, host }
          resolve(a.port)
        })
      })
    },
    settled: () => transition,
    async close () {
      closed = true
      unsubscribe()
      await transition.catch(() => {})
      await stopListening()
      cutConnections()
    }
  }
}
