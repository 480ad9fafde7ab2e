/**
 * Kubeconfig files for a site's API users. One file per role holds the site's CA and two
 * ways to sign in: the default context uses the role's client certificate, and a
 * `<name>-token` context uses its bearer token (for clients that cannot present
 * certificates). kubectl and @kubernetes/client-node both read it.
 */
import { parse, stringify } from 'yaml'
import { FlotillaError } from '../model/errors.ts'
import type { Role } from './roles.ts'

export interface KubeconfigInput {
  siteId: string
  role: Role
  /** API URL, e.g. https://127.0.0.1:6443. */
  server: string
  caPem: string
  client: { cert: string, key: string }
  token: string
  /** Default namespace of the contexts (default "default"). */
  namespace?: string
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64')

/** The context name for a role at a site, e.g. `eu-west-admin`. */
export function contextName (siteId: string, role: Role): string {
  return `${siteId}-${role}`
}

export function renderKubeconfig (k: KubeconfigInput): string {
  const name = contextName(k.siteId, k.role)
  const namespace = k.namespace ?? 'default'
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: k.siteId, cluster: { server: k.server, 'certificate-authority-data': b64(k.caPem) } }],
    users: [
      { name, user: { 'client-certificate-data': b64(k.client.cert), 'client-key-data': b64(k.client.key) } },
      { name: `${name}-token`, user: { token: k.token } }
    ],
    contexts: [
      { name, context: { cluster: k.siteId, user: name, namespace } },
      { name: `${name}-token`, context: { cluster: k.siteId, user: `${name}-token`, namespace } }
    ],
    'current-context': name,
    preferences: {}
  })
}

/** The same kubeconfig pointing at another API URL (the port is often known only once the API listens). */
export function retargetKubeconfig (text: string, server: string): string {
  const doc = parse(text) as { clusters?: Array<{ cluster?: { server?: string } }> }
  if (!Array.isArray(doc?.clusters)) {
    throw new FlotillaError('input-invalid', 'the kubeconfig has no clusters to point at the API', 'Recreate it with createSitePki.')
  }
  for (const c of doc.clusters) if (c.cluster !== undefined) c.cluster.server = server
  return stringify(doc)
}
