import { describe, expect, it } from 'vitest'
import { isFlotillaError } from '../../../src/model/errors.ts'
import { createSeededRng, createXoshiro128ss } from '../../../sim/engine/seeded-rng.ts'
import { runRngAcceptance } from '../../ports/rng-acceptance.ts'

runRngAcceptance('seeded rng', () => createSeededRng(1234))
runRngAcceptance('seeded rng, forked stream', () => createSeededRng('swarm').fork('site-7').fork('net'))

const draw = (rng: { nextUint32: () => number }, n: number): number[] => Array.from({ length: n }, () => rng.nextUint32())

/** xoshiro128** written from its definition on BigInt, independent of the 32-bit implementation. */
function referenceXoshiro (state: [number, number, number, number]): () => number {
  const M = (1n << 32n) - 1n
  let s = state.map(BigInt) as [bigint, bigint, bigint, bigint]
  const rotl = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (32n - k))) & M
  return () => {
    const result = (rotl((s[1] * 5n) & M, 7n) * 9n) & M
    const t = (s[1] << 9n) & M
    const [s0, s1, s2, s3] = s
    const n2 = s2 ^ s0
    const n3 = s3 ^ s1
    const n1 = s1 ^ n2
    const n0 = s0 ^ n3
    s = [n0, n1, n2 ^ t, rotl(n3, 11n)]
    return Number(result)
  }
}

describe('seeded rng', () => {
  it('matches published xoshiro128** outputs', () => {
    // Reference outputs of the C implementation for state {0, 1, 2, 3}, and for the state below.
    expect(draw(createXoshiro128ss(0, 1, 2, 3), 5)).toEqual([5760, 17280, 2966400, 32451840, 2604340873])
    expect(draw(createXoshiro128ss(0x964d4a0c, 0xd40ab895, 0xad7fdecb, 0x3006f0f0), 4))
      .toEqual([0xf1391922, 0x6fe53806, 0xa5be2840, 0xf510ee70])
  })

  it('matches an independent BigInt model of xoshiro128** over many draws', () => {
    const state: [number, number, number, number] = [0xdeadbeef, 0x01234567, 0x89abcdef, 0xfeedface]
    const ref = referenceXoshiro(state)
    expect(draw(createXoshiro128ss(...state), 2000)).toEqual(Array.from({ length: 2000 }, ref))
  })

  it('replays the same stream from the same seed, and a different one from another seed', () => {
    expect(draw(createSeededRng(42), 50)).toEqual(draw(createSeededRng(42), 50))
    expect(draw(createSeededRng(42), 50)).not.toEqual(draw(createSeededRng(43), 50))
    expect(createSeededRng(42).bytes(17)).toEqual(createSeededRng(42).bytes(17))
  })

  it('keeps its outputs for a seed stable across versions (changing them changes every replay)', () => {
    const rng = createSeededRng(42)
    const pinned = [rng.nextUint32(), rng.nextUint32(), rng.nextUint32()]
    expect(pinned).toEqual([3259301644, 4148830397, 4251619297])
    expect(createSeededRng(42).fork('site-1').nextUint32()).toBe(3341499088)
  })

  it('forks by label without drawing from the parent, whatever the fork order', () => {
    const a = createSeededRng(9)
    const net = a.fork('net')
    const disk = a.fork('disk')
    const fromA = draw(a, 10)

    const b = createSeededRng(9)
    draw(b.fork('disk'), 100)
    draw(b.fork('extra-consumer'), 100)
    expect(draw(b, 10)).toEqual(fromA)
    expect(draw(b.fork('net'), 10)).toEqual(draw(net, 10))
    expect(draw(createSeededRng(9).fork('disk'), 10)).toEqual(draw(createSeededRng(9).fork('disk'), 10))
    expect(draw(disk, 10)).not.toEqual(draw(createSeededRng(9).fork('net'), 10))
  })

  it('derives distinct streams for distinct paths', () => {
    const root = createSeededRng(1)
    const streams = [root, root.fork('a'), root.fork('b'), root.fork('a').fork('b'), root.fork('b').fork('a'), root.fork('ab'), createSeededRng(2).fork('a')]
    const firsts = streams.map((s) => draw(s, 4).join(','))
    expect(new Set(firsts).size).toBe(streams.length)
    expect(root.fork('site-3').fork('net').name).toBe('seed:1/site-3/net')
  })

  it('refuses seeds that cannot be printed and replayed exactly', () => {
    for (const seed of [1.5, Number.NaN, 2 ** 60]) {
      let caught: unknown
      try { createSeededRng(seed) } catch (e) { caught = e }
      expect(isFlotillaError(caught, 'input-invalid')).toBe(true)
    }
  })
})
