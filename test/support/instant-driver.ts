/**
 * A test double of the ClusterDriver port: one node of fixed size, and every desired
 * object is Ready at once (or never, when `stall` is set). It can start out running
 * `found` objects, shown once `listed`, as a real driver does after a site restart.
 * For site-core unit tests that need a cluster but not a cluster model.
 */
import type { ClusterDriver, ClusterObservation, DesiredObject, ObjectState } from '../../src/ports/cluster-driver.ts'
import { desiredReplicas } from '../../src/model/kube.ts'
import type { Resources } from '../../src/model/resources.ts'
import type { Clock } from '../../src/ports/clock.ts'

export interface InstantDriver extends ClusterDriver {
  desired: readonly DesiredObject[]
  reachable: boolean
  stall: boolean
  /** What the cluster already runs (as after a site restart), reported until the first `setDesired` once listed. */
  found: readonly DesiredObject[]
  /** Whether the driver has listed the cluster yet (a real one needs a moment after start). */
  listed: boolean
  /** How many desired sets it was given. */
  declarations: number
}

export function instantDriver (name: string, clock: Clock, allocatable: Resources = { cpuMilli: 64_000, memoryBytes: 256 * 2 ** 30, pods: 500, gpu: 0, vgpuCores: 0, vgpuMemoryMiB: 0 }): InstantDriver {
  const listeners = new Set<() => void>()
  let lastContactMs: number | undefined
  const driver: InstantDriver = {
    name,
    desired: [],
    reachable: true,
    stall: false,
    found: [],
    listed: true,
    declarations: 0,
    async start () {},
    async stop () {},
    setDesired (objects) {
      driver.desired = objects
      driver.declarations++
      for (const l of listeners) l()
    },
    observe (): ClusterObservation {
      const objects = new Map<string, ObjectState>()
      const shown = driver.declarations > 0 ? driver.desired : driver.listed ? driver.found : []
      for (const o of shown) {
        const n = desiredReplicas(o.object)
        const ready = driver.stall ? 0 : n
        objects.set(o.key, { key: o.key, desired: n, ready, available: ready, conditions: [], observedGeneration: o.generation })
      }
      if (driver.reachable) lastContactMs = clock.monotonicMs()
      return {
        reachable: driver.reachable,
        lastContactMs,
        nodes: [{ name: `${name}-node-0`, ready: true, allocatable, allocated: { ...allocatable, cpuMilli: 0, memoryBytes: 0, pods: objects.size } }],
        objects,
        listed: driver.listed
      }
    },
    onChange (l) { listeners.add(l); return () => { listeners.delete(l) } }
  }
  return driver
}
