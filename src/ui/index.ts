/**
 * Public surface of the dashboard (layer 5): the HTTP server each site runs for its live
 * dashboard and Prometheus `/metrics`, the JSON shapes its endpoints answer with, and
 * the exposition writer (for other surfaces that export metrics).
 */
export { createDashboardServer, type DashboardServer, type DashboardServerOptions } from './server.ts'
export type { LiveUpdateSettings } from './live-updates.ts'
export type * from './dashboard-types.ts'
export {
  escapeHelp, escapeLabelValue, EXPOSITION_CONTENT_TYPE, formatValue, histogramSamples, renderExposition,
  type MetricFamily, type MetricType, type Sample
} from './metrics/exposition.ts'
export { createLatencyHistogram, DEFAULT_LATENCY_BOUNDS, type LatencyHistogram } from './metrics/histogram.ts'
