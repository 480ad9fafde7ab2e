/**
 * A Byzantine member (valid roster key, this test process) against three honest site
 * processes over real TCP: forged signatures, writes to another site's document,
 * replays beyond the replay budget, equivocation, a flood, malformed frames and a frame
 * above the size limit. Honest sites keep converging, refuse each attack with its code,
 * record evidence, and stay within memory bounds.
 */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as A from '@automerge/automerge'
import { peerIdFromString } from '@libp2p/peer-id'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLibp2pNetwork, SYNC_PROTOCOL, type Libp2pNetwork } from '../../src/net/libp2p-network.ts'
import { encodeLengthPrefix } from '../../src/net/frame-codec.ts'
import { loadKeyFile } from '../../src/keystore/key-file.ts'
import { createSigner, toHex } from '../../src/identity/keys.ts'
import type { PeerId } from '../../src/ports/network.ts'
import { openDocumentStore } from '../../src/store/document-store.ts'
import { rosterWritePolicy } from '../../src/store/roster-write-policy.ts'
import { initSiteDoc, putWorkload, siteDocId, type SiteDoc } from '../../src/store/docs/index.ts'
import { signChange } from '../../src/store/log/envelope.ts'
import { encodeDirect } from '../../src/replication/messages.ts'
import { createVerifier } from '../../src/identity/keys.ts'
import { silentLogger } from '../../src/ports/logger.ts'
import { createSystemClock } from '../../src/platform/system-clock.ts'
import { createCryptoRng } from '../../src/platform/crypto-rng.ts'
import { createMemoryStorage } from '../../sim/storage/memory-storage.ts'
import { prepareLocalFederation, type LocalSite } from '../../src/runtime/local-federation.ts'
import { eventually, killAll, startSiteProcess, type SiteProcess } from '../support/processes.ts'
import { freePorts } from '../support/ports.ts'
import { siteInfo, workload } from '../store/docs/fixtures.ts'

const HONEST = ['h1', 'h2', 'h3']
let layout: LocalSite[] = []
const procs = new Map<string, SiteProcess>()
let byz: Libp2pNetwork
const heartbeats: Uint8Array[] = []

interface State { heads: Record<string, string[]>, view: string, workloads: string[] }

async function honestConverged (): Promise<boolean> {
  const s = await Promise.all(HONEST.map(async (id) => await procs.get(id)!.call<State>('state')))
  return s.every((x) => x.view === s[0]!.view && JSON.stringify(x.heads) === JSON.stringify(s[0]!.heads))
}

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-byz-'))
  const ports = await freePorts(4)
  layout = await prepareLocalFederation(dir, [...HONEST, 'byz'].map((id, i) => ({ id, region: 'eu-west', p2pPort: ports[i]! })))
  for (const s of layout.slice(0, 3)) procs.set(s.spec.id, await startSiteProcess(s.spec.id, s.configPath))
  const key = await loadKeyFile(join(layout[3]!.dir, 'site.key'))
  byz = createLibp2pNetwork({ keys: key.keys, listen: [`/ip4/127.0.0.1/tcp/${ports[3]}`], bootstrap: layout.slice(0, 3).map((s) => s.p2pAddress), isMember: () => true })
  byz.handle({
    onMessage () {},
    onBroadcast (_origin, _via, payload) { if (heartbeats.length < 50 && payload[1] === 2) heartbeats.push(payload) },
    onPeerUp () {},
    onPeerDown () {}
  })
  await byz.start()
  await eventually(async () => byz.connectedPeers().length === 3, 20_000)
}, 90_000)

afterAll(async () => {
  await byz?.stop().catch(() => undefined)
  await Promise.all([...procs.values()].map(async (p) => await p.call('stop', {}, 10_000).catch(() => undefined)))
  killAll()
})

describe('a Byzantine member against honest site processes', () => {
  it('is refused attack by attack, recorded as evidence, and cannot split or poison the honest sites', async () => {
    const key = await loadKeyFile(join(layout[3]!.dir, 'site.key'))
    const signer = createSigner(key.keys)
    const roster = layout.map((s) => ({ siteId: s.spec.id, publicKey: s.publicKey, region: 'eu-west' }))
    const store = await openDocumentStore({
      storage: createMemoryStorage(), clock: createSystemClock(), rng: createCryptoRng(), signer, verify: createVerifier(),
      writePolicy: rosterWritePolicy(() => roster), logger: silentLogger, limits: { maxChangeBytes: 1 << 20, maxChangeOps: 100_000, maxPendingChanges: 10_000 }
    })
    const own = siteDocId('byz')
    const e1 = (await store.change<SiteDoc>(own, (d) => { initSiteDoc(d, { ...siteInfo('byz'), publicKey: toHex(key.keys.publicKey) }) }))!
    const peers = byz.connectedPeers() as PeerId[]
    const peerOf = (id: string): PeerId => procs.get(id)!.peerId as PeerId
    const sendAll = (payload: Uint8Array): void => { for (const p of peers) byz.send(p, payload) }
    const sendTo = (id: string, payload: Uint8Array): void => { byz.send(peerOf(id), payload) }
    const push = (env: ReturnType<typeof signChange>): Uint8Array => encodeDirect({ type: 'changes', session: 0, docId: env.docId, changes: [env], more: false, toResponder: false })

    // A valid first change, so the honest sites hold byz's document.
    sendAll(push(e1.env))
    // Each attack goes to one honest site, since a site cuts the attacker off once its
    // standing is gone; what one site learns (the equivocation) reaches the others.
    // 1. To h1: a forged signature on a change to its own document.
    const forged = A.change(A.clone(store.document<SiteDoc>(own)!, { actor: store.actor }), { time: 0 }, (d) => { putWorkload(d, workload('byz', 'forged')) })
    const forgedEnv = signChange(signer, own, A.getLastLocalChange(forged)!)
    forgedEnv.signature[5]! ^= 0xff
    sendTo('h1', push(forgedEnv))
    // 2. To h1: a write to another site's document, signed with its own key.
    const foreign = A.change(A.init<Record<string, unknown>>({ actor: signer.publicKeyHex }), { time: 0 }, (d) => { d['owned'] = 'by byz' })
    sendTo('h1', push(signChange(signer, siteDocId('h1'), A.getLastLocalChange(foreign)!)))
    // 3. To everyone: replays of an old valid change, and of honest sites' heartbeats it overheard.
    for (let i = 0; i < 5; i++) sendAll(push(e1.env))
    for (const hb of heartbeats.slice(0, 10)) byz.broadcast(hb)
    // To h2: the same change a hundred times more, beyond the replay budget (40 at once, then 20 a second).
    for (let i = 0; i < 100; i++) sendTo('h2', push(e1.env))
    // 4. To h1: malformed frames.
    for (let i = 0; i < 3; i++) sendTo('h1', Uint8Array.from([1, 3, 0, 255, 255, 255, 255, 9]))
    // 4b. To h3: a frame announced above the size limit (4 MiB), on a stream of its own, as
    // its own network refuses to send one; the length prefix alone is refused.
    const oversized = await byz.libp2p.dialProtocol(peerIdFromString(peerOf('h3')), SYNC_PROTOCOL)
    oversized.send(encodeLengthPrefix(4 * 1024 * 1024 + 1))
    await new Promise((r) => setTimeout(r, 1500))
    // 5. To h3: equivocation, two different changes with the same actor and seq.
    const base = store.document<SiteDoc>(own)!
    const left = A.change(A.clone(base, { actor: store.actor }), { time: 0 }, (d) => { putWorkload(d, workload('byz', 'left')) })
    const leftChange = A.getLastLocalChange(left)!
    const right = A.change(A.clone(base, { actor: store.actor }), { time: 0 }, (d) => { putWorkload(d, workload('byz', 'right')) })
    sendTo('h3', push(signChange(signer, own, leftChange)))
    sendTo('h3', push(signChange(signer, own, A.getLastLocalChange(right)!)))
    // 6. To h2: a flood of frames.
    const junk = encodeDirect({ type: 'digest', docs: [] })
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 500; i++) sendTo('h2', junk)
      await new Promise((r) => setTimeout(r, 100))
    }

    // Honest sites keep working and converging meanwhile.
    await procs.get('h2')!.call('put', { object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'honest', namespace: 'default' }, spec: { replicas: 1 } } })
    expect(await eventually(honestConverged, 30_000)).toBe(true)

    for (const id of HONEST) {
      const { evidence } = await procs.get(id)!.call<{ evidence: Array<{ kind: string, offender: string, proof?: string[] }> }>('evidence')
      const kinds = new Set(evidence.filter((e) => e.offender === 'byz').map((e) => e.kind))
      const expected = { h1: ['bad-signature', 'unauthorized-writer', 'malformed', 'equivocation'], h2: ['replay', 'flood', 'equivocation'], h3: ['oversized', 'equivocation'] }[id]!
      for (const k of expected) expect(kinds, `${id} evidence ${[...kinds].join(',')}`).toContain(k)
      expect(evidence.find((e) => e.kind === 'equivocation')?.proof).toHaveLength(2)
      const state = await procs.get(id)!.call<State>('state')
      expect(state.workloads).toContain('apps/Deployment/default/honest')
      expect(state.workloads.filter((w) => w.includes('forged') || w.includes('left') || w.includes('right'))).toEqual([])
      const stats = await procs.get(id)!.call<{ rssMb: number, status: { peers: Array<{ siteId: string, liveness: string }> } }>('stats')
      expect(stats.rssMb).toBeLessThan(600)
      // Replayed heartbeats changed nothing: every honest peer is still alive to every other.
      for (const p of stats.status.peers.filter((x) => x.siteId !== 'byz')) expect(p.liveness).toBe('alive')
    }
  }, 120_000)
})
