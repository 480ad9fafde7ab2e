import { spawn } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openLevelStorage } from '../../src/storage/level-storage.ts'
import { openTestStore, testSite } from '../support/store-fixtures.ts'

const writer = join(import.meta.dirname, 'fixtures/store-writer.ts')

/** Runs the writer until it acknowledged `acks` changes, then SIGKILLs it mid-stream. */
async function writeThenKill (dir: string, acks: number): Promise<Array<{ docId: string, hash: string }>> {
  const child = spawn(process.execPath, [writer, dir], { stdio: ['ignore', 'pipe', 'inherit'] })
  const acked: Array<{ docId: string, hash: string }> = []
  let buffer = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`writer acknowledged only ${acked.length} changes in 20 s`)) }, 20_000)
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      const lines = buffer.split('\n')
      buffer = lines.pop()!
      for (const line of lines) {
        const [kind, docId, hash] = line.split(' ')
        if (kind === 'ack') acked.push({ docId: docId!, hash: hash! })
      }
      if (acked.length >= acks && child.exitCode === null) {
        child.kill('SIGKILL')
        clearTimeout(timer)
      }
    })
    child.on('exit', () => { clearTimeout(timer); resolve() })
  })
  return acked
}

describe('signed store durability', () => {
  it('keeps every acknowledged change across SIGKILL, twice in a row, and loads cleanly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-crash-'))
    const first = await writeThenKill(dir, 150)
    const second = await writeThenKill(dir, 300)
    const storage = await openLevelStorage(dir)
    const site = testSite('crash-site')
    const store = await openTestStore(site, [site], storage)
    expect(store.corrupt).toEqual([])
    for (const { docId, hash } of [...first, ...second]) {
      expect(store.log(docId)?.has(hash), `${docId} ${hash}`).toBe(true)
      expect(store.log(docId)?.isMaterialised(hash)).toBe(true)
    }
    // The second run continued the same actor without reusing a sequence number.
    expect(store.log('site:crash-site')?.forkedSigners()).toEqual([])
    await storage.close()
  })
})
