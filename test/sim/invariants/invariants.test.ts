import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { createSigner, createVerifier, keyPairFromSeed } from '../../../src/identity/keys.ts'
import type { Binding, EvidenceRecord, RosterMember, WorkloadRecord } from '../../../src/model/federation.ts'
import { zeroResources } from '../../../src/model/resources.ts'
import { signChange } from '../../../src/store/log/envelope.ts'
import { falseFailureViolation, gapViolation, heldBackByStabilisation, packWorkloads, recoveryViolation } from '../../../sim/invariants/availability.ts'
import { lagViolation, replicaDifferences, type ReplicaSnapshot } from '../../../sim/invariants/convergence.ts'
import { lostAcknowledgement, lostChanges } from '../../../sim/invariants/durability.ts'
import { bindingsOutside, leaksIn, outsideResidency, strongNeedles, type PlacedCluster } from '../../../sim/invariants/residency.ts'
import { honestConvictions, unsoundEntry } from '../../../sim/invariants/safety.ts'
import { createViolationSink } from '../../../sim/invariants/types.ts'

const keysOf = (n: number): ReturnType<typeof keyPairFromSeed> => keyPairFromSeed(new Uint8Array(32).fill(n))
const alice = createSigner(keysOf(1))
const bob = createSigner(keysOf(2))
const roster: RosterMember[] = [
  { siteId: 'alice', publicKey: alice.publicKeyHex, region: 'eu-west' },
  { siteId: 'bob', publicKey: bob.publicKeyHex, region: 'us-east' }
]
const verify = createVerifier()

/** A real Automerge change by `actor` (hex), and its hash. */
function change (actor: string, value: string): { bytes: Uint8Array, hash: string } {
  const doc = A.change(A.init<{ v?: string }>({ actor }), (d) => { d.v = value })
  const bytes = A.getLastLocalChange(doc)!
  return { bytes, hash: A.decodeChange(bytes).hash }
}

describe('convergence', () => {
  const snap = (site: string, head: string, view = 'v1'): ReplicaSnapshot => ({ site, heads: new Map([['site:alice', [head]]]), viewDigest: view })

  it('passes when honest replicas hold identical heads and views', () => {
    expect(replicaDifferences([snap('a', 'h1'), snap('b', 'h1'), snap('c', 'h1')], 1_000)).toEqual([])
  })

  it('fails when replicas hold different heads, naming the document and the groups', () => {
    const v = replicaDifferences([snap('a', 'h1'), snap('b', 'h2'), snap('c', 'h1')], 1_000)
    expect(v).toHaveLength(1)
    expect(v[0]).toMatchObject({ invariant: 'convergence', rule: 'final', subject: 'site:alice' })
    expect(v[0]!.message).toMatch(/\{a c\}: h1 vs \{b\}: h2/)
  })

  it('fails when identical heads build different views', () => {
    const v = replicaDifferences([snap('a', 'h1', 'x'), snap('b', 'h1', 'y')], 1_000)
    expect(v.map((x) => x.subject)).toEqual(['view'])
  })

  it('fails a change that missed the lag bound between sites that stayed up and connected, and only then', () => {
    const base = { docId: 'site:alice', hash: 'ab'.repeat(32), author: 'alice', site: 'bob', madeAtMs: 10_000, connectedSinceMs: 0, upSinceMs: 0, boundMs: 20_000 }
    expect(lagViolation({ ...base, timeMs: 29_000 })).toBeUndefined()
    expect(lagViolation({ ...base, timeMs: 31_000 })).toMatchObject({ invariant: 'convergence', rule: 'lag', site: 'bob' })
    // A cut or a restart after the change was made excuses it.
    expect(lagViolation({ ...base, connectedSinceMs: 12_000, timeMs: 31_000 })).toBeUndefined()
    expect(lagViolation({ ...base, upSinceMs: 15_000, timeMs: 31_000 })).toBeUndefined()
  })
})

describe('safety', () => {
  const actor = alice.publicKeyHex + '0011223344556677'
  const c = change(actor, 'x')

  it('passes an entry signed by the document owner with an actor bound to its key', () => {
    expect(unsoundEntry('site:alice', c.hash, signChange(alice, 'site:alice', c.bytes), roster, verify)).toBeUndefined()
  })

  it('fails a forged signature, a write to another site\'s document, a misfiled hash and an unknown document', () => {
    const good = signChange(alice, 'site:alice', c.bytes)
    const forged = { ...good, signature: new Uint8Array(64).fill(7) }
    expect(unsoundEntry('site:alice', c.hash, forged, roster, verify)).toMatch(/signature does not verify/)
    const bobActor = bob.publicKeyHex + '0011223344556677'
    const foreign = change(bobActor, 'y')
    expect(unsoundEntry('site:alice', foreign.hash, signChange(bob, 'site:alice', foreign.bytes), roster, verify)).toMatch(/only alice's key/)
    expect(unsoundEntry('site:alice', 'ff'.repeat(32), good, roster, verify)).toMatch(/hashes to/)
    expect(unsoundEntry('site:nobody', c.hash, signChange(alice, 'site:nobody', c.bytes), roster, verify)).toMatch(/belongs to no roster member/)
    // Bob signs a change whose actor claims Alice's key.
    expect(unsoundEntry('site:bob', c.hash, signChange(bob, 'site:bob', c.bytes), roster, verify)).toMatch(/not derived from the signer/)
  })

  it('fails convicting evidence an honest site holds against an honest site, not against a Byzantine one', () => {
    const ev = (offender: string, kind: EvidenceRecord['kind']): EvidenceRecord => ({ id: `${kind}-${offender}`, kind, offender, observedBy: 'alice', at: 0, detail: 'x', count: 1 })
    const honest = new Set(['alice', 'bob'])
    expect(honestConvictions([ev('mallory', 'bad-signature'), ev('bob', 'flood')], honest, 0)).toEqual([])
    expect(honestConvictions([ev('bob', 'equivocation')], honest, 0)).toMatchObject([{ invariant: 'safety', rule: 'no-honest-conviction', subject: 'bob' }])
  })
})

describe('residency', () => {
  const clusters = new Map<string, PlacedCluster>([
    ['alice.c1', { id: 'alice.c1', site: 'alice', region: 'eu-west' }],
    ['bob.c1', { id: 'bob.c1', site: 'bob', region: 'us-east' }]
  ])
  const regional = { key: 'apps/Deployment/ns/web', origin: 'alice', localOnly: false, regions: ['eu-west'] }
  const local = { key: 'apps/Deployment/ns/secret', origin: 'alice', localOnly: true }

  it('passes placements inside the allowed regions and local-only work on its origin', () => {
    expect(outsideResidency(regional, clusters.get('alice.c1')!)).toBeUndefined()
    expect(outsideResidency(local, clusters.get('alice.c1')!)).toBeUndefined()
  })

  it('fails a placement outside the regions or a local-only record off its origin, on the ground and in bindings', () => {
    expect(outsideResidency(regional, clusters.get('bob.c1')!)).toMatch(/may run only in \[eu-west\]/)
    expect(outsideResidency(local, clusters.get('bob.c1')!)).toMatch(/local-only to alice/)
    const b: Binding = { workload: regional.key, placement: [{ cluster: 'alice.c1', replicas: 1 }, { cluster: 'bob.c1', replicas: 2 }], decidedBy: 'alice', generation: 1, inputHeads: '', reason: 'r', decidedAt: 0 }
    const v = bindingsOutside([b], regional, clusters, 5)
    expect(v).toHaveLength(1)
    expect(v[0]).toMatchObject({ invariant: 'residency', rule: 'binding', site: 'alice' })
    expect(bindingsOutside([{ ...b, placement: [{ cluster: 'alice.c1', replicas: 3 }] }], regional, clusters, 5)).toEqual([])
  })

  it('finds a local-only record\'s key in raw bytes and inside an Automerge change, and nothing in clean bytes', () => {
    const rec: WorkloadRecord = {
      key: 'apps/Deployment/team-a/payroll', origin: 'alice', residency: { kind: 'local-only' }, stateless: true, generation: 1, updatedAt: 0,
      manifest: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'payroll', namespace: 'team-a', uid: '3f1c0a52-9b7e-4d0a-8c1e-5a6b7c8d9e0f' } }
    }
    const needles = strongNeedles([rec])
    expect(leaksIn('clean', new TextEncoder().encode('nothing to see here'), needles)).toEqual([])
    expect(leaksIn('raw', new TextEncoder().encode('xx apps/Deployment/team-a/payroll yy'), needles).length).toBeGreaterThan(0)
    const inChange = change('aa'.repeat(16), 'team-a/payroll').bytes
    expect(leaksIn('change', inChange, needles).join(';')).toMatch(/team-a\/payroll/)
  })
})

describe('availability', () => {
  const gap = { key: 'w', previousReady: 2, ready: 0, lostAtMs: -Infinity, byzantineReadyAtMs: -Infinity, excuseMs: 9_000, timeMs: 50_000 }

  it('fails a drop from ready to none with no excuse, and passes one right after a cluster running it went dark', () => {
    expect(gapViolation(gap)).toMatchObject({ invariant: 'availability', rule: 'no-gap', subject: 'w' })
    expect(gapViolation({ ...gap, lostAtMs: 45_000 })).toBeUndefined()
    expect(gapViolation({ ...gap, byzantineReadyAtMs: 44_000 })).toBeUndefined()
    expect(gapViolation({ ...gap, lostAtMs: 40_000 })).toBeDefined()
    expect(gapViolation({ ...gap, ready: 1 })).toBeUndefined()
    expect(gapViolation({ ...gap, previousReady: 0 })).toBeUndefined()
  })

  it('fails a workload short of desired after the bound once it had been there, and passes within the bound', () => {
    const r = { key: 'w', ready: 1, desired: 3, reachedDesired: true, quietSinceMs: 10_000, boundMs: 27_000 }
    expect(recoveryViolation({ ...r, timeMs: 36_000 })).toBeUndefined()
    expect(recoveryViolation({ ...r, timeMs: 38_000 })).toMatchObject({ invariant: 'availability', rule: 'recovery' })
    expect(recoveryViolation({ ...r, ready: 3, timeMs: 38_000 })).toBeUndefined()
    expect(recoveryViolation({ ...r, reachedDesired: false, timeMs: 38_000 })).toBeUndefined()
  })

  it('holds back room that came back within the stabilisation window plus the bound, as the placing site does', () => {
    // Window 30 s + bound 27 s; the observer has been up since 10 s.
    const r = { ownSite: false, lastBreakMs: -Infinity, observerUpSinceMs: 10_000, lastDarkMs: -Infinity, windowMs: 57_000, timeMs: 200_000 }
    expect(heldBackByStabilisation(r)).toBe(false)
    // The cluster's site came back into the observer's sight 40 s ago, then 60 s ago.
    expect(heldBackByStabilisation({ ...r, lastBreakMs: 160_000 })).toBe(true)
    expect(heldBackByStabilisation({ ...r, lastBreakMs: 140_000 })).toBe(false)
    // A break the observer did not live through (it restarted after it) holds nothing back.
    expect(heldBackByStabilisation({ ...r, lastBreakMs: 160_000, observerUpSinceMs: 165_000 })).toBe(false)
    // Nor does a break for the site's own clusters; a NotReady node does, for any observer.
    expect(heldBackByStabilisation({ ...r, lastBreakMs: 160_000, ownSite: true })).toBe(false)
    expect(heldBackByStabilisation({ ...r, ownSite: true, lastDarkMs: 150_000 })).toBe(true)
    expect(heldBackByStabilisation({ ...r, ownSite: true, lastDarkMs: 140_000 })).toBe(false)
  })

  it('fails a failure verdict between honest sites connected for longer than T_fail + 2 s', () => {
    const f = { observer: 'a', subject: 'b', failMs: 12_000, timeMs: 100_000 }
    expect(falseFailureViolation({ ...f, connectedSinceMs: 90_000 })).toBeUndefined()
    expect(falseFailureViolation({ ...f, connectedSinceMs: 80_000 })).toMatchObject({ rule: 'no-false-failure', site: 'a', subject: 'b' })
  })

  it('says whether capacity allows a workload by an independent first-fit packing', () => {
    const per = { ...zeroResources(), cpuMilli: 1_000, pods: 1 }
    const node = (cluster: string, cpu: number): { cluster: string, name: string, allocatable: ReturnType<typeof zeroResources> } =>
      ({ cluster, name: 'n', allocatable: { ...zeroResources(), cpuMilli: cpu, pods: 10 } })
    const fits = packWorkloads([
      { key: 'a', replicas: 2, perReplica: per, clusters: new Set(['c1']) },
      { key: 'b', replicas: 2, perReplica: per, clusters: new Set(['c1']) },
      { key: 'c', replicas: 1, perReplica: per, clusters: new Set(['c2']) }
    ], [node('c1', 3_000), node('c2', 1_000)])
    expect([...fits].sort()).toEqual(['a', 'c'])
  })
})

describe('durability', () => {
  it('passes when the reopened store holds every announced change, and fails naming each one it lost', () => {
    const announced = new Map([['site:a', new Set(['h1', 'h2'])]])
    expect(lostChanges({ site: 'a', announced, holds: () => true, timeMs: 0 })).toEqual([])
    const v = lostChanges({ site: 'a', announced, holds: (_d, h) => h !== 'h2', timeMs: 0 })
    expect(v).toHaveLength(1)
    expect(v[0]).toMatchObject({ invariant: 'durability', rule: 'changes', subject: 'site:a/h2' })
  })

  it('passes acknowledged writes read back at their generation or later, and fails lost writes and resurrected deletes', () => {
    const ack = { site: 'a', key: 'k', timeMs: 0 }
    expect(lostAcknowledgement({ ...ack, generation: 2, readBack: 2 })).toBeUndefined()
    expect(lostAcknowledgement({ ...ack, generation: 2, readBack: 3 })).toBeUndefined()
    expect(lostAcknowledgement({ ...ack, generation: 2, readBack: 1 })).toMatchObject({ rule: 'writes' })
    expect(lostAcknowledgement({ ...ack, generation: 2, readBack: undefined })).toMatchObject({ rule: 'writes' })
    expect(lostAcknowledgement({ ...ack, generation: -1, readBack: undefined })).toBeUndefined()
    expect(lostAcknowledgement({ ...ack, generation: -1, readBack: 4 })?.message).toMatch(/deleting k/)
  })
})

describe('violation sink', () => {
  it('keeps an exact count per invariant, a bounded list, and tells the first violation once', () => {
    const sink = createViolationSink()
    let first = 0
    sink.onFirst(() => { first++ })
    for (let i = 0; i < 30; i++) sink.report({ invariant: 'safety', rule: 'log', timeMs: i, message: `m${i}` })
    sink.checked('safety', 100)
    const safety = sink.results({ convergence: '', safety: 'checks', residency: '', availability: '', durability: '' }).find((r) => r.name === 'safety')!
    expect(first).toBe(1)
    expect(safety).toMatchObject({ ok: false, checked: 100, more: 5 })
    expect(safety.violations).toHaveLength(25)
  })
})
