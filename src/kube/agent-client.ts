/**
 * The agent's HTTP(S) client to its site: one request at a time per call, each signed
 * with the agent's key (agent-auth.ts) over the exact path and body sent, bounded by a
 * timeout on the agent's clock, answering the status and the parsed JSON body. HTTPS
 * verifies the site against the given CA (the site's own CA in production).
 */
import { randomBytes } from 'node:crypto'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { Clock } from '../ports/clock.ts'
import type { Signer } from '../identity/keys.ts'
import { signAgentRequest } from './agent-auth.ts'

export interface AgentClientOptions {
  /** The site's base URL, e.g. `https://site.example:6443`. */
  siteUrl: string
  signer: Signer
  clock: Clock
  /** PEM of the CA that signed the site's certificate (https only). */
  ca?: string | Buffer
  /** Nonce source; default 16 random bytes as hex. */
  nonce?: () => string
}

export interface AgentResponse {
  status: number
  body: unknown
}

export interface AgentClient {
  send (method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<AgentResponse>
}

export class AgentTransportError extends Error {}

export function createAgentClient (options: AgentClientOptions): AgentClient {
  const base = new URL(options.siteUrl)
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error(`'siteUrl' must be an http(s) URL: received ${options.siteUrl}`)
  const nonce = options.nonce ?? (() => randomBytes(16).toString('hex'))
  const basePath = base.pathname.replace(/\/+$/, '')

  return {
    send (method, path, body, timeoutMs, signal) {
      const fullPath = `${basePath}${path}`
      const bytes = body === undefined ? new Uint8Array(0) : new Uint8Array(Buffer.from(JSON.stringify(body)))
      const authorization = signAgentRequest(options.signer, { method, path: fullPath, body: bytes, timestampMs: Math.round(options.clock.wallMs()), nonce: nonce() })
      const headers: Record<string, string | number> = { Authorization: authorization, Accept: 'application/json' }
      if (body !== undefined) { headers['Content-Type'] = 'application/json'; headers['Content-Length'] = bytes.length }
      return new Promise<AgentResponse>((resolve, reject) => {
        const onResponse = (res: IncomingMessage): void => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            timer.cancel()
            const text = Buffer.concat(chunks).toString('utf8')
            let parsed: unknown
            try { parsed = text === '' ? undefined : JSON.parse(text) } catch { parsed = text }
            resolve({ status: res.statusCode ?? 0, body: parsed })
          })
          res.on('error', (e) => { timer.cancel(); reject(new AgentTransportError(`${method} ${fullPath}: ${e.message}`)) })
        }
        const target = { protocol: base.protocol, hostname: base.hostname, port: base.port, path: fullPath, method, headers, ...(signal === undefined ? {} : { signal }) }
        const req = base.protocol === 'https:'
          ? httpsRequest({ ...target, ...(options.ca === undefined ? {} : { ca: options.ca }) }, onResponse)
          : httpRequest(target, onResponse)
        const timer = options.clock.setTimer(timeoutMs, () => { req.destroy(new Error(`no answer within ${timeoutMs} ms`)) })
        req.on('error', (e) => { timer.cancel(); reject(new AgentTransportError(`${method} ${base.origin}${fullPath}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)) })
        req.end(bytes.length === 0 ? undefined : bytes)
      })
    }
  }
}
