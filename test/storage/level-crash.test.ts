import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openLevelStorage } from '../../src/storage/level-storage.ts'

const child = join(import.meta.dirname, 'fixtures/level-child.ts')

/** Runs the writer child until it has acknowledged `acks` batches, kills it with SIGKILL, and returns what it acknowledged. */
async function writeThenKill (dir: string, sync: boolean, acks: number): Promise<number[]> {
  const writer = spawn(process.execPath, [child, 'write', dir, sync ? 'sync' : 'nosync'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const acked: number[] = []
  let buffered = ''
  return await new Promise<number[]>((resolve, reject) => {
    writer.stdout.setEncoding('utf8')
    writer.stdout.on('data', (chunk: string) => {
      buffered += chunk
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) acked.push(Number(line))
      if (acked.length >= acks && writer.exitCode === null && writer.signalCode === null) writer.kill('SIGKILL')
    })
    writer.once('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked)
      else reject(new Error(`writer exited with code ${code} before it was killed`))
    })
  })
}

describe('LevelDB durability across SIGKILL', () => {
  for (const sync of [true, false]) {
    it(`keeps every acknowledged batch, whole, when the writer is killed mid-stream (sync: ${sync})`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'flotilla-crash-'))
      try {
        const acked = await writeThenKill(dir, sync, 150)
        expect(acked.length).toBeGreaterThanOrEqual(150)
        expect(acked).toEqual(acked.map((_, i) => i))

        const storage = await openLevelStorage(dir)
        const n: number[] = []
        for await (const [key, value] of storage.entries({ prefix: 'n/' })) {
          const i = Number(key.slice(2))
          expect(new DataView(value.buffer, value.byteOffset).getUint32(0)).toBe(i)
          expect(value.length).toBe(516)
          n.push(i)
        }
        const m: number[] = []
        for await (const [key] of storage.entries({ prefix: 'm/' })) m.push(Number(key.slice(2)))
        await storage.close()

        // Batches are atomic (both keys or neither), contiguous, and include every acknowledged one;
        // at most one batch past the last acknowledgement may have landed before the kill.
        expect(m).toEqual(n)
        expect(n).toEqual(n.map((_, i) => i))
        expect(n.length).toBeGreaterThanOrEqual(acked.length)
        expect(n.length).toBeLessThanOrEqual(acked.length + 1)
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    })
  }
})
