/**
 * `startKubeEmulator`: an emulated cluster behind a Kubernetes-compatible HTTP(S) API, for
 * tests, the demo and `flotilla kube-emulator`. Starts the cluster model on the given
 * clock (the system clock by default), the API listener, an admin listener (so fault
 * knobs stay reachable while the API refuses connections) and renders the kubeconfig,
 * writing it to a file when asked. TLS uses given PEMs or a self-signed certificate made
 * with the `openssl` command (no extra dependency).
 */
import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { FlotillaError } from '../../../src/model/errors.ts'
import type { Clock } from '../../../src/ports/clock.ts'
import { createClusterModel, type ClusterModel, type ClusterModelOptions, type FaultState } from '../model/cluster-model.ts'
import { createSystemClock } from '../../../src/platform/system-clock.ts'
import { statusError } from '../../../src/k8s/api-errors.ts'
import { handleAdmin } from './admin-handler.ts'
import { createKubeHttpServer, type TlsMaterial } from './http-server.ts'
import { sendError } from '../../../src/k8s/http-io.ts'
import { renderKubeconfig } from './kubeconfig.ts'

export interface KubeEmulatorOptions extends Omit<ClusterModelOptions, 'clock'> {
  /** Default: the system clock. */
  clock?: Clock
  /** Default 127.0.0.1. */
  host?: string
  /** API port; 0 picks a free one. Default 0. */
  port?: number
  /** Admin port (`/_emulator/*` only); 0 picks a free one, false disables it. Default 0. */
  adminPort?: number | false
  /** Also write the kubeconfig to this file. */
  kubeconfigPath?: string
  /** Require this bearer token. Default: none required (the kubeconfig carries "emulator"). */
  token?: string
  /** PEM material, or 'self-signed' to generate a certificate with openssl. Default: plain HTTP. */
  tls?: TlsMaterial | 'self-signed'
  /** Watch bookmark interval. Default 60,000 ms. */
  bookmarkIntervalMs?: number
  /** Longest watch without timeoutSeconds. Default 30 min. */
  watchTimeoutMs?: number
}

export interface KubeEmulator {
  /** API server URL, e.g. http://127.0.0.1:41234. */
  url: string
  /** Admin listener URL (serves /_emulator/*), when enabled. */
  adminUrl: string | undefined
  /** The kubeconfig as YAML. */
  kubeconfig: string
  kubeconfigPath: string | undefined
  model: ClusterModel
  /** Changes fault knobs; resolves when the API listener reflects them. */
  setFault (patch: Partial<FaultState>): Promise<FaultState>
  close (): Promise<void>
}

function selfSigned (host: string): TlsMaterial {
  const dir = mkdtempSync(join(tmpdir(), 'kube-emulator-tls-'))
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '365', '-subj', '/CN=flotilla-kube-emulator',
      '-addext', `subjectAltName=IP:127.0.0.1,DNS:localhost${/^[\d.]+$/.test(host) && host !== '127.0.0.1' ? `,IP:${host}` : ''}`,
      '-addext', 'basicConstraints=critical,CA:TRUE'
    ], { stdio: 'pipe' })
    return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) }
  } catch (e) {
    throw new FlotillaError('input-invalid', 'cannot create a self-signed certificate for the kube emulator', 'Install openssl, pass --tls-cert/--tls-key, or run the emulator without TLS.', { cause: e })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function listenAdmin (model: ClusterModel, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://admin').pathname.split('/').filter((s) => s !== '')
    if (path[0] !== '_emulator') { sendError(res, statusError(404, 'NotFound', 'the admin listener serves only /_emulator/*')); return }
    void handleAdmin(req, res, model, path.slice(1))
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => { server.off('error', reject); resolve(server) })
  })
}

/**
 * Rethrows a listen error: a busy port as `port-in-use` naming the port and its listener
 * (`details.listener` says which, for callers that name their own flag in the hint).
 */
function listenFailed (e: unknown, host: string, port: number, listener: 'api' | 'admin', name: string): never {
  if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e
  throw new FlotillaError('port-in-use', `port ${port} on ${host} (kube emulator "${name}" ${listener === 'api' ? 'Kubernetes API' : 'admin'}) is not available: EADDRINUSE`,
    'Another program holds the port: stop it, or pick another port (0 picks a free one).', { cause: e, details: { port, host, listener } })
}

export async function startKubeEmulator (options: KubeEmulatorOptions = {}): Promise<KubeEmulator> {
  const host = options.host ?? '127.0.0.1'
  // A real-time emulator is not replayed, so its uids are made unique across processes and runs.
  const model = createClusterModel({ uidSeed: `${options.name ?? 'emulated'}/${randomUUID()}`, ...options, clock: options.clock ?? createSystemClock() })
  const tls = options.tls === 'self-signed' ? selfSigned(host) : options.tls
  const api = createKubeHttpServer({
    model,
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(tls === undefined ? {} : { tls }),
    ...(options.bookmarkIntervalMs === undefined ? {} : { bookmarkIntervalMs: options.bookmarkIntervalMs }),
    ...(options.watchTimeoutMs === undefined ? {} : { watchTimeoutMs: options.watchTimeoutMs })
  })
  let admin: Server | undefined
  try {
    const port = await api.listen(options.port ?? 0, host).catch((e: unknown) => listenFailed(e, host, options.port ?? 0, 'api', model.name))
    const adminPort = options.adminPort
    if (adminPort !== false) admin = await listenAdmin(model, host, adminPort ?? 0).catch((e: unknown) => listenFailed(e, host, adminPort ?? 0, 'admin', model.name))
    const urlHost = host.includes(':') ? `[${host}]` : host
    const url = `${tls === undefined ? 'http' : 'https'}://${urlHost}:${port}`
    const kubeconfig = renderKubeconfig({
      name: model.name, server: url, token: options.token ?? 'emulator', ...(tls === undefined ? {} : { caPem: tls.cert })
    })
    if (options.kubeconfigPath !== undefined) {
      mkdirSync(dirname(options.kubeconfigPath), { recursive: true })
      writeFileSync(options.kubeconfigPath, kubeconfig, { mode: 0o600 })
    }
    const adminServer = admin
    return {
      url,
      adminUrl: adminServer === undefined ? undefined : `http://${urlHost}:${(adminServer.address() as AddressInfo).port}`,
      kubeconfig,
      kubeconfigPath: options.kubeconfigPath,
      model,
      async setFault (patch) {
        const state = model.setFault(patch)
        await api.settled()
        return state
      },
      async close () {
        await api.close()
        if (adminServer !== undefined) {
          adminServer.closeAllConnections()
          await new Promise<void>((resolve) => adminServer.close(() => resolve()))
        }
        model.close()
      }
    }
  } catch (e) {
    await api.close()
    admin?.close()
    model.close()
    throw e
  }
}
