/**
 * A site's API credentials on disk, created at `flotilla init`: its own CA, the API's
 * server certificate, a client certificate and a bearer token per role, the hashes of
 * those tokens, and a kubeconfig per role for the user. Private keys, the token hashes
 * and kubeconfigs are written 0600 in a 0700 directory, and loading refuses keys that
 * others can read. Existing credentials are never replaced unless asked.
 *
 * Layout of `dir`: ca.crt, ca.key, server.crt, server.key, tokens.json,
 * users/<role>.crt, users/<role>.key, kubeconfigs/<role>.yaml.
 */
import { access, chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FlotillaError } from '../model/errors.ts'
import {
  createCertificateAuthority, issueClientCertificate, issueServerCertificate, serverHosts, type KeyAndCert
} from './certificates.ts'
import { renderKubeconfig, retargetKubeconfig } from './kubeconfig.ts'
import { ROLES, roleGroup, roleUser, type Role } from './roles.ts'
import { generateToken, parseTokenFile, tokenRecord, type TokenFile, type TokenRecord } from './tokens.ts'

export interface SitePkiOptions {
  /** API URL written into the kubeconfigs (default `https://<first host>:6443`). */
  server?: string
  /** Replace existing credentials (every issued kubeconfig stops working). */
  force?: boolean
  /** Validity start, for tests (default now). */
  now?: Date
}

export interface SitePkiPaths {
  dir: string
  caCert: string
  caKey: string
  serverCert: string
  serverKey: string
  tokens: string
  clientCert: Record<Role, string>
  clientKey: Record<Role, string>
  kubeconfig: Record<Role, string>
}

export interface SitePkiResult {
  paths: SitePkiPaths
  /** The plain tokens, returned once (the site keeps only their hashes). */
  tokens: Record<Role, string>
  hosts: string[]
}

export interface SitePki {
  /** CA certificate (PEM): verifies client certificates; clients trust it for the server. */
  ca: string
  server: KeyAndCert
  tokens: TokenRecord[]
  paths: SitePkiPaths
}

const perRole = (f: (r: Role) => string): Record<Role, string> =>
  Object.fromEntries(ROLES.map((r) => [r, f(r)])) as Record<Role, string>

export function sitePkiPaths (dir: string): SitePkiPaths {
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    tokens: join(dir, 'tokens.json'),
    clientCert: perRole((r) => join(dir, 'users', `${r}.crt`)),
    clientKey: perRole((r) => join(dir, 'users', `${r}.key`)),
    kubeconfig: perRole((r) => join(dir, 'kubeconfigs', `${r}.yaml`))
  }
}

async function exists (path: string): Promise<boolean> {
  return await access(path).then(() => true, () => false)
}

async function writeSecret (path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o600 })
  // The mode of writeFile applies only to new files; an existing file keeps its mode.
  await chmod(path, 0o600)
}

/**
 * Creates the site's CA, server certificate, per-role client certificates and tokens,
 * and a kubeconfig per role. Refuses with `key-exists` if credentials exist and not `force`.
 */
export async function createSitePki (dir: string, siteId: string, hosts: readonly string[], options: SitePkiOptions = {}): Promise<SitePkiResult> {
  const paths = sitePkiPaths(dir)
  if (options.force !== true && await exists(paths.caKey)) {
    throw new FlotillaError('key-exists', `API credentials already exist in ${dir}`,
      'Keep them (issued kubeconfigs keep working), or pass --force to issue new ones: every existing kubeconfig then stops working.', { details: { dir } })
  }
  const allHosts = serverHosts(hosts)
  const validity = options.now === undefined ? {} : { now: options.now }
  const ca = createCertificateAuthority(`flotilla-ca.${siteId}`, validity)
  const server = issueServerCertificate(ca, siteId, allHosts, validity)
  const firstHost = hosts.map((h) => h.trim()).find((h) => h !== '' && h !== '0.0.0.0' && h !== '::') ?? '127.0.0.1'
  const url = options.server ?? `https://${firstHost.includes(':') ? `[${firstHost}]` : firstHost}:6443`

  await mkdir(dir, { recursive: true, mode: 0o700 })
  await mkdir(join(dir, 'users'), { recursive: true, mode: 0o700 })
  await mkdir(join(dir, 'kubeconfigs'), { recursive: true, mode: 0o700 })
  await writeFile(paths.caCert, ca.cert, { mode: 0o644 })
  await writeSecret(paths.caKey, ca.key)
  await writeFile(paths.serverCert, server.cert, { mode: 0o644 })
  await writeSecret(paths.serverKey, server.key)

  const tokens = perRole((r) => generateToken(r))
  const file: TokenFile = { version: 1, tokens: ROLES.map((r) => tokenRecord(tokens[r], roleUser(r, siteId), r)) }
  await writeSecret(paths.tokens, JSON.stringify(file, null, 2) + '\n')
  for (const role of ROLES) {
    const client = issueClientCertificate(ca, roleUser(role, siteId), [roleGroup(role)], validity)
    await writeSecret(paths.clientCert[role], client.cert)
    await writeSecret(paths.clientKey[role], client.key)
    await writeSecret(paths.kubeconfig[role], renderKubeconfig({ siteId, role, server: url, caPem: ca.cert, client, token: tokens[role] }))
  }
  return { paths, tokens, hosts: allHosts }
}

async function readPrivate (path: string): Promise<string> {
  let mode: number
  try {
    mode = (await stat(path)).mode
  } catch (e) {
    throw new FlotillaError('config-not-found', `missing API credential ${path}`,
      'Create the site\'s API credentials with `flotilla init` (or createSitePki).', { cause: e, details: { path } })
  }
  if ((mode & 0o077) !== 0) {
    throw new FlotillaError('key-permissions', `${path} is readable by other users (mode ${(mode & 0o777).toString(8)})`,
      `Run: chmod 600 ${path}`, { details: { path } })
  }
  return await readFile(path, 'utf8')
}

/** Loads what the API server needs: CA, server key and certificate, token hashes. */
export async function loadSitePki (dir: string): Promise<SitePki> {
  const paths = sitePkiPaths(dir)
  const server = { key: await readPrivate(paths.serverKey), cert: await readFile(paths.serverCert, 'utf8') }
  const tokens = parseTokenFile(await readPrivate(paths.tokens), paths.tokens).tokens
  return { ca: await readFile(paths.caCert, 'utf8'), server, tokens, paths }
}

/** Points every role's kubeconfig at `server` (e.g. once the API's port is known). */
export async function retargetSiteKubeconfigs (dir: string, server: string): Promise<void> {
  const paths = sitePkiPaths(dir)
  for (const role of ROLES) {
    const path = paths.kubeconfig[role]
    await writeSecret(path, retargetKubeconfig(await readPrivate(path), server))
  }
}
