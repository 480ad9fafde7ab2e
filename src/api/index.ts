/**
 * Public surface of the site's Kubernetes-compatible API (layer 5): the HTTPS server
 * and the pieces a caller may want to inspect (the resource table, the error table).
 */
export { createApiServer, type ApiServer, type ApiServerOptions } from './server.ts'
export { API_RESOURCES, type ApiResource } from './resources.ts'
export { ERROR_STATUS, statusOf, type ApiStatus } from './status-table.ts'
export { readsLocalOnly, type Identity } from './auth.ts'
