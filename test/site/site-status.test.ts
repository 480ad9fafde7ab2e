import { describe, expect, it } from 'vitest'
import { peerIdFromPublicKey } from '../../src/identity/peer-id.ts'
import type { SiteRecord } from '../../src/liveness/failure-detector.ts'
import type { GlobalView } from '../../src/model/view.ts'
import { rosterPeers, siteStatus, type SiteStatusInput } from '../../src/site/site-status.ts'
import { rosterOf, testSite } from '../support/store-fixtures.ts'

const [eu, ap, us] = ['eu', 'ap', 'us'].map(testSite) as [ReturnType<typeof testSite>, ReturnType<typeof testSite>, ReturnType<typeof testSite>]
const roster = rosterPeers(rosterOf([eu, ap, us]))
const pid = (s: typeof eu): string => peerIdFromPublicKey(s.keys.publicKey)

function record (status: SiteRecord['status'], lastSeenMs: number): SiteRecord {
  return { lastCounter: 1, lastSeenMs, runStartMs: 0, status, sinceMs: 0, lastWallMs: 0, headsDigest: '' }
}

function input (over: Partial<SiteStatusInput> = {}): SiteStatusInput {
  return {
    site: { siteId: 'eu', region: 'eu-west', zone: 'a', peerId: pid(eu), startedAt: 1 },
    roster,
    replication: { peers: [{ peer: pid(ap) as never, connected: true, behind: 3, bytesIn: 10, bytesOut: 20, score: 0 }] },
    liveness: new Map([['ap', record('alive', 900)], ['us', undefined]]),
    nowMs: 1000,
    view: { clusters: [] },
    corruptRecords: 0,
    degraded: [],
    bootstrap: { documents: { have: 3, total: 3 }, changes: { have: 10, total: 10 } },
    ...over
  }
}

describe('site status', () => {
  it('derives each roster member\'s peer id from its key, once', () => {
    expect(roster.map((r) => [r.siteId, r.peerId])).toEqual([['eu', pid(eu)], ['ap', pid(ap)], ['us', pid(us)]])
  })

  it('lists every other member with connection, liveness, lag and traffic; one never heard is unknown', () => {
    const s = siteStatus(input())
    expect(s.peers).toEqual([
      { siteId: 'ap', peerId: pid(ap), connected: true, liveness: 'alive', behind: 3, bytesIn: 10, bytesOut: 20, lastHeartbeatAgoMs: 100 },
      { siteId: 'us', peerId: pid(us), connected: false, liveness: 'unknown', behind: 0, bytesIn: 0, bytesOut: 0 }
    ])
    expect(s.alarms).toEqual([])
    expect(s).toMatchObject({ siteId: 'eu', region: 'eu-west', zone: 'a', startedAt: 1 })
  })

  const cluster = (id: string, site: string, health: string): GlobalView['clusters'][number] => ({ id, site, health } as unknown as GlobalView['clusters'][number])
  it.each([
    ['a failed peer', { liveness: new Map([['ap', record('failed', 0)]]) }, ['site ap is failed (no heartbeat)']],
    ['an own cluster not Ready (others\' are not this site\'s alarm)', { view: { clusters: [cluster('eu-1', 'eu', 'NotReady'), cluster('ap-1', 'ap', 'NotReady'), cluster('eu-2', 'eu', 'Ready')] } }, ['cluster eu-1 is NotReady']],
    ['corrupt records skipped at load', { corruptRecords: 2 }, ['2 corrupt record(s) skipped at load']],
    ['a peer whose heartbeats are refused for clock skew, with the limit and what to do', { clockSkew: { refusing: ['us'], limitMs: 300_000 } },
      ['heartbeats of site us refused: their wall time is more than 5 min from this site\'s clock (a clock off, or old heartbeats replayed); us is judged failed while this lasts — check NTP on both sites (failover.maxClockSkewMs)']],
    ['no alarm while no peer is refused', { clockSkew: { refusing: [], limitMs: 90_500 } }, []],
    ['degraded workloads, as the controllers word them', { degraded: ['default/web: no cluster fits'] }, ['default/web: no cluster fits']],
    ['controller ticks failing, with what to do', { tickFailure: { count: 3, code: 'internal', message: 'local change was not materialised', hint: 'Re-initialise the site with a new key.' } },
      ['controller ticks failing (3 in a row; this site decides and writes nothing): internal: local change was not materialised — Re-initialise the site with a new key.']]
  ] as Array<[string, Partial<SiteStatusInput>, string[]]>)('raises an alarm for %s', (_what, over, alarms) => {
    expect(siteStatus(input(over)).alarms).toEqual(alarms)
  })
})
