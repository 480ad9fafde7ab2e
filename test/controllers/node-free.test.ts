/**
 * The `nodeFree` shapes of a cluster record and the replica estimate the scheduler makes
 * from them: homogeneous pools are exact however many nodes they have, the number of
 * entries stays bounded, and whatever the nodes the estimate never exceeds what they can
 * really take, one node at a time.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { NODE_FREE_LIMIT, nodeFreeShapes } from '../../src/controllers/node-free.ts'
import { RESOURCE_KEYS, zeroResources, type Resources } from '../../src/model/resources.ts'
import { availableReplicas, capacityIndex, MAX_AVAILABLE_REPLICAS, needVector } from '../../src/schedule/fit.ts'

const GI = 2 ** 30
const RUNS = { numRuns: 200, seed: 20250611 }

const res = (r: Partial<Resources>): Resources => ({ ...zeroResources(), ...r })

/** What the nodes can take, placed one node at a time: the figure the estimate must not exceed. */
function truePacking (nodes: readonly Resources[], need: Resources): number {
  let n = 0
  for (const node of nodes) {
    let fit = MAX_AVAILABLE_REPLICAS
    for (const k of RESOURCE_KEYS) if (need[k] > 0) fit = Math.min(fit, Math.floor(Math.max(0, node[k]) / need[k]))
    n += fit
  }
  return Math.min(n, MAX_AVAILABLE_REPLICAS)
}

function sum (nodes: readonly Resources[]): Resources {
  const total = zeroResources()
  for (const n of nodes) for (const k of RESOURCE_KEYS) total[k] += Math.max(0, n[k])
  return total
}

function estimate (nodes: readonly Resources[], need: Resources, limit = NODE_FREE_LIMIT): number {
  return availableReplicas(capacityIndex(sum(nodes), nodeFreeShapes(nodes, limit)), needVector(need))
}

const nodeArb = fc.record({
  cpuMilli: fc.integer({ min: 0, max: 64_000 }),
  memoryBytes: fc.integer({ min: 0, max: 256 }).map((g) => g * GI / 4),
  pods: fc.integer({ min: 0, max: 110 }),
  gpu: fc.constantFrom(0, 0, 0, 1, 2, 4, 8),
  vgpuCores: fc.constantFrom(0, 0, 50, 100, 400),
  vgpuMemoryMiB: fc.constantFrom(0, 0, 8192, 16384)
})
/** A cluster: a few node pools (identical nodes) and some nodes with their own free figures. */
const clusterArb = fc.tuple(
  fc.array(fc.tuple(nodeArb, fc.integer({ min: 1, max: 60 })), { maxLength: 4 }),
  fc.array(nodeArb, { maxLength: 120 })
).map(([pools, singles]) => [...pools.flatMap(([n, count]) => Array.from({ length: count }, () => n)), ...singles])
const needArb = fc.record({
  cpuMilli: fc.integer({ min: 0, max: 8_000 }),
  memoryBytes: fc.integer({ min: 0, max: 32 }).map((g) => g * GI / 4),
  pods: fc.constant(1),
  gpu: fc.constantFrom(0, 0, 1, 2),
  vgpuCores: fc.constantFrom(0, 0, 25),
  vgpuMemoryMiB: fc.constantFrom(0, 0, 4096)
})

describe('node free shapes', () => {
  it('keeps 100 identical nodes as one entry of 100, so they take 100 one-per-node replicas', () => {
    const node = res({ cpuMilli: 1500, memoryBytes: 8 * GI, pods: 110 })
    const nodes = Array.from({ length: 100 }, () => node)
    expect(nodeFreeShapes(nodes)).toEqual([{ ...node, count: 100 }])
    expect(estimate(nodes, res({ cpuMilli: 1000, memoryBytes: GI, pods: 1 }))).toBe(100)
  })

  it('is exact while the nodes have at most the limit of distinct shapes, largest first with GPUs leading', () => {
    const cpu = res({ cpuMilli: 8000, memoryBytes: 32 * GI, pods: 110 })
    const gpu = res({ cpuMilli: 4000, memoryBytes: 16 * GI, pods: 110, gpu: 2, vgpuCores: 200, vgpuMemoryMiB: 32768 })
    const busy = res({ cpuMilli: 500, memoryBytes: GI, pods: 3 })
    expect(nodeFreeShapes([busy, cpu, gpu, cpu, gpu, cpu])).toEqual([{ ...gpu, count: 2 }, { ...cpu, count: 3 }, { ...busy, count: 1 }])
  })

  it('counts an overcommitted node as having nothing free rather than less than nothing', () => {
    expect(nodeFreeShapes([res({ cpuMilli: -500, memoryBytes: GI, pods: 2 })])).toEqual([{ ...res({ memoryBytes: GI, pods: 2 }), count: 1 }])
  })

  it('merges beyond the limit and keeps a large pool exact among many distinct nodes', () => {
    const pool = res({ cpuMilli: 16_000, memoryBytes: 64 * GI, pods: 110 })
    const singles = Array.from({ length: 90 }, (_, i) => res({ cpuMilli: 1000 + i * 100, memoryBytes: (4 + (i % 7)) * GI, pods: 50 + (i % 13) }))
    const nodes = [...Array.from({ length: 100 }, () => pool), ...singles]
    const shapes = nodeFreeShapes(nodes)
    expect(shapes.length).toBeLessThanOrEqual(NODE_FREE_LIMIT)
    expect(shapes.reduce((n, s) => n + (s.count ?? 1), 0)).toBe(190)
    expect(shapes).toContainEqual({ ...pool, count: 100 })
    // The merged small nodes still count: more than the pool alone takes.
    expect(estimate(nodes, res({ cpuMilli: 1000, pods: 1 }))).toBeGreaterThan(100 * 16)
  })

  it('never has more entries than the limit, and accounts for every node once', () => {
    fc.assert(fc.property(clusterArb, fc.integer({ min: 1, max: NODE_FREE_LIMIT }), (nodes, limit) => {
      const shapes = nodeFreeShapes(nodes, limit)
      expect(shapes.length).toBeLessThanOrEqual(limit)
      expect(shapes.reduce((n, s) => n + (s.count ?? 0), 0)).toBe(nodes.length)
    }), RUNS)
  })

  it('never estimates more replicas than the nodes can take one node at a time', () => {
    // Needs cut from the nodes' own figures sit where a merge that overstated a node would show.
    const cutFromNode = clusterArb.filter((nodes) => nodes.length > 0).chain((nodes) => fc.tuple(
      fc.constant(nodes), fc.nat(nodes.length - 1), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: NODE_FREE_LIMIT })
    )).map(([nodes, at, parts, limit]) => {
      const n = nodes[at]!
      const need = res({ pods: 1, cpuMilli: Math.max(1, Math.ceil(n.cpuMilli / parts)), memoryBytes: Math.ceil(n.memoryBytes / parts), gpu: n.gpu > 0 ? 1 : 0 })
      return { nodes, need, limit }
    })
    fc.assert(fc.property(cutFromNode, ({ nodes, need, limit }) => {
      expect(estimate(nodes, need, limit)).toBeLessThanOrEqual(truePacking(nodes, need))
    }), RUNS)
    fc.assert(fc.property(clusterArb, needArb, fc.integer({ min: 1, max: NODE_FREE_LIMIT }), (nodes, need, limit) => {
      expect(estimate(nodes, need, limit)).toBeLessThanOrEqual(truePacking(nodes, need))
    }), RUNS)
  })

  it('estimates exactly what the nodes take while they have at most the limit of distinct shapes', () => {
    const fewShapes = fc.tuple(fc.array(nodeArb, { minLength: 1, maxLength: NODE_FREE_LIMIT }), fc.array(fc.nat(), { maxLength: 200 }))
      .map(([kinds, picks]) => [...kinds, ...picks.map((p) => kinds[p % kinds.length]!)])
    fc.assert(fc.property(fewShapes, needArb, (nodes, need) => {
      expect(estimate(nodes, need)).toBe(Math.min(truePacking(nodes, need), truePacking([sum(nodes)], need)))
    }), RUNS)
  })

  it('refuses a limit that is not a positive integer', () => {
    expect(() => nodeFreeShapes([], 0)).toThrow(/positive integer/)
  })
})
