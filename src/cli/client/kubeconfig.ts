/**
 * Reads the kubeconfig a command connects with and resolves one context into what a
 * TLS client needs: the server URL, the CA to trust, and a client certificate or a
 * bearer token. Only the fields Flotilla's kubeconfigs (src/pki) and ordinary ones use
 * are read: inline `-data` values or files relative to the kubeconfig, `token` or
 * `tokenFile`, `insecure-skip-tls-verify` and `tls-server-name`. Every problem is a
 * `config-not-found` or `config-invalid` naming the file and what to do.
 */
import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import { parse } from 'yaml'
import { FlotillaError } from '../../model/errors.ts'

export interface SiteConnection {
  /** The kubeconfig file it came from. */
  kubeconfig: string
  context: string
  server: string
  ca?: string
  cert?: string
  key?: string
  token?: string
  insecure: boolean
  serverName?: string
  /** The context's default namespace ("default" when unset). */
  namespace: string
  /** The kubeconfig's user name, for messages. */
  user: string
}

type Named<T> = { name?: unknown } & T
interface RawConfig {
  clusters?: Array<Named<{ cluster?: Record<string, unknown> }>>
  users?: Array<Named<{ user?: Record<string, unknown> }>>
  contexts?: Array<Named<{ context?: Record<string, unknown> }>>
  'current-context'?: unknown
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

function invalid (path: string, what: string): FlotillaError {
  return new FlotillaError('config-invalid', `kubeconfig ${path}: ${what}`,
    'Use a kubeconfig written by Flotilla (<dataDir>/pki/kubeconfigs/<role>.yaml), or fix the file.', { details: { path } })
}

function find<T> (list: Array<Named<T>> | undefined, name: string): Named<T> | undefined {
  return Array.isArray(list) ? list.find((e) => e?.name === name) : undefined
}

async function readMaybe (base: string, path: string, what: string, kubeconfig: string): Promise<string> {
  const full = isAbsolute(path) ? path : resolve(base, path)
  try {
    return await readFile(full, 'utf8')
  } catch (e) {
    throw new FlotillaError('config-not-found', `kubeconfig ${kubeconfig}: cannot read the ${what} file ${full}`,
      'Check the path in the kubeconfig (relative paths are relative to the kubeconfig itself).', { cause: e, details: { path: full } })
  }
}

async function dataOrFile (entry: Record<string, unknown>, field: string, base: string, kubeconfig: string): Promise<string | undefined> {
  const data = text(entry[`${field}-data`])
  if (data !== undefined) return Buffer.from(data, 'base64').toString('utf8')
  const file = text(entry[field])
  return file === undefined ? undefined : await readMaybe(base, file, field, kubeconfig)
}

/** Loads `path` and resolves `context` (default: the current context). */
export async function loadSiteConnection (path: string, context?: string): Promise<SiteConnection> {
  let raw: string
  try {
    raw = await readFile(path, 'utf8')
  } catch (e) {
    throw new FlotillaError('config-not-found', `cannot read kubeconfig ${path}`,
      'Pass --kubeconfig <file>, or --site <id> to use ./.flotilla/<id>/pki/kubeconfigs/admin.yaml, or set FLOTILLA_KUBECONFIG.', { cause: e, details: { path } })
  }
  let doc: RawConfig
  try {
    doc = parse(raw) as RawConfig
  } catch (e) {
    throw invalid(path, `not valid YAML (${(e as Error).message.split('\n')[0]})`)
  }
  if (typeof doc !== 'object' || doc === null) throw invalid(path, 'not a kubeconfig (expected a mapping with clusters, users and contexts)')
  const contextName = context ?? text(doc['current-context'])
  if (contextName === undefined) throw invalid(path, 'no current-context, and no --context given')
  const ctx = find(doc.contexts, contextName)?.context
  if (ctx === undefined) {
    const names = (doc.contexts ?? []).map((c) => String(c?.name)).join(', ')
    throw new FlotillaError('config-invalid', `kubeconfig ${path} has no context "${contextName}"`,
      names === '' ? 'The kubeconfig lists no contexts; use one written by Flotilla.' : `Pick one of: ${names}.`, { details: { path } })
  }
  const clusterName = text(ctx['cluster'])
  const cluster = clusterName === undefined ? undefined : find(doc.clusters, clusterName)?.cluster
  if (cluster === undefined) throw invalid(path, `context "${contextName}" names cluster ${JSON.stringify(clusterName ?? '')}, which is not defined`)
  const server = text(cluster['server'])
  if (server === undefined || !/^https?:\/\//.test(server)) throw invalid(path, `cluster "${clusterName}" has no https:// server URL`)
  const userName = text(ctx['user']) ?? ''
  const user = find(doc.users, userName)?.user ?? {}
  const base = dirname(resolve(path))
  const conn: SiteConnection = {
    kubeconfig: path,
    context: contextName,
    server: server.replace(/\/+$/, ''),
    insecure: cluster['insecure-skip-tls-verify'] === true,
    namespace: text(ctx['namespace']) ?? 'default',
    user: userName
  }
  const ca = await dataOrFile(cluster, 'certificate-authority', base, path)
  if (ca !== undefined) conn.ca = ca
  const serverName = text(cluster['tls-server-name'])
  if (serverName !== undefined) conn.serverName = serverName
  const cert = await dataOrFile(user, 'client-certificate', base, path)
  const key = await dataOrFile(user, 'client-key', base, path)
  if ((cert === undefined) !== (key === undefined)) throw invalid(path, `user "${userName}" has a client certificate without its key (or a key without its certificate)`)
  if (cert !== undefined && key !== undefined) { conn.cert = cert; conn.key = key }
  const token = text(user['token']) ?? (text(user['tokenFile']) === undefined ? undefined : (await readMaybe(base, user['tokenFile'] as string, 'tokenFile', path)).trim())
  if (token !== undefined) conn.token = token
  return conn
}
