import { describe, expect, it } from 'vitest'
import type { KubeObject } from '../../src/model/kube.ts'
import { availableReplicas, capacityIndex, needVector, perReplicaResources } from '../../src/schedule/fit.ts'
import { res } from './fixtures.ts'

const GI = 2 ** 30

function pod (spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', namespace: 'd' }, spec: { replicas: 1, template: { spec } } }
}

describe('resource fit', () => {
  it('sums containers, takes each resource from requests else limits, and counts init containers by their maximum', () => {
    const r = perReplicaResources(pod({
      containers: [
        { name: 'a', resources: { requests: { cpu: '250m' }, limits: { cpu: '1', memory: '512Mi', 'nvidia.com/gpu': 1 } } },
        { name: 'b', resources: { limits: { cpu: '500m', memory: '1Gi', 'nvidia.com/gpucores': 30, 'nvidia.com/gpumem': '2048' } } }
      ],
      initContainers: [{ name: 'init', resources: { requests: { cpu: '2', memory: '128Mi' } } }]
    }))
    expect(r).toEqual({ cpuMilli: 2000, memoryBytes: 1.5 * GI, pods: 1, gpu: 1, vgpuCores: 30, vgpuMemoryMiB: 2048 })
  })

  it('has no per-replica needs for kinds that run no pods', () => {
    expect(perReplicaResources({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' } })).toBeUndefined()
  })

  it('bounds available replicas by the cluster free total and by what fits node by node', () => {
    const need = needVector(res({ cpuMilli: 1000, memoryBytes: GI, pods: 1 }))
    // Three nodes with 1.5 cpu each: 4.5 cpu in total, but only one replica per node.
    const nodes = [0, 1, 2].map(() => res({ cpuMilli: 1500, memoryBytes: 8 * GI, pods: 110 }))
    expect(availableReplicas(capacityIndex(res({ cpuMilli: 4500, memoryBytes: 24 * GI, pods: 330 }), nodes), need)).toBe(3)
    // The cluster total is lower than the node sum when the reports disagree: the lower wins.
    expect(availableReplicas(capacityIndex(res({ cpuMilli: 2000, memoryBytes: 24 * GI, pods: 330 }), nodes), need)).toBe(2)
    // Without node reports only the total counts; pods bound replicas too.
    expect(availableReplicas(capacityIndex(res({ cpuMilli: 9000, memoryBytes: 24 * GI, pods: 4 }), []), need)).toBe(4)
  })

  it('counts every node of a reported shape, and takes an entry without a count (an older record) as one node', () => {
    const need = needVector(res({ cpuMilli: 1000, memoryBytes: GI, pods: 1 }))
    const total = res({ cpuMilli: 150_000, memoryBytes: 800 * GI, pods: 11_000 })
    // 100 nodes with room for one replica each: 100, not the number of entries.
    expect(availableReplicas(capacityIndex(total, [{ ...res({ cpuMilli: 1500, memoryBytes: 8 * GI, pods: 110 }), count: 100 }]), need)).toBe(100)
    expect(availableReplicas(capacityIndex(total, [res({ cpuMilli: 1500, memoryBytes: 8 * GI, pods: 110 }), { ...res({ cpuMilli: 3000, memoryBytes: 8 * GI, pods: 110 }), count: 2 }]), need)).toBe(1 + 2 * 3)
  })
})
