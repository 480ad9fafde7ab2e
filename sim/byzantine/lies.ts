/**
 * What a lying Byzantine site reports about its own clusters, through the memory
 * driver's lie hook (sim/cluster): ten times the real capacity with nothing allocated
 * while `active()`, and every node NotReady while `down()` too, although the cluster is
 * healthy. The site's own core believes it and signs it into its document, as a
 * malicious operator's would.
 */
import { hideAllocation, overstateCapacity, type Lie } from '../cluster/index.ts'

export function lieAboutClusters (active: () => boolean, down: () => boolean): Lie {
  const inflate = overstateCapacity(10)
  const hide = hideAllocation()
  return (truth) => {
    if (!active()) return truth
    const lie = hide(inflate(truth))
    return down() ? { ...lie, nodes: lie.nodes.map((n) => ({ ...n, ready: false })) } : lie
  }
}
