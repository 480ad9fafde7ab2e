import { describe, expect, it } from 'vitest'
import { createSendQueue } from '../../src/net/send-queue.ts'

describe('bounded send queue', () => {
  it('refuses frames beyond its frame count, keeping order', () => {
    const q = createSendQueue(3, 1_000)
    expect([1, 2, 3, 4].map((n) => q.push(new Uint8Array(n)))).toEqual([true, true, true, false])
    expect([q.shift()?.length, q.shift()?.length]).toEqual([1, 2])
    expect(q.push(new Uint8Array(5))).toBe(true)
    expect([q.shift()?.length, q.shift()?.length, q.shift()]).toEqual([3, 5, undefined])
  })

  it('refuses frames beyond its byte budget and frees it as frames leave', () => {
    const q = createSendQueue(100, 10)
    expect(q.push(new Uint8Array(6))).toBe(true)
    expect(q.push(new Uint8Array(5))).toBe(false)
    expect(q.push(new Uint8Array(4))).toBe(true)
    expect(q.bytes).toBe(10)
    q.shift()
    expect(q.bytes).toBe(4)
    expect(q.push(new Uint8Array(5))).toBe(true)
  })

  it('stays correct across many pushes and shifts (internal compaction)', () => {
    const q = createSendQueue(10, 1_000_000)
    let next = 0
    let expected = 0
    for (let round = 0; round < 500; round++) {
      while (q.push(Uint8Array.of(next % 256))) next++
      for (let k = 0; k < 7; k++) expect(q.shift()?.[0]).toBe(expected++ % 256)
    }
    expect(q.frames).toBe(next - expected)
    expect(q.clear()).toBe(next - expected)
    expect(q.frames).toBe(0)
    expect(q.bytes).toBe(0)
  })
})
