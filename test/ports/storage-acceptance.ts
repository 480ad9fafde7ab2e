/**
 * The acceptance suite of the `Storage` port: everything the site core may rely on from
 * a store. The LevelDB adapter and the simulator's memory storage both run it, so the
 * simulator cannot pass tests on behaviour production does not have. Expected key orders
 * are written out by hand in UTF-8 byte order (not computed by the code under test),
 * and include keys where that order differs from JavaScript's string `<`.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { isFlotillaError } from '../../src/model/errors.ts'
import { prefixEnd, type Storage, type StorageRange } from '../../src/ports/storage.ts'

export interface StorageUnderTest {
  storage: Storage
  /** Opens the same data again; the suite calls it only after `storage.close()` resolved. */
  reopen (): Promise<Storage>
  /** Makes the next batch fail with an I/O error, when the adapter can inject faults. */
  failNextBatch?: () => void
  /** Releases files and handles once every storage of the test is closed. */
  dispose? (): Promise<void>
}

const bytes = (...xs: number[]): Uint8Array => new Uint8Array(xs)
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

async function collect (storage: Storage, range?: StorageRange): Promise<Array<[string, Uint8Array]>> {
  const out: Array<[string, Uint8Array]> = []
  for await (const entry of storage.entries(range)) out.push(entry)
  return out
}

async function keys (storage: Storage, range?: StorageRange): Promise<string[]> {
  return (await collect(storage, range)).map(([k]) => k)
}

async function expectCode (p: Promise<unknown>, code: 'input-invalid' | 'storage-failed' | 'store-closed'): Promise<void> {
  let caught: unknown
  try { await p } catch (e) { caught = e }
  expect(caught, `expected a FlotillaError '${code}'`).toBeDefined()
  expect(isFlotillaError(caught, code), `expected code '${code}', got ${String(caught)}`).toBe(true)
}

/** Keys in UTF-8 byte order, written out by hand. JavaScript's `<` would put '😀' before '\uE000'. */
const ORDERED_KEYS = ['', 'Z', 'a', 'a\u0000b', 'a/b', 'b', '~', 'é', '\u4e2d', '\uE000', '\uFFFF', '😀', '\u{10FFFF}']

export function runStorageAcceptance (name: string, setup: () => Promise<StorageUnderTest>): void {
  describe(`Storage acceptance: ${name}`, () => {
    let open: Storage[] = []
    let disposers: Array<() => Promise<void>> = []

    const fresh = async (): Promise<StorageUnderTest> => {
      const sut = await setup()
      open.push(sut.storage)
      if (sut.dispose !== undefined) disposers.push(sut.dispose)
      return {
        ...sut,
        reopen: async () => {
          const s = await sut.reopen()
          open.push(s)
          return s
        }
      }
    }

    afterEach(async () => {
      for (const s of open) await s.close().catch(() => {})
      for (const d of disposers) await d()
      open = []
      disposers = []
    })

    it('returns undefined for a missing key, and what was put for a present one', async () => {
      const { storage } = await fresh()
      expect(await storage.get('missing')).toBeUndefined()
      await storage.batch([{ type: 'put', key: 'k', value: bytes(1, 2, 3) }])
      expect(await storage.get('k')).toEqual(bytes(1, 2, 3))
      await storage.batch([{ type: 'put', key: 'k', value: bytes(4) }])
      expect(await storage.get('k')).toEqual(bytes(4))
      await storage.batch([{ type: 'del', key: 'k' }, { type: 'del', key: 'never-there' }])
      expect(await storage.get('k')).toBeUndefined()
    })

    it('keeps an empty value apart from a missing key', async () => {
      const { storage } = await fresh()
      await storage.batch([{ type: 'put', key: 'empty', value: new Uint8Array(0) }])
      expect(await storage.get('empty')).toEqual(new Uint8Array(0))
      expect(await keys(storage)).toEqual(['empty'])
    })

    it('applies the ops of one batch in order: the last op on a key wins', async () => {
      const { storage } = await fresh()
      await storage.batch([
        { type: 'put', key: 'x', value: bytes(1) },
        { type: 'del', key: 'x' },
        { type: 'del', key: 'y' },
        { type: 'put', key: 'y', value: bytes(2) },
        { type: 'put', key: 'z', value: bytes(3) },
        { type: 'put', key: 'z', value: bytes(4) }
      ])
      expect(await collect(storage)).toEqual([['y', bytes(2)], ['z', bytes(4)]])
    })

    it('accepts an empty batch', async () => {
      const { storage } = await fresh()
      await storage.batch([])
      expect(await keys(storage)).toEqual([])
    })

    it('applies nothing of a batch that holds an invalid op, and says which op', async () => {
      const { storage } = await fresh()
      await storage.batch([{ type: 'put', key: 'keep', value: bytes(1) }])
      await expectCode(storage.batch([
        { type: 'put', key: 'a', value: bytes(1) },
        { type: 'del', key: 'keep' },
        { type: 'put', key: 'bad\uD800', value: bytes(2) }
      ]), 'input-invalid')
      await expectCode(storage.batch([
        { type: 'put', key: 'a', value: bytes(1) },
        { type: 'put', key: 'b', value: 'not bytes' as unknown as Uint8Array }
      ]), 'input-invalid')
      expect(await collect(storage)).toEqual([['keep', bytes(1)]])
    })

    it('applies nothing of a batch that fails with an I/O error, which surfaces as storage-failed', async (ctx) => {
      const sut = await fresh()
      if (sut.failNextBatch === undefined) {
        ctx.skip()
        return
      }
      await sut.storage.batch([{ type: 'put', key: 'keep', value: bytes(1) }])
      sut.failNextBatch()
      await expectCode(sut.storage.batch([
        { type: 'put', key: 'a', value: bytes(1) },
        { type: 'del', key: 'keep' }
      ]), 'storage-failed')
      expect(await collect(sut.storage)).toEqual([['keep', bytes(1)]])
      await sut.storage.batch([{ type: 'put', key: 'a', value: bytes(2) }])
      expect(await keys(sut.storage)).toEqual(['a', 'keep'])
    })

    it('iterates keys in UTF-8 byte order, non-ASCII and astral keys included', async () => {
      const { storage } = await fresh()
      const shuffled = [...ORDERED_KEYS].reverse()
      shuffled.push(shuffled.splice(3, 1)[0] as string)
      await storage.batch(shuffled.map((key, i) => ({ type: 'put' as const, key, value: bytes(i) })))
      expect(await keys(storage)).toEqual(ORDERED_KEYS)
      expect(await keys(storage, { reverse: true })).toEqual([...ORDERED_KEYS].reverse())
      expect(await keys(storage, { gte: '~', lt: '😀' })).toEqual(['~', 'é', '\u4e2d', '\uE000', '\uFFFF'])
      expect(await keys(storage, { gte: '\uFFFF' })).toEqual(['\uFFFF', '😀', '\u{10FFFF}'])
    })

    it('honours gte (inclusive), lt (exclusive), reverse and limit together', async () => {
      const { storage } = await fresh()
      const all = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5']
      await storage.batch(all.map((key) => ({ type: 'put' as const, key, value: text(key) })))
      expect(await keys(storage, { gte: 'k1', lt: 'k4' })).toEqual(['k1', 'k2', 'k3'])
      expect(await keys(storage, { gte: 'k1x' })).toEqual(['k2', 'k3', 'k4', 'k5'])
      expect(await keys(storage, { lt: 'k1' })).toEqual(['k0'])
      expect(await keys(storage, { gte: 'k1', lt: 'k4', reverse: true })).toEqual(['k3', 'k2', 'k1'])
      expect(await keys(storage, { limit: 2 })).toEqual(['k0', 'k1'])
      expect(await keys(storage, { reverse: true, limit: 2 })).toEqual(['k5', 'k4'])
      expect(await keys(storage, { gte: 'k1', lt: 'k4', reverse: true, limit: 2 })).toEqual(['k3', 'k2'])
      expect(await keys(storage, { limit: 0 })).toEqual([])
      expect(await keys(storage, { limit: 100 })).toEqual(all)
      expect(await keys(storage, { gte: 'k4', lt: 'k2' })).toEqual([])
      expect(await collect(storage, { gte: 'k5' })).toEqual([['k5', text('k5')]])
    })

    it('honours prefix, alone and intersected with gte, lt, reverse and limit', async () => {
      const { storage } = await fresh()
      const present = ['p', 'p.', 'p/', 'p/a', 'p/b/c', 'p/é', 'p/\uFFFF', 'p/😀', 'p/😀/x', 'p0', 'q']
      await storage.batch(present.map((key) => ({ type: 'put' as const, key, value: text(key) })))
      const under = ['p/', 'p/a', 'p/b/c', 'p/é', 'p/\uFFFF', 'p/😀', 'p/😀/x']
      expect(await keys(storage, { prefix: 'p/' })).toEqual(under)
      expect(await keys(storage, { prefix: 'p/', reverse: true })).toEqual([...under].reverse())
      expect(await keys(storage, { prefix: 'p/', limit: 2 })).toEqual(['p/', 'p/a'])
      expect(await keys(storage, { prefix: 'p/', reverse: true, limit: 2 })).toEqual(['p/😀/x', 'p/😀'])
      expect(await keys(storage, { prefix: 'p/', gte: 'p/b' })).toEqual(['p/b/c', 'p/é', 'p/\uFFFF', 'p/😀', 'p/😀/x'])
      expect(await keys(storage, { prefix: 'p/', gte: 'a', lt: 'p/é' })).toEqual(['p/', 'p/a', 'p/b/c'])
      expect(await keys(storage, { prefix: 'p/', lt: 'zzz' })).toEqual(under)
      expect(await keys(storage, { prefix: 'p/', gte: 'q' })).toEqual([])
      expect(await keys(storage, { prefix: 'p/a' })).toEqual(['p/a'])
      expect(await keys(storage, { prefix: 'none/' })).toEqual([])
      expect(await keys(storage, { prefix: '' })).toEqual(present)
      expect(await keys(storage, { gte: 'p/', lt: prefixEnd('p/') })).toEqual(under)
    })

    it('stores binary values byte for byte: zero bytes, every byte value, and large values', async () => {
      const { storage } = await fresh()
      const zeros = new Uint8Array(64)
      const every = Uint8Array.from({ length: 512 }, (_, i) => i % 256)
      const large = new Uint8Array(2 * 1024 * 1024)
      for (let i = 0; i < large.length; i++) large[i] = (i * 2654435761) >>> 24
      await storage.batch([
        { type: 'put', key: 'zeros', value: zeros },
        { type: 'put', key: 'every', value: every },
        { type: 'put', key: 'mixed', value: bytes(0, 0, 255, 0, 1, 0) }
      ])
      await storage.batch([{ type: 'put', key: 'large', value: large }])
      expect(await storage.get('zeros')).toEqual(zeros)
      expect(await storage.get('every')).toEqual(every)
      expect(await storage.get('mixed')).toEqual(bytes(0, 0, 255, 0, 1, 0))
      const got = await storage.get('large')
      expect(got?.length).toBe(large.length)
      expect(Buffer.compare(got as Uint8Array, large)).toBe(0)
    })

    it('hands out values the caller may mutate without changing the store, and copies values it is given', async () => {
      const { storage } = await fresh()
      const value = bytes(1, 2, 3)
      const pending = storage.batch([{ type: 'put', key: 'k', value }])
      value[0] = 99
      await pending
      const got = await storage.get('k') as Uint8Array
      expect(got).toEqual(bytes(1, 2, 3))
      got[1] = 99
      const [[, iterated]] = await collect(storage) as [[string, Uint8Array]]
      iterated[2] = 99
      expect(await storage.get('k')).toEqual(bytes(1, 2, 3))
    })

    it('iterates a snapshot: writes after the iteration started are not seen by it', async () => {
      const { storage } = await fresh()
      await storage.batch(['a', 'b', 'c'].map((key) => ({ type: 'put' as const, key, value: text(key) })))
      const seen: string[] = []
      for await (const [key] of storage.entries()) {
        if (key === 'a') await storage.batch([{ type: 'put', key: 'bb', value: text('bb') }, { type: 'del', key: 'c' }])
        seen.push(key)
      }
      expect(seen).toEqual(['a', 'b', 'c'])
      expect(await keys(storage)).toEqual(['a', 'b', 'bb'])
    })

    it('lets a consumer stop iterating early and still close cleanly', async () => {
      const { storage } = await fresh()
      await storage.batch(Array.from({ length: 600 }, (_, i) => ({ type: 'put' as const, key: `k/${String(i).padStart(4, '0')}`, value: bytes(i % 256) })))
      const seen: string[] = []
      for await (const [key] of storage.entries({ prefix: 'k/' })) {
        seen.push(key)
        if (seen.length === 3) break
      }
      expect(seen).toEqual(['k/0000', 'k/0001', 'k/0002'])
      expect(await keys(storage, { prefix: 'k/', limit: 1, reverse: true })).toEqual(['k/0599'])
      await storage.close()
    })

    it('refuses bad keys and ranges with input-invalid', async () => {
      const { storage } = await fresh()
      await expectCode(storage.get('\uDC00lone'), 'input-invalid')
      await expectCode(collect(storage, { limit: -1 }), 'input-invalid')
      await expectCode(collect(storage, { limit: 1.5 }), 'input-invalid')
      await expectCode(collect(storage, { prefix: 'x\uD800' }), 'input-invalid')
    })

    it('rejects every operation after close with store-closed; closing twice is fine', async () => {
      const { storage } = await fresh()
      await storage.batch([{ type: 'put', key: 'k', value: bytes(1) }])
      await storage.close()
      await storage.close()
      await expectCode(storage.get('k'), 'store-closed')
      await expectCode(storage.batch([{ type: 'put', key: 'k', value: bytes(2) }]), 'store-closed')
      await expectCode(collect(storage), 'store-closed')
    })

    it('keeps every acknowledged batch across close and reopen', async () => {
      const sut = await fresh()
      await sut.storage.batch([
        { type: 'put', key: 'a', value: bytes(0, 1, 0) },
        { type: 'put', key: '😀', value: bytes(2) },
        { type: 'put', key: 'gone', value: bytes(3) }
      ])
      await sut.storage.batch([{ type: 'del', key: 'gone' }, { type: 'put', key: 'é', value: new Uint8Array(0) }])
      await sut.storage.close()
      const again = await sut.reopen()
      expect(await collect(again)).toEqual([['a', bytes(0, 1, 0)], ['é', new Uint8Array(0)], ['😀', bytes(2)]])
      await again.batch([{ type: 'put', key: 'b', value: bytes(4) }])
      expect(await again.get('b')).toEqual(bytes(4))
    })
  })
}
