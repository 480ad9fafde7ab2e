/**
 * Starts a site's API for a test: site credentials in a temporary directory (created
 * once per test file, as `flotilla init` would), a fake site, the HTTPS server on
 * 127.0.0.1 with a free port, and kubeconfigs pointed at it. `request` speaks raw HTTPS
 * with a role's client certificate, a token, or nothing, for the status-code tests.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApiServer, type ApiServer, type ApiServerOptions } from '../../../src/api/index.ts'
import { silentLogger } from '../../../src/ports/logger.ts'
import { createSitePki, loadSitePki, retargetSiteKubeconfigs, type Role, type SitePkiResult } from '../../../src/pki/index.ts'
import { createFakeSite, type FakeSite } from './fake-site.ts'

export interface Harness {
  dir: string
  site: FakeSite
  api: ApiServer
  pki: SitePkiResult
  kubeconfig (role: Role): string
  request (method: string, path: string, options?: RequestOptions): Promise<Reply>
  close (): Promise<void>
}

export interface RequestOptions {
  /** Authenticate with this role's client certificate (default admin), or its token, or not at all. */
  as?: Role | { token: string } | { cert: string, key: string } | 'anonymous'
  via?: 'certificate' | 'token'
  body?: unknown
  contentType?: string
  accept?: string
}

export interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: () => Record<string, unknown>
}

export async function startHarness (options: { siteId?: string, region?: string, api?: Partial<ApiServerOptions> } = {}): Promise<Harness> {
  const siteId = options.siteId ?? 'eu-west'
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-api-'))
  const pkiDir = join(dir, 'pki')
  const pki = await createSitePki(pkiDir, siteId, ['127.0.0.1'])
  const creds = await loadSitePki(pkiDir)
  const site = createFakeSite({ siteId, region: options.region ?? 'eu-west' })
  const api = createApiServer({
    site, listen: { host: '127.0.0.1', port: 0 }, tls: { cert: creds.server.cert, key: creds.server.key, ca: creds.ca },
    auth: { tokens: creds.tokens }, logger: silentLogger, ...options.api
  })
  await api.start()
  await retargetSiteKubeconfigs(pkiDir, api.url)
  const ca = creds.ca

  function request (method: string, path: string, o: RequestOptions = {}): Promise<Reply> {
    const as = o.as ?? 'admin'
    const headers: Record<string, string> = { Accept: o.accept ?? 'application/json' }
    let cert: string | undefined
    let key: string | undefined
    if (typeof as === 'object' && 'token' in as) headers['Authorization'] = `Bearer ${as.token}`
    else if (typeof as === 'object') { cert = as.cert; key = as.key } else if (as !== 'anonymous') {
      if (o.via === 'token') headers['Authorization'] = `Bearer ${pki.tokens[as]}`
      else {
        cert = readFileSync(pki.paths.clientCert[as], 'utf8')
        key = readFileSync(pki.paths.clientKey[as], 'utf8')
      }
    }
    const payload = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body)
    if (payload !== undefined) headers['Content-Type'] = o.contentType ?? 'application/json'
    return new Promise((resolve, reject) => {
      const req = httpsRequest(`${api.url}${path}`, { method, headers, ca, ...(cert === undefined ? {} : { cert, key }), agent: false }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> })
        })
      })
      req.on('error', reject)
      req.setTimeout(10_000, () => req.destroy(new Error(`request ${method} ${path} timed out`)))
      req.end(payload)
    })
  }

  return {
    dir, site, api, pki,
    kubeconfig: (role) => pki.paths.kubeconfig[role],
    request,
    async close () {
      await api.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
