/**
 * The active Byzantine behaviours: each is a loop on the Byzantine site's own clock view
 * (so a crash stops it) that crafts frames and puts them on its own authenticated
 * connections with the fabric's `inject`, or writes lies into its own document through
 * its own (honest) store. Passive behaviours — withholding, selective forwarding, not
 * relaying a victim's heartbeats — live in the outbound filter (`outboundFilter`).
 */
import * as A from '@automerge/automerge'
import { createHash } from 'node:crypto'
import { createSigner, type Signer } from '../../src/identity/keys.ts'
import { clusterId, type Binding } from '../../src/model/federation.ts'
import type { Clock } from '../../src/ports/clock.ts'
import type { OutboundFrame } from '../network/index.ts'
import { randomInt } from '../../src/ports/rng.ts'
import type { Site } from '../../src/site/site.ts'
import { signHeartbeat } from '../../src/liveness/heartbeat.ts'
import { buildBloom } from '../../src/replication/bloom.ts'
import { encodeDirect, encodeGossip } from '../../src/replication/messages.ts'
import type { SignedChange } from '../../src/store/log/envelope.ts'
import {
  appendEvent, listClusters, putBinding, putCluster, putWorkload, siteDocId, type SiteDoc
} from '../../src/store/docs/index.ts'
import type { SeededRng } from '../engine/seeded-rng.ts'
import type { SimSite, World } from '../runner/world.ts'
import type { ByzantineBehaviour } from './behaviour.ts'
import { actorFor, craftChange, forgedEnvelope, selfSignedEnvelope } from './forgery.ts'

/** What the Byzantine site captured of others' traffic, for replays. */
export interface Captured {
  directFrames: Uint8Array[]
  heartbeats: Uint8Array[]
  gossip: Array<{ origin: OutboundFrame['from'], seq: number, payload: Uint8Array }>
}

export interface AttackContext {
  world: World
  self: SimSite
  site: Site
  clock: Clock
  rng: SeededRng
  captured: Captured
  /** Counts an attack action, for the run's stats. */
  count (what: string, n?: number): void
  /** True time after which this behaviour may act and before which it must stop. */
  window: { fromMs: number, untilMs: number }
  /** Message ids for this site's own injected gossip, apart from the ones its network numbers. */
  nextGossipSeq (): number
}

function honestOthers (ctx: AttackContext): SimSite[] {
  return ctx.world.sites.filter((s) => s.id !== ctx.self.id && s.honest)
}

function connected (ctx: AttackContext): SimSite[] {
  return ctx.world.sites.filter((s) => s.id !== ctx.self.id && ctx.world.fabric.isConnected(ctx.self.peer, s.peer))
}

function send (ctx: AttackContext, to: SimSite, payload: Uint8Array): boolean {
  return ctx.world.fabric.inject({ kind: 'direct', from: ctx.self.peer, to: to.peer, payload })
}

/** Publishes as itself (its own origin): authentic, but the content may be anything. */
function gossip (ctx: AttackContext, payload: Uint8Array): void {
  const seq = ctx.nextGossipSeq()
  for (const to of connected(ctx)) ctx.world.fabric.inject({ kind: 'broadcast', from: ctx.self.peer, to: to.peer, origin: ctx.self.peer, seq, payload })
}

function pick<T> (rng: SeededRng, items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[randomInt(rng, 0, items.length - 1)]
}

function pushFrame (docId: string, changes: SignedChange[]): Uint8Array {
  return encodeDirect({ type: 'changes', session: 0, docId, changes, more: false, toResponder: false })
}

/**
 * `change` (a change with bits flipped) with its checksum made right again and signed
 * by `signer`, if Automerge refuses it: a roster member's signed bytes that pass the
 * header check but are no change. Undefined if it still decodes or its header breaks.
 */
function undecodableResigned (change: Uint8Array, docId: string, signer: Signer): SignedChange | undefined {
  if (change.length < 9) return undefined
  const fixed = change.slice()
  fixed.set(createHash('sha256').update(fixed.subarray(8)).digest().subarray(0, 4), 4)
  try {
    A.decodeChange(fixed)
    return undefined
  } catch {
    return selfSignedEnvelope(docId, fixed, signer)
  }
}

/** Runs `act` at random intervals of `meanMs` within the window, on the site's own clock. */
function loop (ctx: AttackContext, meanMs: number, act: () => void): void {
  const next = (): void => {
    const gap = meanMs * (0.5 + ctx.rng.nextFloat())
    ctx.clock.setTimer(gap, () => {
      const now = ctx.world.now()
      if (now >= ctx.window.untilMs) return
      if (now >= ctx.window.fromMs) act()
      next()
    })
  }
  next()
}

function victimDoc (ctx: AttackContext): { victim: SimSite, doc: A.Doc<SiteDoc> } | undefined {
  const victim = pick(ctx.rng, honestOthers(ctx))
  if (victim === undefined) return undefined
  const doc = ctx.site.store.document<SiteDoc>(siteDocId(victim.id))
  return doc === undefined ? undefined : { victim, doc }
}

/** A lie about the victim's document: its first cluster NotReady, or a workload it never created. */
function lieAbout (victim: SimSite, doc: A.Doc<SiteDoc>, rng: SeededRng, now: number): (d: SiteDoc) => void {
  const cluster = listClusters(doc)[0]
  if (cluster !== undefined && rng.nextFloat() < 0.6) {
    return (d) => { putCluster(d, { ...cluster, health: 'NotReady', healthSince: now, nodes: { total: cluster.nodes.total, ready: 0 } }) }
  }
  const name = `forged-${randomInt(rng, 1, 1_000_000)}`
  return (d) => {
    putWorkload(d, {
      key: `apps/Deployment/default/${name}`, origin: victim.id, residency: { kind: 'global' }, stateless: true, generation: 1, updatedAt: now,
      manifest: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default' }, spec: { replicas: 2, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'x', image: 'evil.example/miner:1' }] } } } }
    })
  }
}

const attacks: Partial<Record<ByzantineBehaviour, (ctx: AttackContext) => void>> = {
  forge (ctx) {
    const signer = createSigner(ctx.self.keys)
    loop(ctx, 4_000, () => {
      const target = victimDoc(ctx)
      if (target === undefined) return
      const { victim, doc } = target
      const change = craftChange(doc, actorFor(victim.publicKeyHex, ctx.rng), Math.floor(ctx.clock.wallMs() / 1000), 'controller tick', lieAbout(victim, doc, ctx.rng, ctx.clock.wallMs()))
      if (change === undefined) return
      const frame = pushFrame(siteDocId(victim.id), [forgedEnvelope(siteDocId(victim.id), change, victim.publicKeyHex, ctx.rng)])
      for (const to of connected(ctx)) if (to.id !== victim.id) send(ctx, to, frame)
      // A heartbeat in the victim's name, signed with the wrong key.
      const hb = signHeartbeat(signer, { siteId: victim.id, counter: 2 ** 40 + randomInt(ctx.rng, 0, 1_000_000), wallMs: ctx.clock.wallMs(), headsDigest: '00'.repeat(16) })
      for (const to of connected(ctx)) send(ctx, to, encodeDirect({ type: 'heartbeat', payload: hb }))
      gossip(ctx, encodeGossip({ type: 'heartbeat', payload: hb }))
      ctx.count('forged changes')
    })
  },

  'foreign-write' (ctx) {
    const signer = createSigner(ctx.self.keys)
    loop(ctx, 5_000, () => {
      const target = victimDoc(ctx)
      if (target === undefined) return
      const { victim, doc } = target
      const change = craftChange(doc, actorFor(ctx.self.publicKeyHex, ctx.rng), Math.floor(ctx.clock.wallMs() / 1000), 'controller tick', lieAbout(victim, doc, ctx.rng, ctx.clock.wallMs()))
      if (change === undefined) return
      const docId = ctx.rng.nextFloat() < 0.8 ? siteDocId(victim.id) : 'site:nobody'
      const frame = pushFrame(docId, [selfSignedEnvelope(docId, change, signer)])
      for (const to of connected(ctx)) send(ctx, to, frame)
      ctx.count('foreign writes')
    })
  },

  equivocate (ctx) {
    const signer = createSigner(ctx.self.keys)
    // Late in the window: once caught, honest sites refuse this site for a day.
    const span = ctx.window.untilMs - ctx.window.fromMs
    const late: AttackContext = { ...ctx, window: { fromMs: ctx.window.fromMs + Math.floor(span * 0.6), untilMs: ctx.window.untilMs } }
    loop(late, 6_000, () => {
      const own = siteDocId(ctx.self.id)
      const doc = ctx.site.store.document<SiteDoc>(own)
      if (doc === undefined) return
      const at = ctx.clock.wallMs()
      const variant = (tag: string): Uint8Array | undefined => craftChange(doc, ctx.site.store.actor, Math.floor(at / 1000), 'controller tick',
        (d) => { appendEvent(d, { kind: 'info', at, subject: `status ${tag}`, cause: `variant ${tag} ${randomInt(ctx.rng, 1, 1_000_000)}` }) })
      const a = variant('a')
      const b = variant('b')
      if (a === undefined || b === undefined) return
      const peers = connected(ctx)
      peers.forEach((to, i) => { send(ctx, to, pushFrame(own, [selfSignedEnvelope(own, i % 2 === 0 ? a : b, signer)])) })
      ctx.count('equivocations')
    })
  },

  replay (ctx) {
    loop(ctx, 3_000, () => {
      const peers = connected(ctx)
      const old = pick(ctx.rng, ctx.captured.directFrames)
      if (old !== undefined) for (const to of peers) send(ctx, to, old)
      const hb = pick(ctx.rng, ctx.captured.heartbeats)
      if (hb !== undefined) {
        for (const to of peers) send(ctx, to, encodeDirect({ type: 'heartbeat', payload: hb }))
        gossip(ctx, encodeGossip({ type: 'heartbeat', payload: hb }))
      }
      const g = pick(ctx.rng, ctx.captured.gossip)
      if (g !== undefined) for (const to of peers) ctx.world.fabric.inject({ kind: 'broadcast', from: ctx.self.peer, to: to.peer, origin: g.origin, seq: g.seq, payload: g.payload })
      ctx.count('replays')
    })
  },

  flood (ctx) {
    loop(ctx, 2_000, () => {
      const own = siteDocId(ctx.self.id)
      const log = ctx.site.store.log(own)
      const envs = log === undefined ? [] : [...log.hashes()].slice(-50).map((h) => log.get(h)!.env)
      // The attacker's own cost stays small: the burst is encoded once and sent 50 times
      // to every peer (the fabric copies each frame, so the receivers pay in full).
      const burst = envs.length === 0 ? undefined : pushFrame(own, Array.from({ length: 60 }, (_, i) => envs[i % envs.length]!))
      const bloom = buildBloom([], 0, 1)
      for (const to of connected(ctx)) {
        // More concurrent sessions than the limit, then a burst of changes above the rate.
        for (let i = 0; i < 20; i++) {
          send(ctx, to, encodeDirect({ type: 'sync-open', session: 900_000 + randomInt(ctx.rng, 0, 99_999), docId: own, heads: [], since: [], bloom }))
        }
        if (burst !== undefined) for (let i = 0; i < 50; i++) send(ctx, to, burst)
      }
      ctx.count('floods')
    })
  },

  malformed (ctx) {
    let oversizeSent = false
    loop(ctx, 1_500, () => {
      const to = pick(ctx.rng, connected(ctx))
      if (to === undefined) return
      const kind = randomInt(ctx.rng, 0, 4)
      if (kind === 0) send(ctx, to, ctx.rng.bytes(randomInt(ctx.rng, 1, 200)))
      else if (kind === 1) {
        const old = pick(ctx.rng, ctx.captured.directFrames)
        if (old !== undefined) send(ctx, to, old.slice(0, Math.max(1, Math.floor(old.length / 2))))
      } else if (kind === 2) {
        const log = ctx.site.store.log(siteDocId(ctx.self.id))
        const last = log === undefined ? undefined : [...log.hashes()].pop()
        const env = last === undefined ? undefined : log!.get(last)?.env
        if (env !== undefined) {
          const change = env.change.slice()
          const at = randomInt(ctx.rng, 0, change.length - 1)
          change[at] = change[at]! ^ (1 << randomInt(ctx.rng, 0, 7))
          // Every other time the flipped change gets a fresh checksum and this site's own
          // signature: bytes only Automerge itself can tell apart from a change (kept only
          // when it does refuse them, or this would be an equivocation, another behaviour).
          const resigned = ctx.rng.nextFloat() < 0.5 ? undecodableResigned(change, env.docId, createSigner(ctx.self.keys)) : undefined
          send(ctx, to, pushFrame(env.docId, [resigned ?? { ...env, change }]))
        }
      } else if (kind === 3) {
        if (!oversizeSent) { oversizeSent = true; send(ctx, to, new Uint8Array(4 * 1024 * 1024 + 16)) } else send(ctx, to, Uint8Array.from([1, 99, 0, 0]))
      } else {
        gossip(ctx, Uint8Array.from([1, 1, ...ctx.rng.bytes(randomInt(ctx.rng, 1, 40))]))
      }
      ctx.count('malformed frames')
    })
  },

  'false-death' (ctx) {
    loop(ctx, 5_000, () => {
      const victim = pick(ctx.rng, honestOthers(ctx))
      if (victim === undefined) return
      const at = ctx.clock.wallMs()
      const view = ctx.site.view()
      const mine = ctx.self.clusters.map((c) => clusterId(ctx.self.id, c.name))
      const bindings: Binding[] = view.workloads.filter((w) => w.origin === victim.id).slice(0, 20).map((w) => ({
        workload: w.key, placement: [{ cluster: mine[0]!, replicas: w.replicas }], decidedBy: ctx.self.id, generation: w.generation,
        inputHeads: '', reason: `failover: site ${victim.id} failed`, decidedAt: at
      }))
      void ctx.site.store.change<SiteDoc>(siteDocId(ctx.self.id), (d) => {
        appendEvent(d, { kind: 'site-failed', at, subject: victim.id, cause: 'no heartbeat for 12 s' })
        for (const b of bindings) putBinding(d, b)
      }, 'controller tick').catch(() => undefined)
      gossip(ctx, encodeGossip({ type: 'heartbeat', payload: new TextEncoder().encode(`site ${victim.id} is dead`) }))
      ctx.count('false death claims')
    })
  }
}

/** Starts the active behaviours among `behaviours` for one start of the site. */
export function startAttacks (ctx: AttackContext, behaviours: readonly ByzantineBehaviour[]): void {
  for (const b of behaviours) {
    const attack = attacks[b]
    if (attack !== undefined) attack({ ...ctx, rng: ctx.rng.fork(b) })
  }
}
