/**
 * A small HTTPS client for one site's API, built from a resolved kubeconfig context. It
 * keeps connections alive for the length of one command (an apply of many objects
 * reuses a few sockets), gives every request a deadline, and turns every failure into a
 * typed error: the site's Statuses through `status-errors.ts`, and network trouble
 * (refused, unknown host, TLS the kubeconfig's CA cannot verify, no answer in time)
 * into `site-unreachable`, `unauthenticated` or `timed-out` with a hint naming the
 * kubeconfig and server. Call `close()` when the command is done.
 */
import { Agent, request as httpsRequest } from 'node:https'
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage } from 'node:http'
import { FlotillaError } from '../../model/errors.ts'
import type { SiteConnection } from './kubeconfig.ts'
import { errorFromStatus } from './status-errors.ts'

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  contentType?: string
  accept?: string
}

export interface Reply<T> {
  status: number
  body: T
}

export interface SiteClient {
  readonly connection: SiteConnection
  request<T = unknown> (method: string, path: string, options?: RequestOptions): Promise<Reply<T>>
  get<T = unknown> (path: string, query?: RequestOptions['query']): Promise<T>
  /** Closes the kept-alive connections. */
  close (): void
}

export interface SiteClientOptions {
  /** Deadline of each request (ms). */
  timeoutMs: number
  userAgent?: string
}

const TLS_TRUST_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID'
])

function withQuery (path: string, query: RequestOptions['query']): string {
  if (query === undefined) return path
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v))
  const s = q.toString()
  return s === '' ? path : `${path}${path.includes('?') ? '&' : '?'}${s}`
}

export function formatMs (ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`
}

export function createSiteClient (conn: SiteConnection, options: SiteClientOptions): SiteClient {
  const url = new URL(conn.server)
  const secure = url.protocol === 'https:'
  const tls = {
    ...(conn.ca === undefined ? {} : { ca: conn.ca }),
    ...(conn.cert === undefined ? {} : { cert: conn.cert, key: conn.key }),
    ...(conn.serverName === undefined ? {} : { servername: conn.serverName }),
    rejectUnauthorized: !conn.insecure
  }
  const agent = secure ? new Agent({ keepAlive: true, maxSockets: 8, ...tls }) : new HttpAgent({ keepAlive: true, maxSockets: 8 })
  const basePath = url.pathname.replace(/\/+$/, '')
  const userAgent = options.userAgent ?? 'flotilla-cli'

  function networkError (e: NodeJS.ErrnoException, method: string, path: string): FlotillaError {
    const code = e.code ?? ''
    const where = `${conn.server} (kubeconfig ${conn.kubeconfig}, context ${conn.context})`
    if (TLS_TRUST_CODES.has(code)) {
      return new FlotillaError('unauthenticated', `cannot verify the certificate of ${where}: ${e.message}`,
        'The kubeconfig trusts another CA than the site presents: use the kubeconfig that site wrote (<dataDir>/pki/kubeconfigs/), recreated with its credentials.', { cause: e, details: { code } })
    }
    return new FlotillaError('site-unreachable', `cannot reach the site at ${where}: ${code === '' ? e.message : code}`,
      'Is the site running? Start it with `flotilla site -c <site.yaml>` (or `npm start`), and check the server URL in the kubeconfig.',
      { cause: e, details: { code, method, path } })
  }

  function request<T> (method: string, path: string, o: RequestOptions = {}): Promise<Reply<T>> {
    const fullPath = basePath + withQuery(path, o.query)
    const headers: Record<string, string> = { Accept: o.accept ?? 'application/json', 'User-Agent': userAgent }
    if (conn.token !== undefined && conn.cert === undefined) headers['Authorization'] = `Bearer ${conn.token}`
    const payload = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body)
    if (payload !== undefined) {
      headers['Content-Type'] = o.contentType ?? 'application/json'
      headers['Content-Length'] = String(Buffer.byteLength(payload))
    }
    const send = secure ? httpsRequest : httpRequest
    return new Promise<Reply<T>>((resolve, reject) => {
      const req = send({ protocol: url.protocol, hostname: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, path: fullPath, method, headers, agent }, (res: IncomingMessage) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', (e) => reject(networkError(e, method, path)))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          const status = res.statusCode ?? 0
          let body: unknown = text
          if (/json/.test(String(res.headers['content-type'] ?? '')) || /^\s*[{[]/.test(text)) {
            try { body = JSON.parse(text) } catch { body = text }
          }
          if (status >= 400) { reject(errorFromStatus(status, body, { kubeconfig: conn.kubeconfig, user: conn.user, method, path })); return }
          resolve({ status, body: body as T })
        })
      })
      req.setTimeout(options.timeoutMs, () => {
        req.destroy(new FlotillaError('timed-out', `no answer from ${conn.server} to ${method} ${path} within ${formatMs(options.timeoutMs)}`,
          'The site may be overloaded or stuck: retry with a longer --timeout, or check its logs.'))
      })
      req.on('error', (e: NodeJS.ErrnoException) => reject(e instanceof FlotillaError ? e : networkError(e, method, path)))
      req.end(payload)
    })
  }

  return {
    connection: conn,
    request,
    async get<T> (path: string, query?: RequestOptions['query']): Promise<T> {
      return (await request<T>('GET', path, query === undefined ? {} : { query })).body
    },
    close () { agent.destroy() }
  }
}
