/**
 * What one directed link between two simulated sites does to a frame: delay, loss,
 * duplication, and a bandwidth limit with a bounded serialisation queue. Links are
 * resolved from defaults, then a per-pair function (e.g. by region), then explicit
 * overrides.
 */
import { FlotillaError } from '../../src/model/errors.ts'
import type { PeerId } from '../../src/ports/network.ts'
import { checkLatency, type LatencyModel } from './latency.ts'

export interface LinkModel {
  latency: LatencyModel
  /** Probability that a frame is lost. */
  loss: number
  /** Probability that a frame arrives twice. */
  duplicate: number
  /**
   * Probability that a frame may overtake frames sent before it on the link (its own
   * latency, not held behind theirs). 0 (default): a link delivers in the order it was
   * given frames, as one TCP connection does for every libp2p stream on it; 1: every
   * frame's latency is independent, so jitter reorders them.
   */
  reorder: number
  /** Serialisation rate; Infinity for none. */
  bandwidthBytesPerSec: number
  /** Bytes that may wait for serialisation before new frames are dropped (the sender's bounded queue). */
  queueBytes: number
}

export interface SimSiteInfo {
  peer: PeerId
  region: string
}

export const defaultLinkModel: LinkModel = {
  latency: { kind: 'uniform', minMs: 1, maxMs: 5 },
  loss: 0,
  duplicate: 0,
  reorder: 0,
  bandwidthBytesPerSec: Infinity,
  queueBytes: 16 * 1024 * 1024
}

export function resolveLinkModel (...layers: Array<Partial<LinkModel> | undefined>): LinkModel {
  const m: LinkModel = Object.assign({}, defaultLinkModel, ...layers.filter((l) => l !== undefined)) as LinkModel
  const bad = (field: string, rule: string, value: unknown): never => {
    throw new FlotillaError('input-invalid', `'${field}' ${rule}: received ${String(value)}`, 'Fix the simulated link model.')
  }
  checkLatency(m.latency)
  if (!(m.loss >= 0 && m.loss <= 1)) bad('loss', 'must be a probability between 0 and 1', m.loss)
  if (!(m.duplicate >= 0 && m.duplicate <= 1)) bad('duplicate', 'must be a probability between 0 and 1', m.duplicate)
  if (!(m.reorder >= 0 && m.reorder <= 1)) bad('reorder', 'must be a probability between 0 and 1', m.reorder)
  if (!(m.bandwidthBytesPerSec > 0)) bad('bandwidthBytesPerSec', 'must be positive (Infinity for unlimited)', m.bandwidthBytesPerSec)
  if (!(m.queueBytes > 0)) bad('queueBytes', 'must be positive', m.queueBytes)
  return m
}

export interface RegionalLinksOptions {
  /** Within a region. Default uniform 1–5 ms. */
  sameRegion?: Partial<LinkModel>
  /** Between regions. Default log-normal, median 90 ms, between 50 and 150 ms. */
  crossRegion?: Partial<LinkModel>
}

/** A `linkBetween` function for `createSimNetwork`: fast inside a region, WAN-like across. */
export function regionalLinks (o: RegionalLinksOptions = {}): (from: SimSiteInfo, to: SimSiteInfo) => Partial<LinkModel> {
  const same: Partial<LinkModel> = { latency: { kind: 'uniform', minMs: 1, maxMs: 5 }, ...o.sameRegion }
  const cross: Partial<LinkModel> = { latency: { kind: 'lognormal', medianMs: 90, sigma: 0.3, minMs: 50, maxMs: 150 }, ...o.crossRegion }
  return (from, to) => from.region === to.region ? same : cross
}
