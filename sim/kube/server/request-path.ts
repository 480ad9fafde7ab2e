/**
 * The emulator's routes: the apiserver's path grammar (`src/k8s/request-path.ts`) over the
 * emulated resource types, plus the emulator's own `/_emulator/*` admin paths.
 */
import { parseKubePath, pathSegments, type KubeRoute } from '../../../src/k8s/request-path.ts'
import { resourceByPlural, type ResourceType } from '../model/resource-types.ts'

export type Route = KubeRoute<ResourceType> | { type: 'admin', path: string[] }

export function parseRoute (pathname: string): Route {
  const s = pathSegments(pathname)
  if (s?.[0] === '_emulator') return { type: 'admin', path: s.slice(1) }
  return parseKubePath(pathname, resourceByPlural)
}
