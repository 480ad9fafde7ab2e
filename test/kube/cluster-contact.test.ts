import { describe, expect, it } from 'vitest'
import { createVirtualClock } from '../../sim/engine/virtual-clock.ts'
import { createClusterContact } from '../../src/kube/cluster-contact.ts'
import { silentLogger } from '../../src/ports/logger.ts'

function setup (ping: () => Promise<void>) {
  const clock = createVirtualClock()
  const events: string[] = []
  const contact = createClusterContact({
    clock: clock.view(), logger: silentLogger, probeMs: 1000, ping,
    onChanged: () => { events.push('changed') },
    onRecovered: () => { events.push('recovered') }
  })
  return { clock, contact, events }
}

describe('cluster contact', () => {
  it('reports a recovery only when contact returns after a failure', () => {
    const { contact, events } = setup(async () => {})
    contact.noteContact()
    expect(events).toEqual(['changed'])
    contact.noteFailure(new Error('connection refused'))
    expect(contact.reachable()).toBe(false)
    expect(contact.lastError()).toBe('connection refused')
    contact.noteFailure(new Error('connection refused'))
    expect(events).toEqual(['changed', 'changed'])
    contact.noteContact()
    expect(events).toEqual(['changed', 'changed', 'changed', 'recovered'])
    expect(contact.lastError()).toBeUndefined()
  })

  it('pings a quiet API every probe period and marks it unreachable when the ping fails', async () => {
    let fail = false
    let pings = 0
    const { clock, contact } = setup(async () => { pings++; if (fail) throw new Error('timeout') })
    contact.start()
    await clock.runFor(1000)
    expect(pings).toBe(1)
    expect(contact.reachable()).toBe(true)
    fail = true
    await clock.runFor(1000)
    expect(pings).toBe(2)
    expect(contact.reachable()).toBe(false)
    contact.stop()
    await clock.runFor(5000)
    expect(pings).toBe(2)
  })
})
