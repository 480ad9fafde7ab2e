/**
 * What each node has allocated, summed from the resource requests of the pods bound to
 * it as the pod reflector reports them. A member cluster's capacity minus this is what
 * placement may still use there.
 */
import { addResources, subtractResources, zeroResources, type Resources } from '../model/resources.ts'
import type { ReflectorChange } from './reflector.ts'
import { sameResources, type PodAllocation } from './object-status.ts'

export interface NodeAllocation {
  /** Takes pod changes; returns the nodes whose allocation moved. */
  applyPodChanges (changes: ReadonlyArray<ReflectorChange<PodAllocation | undefined>>): Set<string>
  allocated (node: string): Resources
}

export function createNodeAllocation (): NodeAllocation {
  const byPod = new Map<string, PodAllocation>()
  const byNode = new Map<string, Resources>()

  function adjust (node: string, r: Resources, sign: 1 | -1): void {
    const cur = byNode.get(node) ?? zeroResources()
    byNode.set(node, sign === 1 ? addResources(cur, r) : subtractResources(cur, r))
  }

  return {
    applyPodChanges (changes) {
      const touched = new Set<string>()
      for (const { name, value } of changes) {
        const prev = byPod.get(name)
        if (prev !== undefined && value !== undefined && prev.node === value.node && sameResources(prev.requests, value.requests)) continue
        if (prev !== undefined) { adjust(prev.node, prev.requests, -1); touched.add(prev.node) }
        if (value !== undefined) {
          adjust(value.node, value.requests, 1)
          touched.add(value.node)
          byPod.set(name, value)
        } else {
          byPod.delete(name)
        }
      }
      return touched
    },
    allocated: (node) => byNode.get(node) ?? zeroResources()
  }
}
