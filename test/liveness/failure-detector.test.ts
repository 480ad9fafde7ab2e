import { describe, expect, it } from 'vitest'
import { initialDetectorState, judgeSites, observeHeartbeat, unavailableSites, type DetectorConfig, type DetectorState } from '../../src/liveness/failure-detector.ts'
import { signHeartbeat, verifyHeartbeat } from '../../src/liveness/heartbeat.ts'
import { createVerifier } from '../../src/identity/keys.ts'
import { testSite } from '../support/store-fixtures.ts'

const config: DetectorConfig = { heartbeatMs: 2000, suspectMs: 6000, failMs: 12000, recoverMs: 4000, maxClockSkewMs: 120_000 }
const WALL = 1_700_000_000_000

function beat (state: DetectorState, siteId: string, counter: number, at: number, wallSkew = 0): DetectorState {
  return observeHeartbeat(state, { siteId, counter, wallMs: WALL + at + wallSkew, headsDigest: '00'.repeat(16) }, at, WALL + at, config).state
}

function statusAfter (events: Array<['beat', number] | ['judge', number]>): string[] {
  let s = initialDetectorState(0)
  const seen: string[] = []
  let counter = 0
  for (const [kind, at] of events) {
    if (kind === 'beat') s = beat(s, 'x', ++counter, at)
    else {
      const r = judgeSites(s, ['x'], at, config)
      s = r.state
      seen.push(...r.transitions.map((t) => t.to))
    }
  }
  return seen
}

describe('failure detector', () => {
  it.each([
    ['steady heartbeats keep a site alive', [['beat', 0], ['judge', 1000], ['beat', 2000], ['judge', 5000], ['beat', 4000], ['judge', 9000]], ['alive']],
    ['a site is suspected after suspectMs and failed after failMs', [['beat', 0], ['judge', 1], ['judge', 6500], ['judge', 12500]], ['alive', 'suspect', 'failed']],
    ['a suspected site that beats again is alive without a failure', [['beat', 0], ['judge', 1], ['judge', 7000], ['beat', 7500], ['judge', 7600]], ['alive', 'suspect', 'alive']],
    ['a failed site recovers only after heartbeats hold for recoverMs', [['beat', 0], ['judge', 1], ['judge', 13000], ['beat', 14000], ['judge', 14100], ['beat', 16000], ['judge', 16100], ['beat', 18000], ['judge', 18100]], ['alive', 'failed', 'recovering', 'alive']],
    ['a site flapping during recovery falls back to failed', [['beat', 0], ['judge', 1], ['judge', 13000], ['beat', 14000], ['judge', 14100], ['judge', 21000]], ['alive', 'failed', 'recovering', 'failed']],
    // One heartbeat after the failure, judged only once it is older than suspectMs: still failed, not suspect (available).
    ['a failed site that beats once and falls silent stays failed', [['beat', 0], ['judge', 1], ['judge', 13000], ['beat', 14000], ['judge', 20500], ['judge', 27000]], ['alive', 'failed']],
    ['a failed site that beats once, falls silent, then beats steadily recovers through the window', [['beat', 0], ['judge', 1], ['judge', 13000], ['beat', 14000], ['judge', 20500], ['beat', 21000], ['judge', 21100], ['beat', 23000], ['judge', 23100], ['beat', 25000], ['judge', 25100]], ['alive', 'failed', 'recovering', 'alive']],
    ['a site never heard from fails failMs after the observer started', [['judge', 5000], ['judge', 12001]], ['failed']]
  ] as Array<[string, Array<['beat', number] | ['judge', number]>, string[]]>)('%s', (_name, events, expected) => {
    expect(statusAfter(events)).toEqual(expected)
  })

  it('keeps a failed site unavailable when its one new heartbeat is judged after suspectMs', () => {
    let s = initialDetectorState(0)
    s = beat(s, 'x', 1, 0)
    s = judgeSites(s, ['x'], 1, config).state
    s = judgeSites(s, ['x'], 13_000, config).state
    s = beat(s, 'x', 2, 14_000)
    const r = judgeSites(s, ['x'], 20_500, config)
    expect(r.transitions).toEqual([])
    expect([...unavailableSites(r.state)]).toEqual(['x'])
  })

  it.each([
    ['suspect', [['beat', 0], ['judge', 1], ['judge', 8089.508933999925]], 'no heartbeat for 8.1 s (limit 6 s)'],
    ['failed', [['beat', 0], ['judge', 1], ['judge', 12_345.678]], 'no heartbeat for 12.3 s (limit 12 s)'],
    ['failed, never heard', [['judge', 12_000.4999]], 'no heartbeat since this site started 12 s ago'],
    ['alive again', [['beat', 0], ['judge', 1], ['judge', 13_000], ['beat', 14_000.25], ['judge', 14_100], ['beat', 16_000], ['judge', 16_100], ['beat', 18_000], ['judge', 18_100.75]], 'heartbeats steady for 4.1 s']
  ] as Array<[string, Array<['beat', number] | ['judge', number]>, string]>)('words the cause of the last transition (%s) in rounded seconds', (_name, events, cause) => {
    let s = initialDetectorState(0)
    let counter = 0
    let last = ''
    for (const [kind, at] of events) {
      if (kind === 'beat') { s = beat(s, 'x', ++counter, at); continue }
      const r = judgeSites(s, ['x'], at, config)
      s = r.state
      for (const t of r.transitions) last = t.cause
    }
    expect(last).toBe(cause)
  })

  it('ignores a replayed heartbeat: an old counter does not refresh liveness', () => {
    let s = initialDetectorState(0)
    s = beat(s, 'x', 10, 0)
    s = judgeSites(s, ['x'], 1, config).state
    const replay = observeHeartbeat(s, { siteId: 'x', counter: 10, wallMs: WALL + 9000, headsDigest: '00'.repeat(16) }, 9000, WALL + 9000, config)
    expect(replay.verdict).toBe('replay')
    expect(judgeSites(replay.state, ['x'], 12_500, config).transitions.map((t) => t.to)).toEqual(['failed'])
  })

  it('ignores heartbeats whose wall time is far from the observer\'s (a stash of old beats)', () => {
    const s = initialDetectorState(0)
    const old = observeHeartbeat(s, { siteId: 'x', counter: 99, wallMs: WALL - 3_600_000, headsDigest: '00'.repeat(16) }, 0, WALL, config)
    expect(old.verdict).toBe('skewed')
  })

  it('treats failed and recovering sites as unavailable, suspected ones not', () => {
    let s = initialDetectorState(0)
    s = beat(s, 'a', 1, 0); s = beat(s, 'b', 1, 0)
    s = judgeSites(s, ['a', 'b', 'c'], 1, config).state
    s = beat(s, 'a', 2, 5000)
    s = judgeSites(s, ['a', 'b', 'c'], 7000, config).state
    expect([...unavailableSites(s)]).toEqual([])
    s = judgeSites(s, ['a', 'b', 'c'], 13_000, config).state
    expect([...unavailableSites(s)].sort()).toEqual(['b', 'c'])
  })
})

describe('heartbeats', () => {
  const x = testSite('x'); const y = testSite('y')
  const keyOf = (id: string): string | undefined => ({ x: x.signer.publicKeyHex, y: y.signer.publicKeyHex } as Record<string, string>)[id]
  const verify = createVerifier()
  const hb = { siteId: 'x', counter: 5, wallMs: WALL, headsDigest: 'ab'.repeat(16) }

  it('verifies a heartbeat signed by the site it names', () => {
    expect(verifyHeartbeat(signHeartbeat(x.signer, hb), keyOf, verify)).toMatchObject(hb)
  })

  it('refuses a heartbeat for site x signed by another member (a false claim about x)', () => {
    expect(() => verifyHeartbeat(signHeartbeat(y.signer, hb), keyOf, verify)).toThrow(expect.objectContaining({ code: 'bad-signature' }))
  })

  it('refuses a heartbeat naming a site outside the roster', () => {
    expect(() => verifyHeartbeat(signHeartbeat(x.signer, { ...hb, siteId: 'ghost' }), keyOf, verify)).toThrow(expect.objectContaining({ code: 'unauthorized-writer' }))
  })

  it('refuses a heartbeat whose counter was altered', () => {
    const bytes = signHeartbeat(x.signer, hb)
    bytes[4]! ^= 1
    expect(() => verifyHeartbeat(bytes, keyOf, verify)).toThrow()
  })
})
