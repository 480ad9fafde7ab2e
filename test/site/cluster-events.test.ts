import { describe, expect, it } from 'vitest'
import type { ClusterHealth, ClusterRecord } from '../../src/model/federation.ts'
import { clusterHealthEvent, initiallyDown } from '../../src/site/cluster-events.ts'

const AT = 1_700_000_100_000
const REASONS: Record<ClusterHealth, string> = {
  Ready: '2 of 2 nodes Ready',
  NotReady: 'the cluster API is not answering (NotReady after 30 s): connect ECONNREFUSED',
  Unknown: 'the cluster API has not answered yet'
}

function record (health: ClusterHealth): ClusterRecord {
  return {
    id: 'eu.c1', health, healthSince: AT, conditions: [{ type: 'Ready', status: health === 'Ready' ? 'True' : 'False', reason: 'x', message: REASONS[health] }]
  } as unknown as ClusterRecord
}

describe('cluster health events', () => {
  it.each([
    ['a first record, Ready: nothing', undefined, 'Ready', false, undefined, false],
    ['a first record, not heard from yet: nothing', undefined, 'Unknown', false, undefined, false],
    ['not heard from yet, then Ready (a site starting): nothing', 'Unknown', 'Ready', false, undefined, false],
    ['a first record with no Ready node: not ready', undefined, 'NotReady', false, ['cluster-not-ready', 'NotReady: the cluster API is not answering (NotReady after 30 s): connect ECONNREFUSED'], true],
    ['Ready to NotReady: not ready, with the reason', 'Ready', 'NotReady', false, ['cluster-not-ready', 'NotReady: the cluster API is not answering (NotReady after 30 s): connect ECONNREFUSED'], true],
    ['Ready to Unknown (silent since a restart): not ready', 'Ready', 'Unknown', false, ['cluster-not-ready', 'Unknown: the cluster API has not answered yet'], true],
    ['Unknown to NotReady: not ready', 'Unknown', 'NotReady', false, ['cluster-not-ready', 'NotReady: the cluster API is not answering (NotReady after 30 s): connect ECONNREFUSED'], true],
    ['still down, through Unknown: nothing more', 'NotReady', 'Unknown', true, undefined, true],
    ['still NotReady: nothing more', 'NotReady', 'NotReady', true, undefined, true],
    ['back to Ready: ready, with how long it was down', 'NotReady', 'Ready', true, ['cluster-ready', 'Ready: 2 of 2 nodes Ready (not Ready for 100 s)'], false],
    ['back to Ready through Unknown: ready', 'Unknown', 'Ready', true, ['cluster-ready', 'Ready: 2 of 2 nodes Ready (not Ready for 100 s)'], false],
    ['still Ready: nothing', 'Ready', 'Ready', false, undefined, false]
  ] as Array<[string, ClusterHealth | undefined, ClusterHealth, boolean, [string, string] | undefined, boolean]>)('%s', (_name, previous, next, down, event, downAfter) => {
    const step = clusterHealthEvent({ previous, ...(previous === undefined ? {} : { previousSince: AT - 100_000 }), next: record(next), down, at: AT })
    expect(step.event === undefined ? undefined : [step.event.kind, step.event.cause]).toEqual(event)
    if (step.event !== undefined) expect(step.event).toMatchObject({ subject: 'eu.c1', at: AT })
    expect(step.down).toBe(downAfter)
  })

  it('after a restart, takes a cluster its record shows not Ready as down, so its return is recorded', () => {
    expect([initiallyDown(undefined), initiallyDown('Ready'), initiallyDown('NotReady'), initiallyDown('Unknown')]).toEqual([false, false, true, true])
  })
})
