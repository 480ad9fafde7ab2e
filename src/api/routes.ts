/**
 * The site API's routes: the apiserver's path grammar (`src/k8s/request-path.ts`) over the
 * resources a site serves. A resource the site does not serve is simply not found.
 */
import { parseKubePath, type KubeRoute } from '../k8s/request-path.ts'
import { resourceByPlural, type ApiResource } from './resources.ts'

export type Route = Exclude<KubeRoute<ApiResource>, { type: 'unknown-resource' }>

export function parseRoute (pathname: string): Route {
  const r = parseKubePath(pathname, resourceByPlural)
  return r.type === 'unknown-resource' ? { type: 'not-found' } : r
}
