/**
 * The `nodeFree` of a cluster record: what the Ready nodes have free, summarised into at
 * most `NODE_FREE_LIMIT` shapes with counts, for replica estimates that must not exceed
 * what the nodes can take. Nodes with equal free resources share one entry, so a
 * homogeneous pool is one exact entry however large. Beyond the limit, neighbouring
 * shapes (in an order that keeps GPU nodes beside GPU nodes) are merged into their
 * component-wise minimum with the summed count, cheapest merge first; the cost of a merge
 * is the free capacity it hides, per resource relative to the largest node, times the
 * nodes that lose it. Every merged entry is at most each of its nodes, so the per-node
 * estimate from the entries is a lower bound of the true one.
 */
import type { NodeFree } from '../model/federation.ts'
import { RESOURCE_KEYS, type Resources, type ResourceKey } from '../model/resources.ts'

/** Most entries a record carries, whatever the number of nodes. */
export const NODE_FREE_LIMIT = 32

const SCARCE: readonly ResourceKey[] = ['gpu', 'vgpuCores', 'vgpuMemoryMiB']
/** Every resource, scarce ones first, so merging seldom puts a GPU node with a plain one. */
const ORDER: readonly ResourceKey[] = [...SCARCE, ...RESOURCE_KEYS.filter((k) => !SCARCE.includes(k))]

interface Shape { free: Resources, count: number }

function largestFirst (a: Resources, b: Resources): number {
  for (const k of ORDER) if (a[k] !== b[k]) return b[k] - a[k]
  return 0
}

function minOf (a: Resources, b: Resources): Resources {
  const out = { ...a }
  for (const k of ORDER) out[k] = Math.min(a[k], b[k])
  return out
}

function shapeKey (r: Resources): string {
  return ORDER.map((k) => r[k]).join('/')
}

/** What merging `a` and `b` hides: each side's loss to the minimum, weighted by its nodes. */
function mergeCost (a: Shape, b: Shape, scale: Resources): number {
  let costA = 0
  let costB = 0
  for (const k of ORDER) {
    const m = Math.min(a.free[k], b.free[k])
    costA += (a.free[k] - m) / scale[k]
    costB += (b.free[k] - m) / scale[k]
  }
  return a.count * costA + b.count * costB
}

/** Ready nodes' free resources (negative parts count as 0) as at most `limit` shapes, largest first. */
export function nodeFreeShapes (free: readonly Resources[], limit = NODE_FREE_LIMIT): NodeFree[] {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`node free limit must be a positive integer: received ${limit}`)
  const byKey = new Map<string, Shape>()
  for (const f of free) {
    const clamped = { ...f }
    for (const k of ORDER) clamped[k] = Math.max(0, f[k])
    const key = shapeKey(clamped)
    const held = byKey.get(key)
    if (held === undefined) byKey.set(key, { free: clamped, count: 1 })
    else held.count++
  }
  let shapes = [...byKey.values()].sort((a, b) => largestFirst(a.free, b.free))
  if (shapes.length > limit) {
    const scale = { ...shapes[0]!.free }
    for (const k of ORDER) scale[k] = shapes.reduce((m, s) => Math.max(m, s.free[k]), 1)
    while (shapes.length > limit) shapes = mergeCheapest(shapes, shapes.length - limit, scale)
  }
  return shapes.map((s) => ({ ...s.free, count: s.count }))
}

/**
 * One round of merges: neighbouring pairs, cheapest first, each shape in at most one pair,
 * until `excess` merges are made or no disjoint pair is left. A chosen pair blocks at most
 * two others, so each round makes at least a third of the merges still needed: the rounds
 * are logarithmic in the number of shapes.
 */
function mergeCheapest (shapes: readonly Shape[], excess: number, scale: Resources): Shape[] {
  const pairs = shapes.slice(1).map((s, i) => ({ at: i, cost: mergeCost(shapes[i]!, s, scale) }))
  pairs.sort((a, b) => a.cost - b.cost || a.at - b.at)
  const withNext = new Set<number>()
  const taken = new Set<number>()
  for (const p of pairs) {
    if (withNext.size === excess) break
    if (taken.has(p.at) || taken.has(p.at + 1)) continue
    withNext.add(p.at)
    taken.add(p.at).add(p.at + 1)
  }
  const out: Shape[] = []
  for (let i = 0; i < shapes.length; i++) {
    const s = shapes[i]!
    if (withNext.has(i)) {
      const n = shapes[++i]!
      out.push({ free: minOf(s.free, n.free), count: s.count + n.count })
    } else {
      out.push(s)
    }
  }
  // A minimum may sort below a later shape; keep the order for the next round's neighbours.
  return out.sort((a, b) => largestFirst(a.free, b.free))
}
