/**
 * A test double of the ClusterDriver port: one node of fixed size, and every desired
 * object is Ready at once (or never, when `stall` is set). For site-core unit tests that
 * need a cluster but not a cluster model.
 */
import type { ClusterDriver, ClusterObservation, DesiredObject, ObjectState } from '../../src/ports/cluster-driver.ts'
import { desiredReplicas } from '../../src/model/kube.ts'
import type { Resources } from '../../src/model/resources.ts'
import type { Clock } from '../../src/ports/clock.ts'

export interface InstantDriver extends ClusterDriver {
  desired: readonly DesiredObject[]
  reachable: boolean
  stall: boolean
}

export function instantDriver (name: string, clock: Clock, allocatable: Resources = { cpuMilli: 64_000, memoryBytes: 256 * 2 ** 30, pods: 500, gpu: 0, vgpuCores: 0, vgpuMemoryMiB: 0 }): InstantDriver {
  const listeners = new Set<() => void>()
  let lastContactMs: number | undefined
  const driver: InstantDriver = {
    name,
    desired: [],
    reachable: true,
    stall: false,
    async start () {},
    async stop () {},
    setDesired (objects) {
      driver.desired = objects
      for (const l of listeners) l()
    },
    observe (): ClusterObservation {
      const objects = new Map<string, ObjectState>()
      for (const o of driver.desired) {
        const n = desiredReplicas(o.object)
        const ready = driver.stall ? 0 : n
        objects.set(o.key, { key: o.key, desired: n, ready, available: ready, conditions: [], observedGeneration: o.generation })
      }
      if (driver.reachable) lastContactMs = clock.monotonicMs()
      return {
        reachable: driver.reachable,
        lastContactMs,
        nodes: [{ name: `${name}-node-0`, ready: true, allocatable, allocated: { ...allocatable, cpuMilli: 0, memoryBytes: 0, pods: objects.size } }],
        objects
      }
    },
    onChange (l) { listeners.add(l); return () => { listeners.delete(l) } }
  }
  return driver
}
