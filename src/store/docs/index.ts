/**
 * The typed replicated documents: layout, writers (inside `Automerge.change`) and
 * readers for the site document and the federation document. See site-doc.ts for the
 * site document's layout and federation-doc.ts for the federation document's.
 */
export { BUCKETS, bucketOf, fnv1a32 } from './bucket.ts'
export { canonicalJson } from './canonical-json.ts'
export {
  FEDERATION_DOC_ID, FEDERATION_SCHEMA_VERSION, SITE_SCHEMA_VERSION, parseDocId, schemaState, siteDocId, type ParsedDocId
} from './schema.ts'
export { getSiteInfo, initSiteDoc, putSiteInfo, writerSite, type Entry, type SiteDoc } from './site-doc.ts'
export { deleteCluster, getCluster, listClusters, putCluster } from './site-clusters.ts'
export { deleteStub, deleteWorkload, getStub, getWorkload, listStubs, listWorkloads, putStub, putWorkload } from './site-workloads.ts'
export { deletePolicy, getPolicy, listPolicies, policyKey, putPolicy } from './site-policies.ts'
export {
  deleteBinding, deleteShare, getBinding, getShare, listBindings, listShares, putBinding, putShare, sameDecision
} from './site-placement.ts'
export {
  INSPECTION_HISTORY, deleteInspectionTarget, getInspectionHistory, listInspections, recordInspection,
  type InspectionHistory, type RecordInspectionOptions
} from './site-inspections.ts'
export { EVIDENCE_LIMIT, listEvidence, recordEvidence } from './site-evidence.ts'
export { EVENT_RING, appendEvent, listEvents, type NewEvent } from './site-events.ts'
export {
  deleteSetting, getSettings, initFederationDoc, listMembers, putMember, putSetting, readFederation, removeMember,
  type FederationContents, type FederationDoc
} from './federation-doc.ts'
