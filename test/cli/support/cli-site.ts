/**
 * A running site for the CLI tests: credentials from `createSitePki` laid out as
 * `flotilla init` does (`<home>/<site>/pki/`), the API tests' fake SiteHandle extended
 * with what the regional-ops commands read (an event log, evidence, status figures,
 * replicated documents to scan), and the real API server over HTTPS on 127.0.0.1.
 * `run` executes a command in-process through `createProgram` exactly as `main.ts`
 * does (streams captured, errors reported with code and hint, exit status returned).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApiServer, type ApiServer } from '../../../src/api/index.ts'
import { CleanExit, createProgram } from '../../../src/cli/program.ts'
import { reportError, type CliStreams } from '../../../src/cli/output.ts'
import type { EvidenceRecord, FederationEvent } from '../../../src/model/federation.ts'
import { silentLogger } from '../../../src/ports/logger.ts'
import { createSitePki, loadSitePki, retargetSiteKubeconfigs, type Role, type SitePkiResult } from '../../../src/pki/index.ts'
import type { SiteMetrics, SiteStatus } from '../../../src/site/site-handle.ts'
import { createFakeSite, type FakeSite } from '../../api/support/fake-site.ts'

export interface CliSite {
  /** `$FLOTILLA_HOME`: holds `<siteId>/pki/`. */
  home: string
  site: FakeSite
  api: ApiServer
  pki: SitePkiResult
  kubeconfig (role?: Role): string
  /** Events the site's own log holds (`site.events()`). */
  events: FederationEvent[]
  evidence: EvidenceRecord[]
  /** Replaces parts of `status()`. */
  status: Partial<SiteStatus>
  /** What `metrics()` returns; undefined: the site has no metrics. */
  metrics: SiteMetrics | undefined
  /** What `replicatedDocuments()` returns; undefined: the site does not implement it. */
  documents: Array<{ id: string, bytes: Uint8Array }> | undefined
  close (): Promise<void>
}

export async function startCliSite (options: { siteId?: string, region?: string } = {}): Promise<CliSite> {
  const siteId = options.siteId ?? 'eu-west'
  const home = mkdtempSync(join(tmpdir(), 'flotilla-cli-'))
  const pkiDir = join(home, siteId, 'pki')
  const pki = await createSitePki(pkiDir, siteId, ['127.0.0.1'])
  const creds = await loadSitePki(pkiDir)
  const site = createFakeSite({ siteId, region: options.region ?? 'eu-west' })
  const baseStatus = site.status.bind(site)
  const state: Pick<CliSite, 'events' | 'evidence' | 'status' | 'metrics' | 'documents'> = { events: [], evidence: [], status: {}, metrics: undefined, documents: undefined }
  site.events = () => state.events
  site.evidence = () => state.evidence
  site.status = () => ({ ...baseStatus(), ...state.status })
  const api = createApiServer({
    site, listen: { host: '127.0.0.1', port: 0 }, tls: { cert: creds.server.cert, key: creds.server.key, ca: creds.ca },
    auth: { tokens: creds.tokens }, logger: silentLogger
  })
  await api.start()
  await retargetSiteKubeconfigs(pkiDir, api.url)
  const handle: CliSite = {
    home, site, api, pki,
    kubeconfig: (role = 'admin') => pki.paths.kubeconfig[role],
    get events () { return state.events },
    set events (v) { state.events = v },
    get evidence () { return state.evidence },
    set evidence (v) { state.evidence = v },
    get status () { return state.status },
    set status (v) { state.status = v },
    get metrics () { return state.metrics },
    set metrics (v) { state.metrics = v },
    get documents () { return state.documents },
    set documents (v) { state.documents = v },
    async close () {
      await api.stop()
      rmSync(home, { recursive: true, force: true })
    }
  }
  // The optional SiteHandle methods must look absent when the test leaves them unset.
  Object.defineProperty(site, 'metrics', { get: () => (state.metrics === undefined ? undefined : () => state.metrics) })
  Object.defineProperty(site, 'replicatedDocuments', { get: () => (state.documents === undefined ? undefined : () => state.documents) })
  return handle
}

export interface CliRun {
  code: number
  stdout: string
  stderr: string
  json: <T = Record<string, unknown>>() => T
}

/** Runs `flotilla <args>` in-process, as bin/flotilla.js would. */
export async function runCli (args: readonly string[], options: { tty?: boolean, stdin?: string } = {}): Promise<CliRun> {
  let stdout = ''
  let stderr = ''
  const streams: CliStreams = {
    out: (t) => { stdout += t },
    err: (t) => { stderr += t },
    errIsTTY: options.tty === true,
    readStdin: async () => options.stdin ?? ''
  }
  let code = 0
  try {
    await createProgram(streams).parseAsync(['node', 'flotilla', ...args])
  } catch (e) {
    code = e instanceof CleanExit ? 0 : reportError(e, streams)
  }
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T }
}
