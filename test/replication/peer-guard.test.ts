import { describe, expect, it } from 'vitest'
import { asPeerId } from '../../src/ports/network.ts'
import { createPeerGuard, DISCONNECT_SCORE, PENALTY, REPLAYS_PER_SECOND } from '../../src/replication/peer-guard.ts'
import { manualClock } from '../support/manual-network.ts'

const limits = { changesPerSecond: 10, framesPerSecond: 5, maxConcurrentSessions: 2 }
const peer = asPeerId('peer-a')
const other = asPeerId('peer-b')

describe('peer guard', () => {
  it('lowers a peer\'s standing by each misbehaviour\'s penalty, and only that peer\'s', () => {
    const guard = createPeerGuard(manualClock(), limits)
    expect(guard.score(peer)).toBe(0)
    expect(guard.penalise(peer, 'malformed')).toBeUndefined()
    expect(guard.score(peer)).toBe(-PENALTY.malformed)
    expect(guard.penalise(peer, 'replay')).toBeUndefined()
    expect(guard.score(peer)).toBe(-PENALTY.malformed - PENALTY.replay)
    expect(guard.score(other)).toBe(0)
  })

  it('lets standing recover by a point a second, never above zero', async () => {
    const clock = manualClock()
    const guard = createPeerGuard(clock, limits)
    guard.penalise(peer, 'bad-signature')
    await clock.advance(10_000)
    expect(guard.score(peer)).toBe(-PENALTY['bad-signature'] + 10)
    await clock.advance(60_000)
    expect(guard.score(peer)).toBe(0)
  })

  it('asks for a disconnect once standing reaches the threshold, then restarts the peer half way down', () => {
    const guard = createPeerGuard(manualClock(), limits)
    for (let i = 0; i < 3; i++) expect(guard.penalise(peer, 'bad-signature')).toBeUndefined()
    expect(guard.score(peer)).toBe(-75)
    // The fourth lands exactly on the threshold: that is enough.
    expect(guard.penalise(peer, 'bad-signature')).toBe(30_000)
    expect(guard.score(peer)).toBe(DISCONNECT_SCORE / 2)
  })

  it('disconnects for 30 s the first time and doubles the back-off with each repeat, up to 15 minutes', () => {
    const guard = createPeerGuard(manualClock(), limits)
    const backoffs: number[] = []
    // An equivocation costs 100: from 0 it reaches the threshold at once; afterwards the
    // peer restarts at -50, so every further one cuts it off again.
    for (let i = 0; i < 8; i++) {
      const b = guard.penalise(peer, 'equivocation')
      expect(b).toBeDefined()
      backoffs.push(b!)
      expect(guard.score(peer)).toBe(DISCONNECT_SCORE / 2)
    }
    expect(backoffs).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000])
    // Another peer's first offence starts from the bottom of the ladder.
    expect(guard.penalise(other, 'equivocation')).toBe(30_000)
  })

  it('keeps counting repeats after the peer has recovered, so a returning offender is cut off for longer', async () => {
    const clock = manualClock()
    const guard = createPeerGuard(clock, limits)
    expect(guard.penalise(peer, 'equivocation')).toBe(30_000)
    await clock.advance(3_600_000)
    expect(guard.score(peer)).toBe(0)
    for (let i = 0; i < 4; i++) guard.penalise(peer, 'flood')
    expect(guard.score(peer)).toBe(-4 * PENALTY.flood)
    const b = [...Array(6)].map(() => guard.penalise(peer, 'flood')).find((x) => x !== undefined)
    expect(b).toBe(60_000)
  })

  it('admits changes and frames up to two seconds\' worth at once, then at the configured rate', async () => {
    const clock = manualClock()
    const guard = createPeerGuard(clock, limits)
    expect(guard.hasChanges(peer, 20)).toBe(true)
    expect(guard.takeChanges(peer, 20)).toBe(true)
    expect(guard.takeChanges(peer, 1)).toBe(false)
    await clock.advance(500)
    expect(guard.hasChanges(peer, 5)).toBe(true)
    expect(guard.hasChanges(peer, 6)).toBe(false)
    for (let i = 0; i < 10; i++) expect(guard.takeFrame(peer)).toBe(true)
    expect(guard.takeFrame(peer)).toBe(false)
    expect(guard.takeFrame(other)).toBe(true)
  })

  it('lets a replayer run into debt and refuses it until the debt is repaid', async () => {
    const clock = manualClock()
    const guard = createPeerGuard(clock, limits)
    expect(guard.spendReplays(peer, 2 * REPLAYS_PER_SECOND)).toBe(true)
    expect(guard.replaying(peer)).toBe(false)
    expect(guard.spendReplays(peer, REPLAYS_PER_SECOND)).toBe(false)
    expect(guard.replaying(peer)).toBe(true)
    // A debt of one second's budget is repaid after a second.
    await clock.advance(999)
    expect(guard.replaying(peer)).toBe(true)
    await clock.advance(2)
    expect(guard.replaying(peer)).toBe(false)
  })

  it('caps concurrent sessions per peer and frees a slot when one closes', () => {
    const guard = createPeerGuard(manualClock(), limits)
    expect(guard.openSession(peer)).toBe(true)
    expect(guard.openSession(peer)).toBe(true)
    expect(guard.openSession(peer)).toBe(false)
    expect(guard.openSession(other)).toBe(true)
    guard.closeSession(peer)
    expect(guard.openSession(peer)).toBe(true)
  })
})
