import { describe, expect, it } from 'vitest'
import { createVerifier, type Verify } from '../../src/identity/keys.ts'
import { silentLogger, type Logger } from '../../src/ports/logger.ts'
import type { PeerId } from '../../src/ports/network.ts'
import { signHeartbeat } from '../../src/liveness/heartbeat.ts'
import { createLivenessMonitor } from '../../src/liveness/liveness-monitor.ts'
import type { HeartbeatListener, Replicator } from '../../src/replication/replicator.ts'
import type { Misbehaviour } from '../../src/replication/peer-guard.ts'
import { manualClock } from '../support/manual-network.ts'
import { testSite } from '../support/store-fixtures.ts'

const observer = testSite('observer')
const watched = testSite('watched')
const roster = [observer, watched].map((s) => ({ siteId: s.id, publicKey: s.signer.publicKeyHex }))
const config = { heartbeatMs: 2000, suspectMs: 6000, failMs: 12000, recoverMs: 4000, maxClockSkewMs: 300_000 }

/** Just enough of a replicator to hand heartbeats to the monitor and see what it sends. */
function fakeReplicator (): { replicator: Replicator, deliver: (payload: Uint8Array) => void, sent: Uint8Array[] } {
  const listeners = new Set<HeartbeatListener>()
  const sent: Uint8Array[] = []
  const replicator = {
    sendHeartbeat: (p: Uint8Array) => { sent.push(p) },
    onHeartbeat: (l: HeartbeatListener) => { listeners.add(l); return () => { listeners.delete(l) } }
  } as unknown as Replicator
  const peer = 'relay' as PeerId
  return { replicator, sent, deliver: (payload) => { for (const l of listeners) l(payload, peer, peer) } }
}

describe('liveness monitor', () => {
  it('checks the signature of each new heartbeat once, not of the copies relays bring again', () => {
    const clock = manualClock()
    const real = createVerifier()
    let checks = 0
    const verify: Verify = (...args) => { checks++; return real(...args) }
    const { replicator, deliver } = fakeReplicator()
    const misbehaviour: Misbehaviour[] = []
    const monitor = createLivenessMonitor({ siteId: observer.id, signer: observer.signer, verify, clock, replicator, roster: () => roster, config, boot: 1, headsDigest: () => '00'.repeat(16), logger: silentLogger })
    monitor.onMisbehaviour((m) => { misbehaviour.push(m) })
    monitor.start()
    const beat = (counter: number): Uint8Array => signHeartbeat(watched.signer, { siteId: watched.id, counter, wallMs: clock.wallMs(), headsDigest: '11'.repeat(16) })
    const first = beat(5)
    for (let i = 0; i < 6; i++) deliver(first)
    expect(checks).toBe(1)
    expect(monitor.records().get(watched.id)?.lastCounter).toBe(5)
    // A forged copy with an old counter is dropped unchecked; one with a new counter is checked and blamed.
    const forged = Uint8Array.from(beat(4)); forged[forged.length - 1]! ^= 1
    deliver(forged)
    expect(checks).toBe(1)
    const forgedNew = Uint8Array.from(beat(6)); forgedNew[forgedNew.length - 1]! ^= 1
    deliver(forgedNew)
    expect(checks).toBe(2)
    expect(misbehaviour.map((m) => m.kind)).toEqual(['bad-signature'])
    expect(monitor.records().get(watched.id)?.lastCounter).toBe(5)
    deliver(beat(6))
    expect(monitor.records().get(watched.id)?.lastCounter).toBe(6)
    monitor.stop()
  })

  it('refuses heartbeats signed with a wall time beyond maxClockSkewMs: counts each once, logs at most once a minute, and says the site is being refused', async () => {
    const clock = manualClock()
    const { replicator, deliver } = fakeReplicator()
    const warnings: Array<Record<string, unknown>> = []
    const logger: Logger = { ...silentLogger, warn: (obj) => { warnings.push(obj) }, child: () => logger }
    const monitor = createLivenessMonitor({ siteId: observer.id, signer: observer.signer, verify: createVerifier(), clock, replicator, roster: () => roster, config, boot: 1, headsDigest: () => '00'.repeat(16), logger })
    monitor.start()
    // The watched site's clock runs 10 minutes ahead: every beat it sends is refused.
    const ahead = 10 * 60_000
    let counter = 0
    const beat = (): Uint8Array => signHeartbeat(watched.signer, { siteId: watched.id, counter: ++counter, wallMs: clock.wallMs() + ahead, headsDigest: '11'.repeat(16) })
    for (let i = 0; i < 40; i++) {
      const hb = beat()
      deliver(hb); deliver(hb) // a relayed copy is not a second refusal
      await clock.advance(config.heartbeatMs)
    }
    const [skew] = monitor.clockSkew()
    expect(skew).toMatchObject({ siteId: watched.id, refused: 40, lastSkewMs: ahead, refusing: true })
    expect(monitor.records().get(watched.id)?.status).toBe('failed')
    // 80 s of refusals: logged when they began and once more a minute later.
    expect(warnings).toHaveLength(2)
    expect(warnings[0]).toMatchObject({ site: watched.id, skewSeconds: 600, limitSeconds: 300 })

    // Its clock is fixed: accepted again, and no longer refused.
    deliver(signHeartbeat(watched.signer, { siteId: watched.id, counter: ++counter, wallMs: clock.wallMs(), headsDigest: '11'.repeat(16) }))
    expect(monitor.records().get(watched.id)?.lastCounter).toBe(counter)
    expect(monitor.clockSkew()[0]).toMatchObject({ refused: 40, refusing: false })
    monitor.stop()
  })

  it('does not call a site refused when a replay of its old heartbeats is refused between its accepted ones', async () => {
    const clock = manualClock()
    const { replicator, deliver } = fakeReplicator()
    const monitor = createLivenessMonitor({ siteId: observer.id, signer: observer.signer, verify: createVerifier(), clock, replicator, roster: () => roster, config, boot: 1, headsDigest: () => '00'.repeat(16), logger: silentLogger })
    monitor.start()
    const old = signHeartbeat(watched.signer, { siteId: watched.id, counter: 100, wallMs: clock.wallMs() - 3_600_000, headsDigest: '11'.repeat(16) })
    deliver(signHeartbeat(watched.signer, { siteId: watched.id, counter: 99, wallMs: clock.wallMs(), headsDigest: '11'.repeat(16) }))
    await clock.advance(1000)
    deliver(old)
    expect(monitor.clockSkew()[0]).toMatchObject({ refused: 1, refusing: false })
    monitor.stop()
  })
})
