/**
 * Parses request paths the way the kube-apiserver routes them: version and health,
 * discovery (`/api`, `/apis`, `/apis/<group>[/<version>]`), OpenAPI, and resource paths
 * (cluster-scoped or namespaced, collection or object, with a subresource, and the legacy
 * `/watch/` prefix). `/api/v1/namespaces/<name>` is the Namespace object itself. The site
 * API and the cluster emulator serve different resources, so each passes its own lookup.
 */

export type KubeRoute<R> =
  | { type: 'version' }
  | { type: 'health', name: string }
  | { type: 'api' }
  | { type: 'apis' }
  | { type: 'group', group: string }
  | { type: 'group-version', group: string, version: string }
  | { type: 'openapi-v2' }
  | { type: 'openapi-v3' }
  | { type: 'openapi-v3-gv', group: string, version: string }
  | { type: 'resource', resource: R, namespace: string | undefined, name: string | undefined, subresource: string | undefined, watch: boolean }
  | { type: 'unknown-resource', group: string, version: string, plural: string }
  | { type: 'not-found' }

/** The served resource with this plural in this group version, if any. */
export type ResourceLookup<R> = (group: string, version: string, plural: string) => R | undefined

/** Decoded path segments; undefined when a segment is not valid percent-encoding. */
export function pathSegments (path: string): string[] | undefined {
  try {
    return path.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s))
  } catch {
    return undefined
  }
}

function resourceRoute<R extends { namespaced: boolean }> (lookup: ResourceLookup<R>, group: string, version: string, rest: string[]): KubeRoute<R> {
  let watch = false
  if (rest[0] === 'watch') { watch = true; rest = rest.slice(1) }
  let namespace: string | undefined
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const inner = lookup(group, version, rest[2] as string)
    // /namespaces/<ns>/<plural>... unless it is /namespaces/<name>/<subresource>.
    if (inner !== undefined && inner.namespaced) {
      namespace = rest[1]
      rest = rest.slice(2)
    }
  }
  const [plural, name, subresource, ...extra] = rest
  if (plural === undefined || extra.length > 0) return { type: 'not-found' }
  const resource = lookup(group, version, plural)
  if (resource === undefined) return { type: 'unknown-resource', group, version, plural }
  if (namespace !== undefined && !resource.namespaced) return { type: 'not-found' }
  return { type: 'resource', resource, namespace, name, subresource, watch }
}

export function parseKubePath<R extends { namespaced: boolean }> (pathname: string, lookup: ResourceLookup<R>): KubeRoute<R> {
  const s = pathSegments(pathname)
  if (s === undefined) return { type: 'not-found' }
  if (s.length === 1 && s[0] === 'version') return { type: 'version' }
  if (s.length >= 1 && (s[0] === 'healthz' || s[0] === 'livez' || s[0] === 'readyz')) return { type: 'health', name: s[0] }
  if (s[0] === 'openapi') {
    if (s[1] === 'v2' && s.length === 2) return { type: 'openapi-v2' }
    if (s[1] === 'v3' && s.length === 2) return { type: 'openapi-v3' }
    if (s[1] === 'v3' && s[2] === 'api' && s[3] !== undefined && s.length === 4) return { type: 'openapi-v3-gv', group: '', version: s[3] }
    if (s[1] === 'v3' && s[2] === 'apis' && s.length === 5) return { type: 'openapi-v3-gv', group: s[3] as string, version: s[4] as string }
    return { type: 'not-found' }
  }
  if (s[0] === 'api') {
    if (s.length === 1) return { type: 'api' }
    if (s.length === 2) return { type: 'group-version', group: '', version: s[1] as string }
    return resourceRoute(lookup, '', s[1] as string, s.slice(2))
  }
  if (s[0] === 'apis') {
    if (s.length === 1) return { type: 'apis' }
    if (s.length === 2) return { type: 'group', group: s[1] as string }
    if (s.length === 3) return { type: 'group-version', group: s[1] as string, version: s[2] as string }
    return resourceRoute(lookup, s[1] as string, s[2] as string, s.slice(3))
  }
  return { type: 'not-found' }
}
