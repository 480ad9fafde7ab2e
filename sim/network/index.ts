/** The simulator's network model: the fabric, link models and latency distributions. */
export { createSimNetwork } from './sim-network.ts'
export type { JoinOptions, OutboundFrame, OutboundInterceptor, OutboundObserver, SimNetworkFabric, SimNetworkOptions, SimNetworkStats } from './sim-network.ts'
export { defaultLinkModel, regionalLinks, resolveLinkModel } from './link-model.ts'
export type { LinkModel, RegionalLinksOptions, SimSiteInfo } from './link-model.ts'
export { sampleLatency } from './latency.ts'
export type { LatencyModel } from './latency.ts'
