/**
 * Starts and drives site processes (test/support/site-process.ts) from a test: each is a
 * real child process with its own LevelDB and libp2p node on loopback. Every wait is
 * bounded, and `killAll` SIGKILLs whatever is left.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { join } from 'node:path'

const entry = join(import.meta.dirname, 'site-process.ts')
const live = new Set<ChildProcess>()

export interface SiteProcess {
  id: string
  peerId: string
  addresses: string[]
  child: ChildProcess
  call<T = Record<string, unknown>> (op: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>
  kill (): void
  exited: Promise<number | null>
}

export async function startSiteProcess (id: string, configPath: string, timeoutMs = 30_000): Promise<SiteProcess> {
  const child = spawn(process.execPath, [entry, configPath], { stdio: ['pipe', 'pipe', 'inherit'] })
  live.add(child)
  const exited = new Promise<number | null>((resolve) => { child.on('exit', (code) => { live.delete(child); resolve(code) }) })
  const pending = new Map<number, (v: Record<string, unknown>) => void>()
  let nextId = 1
  let ready: ((v: { peerId: string, addresses: string[] }) => void) | undefined
  const readyP = new Promise<{ peerId: string, addresses: string[] }>((resolve) => { ready = resolve })
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let msg: Record<string, unknown>
    try { msg = JSON.parse(line) as Record<string, unknown> } catch { return }
    if (msg['ready'] === true) { ready?.(msg as never); return }
    const cb = pending.get(msg['id'] as number)
    if (cb !== undefined) { pending.delete(msg['id'] as number); cb(msg) }
  })
  const info = await Promise.race([
    readyP,
    exited.then((code) => { throw new Error(`site ${id} exited with ${code} before it was ready`) }),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`site ${id} not ready in ${timeoutMs} ms`)), timeoutMs).unref())
  ])
  return {
    id,
    peerId: info.peerId,
    addresses: info.addresses,
    child,
    exited,
    async call<T> (op: string, args: Record<string, unknown> = {}, callTimeoutMs = 20_000): Promise<T> {
      const cid = nextId++
      const result = new Promise<Record<string, unknown>>((resolve, reject) => {
        pending.set(cid, resolve)
        setTimeout(() => { if (pending.delete(cid)) reject(new Error(`site ${id}: ${op} timed out`)) }, callTimeoutMs).unref()
      })
      child.stdin!.write(JSON.stringify({ id: cid, op, ...args }) + '\n')
      const r = await result
      if (r['ok'] !== true) throw new Error(`site ${id}: ${op} failed: ${String(r['error'])}`)
      return r as T
    },
    kill () { child.kill('SIGKILL') }
  }
}

export function killAll (): void {
  for (const c of live) c.kill('SIGKILL')
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns whether it did. */
export async function eventually (check: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, everyMs))
  }
  return await check()
}
