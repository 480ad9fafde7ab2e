/**
 * The simulated federation: the engine and its trace, the root seed, the network fabric,
 * and N sites of the real core (`createSite`), each with its own clock view (skew and
 * drift), memory disk, member clusters and a stream of the seed. Sites boot, crash
 * (a power cut: the clock view halts, the disk loses what was not durable, the network
 * drops the site) and restart (a new network via `join`, the reopened disk, `createSite`
 * again) through this module only, and every such step is told to the observers through
 * hooks — the invariants, the Byzantine wrappers and the report attach there.
 */
import { createHash } from 'node:crypto'
import { FlotillaError } from '../../src/model/errors.ts'
import type { RosterMember } from '../../src/model/federation.ts'
import { createSigner, createVerifier, keyPairFromSeed, type KeyPair, type Verify } from '../../src/identity/keys.ts'
import { peerIdFromPublicKey } from '../../src/identity/peer-id.ts'
import type { Network, PeerId } from '../../src/ports/network.ts'
import { randomInt } from '../../src/ports/rng.ts'
import { createSite, type Site } from '../../src/site/site.ts'
import { createSeededRng, type SeededRng } from '../engine/seeded-rng.ts'
import { createTrace, type Trace } from '../engine/trace.ts'
import { createVirtualClock, type SiteClock, type VirtualClock } from '../engine/virtual-clock.ts'
import { createSimNetwork, regionalLinks, type SimNetworkFabric } from '../network/index.ts'
import { createMemoryStorage, type MemoryStorage } from '../storage/memory-storage.ts'
import type { MemoryClusterDriver } from '../cluster/index.ts'
import { clusterDriverFor, createSiteClusters, setClusterDown, type SimCluster } from './clusters.ts'
import { REGION_NAMES, type ScenarioOptions } from './options.ts'
import { createLogSink, createSimLogger, type LogSink } from './sim-logger.ts'
import { createTimeline, type Timeline } from './timeline.ts'

export type SiteState = 'down' | 'booting' | 'up'

export interface SimSite {
  index: number
  id: string
  region: string
  zone: string
  keys: KeyPair
  publicKeyHex: string
  peer: PeerId
  honest: boolean
  rng: SeededRng
  clusters: SimCluster[]
  /** The disk; a new handle after every crash. */
  disk: MemoryStorage
  /** The current process's clock view (halted when it crashed). */
  clock: SiteClock | undefined
  /** The running core, while up. */
  site: Site | undefined
  drivers: MemoryClusterDriver[]
  state: SiteState
  /** Starts so far; a crash during a boot is recognised by this changing. */
  incarnation: number
  /** True time the site last came up. */
  upSinceMs: number
  /** True time the site last went down. */
  downSinceMs: number
  skewMs: number
  driftPpm: number
  /** Whether the site's clusters are dark (site loss). */
  lost: boolean
}

export interface WorldHooks {
  /** A new Network for a (re)starting site; Byzantine sites wrap it. */
  wrapNetwork?: (s: SimSite, net: Network) => Network
  /** A new driver for a (re)starting site's cluster; lying sites set its lies. */
  wrapDriver?: (s: SimSite, c: SimCluster, driver: MemoryClusterDriver) => void
  /** The core was created (not started yet). */
  created?: (s: SimSite, site: Site) => void
  up?: (s: SimSite, site: Site) => void
  down?: (s: SimSite, cause: 'crash' | 'site-loss') => void
}

export interface World {
  readonly options: ScenarioOptions
  readonly engine: VirtualClock
  readonly trace: Trace
  readonly rng: SeededRng
  readonly fabric: SimNetworkFabric
  readonly sites: readonly SimSite[]
  readonly roster: readonly RosterMember[]
  readonly timeline: Timeline
  readonly logs: LogSink
  /** Failures of the simulator itself (a boot that threw): reported, never hidden. */
  readonly internalErrors: string[]
  now (): number
  siteById (id: string): SimSite | undefined
  siteByPeer (peer: PeerId): SimSite | undefined
  addHooks (hooks: WorldHooks): void
  /** Boots a site that is down (its first start, or a restart). Returns when it is up, or failed to come up. */
  boot (s: SimSite): Promise<void>
  /** Power cut of the site's process; with `loseClusters`, its clusters go dark too (site loss). */
  crash (s: SimSite, loseClusters?: boolean): void
  /** Brings a lost site's clusters back (before its process restarts). */
  restoreClusters (s: SimSite): void
  /** Records that the network cuts (at least one direction of) the link between two sites, or no longer does; kept by the fault injector. */
  setBlocked (a: SimSite, b: SimSite, blocked: boolean): void
  /** Removes every recorded cut (a heal). */
  clearBlocked (): void
  /** Whether some direction of the link between two sites is cut. */
  isBlocked (a: SimSite, b: SimSite): boolean
}

function pad (i: number, n: number): string {
  return String(i).padStart(String(n - 1).length, '0')
}

export function createWorld (options: ScenarioOptions): World {
  const trace = createTrace({ keep: 0 })
  const engine = createVirtualClock({ trace })
  const rng = createSeededRng(options.seed)
  const timeline = createTimeline(trace)
  const logs = createLogSink()
  const internalErrors: string[] = []
  const link = {
    loss: options.network.loss,
    duplicate: options.network.duplicate,
    reorder: options.network.reorder,
    ...(options.network.bandwidthMbps > 0 ? { bandwidthBytesPerSec: options.network.bandwidthMbps * 125_000 } : {})
  }
  const fabric = createSimNetwork({
    clock: engine,
    rng: rng.fork('network'),
    linkBetween: regionalLinks({ sameRegion: link, crossRegion: link }),
    logger: createSimLogger(logs, 'network', () => engine.nowMs())
  })
  const hooks: WorldHooks[] = []
  const verify = memoVerifier()
  const byzantineFrom = options.sites - options.faults.byzantine

  const sites: SimSite[] = []
  for (let i = 0; i < options.sites; i++) {
    const id = `s${pad(i, options.sites)}`
    const region = REGION_NAMES[i % options.regions] as string
    const zone = `${region}-${String.fromCharCode(97 + (Math.floor(i / options.regions) % 3))}`
    const siteRng = rng.fork(`site-${id}`)
    const keys = keyPairFromSeed(siteRng.fork('key').bytes(32))
    const clockRng = siteRng.fork('clock')
    const skewed = options.faults.kinds.includes('skew')
    sites.push({
      index: i,
      id,
      region,
      zone,
      keys,
      publicKeyHex: createSigner(keys).publicKeyHex,
      peer: peerIdFromPublicKey(keys.publicKey),
      honest: i < byzantineFrom,
      rng: siteRng,
      clusters: createSiteClusters({ siteId: id, siteIndex: i, region, zone, options: options.clusters, clock: engine, rng: siteRng.fork('clusters') }),
      disk: createMemoryStorage({ clock: engine, latencyMs: diskLatency(siteRng.fork('disk'), 1, 8), rng: siteRng.fork('disk-faults'), name: id }),
      clock: undefined,
      site: undefined,
      drivers: [],
      state: 'down',
      incarnation: 0,
      upSinceMs: -Infinity,
      downSinceMs: 0,
      skewMs: skewed ? randomInt(clockRng, -3_000, 3_000) : randomInt(clockRng, -200, 200),
      driftPpm: randomInt(clockRng, -100, 100),
      lost: false
    })
  }
  const roster: RosterMember[] = sites.map((s) => ({ siteId: s.id, publicKey: s.publicKeyHex, region: s.region }))
  const members = new Set<PeerId>(sites.map((s) => s.peer))
  const byPeer = new Map(sites.map((s) => [s.peer, s]))
  const byId = new Map(sites.map((s) => [s.id, s]))

  const blocked = new Set<number>()
  const pairIndex = (a: SimSite, b: SimSite): number => a.index < b.index ? a.index * sites.length + b.index : b.index * sites.length + a.index
  const each = (fn: (h: WorldHooks) => void): void => { for (const h of hooks) fn(h) }

  async function boot (s: SimSite): Promise<void> {
    if (s.state !== 'down') return
    s.state = 'booting'
    const incarnation = ++s.incarnation
    const processRng = s.rng.fork(`process-${incarnation}`)
    const clock = engine.view({ wallSkewMs: s.skewMs, driftPpm: s.driftPpm, monotonicOriginMs: 1_000_000 + randomInt(processRng, 0, 1_000_000_000) })
    s.clock = clock
    let network: Network = fabric.join(s.peer, { region: s.region, isMember: (p) => members.has(p) })
    for (const h of hooks) if (h.wrapNetwork !== undefined) network = h.wrapNetwork(s, network)
    const logger = createSimLogger(logs, s.id, () => engine.nowMs())
    const drivers = s.clusters.map((c) => {
      const d = clusterDriverFor(c, clock, logger)
      for (const h of hooks) h.wrapDriver?.(s, c, d)
      return d
    })
    s.drivers = drivers
    const o = options
    try {
      const site = await createSite({
        siteId: s.id,
        region: s.region,
        zone: s.zone,
        keys: s.keys,
        roster,
        limits: { maxFrameBytes: 4 * 1024 * 1024, maxChangeBytes: 1 << 20, maxChangeOps: 100_000, changesPerSecond: 2_000, maxPendingChanges: 10_000, maxConcurrentStreams: 16 },
        failover: o.failover,
        clusters: s.clusters.map((c, i) => ({ settings: c.settings, driver: drivers[i] as MemoryClusterDriver })),
        clock,
        rng: processRng.fork('core'),
        storage: s.disk,
        network,
        logger,
        verify,
        tickMs: o.tickMs,
        antiEntropyMs: o.antiEntropyMs
      })
      if (s.incarnation !== incarnation || s.state !== 'booting') return
      each((h) => h.created?.(s, site))
      await site.start()
      if (s.incarnation !== incarnation || s.state !== 'booting') return
      s.site = site
      s.state = 'up'
      s.upSinceMs = engine.nowMs()
      each((h) => h.up?.(s, site))
    } catch (e) {
      // A crash during the boot kills its disk writes; anything else is a simulator or core bug.
      if (s.incarnation === incarnation && s.state === 'booting') {
        internalErrors.push(`site ${s.id} failed to start (incarnation ${incarnation}) at ${engine.nowMs()} ms: ${(e as Error).stack ?? String(e)}`)
        s.state = 'down'
      }
    }
  }

  function crash (s: SimSite, loseClusters = false): void {
    if (s.state === 'down') return
    s.state = 'down'
    s.site = undefined
    // The process is gone: its drivers must not act on the clusters any more (a zombie
    // reconciler would fight its successor). Stopping changes nothing in the cluster.
    for (const d of s.drivers) void d.stop()
    s.drivers = []
    s.downSinceMs = engine.nowMs()
    s.clock?.halt()
    fabric.leave(s.peer)
    s.disk.crash()
    s.disk = s.disk.reopen()
    if (loseClusters) {
      s.lost = true
      for (const c of s.clusters) setClusterDown(c, true)
    }
    each((h) => h.down?.(s, loseClusters ? 'site-loss' : 'crash'))
  }

  return {
    options,
    engine,
    trace,
    rng,
    fabric,
    sites,
    roster,
    timeline,
    logs,
    internalErrors,
    now: () => engine.nowMs(),
    siteById: (id) => byId.get(id),
    siteByPeer: (peer) => byPeer.get(peer),
    addHooks (h) { hooks.push(h) },
    boot,
    crash,
    restoreClusters (s) {
      if (!s.lost) return
      s.lost = false
      for (const c of s.clusters) setClusterDown(c, false)
    },
    setBlocked (a, b, value) {
      if (value) blocked.add(pairIndex(a, b))
      else blocked.delete(pairIndex(a, b))
    },
    clearBlocked () { blocked.clear() },
    isBlocked: (a, b) => blocked.has(pairIndex(a, b))
  }
}

/**
 * One verifier for every simulated site, remembering verdicts: a heartbeat or change is
 * verified once, not once per receiver and path. A verdict is a pure function of its
 * inputs (all of them are compared on a hit), so this changes no outcome and no trace.
 * Verdicts are filed by the first six bytes of the signature, as good as unique and a
 * number (no string is built per check); the whole signature is compared on a hit, and
 * other inputs under the same key are kept side by side.
 */
function memoVerifier (limit = 200_000): Verify {
  const real = createVerifier()
  const verdicts = new Map<number, Array<{ publicKey: Buffer, context: string, message: Buffer, signature: Buffer, valid: boolean }>>()
  const keyOf = (b: Uint8Array): number => b.byteLength < 6
    ? -1 - b.byteLength
    : b[0]! + 256 * (b[1]! + 256 * (b[2]! + 256 * (b[3]! + 256 * (b[4]! + 256 * b[5]!))))
  return (publicKey, context, message, signature) => {
    const key = keyOf(signature)
    const known = verdicts.get(key)
    if (known !== undefined) {
      for (const k of known) {
        if (k.context === context && k.signature.equals(signature) && k.publicKey.equals(publicKey) && k.message.equals(message)) return k.valid
      }
    }
    const valid = real(publicKey, context, message, signature)
    if (verdicts.size >= limit) verdicts.clear()
    const entry = { publicKey: Buffer.from(publicKey), context, message: Buffer.from(message), signature: Buffer.from(signature), valid }
    const list = verdicts.get(key)
    if (list === undefined) verdicts.set(key, [entry])
    else {
      // one signature over many messages is an attack pattern: keep the newest few
      if (list.length >= 16) list.shift()
      list.push(entry)
    }
    return valid
  }
}

/** A sampler of per-batch write latency between `lo` and `hi` ms. */
export function diskLatency (rng: SeededRng, lo: number, hi: number): () => number {
  return () => lo + rng.nextFloat() * (hi - lo)
}

/** A short stable digest for traces. */
export function shortDigest (text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}

/** The site named `id`, or `s<index>` in any zero padding (scenarios name `s1` whatever the site count). */
export function mustSite (world: World, id: string): SimSite {
  const m = /^s(\d+)$/.exec(id)
  const s = world.siteById(id) ?? (m === null ? undefined : world.sites[Number(m[1])])
  if (s === undefined) throw new FlotillaError('not-found', `no simulated site ${id}`, 'Name a site of the run (s0, s1, ...).')
  return s
}
