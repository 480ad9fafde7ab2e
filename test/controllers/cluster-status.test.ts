/**
 * The cluster record a site writes for one of its clusters, from its driver's
 * observation. The observations here are built by the driver's own projections (node and
 * pod objects through `nodeInfoOf`, `podAllocationOf`, the node allocation and the
 * observed state), so the figures are checked from the Kubernetes objects they come from.
 */
import { describe, expect, it } from 'vitest'
import { clusterRecordFrom, type ClusterSettings, type HealthMemory } from '../../src/controllers/cluster-status.ts'
import type { ClusterRecord } from '../../src/model/federation.ts'
import type { KubeObject } from '../../src/model/kube.ts'
import { zeroResources, type Resources } from '../../src/model/resources.ts'
import type { ClusterObservation } from '../../src/ports/cluster-driver.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { createNodeAllocation } from '../../src/kube/node-allocation.ts'
import { createObservedState } from '../../src/kube/observed-state.ts'
import { nodeInfoOf, podAllocationOf } from '../../src/kube/object-status.ts'

const GI = 2 ** 30
const MI = 2 ** 20
const settings: ClusterSettings = { name: 'c1', mode: 'push', provider: 'on-prem', region: 'eu-west', zone: 'eu-west-a', labels: {}, taints: [], failureThresholdMs: 30_000 }
const res = (r: Partial<Resources>): Resources => ({ ...zeroResources(), ...r })

type ResourceList = Record<string, string | number>

function node (name: string, status: { capacity?: ResourceList, allocatable?: ResourceList, ready?: boolean }): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Node', metadata: { name },
    status: {
      ...(status.capacity === undefined ? {} : { capacity: status.capacity }),
      ...(status.allocatable === undefined ? {} : { allocatable: status.allocatable }),
      conditions: [{ type: 'Ready', status: status.ready === false ? 'Unknown' : 'True' }]
    }
  }
}

interface ContainerResources { requests?: ResourceList, limits?: ResourceList }

function pod (name: string, nodeName: string | undefined, containers: ContainerResources[], extra: { init?: ContainerResources[], phase?: string } = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop' },
    spec: {
      ...(nodeName === undefined ? {} : { nodeName }),
      containers: containers.map((resources, i) => ({ name: `c${i}`, image: 'nginx', resources })),
      ...(extra.init === undefined ? {} : { initContainers: extra.init.map((resources, i) => ({ name: `i${i}`, image: 'busybox', resources })) })
    },
    status: { phase: extra.phase ?? 'Running' }
  }
}

/** What the push driver reports for these objects, through its own projections. */
function observationOf (nodes: readonly KubeObject[], pods: readonly KubeObject[] = [], overrides: Partial<ClusterObservation> = {}): ClusterObservation {
  const allocation = createNodeAllocation()
  allocation.applyPodChanges(pods.map((p) => ({ name: `${p.metadata.namespace}/${p.metadata.name}`, value: podAllocationOf(p) })))
  const state = createObservedState({ logger: silentLogger, running: () => false })
  for (const n of nodes) state.setNode(n.metadata.name, nodeInfoOf(n), allocation.allocated(n.metadata.name))
  return { reachable: true, lastContactMs: 1_000, nodes: state.snapshot().nodes, objects: new Map(), listed: true, ...overrides }
}

const record = (obs: ClusterObservation, previous?: HealthMemory, nowMono = 2_000, startedMono = 0): ClusterRecord =>
  clusterRecordFrom('eu', settings, obs, previous, nowMono, 1_700_000_000_000, startedMono)

const worker = { cpu: '8', memory: '32Gi', pods: 110 }
const reserved = { cpu: '7500m', memory: '30Gi', pods: 110 }
const gpuNode = { cpu: '16', memory: '64Gi', pods: 110, 'nvidia.com/gpu': 4, 'nvidia.com/gpucores': 400, 'nvidia.com/gpumem': 65536 }

interface FiguresCase {
  name: string
  nodes: KubeObject[]
  pods?: KubeObject[]
  expected: Pick<ClusterRecord, 'capacity' | 'allocatable' | 'allocated' | 'nodeFree' | 'nodes'>
}

const cases: FiguresCase[] = [
  {
    name: 'sums node capacity and node allocatable separately, where the kubelet reserves part of a node',
    nodes: [node('a', { capacity: worker, allocatable: reserved }), node('b', { capacity: worker, allocatable: reserved })],
    expected: {
      capacity: res({ cpuMilli: 16_000, memoryBytes: 64 * GI, pods: 220 }),
      allocatable: res({ cpuMilli: 15_000, memoryBytes: 60 * GI, pods: 220 }),
      allocated: zeroResources(),
      nodeFree: [{ ...res({ cpuMilli: 7500, memoryBytes: 30 * GI, pods: 110 }), count: 2 }],
      nodes: { total: 2, ready: 2 }
    }
  },
  {
    name: 'counts what bound pods request: requests, else limits, init containers at their peak, one slot each; not finished or unbound pods',
    nodes: [node('a', { capacity: worker, allocatable: worker })],
    pods: [
      pod('requests', 'a', [{ requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '2', memory: '1Gi' } }]),
      pod('limits-only', 'a', [{ limits: { cpu: '1', memory: '1Gi' } }]),
      pod('init-peak', 'a', [{ requests: { cpu: '250m', memory: '64Mi' } }], { init: [{ requests: { cpu: '2', memory: '32Mi' } }] }),
      pod('finished', 'a', [{ requests: { cpu: '4' } }], { phase: 'Succeeded' }),
      pod('pending', undefined, [{ requests: { cpu: '4' } }], { phase: 'Pending' })
    ],
    expected: {
      capacity: res({ cpuMilli: 8000, memoryBytes: 32 * GI, pods: 110 }),
      allocatable: res({ cpuMilli: 8000, memoryBytes: 32 * GI, pods: 110 }),
      allocated: res({ cpuMilli: 3500, memoryBytes: 256 * MI + GI + 64 * MI, pods: 3 }),
      nodeFree: [{ ...res({ cpuMilli: 4500, memoryBytes: 32 * GI - (256 * MI + GI + 64 * MI), pods: 107 }), count: 1 }],
      nodes: { total: 1, ready: 1 }
    }
  },
  {
    name: 'carries whole GPUs (nvidia.com/gpu) and vGPU cores and memory through every figure',
    nodes: [node('g', { capacity: gpuNode, allocatable: gpuNode }), node('w', { capacity: worker, allocatable: worker })],
    pods: [
      pod('train', 'g', [{ requests: { cpu: '2', memory: '8Gi' }, limits: { 'nvidia.com/gpu': 1 } }]),
      pod('infer', 'g', [{ limits: { cpu: '1', memory: '2Gi', 'nvidia.com/gpucores': 50, 'nvidia.com/gpumem': 8192 } }])
    ],
    expected: {
      capacity: res({ cpuMilli: 24_000, memoryBytes: 96 * GI, pods: 220, gpu: 4, vgpuCores: 400, vgpuMemoryMiB: 65536 }),
      allocatable: res({ cpuMilli: 24_000, memoryBytes: 96 * GI, pods: 220, gpu: 4, vgpuCores: 400, vgpuMemoryMiB: 65536 }),
      allocated: res({ cpuMilli: 3000, memoryBytes: 10 * GI, pods: 2, gpu: 1, vgpuCores: 50, vgpuMemoryMiB: 8192 }),
      nodeFree: [
        { ...res({ cpuMilli: 13_000, memoryBytes: 54 * GI, pods: 108, gpu: 3, vgpuCores: 350, vgpuMemoryMiB: 57344 }), count: 1 },
        { ...res({ cpuMilli: 8000, memoryBytes: 32 * GI, pods: 110 }), count: 1 }
      ],
      nodes: { total: 2, ready: 2 }
    }
  },
  {
    name: 'leaves NotReady nodes out of nodeFree and the Ready count, but not out of the totals',
    nodes: [node('up', { capacity: worker, allocatable: worker }), node('down', { capacity: worker, allocatable: worker, ready: false })],
    pods: [pod('on-down', 'down', [{ requests: { cpu: '1' } }])],
    expected: {
      capacity: res({ cpuMilli: 16_000, memoryBytes: 64 * GI, pods: 220 }),
      allocatable: res({ cpuMilli: 16_000, memoryBytes: 64 * GI, pods: 220 }),
      allocated: res({ cpuMilli: 1000, pods: 1 }),
      nodeFree: [{ ...res({ cpuMilli: 8000, memoryBytes: 32 * GI, pods: 110 }), count: 1 }],
      nodes: { total: 2, ready: 1 }
    }
  },
  {
    name: 'collapses identical Ready nodes into one nodeFree entry with their count, largest shape first',
    nodes: [
      ...['a', 'b', 'c'].map((n) => node(n, { capacity: worker, allocatable: worker })),
      node('busy', { capacity: worker, allocatable: worker })
    ],
    pods: [pod('big', 'busy', [{ requests: { cpu: '6', memory: '16Gi' } }])],
    expected: {
      capacity: res({ cpuMilli: 32_000, memoryBytes: 128 * GI, pods: 440 }),
      allocatable: res({ cpuMilli: 32_000, memoryBytes: 128 * GI, pods: 440 }),
      allocated: res({ cpuMilli: 6000, memoryBytes: 16 * GI, pods: 1 }),
      nodeFree: [
        { ...res({ cpuMilli: 8000, memoryBytes: 32 * GI, pods: 110 }), count: 3 },
        { ...res({ cpuMilli: 2000, memoryBytes: 16 * GI, pods: 109 }), count: 1 }
      ],
      nodes: { total: 4, ready: 4 }
    }
  },
  {
    name: 'takes a node\'s one reported list for both when it reports only capacity or only allocatable',
    nodes: [node('cap-only', { capacity: worker }), node('alloc-only', { allocatable: reserved })],
    expected: {
      capacity: res({ cpuMilli: 15_500, memoryBytes: 62 * GI, pods: 220 }),
      allocatable: res({ cpuMilli: 15_500, memoryBytes: 62 * GI, pods: 220 }),
      allocated: zeroResources(),
      nodeFree: [
        { ...res({ cpuMilli: 8000, memoryBytes: 32 * GI, pods: 110 }), count: 1 },
        { ...res({ cpuMilli: 7500, memoryBytes: 30 * GI, pods: 110 }), count: 1 }
      ],
      nodes: { total: 2, ready: 2 }
    }
  }
]

describe('cluster record figures', () => {
  it.each(cases)('$name', ({ nodes, pods, expected }) => {
    const r = record(observationOf(nodes, pods))
    expect({ capacity: r.capacity, allocatable: r.allocatable, allocated: r.allocated, nodeFree: r.nodeFree, nodes: r.nodes }).toEqual(expected)
  })

  it('takes capacity as allocatable for a node an agent of an earlier release reported without capacity', () => {
    const obs: ClusterObservation = {
      reachable: true, lastContactMs: 1_000, listed: true, objects: new Map(),
      nodes: [{ name: 'old', ready: true, allocatable: res({ cpuMilli: 4000, pods: 110 }), allocated: res({ cpuMilli: 1000, pods: 1 }) }]
    }
    const r = record(obs)
    expect(r.capacity).toEqual(res({ cpuMilli: 4000, pods: 110 }))
    expect(r.nodeFree).toEqual([{ ...res({ cpuMilli: 3000, pods: 109 }), count: 1 }])
  })
})

interface HealthCase {
  name: string
  obs: Partial<ClusterObservation>
  previous?: HealthMemory
  nowMono: number
  expected: { health: ClusterRecord['health'], status: string, reason: string, message: RegExp, since: 'kept' | 'now' }
}

const THRESHOLD_S = settings.failureThresholdMs / 1000
const readyNodes = observationOf([node('a', { capacity: worker, allocatable: worker }), node('b', { capacity: worker, allocatable: worker })]).nodes
const healthCases: HealthCase[] = [
  {
    name: 'Ready while the API answers and a node is Ready',
    obs: {}, nowMono: 2_000,
    expected: { health: 'Ready', status: 'True', reason: 'ClusterReady', message: /^2 of 2 nodes Ready$/, since: 'now' }
  },
  {
    name: 'NotReady when the API answers but no node is Ready',
    obs: { nodes: readyNodes.map((n) => ({ ...n, ready: false })) }, nowMono: 2_000,
    expected: { health: 'NotReady', status: 'False', reason: 'NoReadyNodes', message: /^no node is Ready$/, since: 'now' }
  },
  {
    name: 'still Ready while the API has been silent for less than the threshold',
    obs: { reachable: false, lastContactMs: 1_000, lastError: 'connect ECONNREFUSED' }, previous: { health: 'Ready', sinceWall: 5 }, nowMono: 1_000 + 29_999,
    expected: { health: 'Ready', status: 'True', reason: 'ClusterReady', message: /not answering .*: connect ECONNREFUSED$/, since: 'kept' }
  },
  {
    name: 'NotReady once the API has been silent for the threshold',
    obs: { reachable: false, lastContactMs: 1_000, lastError: 'connect ECONNREFUSED' }, previous: { health: 'Ready', sinceWall: 5 }, nowMono: 1_000 + 30_000,
    expected: { health: 'NotReady', status: 'False', reason: 'ClusterUnreachable', message: new RegExp(`not answering \\(NotReady after ${THRESHOLD_S} s\\)`), since: 'now' }
  },
  {
    name: 'Unknown while a cluster not reached yet is within the threshold since start',
    obs: { reachable: false, lastContactMs: undefined, nodes: [], lastError: 'connect ECONNREFUSED' }, nowMono: 29_999,
    expected: { health: 'Unknown', status: 'Unknown', reason: 'ClusterUnreachable', message: /has not answered yet .*: connect ECONNREFUSED$/, since: 'now' }
  },
  {
    name: 'keeps a held Ready while a restarted driver has not reached its cluster within the threshold',
    obs: { reachable: false, lastContactMs: undefined, nodes: [] }, previous: { health: 'Ready', sinceWall: 5 }, nowMono: 10_000,
    expected: { health: 'Ready', status: 'True', reason: 'ClusterReady', message: /has not answered yet/, since: 'kept' }
  },
  {
    name: 'NotReady, never reached since start, once the threshold has passed without any contact',
    obs: { reachable: false, lastContactMs: undefined, nodes: [], lastError: 'the agent of cluster c1 has not reported yet' }, previous: { health: 'Unknown', sinceWall: 5 }, nowMono: 30_000,
    expected: { health: 'NotReady', status: 'False', reason: 'ClusterNeverReached', message: /^the cluster API was never reached since start \(NotReady after 30 s\): the agent of cluster c1 has not reported yet$/, since: 'now' }
  }
]

describe('cluster record health', () => {
  it.each(healthCases)('$name', ({ obs, previous, nowMono, expected }) => {
    const r = record({ ...observationOf([]), nodes: readyNodes, ...obs }, previous, nowMono)
    const c = r.conditions[0]!
    expect({ health: r.health, status: c.status, reason: c.reason }).toEqual({ health: expected.health, status: expected.status, reason: expected.reason })
    expect(c.message).toMatch(expected.message)
    expect(r.healthSince).toBe(expected.since === 'kept' ? previous!.sinceWall : 1_700_000_000_000)
  })

  it('runs the never-reached threshold from when the site began watching, not from the clock\'s origin', () => {
    const obs = { ...observationOf([]), reachable: false, lastContactMs: undefined }
    expect(record(obs, undefined, 100_000, 80_000).health).toBe('Unknown')
    expect(record(obs, undefined, 110_000, 80_000).health).toBe('NotReady')
  })
})
