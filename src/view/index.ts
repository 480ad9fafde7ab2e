/**
 * The global view: `buildView` (pure, from documents) and `createViewCache` (the same
 * result, incrementally). See src/model/view.ts for the view's shape.
 */
export { buildView } from './build-view.ts'
export { createViewCache, type ViewCache, type ViewCacheStats } from './view-cache.ts'
export type { ViewDocument, ViewDocuments } from './documents.ts'
