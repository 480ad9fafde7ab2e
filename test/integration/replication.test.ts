/**
 * Replication between real site processes over real TCP on loopback (issue 4): five
 * sites converge, a SIGKILLed site loses nothing it acknowledged and catches up, a 2 | 3
 * partition keeps both sides working and heals to one state, and a process without a
 * roster key is refused at the handshake.
 */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLibp2pNetwork } from '../../src/net/libp2p-network.ts'
import { keyPairFromSeed } from '../../src/identity/keys.ts'
import { asPeerId } from '../../src/ports/network.ts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { prepareLocalFederation, type LocalSite } from '../../src/runtime/local-federation.ts'
import { eventually, killAll, startSiteProcess, type SiteProcess } from '../support/processes.ts'
import { freePorts } from '../support/ports.ts'

const NAMES = ['s1', 's2', 's3', 's4', 's5']
let layout: LocalSite[] = []
const procs = new Map<string, SiteProcess>()

function deployment (name: string): Record<string, unknown> {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default' }, spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } }
}

interface State { heads: Record<string, string[]>, view: string, workloads: string[] }

async function states (ids = [...procs.keys()]): Promise<State[]> {
  return await Promise.all(ids.map(async (id) => await procs.get(id)!.call<State>('state')))
}

async function converged (ids = [...procs.keys()]): Promise<boolean> {
  const s = await states(ids)
  return s.every((x) => x.view === s[0]!.view && JSON.stringify(x.heads) === JSON.stringify(s[0]!.heads))
}

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-repl-'))
  const ports = await freePorts(NAMES.length)
  layout = await prepareLocalFederation(dir, NAMES.map((id, i) => ({
    id, region: i < 2 ? 'eu-west' : 'us-east', p2pPort: ports[i]!,
    failover: { heartbeatMs: 1000, suspectMs: 3000, failMs: 6000 }
  })))
  const started = await Promise.all(layout.map(async (s) => await startSiteProcess(s.spec.id, s.configPath)))
  for (const p of started) procs.set(p.id, p)
}, 90_000)

afterAll(async () => {
  await Promise.all([...procs.values()].map(async (p) => await p.call('stop', {}, 10_000).catch(() => undefined)))
  killAll()
})

describe('replication between site processes', () => {
  it('brings five sites with writes at each to identical heads and views', async () => {
    await Promise.all(NAMES.map(async (id) => {
      for (let i = 0; i < 5; i++) await procs.get(id)!.call('put', { object: deployment(`${id}-w${i}`) })
    }))
    expect(await eventually(async () => await converged(), 30_000)).toBe(true)
    const [first] = await states()
    expect(first!.workloads).toHaveLength(25)
    expect(Object.keys(first!.heads).sort()).toEqual(NAMES.map((n) => `site:${n}`))
  }, 60_000)

  it('keeps everything a SIGKILLed site acknowledged, and it catches up after restart', async () => {
    const victim = procs.get('s3')!
    const acked: string[] = []
    const writing = (async () => {
      for (let i = 0; i < 200; i++) {
        try {
          await victim.call('put', { object: deployment(`s3-crash-${i}`) }, 5_000)
          acked.push(`apps/Deployment/default/s3-crash-${i}`)
        } catch { return }
      }
    })()
    await eventually(async () => acked.length >= 15, 20_000, 50)
    victim.kill()
    await writing
    await victim.exited
    // Others write while it is down.
    await procs.get('s1')!.call('put', { object: deployment('s1-while-s3-down') })
    const restarted = await startSiteProcess('s3', layout[2]!.configPath)
    procs.set('s3', restarted)
    const s3 = await restarted.call<State>('state')
    for (const key of acked) expect(s3.workloads).toContain(key)
    expect(await eventually(async () => await converged(), 30_000)).toBe(true)
    const after = await restarted.call<State>('state')
    expect(after.workloads).toContain('apps/Deployment/default/s1-while-s3-down')
    for (const key of acked) expect((await procs.get('s5')!.call<State>('state')).workloads).toContain(key)
  }, 90_000)

  it('keeps both sides of a 2 | 3 partition working and converges once healed', async () => {
    const left = ['s1', 's2']
    const right = ['s3', 's4', 's5']
    const peerOf = (id: string): string => procs.get(id)!.peerId
    const addrOf = (id: string): string => layout.find((s) => s.spec.id === id)!.p2pAddress
    for (const id of left) await procs.get(id)!.call('block', { peers: right.map(peerOf) })
    for (const id of right) await procs.get(id)!.call('block', { peers: left.map(peerOf) })
    await procs.get('s1')!.call('put', { object: deployment('left-side') })
    await procs.get('s4')!.call('put', { object: deployment('right-side') })
    expect(await eventually(async () => await converged(left), 15_000)).toBe(true)
    expect(await eventually(async () => await converged(right), 15_000)).toBe(true)
    const [l] = await states(['s1'])
    const [r] = await states(['s5'])
    expect(l!.workloads).toContain('apps/Deployment/default/left-side')
    expect(l!.workloads).not.toContain('apps/Deployment/default/right-side')
    expect(r!.workloads).toContain('apps/Deployment/default/right-side')
    expect(r!.workloads).not.toContain('apps/Deployment/default/left-side')
    for (const id of left) await procs.get(id)!.call('unblock', { peers: right.map(peerOf), addresses: right.map(addrOf) })
    for (const id of right) await procs.get(id)!.call('unblock', { peers: left.map(peerOf), addresses: left.map(addrOf) })
    expect(await eventually(async () => await converged(), 30_000)).toBe(true)
    const [all] = await states(['s2'])
    expect(all!.workloads).toEqual(expect.arrayContaining(['apps/Deployment/default/left-side', 'apps/Deployment/default/right-side']))
  }, 90_000)

  it('refuses a process whose key is not in the roster at the handshake', async () => {
    const outsider = createLibp2pNetwork({
      keys: keyPairFromSeed(new Uint8Array(32).fill(201)), listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [layout[0]!.p2pAddress], isMember: () => true
    })
    let up = false
    outsider.handle({ onMessage () {}, onBroadcast () {}, onPeerUp () { up = true }, onPeerDown () {} })
    await outsider.start()
    await new Promise((r) => setTimeout(r, 3000))
    await outsider.stop()
    expect(up).toBe(false)
    const stats = await procs.get('s1')!.call<{ replication: { peers: Array<{ peer: string }> } }>('stats')
    expect(stats.replication.peers.map((p) => p.peer)).not.toContain(asPeerId(outsider.localPeer))
  }, 30_000)
})
