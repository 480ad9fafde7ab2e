import { spawn } from 'node:child_process'
import { mkdtemp, readdir, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { afterEach, describe, expect, it } from 'vitest'
import { FlotillaError, isFlotillaError } from '../../src/model/errors.ts'
import type { Storage } from '../../src/ports/storage.ts'
import { openLevelStorage } from '../../src/storage/level-storage.ts'
import { runStorageAcceptance } from '../ports/storage-acceptance.ts'

const child = join(import.meta.dirname, 'fixtures/level-child.ts')

async function tempDir (): Promise<string> {
  return await mkdtemp(join(tmpdir(), 'flotilla-level-'))
}

runStorageAcceptance('LevelDB (level)', async () => {
  const dir = await tempDir()
  return {
    storage: await openLevelStorage(dir),
    reopen: async () => await openLevelStorage(dir),
    dispose: async () => { await rm(dir, { recursive: true, force: true }) }
  }
})

async function caught (p: Promise<unknown>): Promise<FlotillaError> {
  try {
    await p
  } catch (e) {
    if (e instanceof FlotillaError) return e
    throw e
  }
  throw new Error('expected a FlotillaError')
}

describe('LevelDB storage', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })
  const dir = async (): Promise<string> => {
    const d = await tempDir()
    cleanups.push(async () => { await rm(d, { recursive: true, force: true }) })
    return d
  }
  const open = async (path: string, sync?: boolean): Promise<Storage> => {
    const s = await openLevelStorage(path, sync === undefined ? {} : { sync })
    cleanups.push(async () => { await s.close() })
    return s
  }

  it('refuses a data dir locked by another process, naming the dir and the likely cause', async () => {
    const path = await dir()
    const holder = spawn(process.execPath, [child, 'hold', path], { stdio: ['ignore', 'pipe', 'inherit'] })
    const exited = new Promise((resolve) => { holder.once('exit', resolve) })
    cleanups.push(async () => { holder.kill('SIGKILL'); await exited })
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve() })
      holder.once('exit', (code) => { reject(new Error(`holder exited early with ${code}`)) })
    })
    const e = await caught(openLevelStorage(path))
    expect(e.code).toBe('storage-failed')
    expect(e.details?.reason).toBe('locked')
    expect(e.message).toContain(path)
    expect(e.message).toMatch(/locked/)
    expect(e.hint).toMatch(/another Flotilla site process/)
  })

  it('refuses a second open of the same data dir in one process the same way', async () => {
    const path = await dir()
    await open(path)
    const e = await caught(openLevelStorage(path))
    expect(e.code).toBe('storage-failed')
    expect(e.details?.reason).toBe('locked')
  })

  it('explains a data dir path that is a file', async () => {
    const path = join(await dir(), 'file')
    await writeFile(path, 'not a directory')
    const e = await caught(openLevelStorage(join(path, 'store')))
    expect(e.code).toBe('storage-failed')
    expect(e.message).toContain(path)
    expect(e.hint).toMatch(/not a directory/)
  })

  it('surfaces a read that hits a vanished table file as storage-failed, never as "not found"', async () => {
    const path = await dir()
    const raw = new Level<string, Uint8Array>(path, { valueEncoding: 'view' })
    await raw.open()
    await raw.batch(Array.from({ length: 200 }, (_, i) => ({ type: 'put' as const, key: `k/${String(i).padStart(3, '0')}`, value: new Uint8Array(256).fill(i) })))
    // `level` runs classic-level in Node, which can compact (its browser twin cannot, hence the type).
    await (raw as unknown as { compactRange: (start: string, end: string) => Promise<void> }).compactRange('k/', 'k/~')
    await raw.close()
    // LevelDB opens table files lazily: remove them under an open store, as a failing disk would.
    const storage = await open(path)
    const tables = (await readdir(path)).filter((f) => f.endsWith('.ldb'))
    expect(tables.length).toBeGreaterThan(0)
    for (const f of tables) await unlink(join(path, f))

    const e = await caught(storage.get('k/007'))
    expect(e.code).toBe('storage-failed')
    expect(e.details?.op).toBe('get')
    expect(e.message).toContain(path)
    const it = await caught((async () => { for await (const _ of storage.entries({ prefix: 'k/' })) { /* drain */ } })())
    expect(it.code).toBe('storage-failed')
    await storage.close()

    const reopened = await caught(openLevelStorage(path))
    expect(reopened.code).toBe('storage-failed')
    expect(reopened.details?.reason).toBe('corrupt')
    expect(reopened.hint).toMatch(/damaged/)
  })

  it('reports a stored key that is not UTF-8 as corrupt-record instead of mangling it', async () => {
    const path = await dir()
    const raw = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
    await raw.open()
    await raw.put(new Uint8Array([0x61, 0xff, 0x62]), new Uint8Array([1]))
    await raw.put(new TextEncoder().encode('ok'), new Uint8Array([2]))
    await raw.close()
    const storage = await open(path)
    expect(await storage.get('ok')).toEqual(new Uint8Array([2]))
    let error: unknown
    try { for await (const _ of storage.entries()) { /* drain */ } } catch (e) { error = e }
    expect(isFlotillaError(error, 'corrupt-record')).toBe(true)
  })

  it('stores each key as its UTF-8 bytes, whatever code points it holds', async () => {
    const path = await dir()
    const keys = ['log/site:eu/ab12', 'a\u0000b', 'é/ü', '😀/x', '\u{10FFFF}']
    const storage = await openLevelStorage(path)
    await storage.batch(keys.map((key, i) => ({ type: 'put' as const, key, value: new Uint8Array([i]) })))
    await storage.batch([{ type: 'del', key: 'é/ü' }])
    await storage.close()
    const raw = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' })
    await raw.open()
    const stored: string[] = []
    for await (const [k] of raw.iterator()) stored.push(Buffer.from(k).toString('hex'))
    await raw.close()
    const expected = keys.filter((k) => k !== 'é/ü').map((k) => new TextEncoder().encode(k))
    expect(stored).toEqual(expected.sort((x, y) => Buffer.compare(x, y)).map((k) => Buffer.from(k).toString('hex')))
  })

  it('works without fsync too (sync: false)', async () => {
    const path = await dir()
    const storage = await openLevelStorage(path, { sync: false })
    await storage.batch([{ type: 'put', key: 'a', value: new Uint8Array([1]) }])
    await storage.close()
    const again = await open(path)
    expect(await again.get('a')).toEqual(new Uint8Array([1]))
  })
})
