/**
 * The list-then-watch loop against a scripted client on a virtual clock: re-list when
 * the watch history expired (410), resume from the last version (bookmarks included)
 * when a watch simply ends, back off and re-list after a failure, and cut the backoff
 * short when told the API is back.
 */
import { describe, expect, it } from 'vitest'
import { createVirtualClock } from '../../sim/engine/virtual-clock.ts'
import { KubeCallError, type KindRef, type KubeClient, type WatchHandlers } from '../../src/kube/kube-client.ts'
import { createReflector, type ReflectorChange } from '../../src/kube/reflector.ts'
import type { KubeObject } from '../../src/model/kube.ts'

const KIND: KindRef = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true }

function cm (name: string, rv: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: rv } }
}

interface Script {
  client: KubeClient
  lists: number
  watches: Array<{ rv: string, handlers: WatchHandlers }>
  listResult: { items: KubeObject[], resourceVersion: string } | Error
}

function scripted (): Script {
  const s: Script = {
    lists: 0,
    watches: [],
    listResult: { items: [], resourceVersion: '1' },
    client: {
      apply: () => Promise.reject(new Error('unused')),
      delete: () => Promise.reject(new Error('unused')),
      ping: () => Promise.resolve(),
      close () {},
      list: async () => {
        s.lists++
        if (s.listResult instanceof Error) throw s.listResult
        return s.listResult
      },
      watch: (_kind, { resourceVersion }, handlers) => {
        s.watches.push({ rv: resourceVersion, handlers })
        return { stop () {} }
      }
    }
  }
  return s
}

function reflectorOn (s: Script) {
  const clock = createVirtualClock()
  const batches: Array<{ changes: ReadonlyArray<ReflectorChange<string>>, relisted: boolean }> = []
  const failures: unknown[] = []
  let contacts = 0
  const r = createReflector<string>({
    client: s.client, kind: KIND, clock, project: (o) => o.metadata.resourceVersion ?? '',
    onChanges: (changes, relisted) => batches.push({ changes, relisted }),
    onContact: () => { contacts++ },
    onFailure: (e) => failures.push(e),
    backoffBaseMs: 100, backoffMaxMs: 1_000
  })
  return { clock, r, batches, failures, contacts: () => contacts }
}

const last = <T>(xs: T[]): T => xs[xs.length - 1] as T

describe('reflector', () => {
  it('lists, then follows watch events into its cache', async () => {
    const s = scripted()
    s.listResult = { items: [cm('a', '5'), cm('b', '6')], resourceVersion: '6' }
    const { clock, r, batches } = reflectorOn(s)
    r.start()
    await clock.runFor(0)
    expect(r.synced).toBe(true)
    expect([...r.entries()]).toEqual([['ns/a', '5'], ['ns/b', '6']])
    expect(s.watches.map((w) => w.rv)).toEqual(['6'])
    s.watches[0]?.handlers.event('MODIFIED', cm('a', '7'))
    s.watches[0]?.handlers.event('DELETED', cm('b', '8'))
    expect(r.get('ns/a')).toBe('7')
    expect(r.get('ns/b')).toBeUndefined()
    expect(batches.map((b) => b.relisted)).toEqual([true, false, false])
    r.stop()
  })

  it('re-lists at once when the watch reports 410 Expired, and reports what vanished meanwhile', async () => {
    const s = scripted()
    s.listResult = { items: [cm('a', '5'), cm('b', '6')], resourceVersion: '6' }
    const { clock, r, batches, failures } = reflectorOn(s)
    r.start()
    await clock.runFor(0)
    s.listResult = { items: [cm('a', '9')], resourceVersion: '20' }
    const w = s.watches[0] as Script['watches'][number]
    w.handlers.event('ERROR', { kind: 'Status', apiVersion: 'v1', metadata: { name: '' }, code: 410, reason: 'Expired' } as unknown as KubeObject)
    w.handlers.done()
    await clock.runFor(0)
    expect(s.lists).toBe(2)
    expect(failures).toEqual([])
    expect(last(batches)).toEqual({ relisted: true, changes: [{ name: 'ns/a', value: '9' }, { name: 'ns/b', value: undefined }] })
    expect(last(s.watches).rv).toBe('20')
    r.stop()
  })

  it('also re-lists when the watch request itself is answered 410', async () => {
    const s = scripted()
    const { clock, r } = reflectorOn(s)
    r.start()
    await clock.runFor(0)
    s.watches[0]?.handlers.done(new KubeCallError('watch configmaps: HTTP 410', { transport: false, status: 410 }))
    await clock.runFor(0)
    expect(s.lists).toBe(2)
    r.stop()
  })

  it('resumes from the last version, bookmarks included, when a watch ends cleanly', async () => {
    const s = scripted()
    const { clock, r } = reflectorOn(s)
    r.start()
    await clock.runFor(0)
    s.watches[0]?.handlers.event('ADDED', cm('a', '3'))
    s.watches[0]?.handlers.event('BOOKMARK', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '', resourceVersion: '42' } })
    s.watches[0]?.handlers.done()
    await clock.runFor(0)
    expect(s.lists).toBe(1)
    expect(s.watches.map((w) => w.rv)).toEqual(['1', '42'])
    expect([...r.entries()]).toEqual([['ns/a', '3']])
    r.stop()
  })

  it('reports a failed watch, backs off, re-lists; retryNow cuts the wait short', async () => {
    const s = scripted()
    const { clock, r, failures } = reflectorOn(s)
    r.start()
    await clock.runFor(0)
    const refused = new KubeCallError('watch configmaps: ECONNREFUSED', { transport: true })
    s.listResult = refused
    s.watches[0]?.handlers.done(refused)
    await clock.runFor(0)
    expect(failures).toEqual([refused])
    expect(s.lists).toBe(1)
    await clock.runFor(100)
    expect(s.lists).toBe(2) // failed again: the next wait is 200 ms, then 400 ms
    await clock.runFor(200)
    expect(s.lists).toBe(3)
    s.listResult = { items: [], resourceVersion: '50' }
    r.retryNow()
    await clock.runFor(0)
    expect(s.lists).toBe(4)
    expect(last(s.watches).rv).toBe('50')
    r.stop()
  })

  it('does not spin when the server closes every watch at once', async () => {
    const s = scripted()
    const { clock, r } = reflectorOn(s)
    r.start()
    await clock.runFor(0)
    for (let i = 0; i < 3; i++) {
      last(s.watches).handlers.done()
      await clock.runFor(0)
    }
    const watchesBefore = s.watches.length
    await clock.runFor(50)
    expect(s.watches.length).toBe(watchesBefore)
    await clock.runFor(100)
    expect(s.lists).toBe(2)
    r.stop()
  })
})
