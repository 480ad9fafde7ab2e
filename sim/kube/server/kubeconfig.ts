/**
 * The kubeconfig the emulator writes: one cluster, one user with a bearer token, one
 * context (namespace `default`), usable by kubectl and by client-node's
 * `KubeConfig.loadFromFile`/`loadFromString`. For TLS the server certificate travels as
 * `certificate-authority-data` (it is self-signed, so it is its own CA); a plain-http
 * server gets `insecure-skip-tls-verify: true`, without which client-node 2.x refuses http.
 */
import { stringify } from 'yaml'

export interface KubeconfigInput {
  name: string
  server: string
  token: string
  /** PEM of the CA (or self-signed server certificate) for https servers. */
  caPem?: string | Buffer
}

export function renderKubeconfig (k: KubeconfigInput): string {
  const cluster: Record<string, string | boolean> = { server: k.server }
  if (k.caPem !== undefined) cluster['certificate-authority-data'] = Buffer.from(k.caPem).toString('base64')
  // client-node 2.x refuses a plain-http server unless TLS verification is explicitly off.
  else if (k.server.startsWith('http:')) cluster['insecure-skip-tls-verify'] = true
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: k.name, cluster }],
    users: [{ name: `${k.name}-admin`, user: { token: k.token } }],
    contexts: [{ name: k.name, context: { cluster: k.name, user: `${k.name}-admin`, namespace: 'default' } }],
    'current-context': k.name,
    preferences: {}
  })
}
