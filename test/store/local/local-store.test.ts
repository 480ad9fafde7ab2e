import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isFlotillaError } from '../../../src/model/errors.ts'
import { createLocalStore, LOCAL_PREFIX } from '../../../src/store/local/local-store.ts'
import { perReplicaRequests, redactedStub, stubId, stubSecretFromSeed } from '../../../src/store/local/redacted-stub.ts'
import { workload } from '../docs/fixtures.ts'
import { memoryStorage } from './memory-storage.ts'

const S = 'eu-west'
const local = (name: string, replicas = 2): ReturnType<typeof workload> =>
  workload(S, name, { namespace: 'hr', replicas, residency: { kind: 'local-only' }, env: { PAYROLL_DB: `postgres://payroll-${name}.internal` } })

async function codeOf (p: Promise<unknown>): Promise<unknown> {
  try { await p } catch (e) { return isFlotillaError(e) ? e.code : e }
  return 'no error'
}

describe('local-only store', () => {
  it('round-trips local-only workloads under the local/ prefix', async () => {
    const storage = memoryStorage()
    const store = createLocalStore({ storage })
    const a = local('payroll')
    const b = local('ledger', 3)
    await store.putWorkload(a)
    await store.putWorkload(b)
    expect(await store.getWorkload(a.key)).toEqual(a)
    expect(await store.getWorkload('apps/Deployment/hr/missing')).toBeUndefined()
    expect([...storage.data.keys()].every((k) => k.startsWith(LOCAL_PREFIX))).toBe(true)
    expect(await store.loadAll()).toEqual({ workloads: [b, a], bindings: [], corrupt: [] })
    expect(await store.deleteWorkload(a.key)).toBe(true)
    expect(await store.deleteWorkload(a.key)).toBe(false)
    expect((await store.loadAll()).workloads).toEqual([b])
  })

  it('keeps this site\'s placement of a local-only workload until the workload is deleted', async () => {
    const storage = memoryStorage()
    const store = createLocalStore({ storage })
    const a = local('payroll')
    await store.putWorkload(a)
    const binding = {
      workload: a.key, placement: [{ cluster: `${S}.gpu`, replicas: 2 }], decidedBy: S, generation: 1, inputHeads: 'h',
      reason: 'first placement', decidedAt: 5, policy: 'PropagationPolicy/hr/local', avoided: [`${S}.cpu`]
    }
    await store.putBinding(binding)
    expect(await store.loadAll()).toEqual({ workloads: [a], bindings: [binding], corrupt: [] })
    expect([...storage.data.keys()].every((k) => k.startsWith(LOCAL_PREFIX))).toBe(true)
    await store.deleteWorkload(a.key)
    expect([...storage.data.keys()]).toEqual([])
    // A placement whose workload is gone (a crash between two writes) is not loaded.
    await store.putBinding(binding)
    expect((await store.loadAll()).bindings).toEqual([])
  })

  it('reports a damaged placement with corrupt-record and still loads its workload', async () => {
    const storage = memoryStorage()
    const store = createLocalStore({ storage })
    const a = local('payroll')
    await store.putWorkload(a)
    await store.putBinding({ workload: a.key, placement: [{ cluster: `${S}.a`, replicas: 2 }], decidedBy: S, generation: 1, inputHeads: '', reason: 'r', decidedAt: 0 })
    const key = `${LOCAL_PREFIX}bindings/${a.key}`
    storage.data.get(key)![12]! ^= 0x04
    const loaded = await store.loadAll()
    expect(loaded.workloads).toEqual([a])
    expect(loaded.bindings).toEqual([])
    expect(loaded.corrupt.map((c) => [c.key, c.error.code])).toEqual([[key, 'corrupt-record']])
  })

  it('refuses a record that is not local-only, or whose key does not match its manifest', async () => {
    const store = createLocalStore({ storage: memoryStorage() })
    expect(await codeOf(store.putWorkload(workload(S, 'web')))).toBe('input-invalid')
    expect(await codeOf(store.putWorkload({ ...local('x'), key: 'apps/Deployment/hr/y' }))).toBe('input-invalid')
  })

  it('reports a corrupt record with corrupt-record and still loads the rest', async () => {
    const storage = memoryStorage()
    const store = createLocalStore({ storage })
    const good = local('good')
    const bad = local('bad')
    await store.putWorkload(good)
    await store.putWorkload(bad)
    const key = `${LOCAL_PREFIX}workloads/${bad.key}`
    const bytes = storage.data.get(key)!
    bytes[bytes.length - 10]! ^= 0x01 // a flipped bit inside the record
    expect(await codeOf(store.getWorkload(bad.key))).toBe('corrupt-record')
    const loaded = await store.loadAll()
    expect(loaded.workloads).toEqual([good])
    expect(loaded.corrupt.map((c) => [c.key, c.error.code])).toEqual([[key, 'corrupt-record']])
    expect(loaded.corrupt[0]!.error.message).toContain('checksum mismatch')
  })

  it('detects any truncation or byte change of a stored value', async () => {
    const storage = memoryStorage()
    const store = createLocalStore({ storage })
    const rec = local('payroll')
    await store.putWorkload(rec)
    const key = `${LOCAL_PREFIX}workloads/${rec.key}`
    const original = storage.data.get(key)!
    await fc.assert(fc.asyncProperty(fc.nat(original.length - 1), fc.integer({ min: 1, max: 255 }), fc.boolean(), async (at, xor, truncate) => {
      const damaged = truncate ? original.slice(0, at) : Uint8Array.from(original)
      if (!truncate) damaged[at]! ^= xor
      storage.data.set(key, damaged)
      expect(await codeOf(store.getWorkload(rec.key))).toBe('corrupt-record')
    }), { numRuns: 100 })
  })

  it('reports a record stored under another record\'s key as corrupt', async () => {
    const storage = memoryStorage()
    const store = createLocalStore({ storage })
    await store.putWorkload(local('a'))
    await store.putWorkload(local('b'))
    storage.data.set(`${LOCAL_PREFIX}workloads/${local('b').key}`, storage.data.get(`${LOCAL_PREFIX}workloads/${local('a').key}`)!)
    expect(await codeOf(store.getWorkload(local('b').key))).toBe('corrupt-record')
  })
})

describe('redacted stub', () => {
  const secret = stubSecretFromSeed(new Uint8Array(32).fill(7))

  it('carries only an opaque stable id, kind, origin, replicas and per-replica resources', () => {
    const rec = local('payroll', 3)
    const stub = redactedStub(rec, secret, { cluster: `${S}.c1` })
    expect(Object.keys(stub).sort()).toEqual(['cluster', 'id', 'kind', 'origin', 'perReplica', 'replicas'])
    expect(stub).toMatchObject({ kind: 'Deployment', origin: S, replicas: 3, cluster: `${S}.c1` })
    expect(stub.id).toMatch(/^[0-9a-f]{32}$/)
    expect(stub.id).toBe(redactedStub(local('payroll', 5), secret).id)
    expect(stub.id).not.toBe(stubId(stubSecretFromSeed(new Uint8Array(32).fill(8)), rec.key))
    expect(JSON.stringify(stub)).not.toContain('payroll')
  })

  it('counts per-replica resources as the scheduler does: containers summed, init containers as a floor', () => {
    const manifest = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' },
      spec: { template: { spec: {
        containers: [
          { name: 'a', resources: { requests: { cpu: '250m', memory: '1Gi' } } },
          { name: 'b', resources: { limits: { cpu: '1', 'nvidia.com/gpu': 1 } } }
        ],
        initContainers: [{ name: 'i', resources: { requests: { cpu: '2', memory: '64Mi' } } }]
      } } }
    }
    expect(perReplicaRequests(manifest)).toEqual({ cpuMilli: 2000, memoryBytes: 2 ** 30, pods: 1, gpu: 1, vgpuCores: 0, vgpuMemoryMiB: 0 })
  })
})
