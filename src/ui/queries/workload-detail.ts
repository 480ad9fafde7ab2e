/**
 * One workload in full for the detail panel: its row, aggregated status, every site's
 * binding, the share status per cluster, where this site believes it runs now and the
 * scheduler's explanation. A local-only workload's manifest is withheld: the dashboard
 * has no roles, and local-only records are for the site's auditor (through the API).
 */
import { aggregateStatus } from '../../controllers/decisions/index.ts'
import { FlotillaError } from '../../model/errors.ts'
import type { SiteHandle } from '../../site/site-handle.ts'
import type { WorkloadDetailJson } from '../dashboard-types.ts'
import type { WorkloadIndex } from './workload-index.ts'

export const LOCAL_ONLY_WITHHELD = 'local-only record: read it through the API with the auditor role'

export function workloadDetail (site: Pick<SiteHandle, 'view' | 'localWorkloads' | 'placement' | 'explain'>, index: WorkloadIndex, key: string): WorkloadDetailJson {
  const indexed = index.find(key)
  if (indexed === undefined) {
    throw new FlotillaError('not-found', `workload "${key}" is not in this site's view`, 'Check the key (group/kind/namespace/name); it may have been deleted.', { details: { key } })
  }
  const effective = site.placement(key)
  const explain = site.explain(key)
  const common = { row: indexed.row, ...(effective === undefined ? {} : { effective }), ...(explain === undefined ? {} : { explain }) }
  const w = site.view().workloads.find((x) => x.key === key)
  if (w === undefined) {
    const local = site.localWorkloads().find((r) => r.key === key)
    return { ...common, generation: local?.generation ?? 0, updatedAt: local?.updatedAt ?? 0, bindings: [], shares: [], manifestWithheld: LOCAL_ONLY_WITHHELD }
  }
  return {
    ...common, generation: w.generation, updatedAt: w.updatedAt,
    status: aggregateStatus(w, w.bindings, w.shares), bindings: w.bindings, shares: w.shares, manifest: w.manifest
  }
}
