/**
 * Ready-made lies for Byzantine sites in the simulator: pure functions from a cluster's
 * true observation to a false one, plugged into the memory driver's `lie` hook. They
 * model what a malicious or broken site could claim about its own clusters, so the
 * invariants can check that such claims cannot move other sites' workloads off their
 * constraints.
 */
import type { ClusterObservation, ObjectState } from '../../src/ports/cluster-driver.ts'
import { RESOURCE_KEYS, scaleResources, type Resources } from '../../src/model/resources.ts'
import type { Lie } from './memory-driver.ts'

/** Reports `factor` times the real allocatable on every node (and every node Ready). */
export function overstateCapacity (factor: number): Lie {
  if (!Number.isFinite(factor) || factor <= 0) throw new Error(`'factor' must be a positive number: received ${factor}`)
  return (truth) => ({
    ...truth,
    nodes: truth.nodes.map((n) => ({ ...n, ready: true, allocatable: scaleResources(n.allocatable, factor) }))
  })
}

/** Reports nothing allocated, whatever runs. */
export function hideAllocation (): Lie {
  const zero = (r: Resources): Resources => { const out = { ...r }; for (const k of RESOURCE_KEYS) out[k] = 0; return out }
  return (truth) => ({ ...truth, nodes: truth.nodes.map((n) => ({ ...n, allocated: zero(n.allocated) })) })
}

/** Claims the API answers and every object is Ready at its desired replicas, with no errors. */
export function claimAllReady (): Lie {
  return (truth) => {
    const objects = new Map<string, ObjectState>()
    for (const [k, o] of truth.objects) {
      const { error: _e, ...rest } = o
      objects.set(k, { ...rest, ready: o.desired, available: o.desired })
    }
    const out: ClusterObservation = { reachable: true, lastContactMs: truth.lastContactMs, nodes: truth.nodes.map((n) => ({ ...n, ready: true })), objects, listed: truth.listed }
    return out
  }
}

/** Claims the cluster is down (to shed work) while it runs fine. */
export function claimUnreachable (reason = 'connection refused'): Lie {
  return (truth) => ({ ...truth, reachable: false, lastError: reason })
}
