/**
 * A cluster record's `nodeFree` in the site document: node shapes with counts round-trip;
 * a record written before counts existed (plain resources per node) still loads; a count
 * that is not a positive integer makes the record malformed.
 */
import { describe, expect, it } from 'vitest'
import { isFlotillaError } from '../../../src/model/errors.ts'
import { getCluster, putCluster } from '../../../src/store/docs/site-clusters.ts'
import { cluster, edit, newSiteDoc, resources } from './fixtures.ts'

const S = 'eu-west'

describe('cluster node shapes in the site document', () => {
  it('round-trips shapes with their counts', () => {
    const nodeFree = [{ ...resources(4000, 16), count: 100 }, { ...resources(1000, 2), count: 3 }]
    const doc = edit(newSiteDoc(S), (d) => { putCluster(d, cluster(S, 'c1', { nodeFree })) })
    expect(getCluster(doc, 'c1')?.nodeFree).toEqual(nodeFree)
  })

  it('loads a record written before counts, one entry per node', () => {
    const old = [resources(4000, 16), resources(3000, 12)]
    const doc = edit(newSiteDoc(S), (d) => { putCluster(d, cluster(S, 'c1', { nodeFree: old })) })
    const read = getCluster(doc, 'c1')?.nodeFree
    expect(read).toEqual(old)
    expect(read?.every((n) => n.count === undefined)).toBe(true)
  })

  it.each([0, -1, 1.5, '3'])('refuses a count of %j as malformed, naming the field', (count) => {
    const doc = edit(newSiteDoc(S), (d) => { putCluster(d, cluster(S, 'c1', { nodeFree: [{ ...resources(4000, 16), count: count as number }] })) })
    let error: unknown
    try { getCluster(doc, 'c1') } catch (e) { error = e }
    expect(isFlotillaError(error, 'malformed')).toBe(true)
    expect((error as Error).message).toMatch(/nodeFree\[0\]\.count' must be a positive integer/)
  })
})
