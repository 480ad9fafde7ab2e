/**
 * Deploys the sample application through a site's Kubernetes-compatible API with the
 * admin kubeconfig, as `kubectl apply --server-side` would: policies first, then the
 * workloads. Idempotent and respectful of the user's changes: an object the site
 * already holds is left as it is (a user who scaled `web` keeps the scale), so a second
 * `npm start` applies nothing and reports what was already there.
 */
import type { SiteClient } from '../cli/client/site-client.ts'
import { isFlotillaError } from '../model/errors.ts'
import type { SampleObject } from './sample.ts'

export interface DeployReport {
  /** Labels of objects applied now (`deployment.apps/web`). */
  applied: string[]
  /** Labels of objects the site already held. */
  present: string[]
}

/** Field manager recorded on the applied fields (kubectl shows it in managedFields). */
export const DEMO_FIELD_MANAGER = 'flotilla-demo'

async function exists (client: SiteClient, path: string): Promise<boolean> {
  try {
    await client.get(path)
    return true
  } catch (e) {
    if (isFlotillaError(e, 'not-found')) return false
    throw e
  }
}

/** Applies `o` unless the site holds it already; says which. */
async function ensure (client: SiteClient, o: SampleObject): Promise<'applied' | 'present'> {
  if (await exists(client, o.path)) return 'present'
  await client.request('PATCH', o.path, {
    query: { fieldManager: DEMO_FIELD_MANAGER },
    body: o.manifest,
    contentType: 'application/apply-patch+yaml'
  })
  return 'applied'
}

export async function deploySample (client: SiteClient, objects: readonly SampleObject[]): Promise<DeployReport> {
  const report: DeployReport = { applied: [], present: [] }
  // Policies go first, so each workload is placed as soon as it is stored; within a
  // group the objects are independent and go together.
  for (const group of [objects.filter((o) => !o.workload), objects.filter((o) => o.workload)]) {
    const outcomes = await Promise.all(group.map(async (o) => await ensure(client, o)))
    group.forEach((o, i) => { report[outcomes[i]!].push(o.label) })
  }
  return report
}
