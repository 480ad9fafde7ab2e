/**
 * Typed reads of a site's Flotilla routes (`/apis/flotilla.io/v1/...`, served by
 * src/api/flotilla-routes.ts): status, events, evidence, bindings, explanations and the
 * compliance report. Only types come from the server module, so the CLI does not load
 * the server (or Automerge) to print a status.
 */
import type {
  BindingListBody, ComplianceBody, EventListBody, EvidenceListBody, ExplanationBody, FlotillaDocument, SiteStatusBody
} from '../../api/flotilla-routes.ts'
import { FlotillaError, isFlotillaError } from '../../model/errors.ts'
import type { RequestOptions, SiteClient } from './site-client.ts'

export const FLOTILLA_ROUTES_PREFIX = '/apis/flotilla.io/v1'

export type Answer<T> = FlotillaDocument & T

function notAFlotillaSite (c: SiteClient, path: string, what: string): FlotillaError {
  return new FlotillaError('unsupported-version', `the server at ${c.connection.server} does not serve ${path} (${what}): it is not a Flotilla site, or one older than this CLI`,
    'Point --kubeconfig (or --site) at a Flotilla site\'s API, whose kubeconfigs are under <dataDir>/pki/kubeconfigs/, or upgrade the site.')
}

/**
 * GETs a Flotilla route and checks the answer is the document asked for. A 404 means
 * the server lacks the route (another Kubernetes API, an older site) unless the route
 * names an object (`explain/<key>`), where it means the object is unknown.
 */
async function fetchDocument<T> (c: SiteClient, route: string, kind: string, query?: RequestOptions['query'], notFoundIsObject = false): Promise<Answer<T>> {
  const path = `${FLOTILLA_ROUTES_PREFIX}/${route}`
  let body: unknown
  try {
    body = await c.get(path, query)
  } catch (e) {
    if (!notFoundIsObject && isFlotillaError(e, 'not-found')) throw notAFlotillaSite(c, path, 'HTTP 404')
    throw e
  }
  const doc = body as Partial<FlotillaDocument> | undefined
  if (typeof doc !== 'object' || doc === null || doc.apiVersion !== 'flotilla.io/v1' || doc.kind !== kind) throw notAFlotillaSite(c, path, `expected a ${kind}`)
  return body as Answer<T>
}

export function fetchStatus (c: SiteClient): Promise<Answer<SiteStatusBody>> {
  return fetchDocument(c, 'status', 'SiteStatus')
}

export interface EventQuery {
  sinceSeconds?: number
  sinceTime?: string
  limit?: number
  scope?: 'site' | 'federation'
}

export function fetchEvents (c: SiteClient, q: EventQuery = {}): Promise<Answer<EventListBody>> {
  return fetchDocument(c, 'events', 'EventList', { ...q })
}

export function fetchEvidence (c: SiteClient): Promise<Answer<EvidenceListBody>> {
  return fetchDocument(c, 'evidence', 'EvidenceList')
}

export function fetchBindings (c: SiteClient, workload?: string): Promise<Answer<BindingListBody>> {
  return fetchDocument(c, 'bindings', 'BindingList', { workload })
}

export function fetchExplanation (c: SiteClient, key: string): Promise<Answer<ExplanationBody>> {
  return fetchDocument(c, `explain/${encodeURIComponent(key)}`, 'Explanation', undefined, true)
}

export function fetchCompliance (c: SiteClient): Promise<Answer<ComplianceBody>> {
  return fetchDocument(c, 'compliance', 'ComplianceReport')
}
