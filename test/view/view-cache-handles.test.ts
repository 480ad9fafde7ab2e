import * as A from '@automerge/automerge'
import { describe, expect, it } from 'vitest'
import { createViewCache } from '../../src/view/view-cache.ts'
import { putWorkload, siteDocId, type SiteDoc } from '../../src/store/docs/index.ts'
import { newSiteDoc, workload } from '../store/docs/fixtures.ts'

describe('view cache with documents that move on in place', () => {
  it('sees changes applied with applyChanges, whose older value shares the Automerge handle', () => {
    const author = A.change(newSiteDoc('eu'), (d: SiteDoc) => { putWorkload(d, workload('eu', 'one')) })
    const [replicaStart] = A.applyChanges(A.init<SiteDoc>(), A.getAllChanges(newSiteDoc('eu')))
    const cache = createViewCache()
    expect(cache.refresh([{ id: siteDocId('eu'), doc: replicaStart }]).workloads).toEqual([])
    const [replicaNext] = A.applyChanges(replicaStart, A.getChanges(newSiteDoc('eu'), author))
    expect(cache.refresh([{ id: siteDocId('eu'), doc: replicaNext }]).workloads.map((w) => w.key)).toEqual(['apps/Deployment/shop/one'])
  })
})
