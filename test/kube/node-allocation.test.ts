import { describe, expect, it } from 'vitest'
import { createNodeAllocation } from '../../src/kube/node-allocation.ts'
import { zeroResources, type Resources } from '../../src/model/resources.ts'

const req = (cpuMilli: number, gpu = 0): Resources => ({ ...zeroResources(), cpuMilli, pods: 1, gpu })

describe('node allocation', () => {
  it('sums the requests of the pods bound to each node and reports the nodes that moved', () => {
    const a = createNodeAllocation()
    expect(a.applyPodChanges([
      { name: 'ns/p1', value: { node: 'n1', requests: req(100) } },
      { name: 'ns/p2', value: { node: 'n1', requests: req(200, 1) } },
      { name: 'ns/p3', value: { node: 'n2', requests: req(50) } }
    ])).toEqual(new Set(['n1', 'n2']))
    expect(a.allocated('n1')).toEqual({ ...zeroResources(), cpuMilli: 300, pods: 2, gpu: 1 })
    expect(a.allocated('n2')).toEqual({ ...zeroResources(), cpuMilli: 50, pods: 1 })
    expect(a.allocated('n3')).toEqual(zeroResources())
  })

  it('moves a pod rebound to another node and forgets a deleted one', () => {
    const a = createNodeAllocation()
    a.applyPodChanges([{ name: 'ns/p1', value: { node: 'n1', requests: req(100) } }])
    expect(a.applyPodChanges([{ name: 'ns/p1', value: { node: 'n2', requests: req(100) } }])).toEqual(new Set(['n1', 'n2']))
    expect(a.allocated('n1')).toEqual(zeroResources())
    expect(a.applyPodChanges([{ name: 'ns/p1', value: undefined }])).toEqual(new Set(['n2']))
    expect(a.allocated('n2')).toEqual(zeroResources())
  })

  it('reports nothing for a pod whose node and requests did not change', () => {
    const a = createNodeAllocation()
    a.applyPodChanges([{ name: 'ns/p1', value: { node: 'n1', requests: req(100) } }])
    expect(a.applyPodChanges([{ name: 'ns/p1', value: { node: 'n1', requests: req(100) } }])).toEqual(new Set())
  })
})
