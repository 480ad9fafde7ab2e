/**
 * The per-version cache behind the dashboard's endpoints: nothing is rebuilt while the
 * view version stands still, and a new version rebuilds the rows of the workloads that
 * changed only, so a change in a 10,000-workload view stays cheap for every open browser.
 */
import { describe, expect, it } from 'vitest'
import { createDashboardData } from '../../src/ui/dashboard-data.ts'
import { deployment } from '../api/support/manifests.ts'
import { createDashboardSite, shareOf } from './support/dashboard-site.ts'

describe('dashboard data', () => {
  it('builds the index once per view version, and again only the rows of workloads that changed', () => {
    const site = createDashboardSite()
    site.bulk(500)
    const data = createDashboardData(site)
    const first = data.index()
    expect(data.index()).toBe(first)
    expect(first.rows).toHaveLength(505)

    const web = 'apps/Deployment/shop/web'
    site.setShares(web, [shareOf(web, 'eu-west.main', 1, 2)])
    const second = data.index()
    expect(second).not.toBe(first)
    let same = 0
    for (const r of second.rows) if (first.find(r.row.key) === r) same++
    expect(same).toBe(504)
    expect(second.find(web)?.row).toMatchObject({ ready: 1, attention: true })

    // A change that leaves every workload as it was (here an event) keeps the whole index.
    site.addPeerEvent('us-east', { kind: 'info', at: 1, subject: 'us-east', cause: 'hello' })
    expect(data.index()).toBe(second)
  })

  it('merges this site\'s local-only workloads into the key order of the view\'s', async () => {
    const site = createDashboardSite()
    await site.putObject(deployment('a-first', { namespace: 'aaa', annotations: { 'flotilla.io/residency': 'local-only' } }))
    await site.putObject(deployment('z-last', { namespace: 'zzz', annotations: { 'flotilla.io/residency': 'local-only' } }))
    const keys = createDashboardData(site).index().rows.map((r) => r.row.key)
    expect(keys).toEqual([...keys].sort())
    expect(keys).toContain('apps/Deployment/aaa/a-first')
    expect(keys.at(-1)).toBe('core/Service/shop/web')
  })

  it('rebuilds the timeline when the view version moves', () => {
    const site = createDashboardSite()
    const data = createDashboardData(site)
    expect(data.events()).toHaveLength(0)
    site.addPeerEvent('us-east', { kind: 'partition', at: 1, subject: 'ap-southeast', cause: 'cut off' })
    expect(data.events().map((e) => e.kind)).toEqual(['partition'])
  })
})
