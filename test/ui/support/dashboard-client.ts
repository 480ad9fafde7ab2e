/**
 * Talking to a running dashboard from tests: plain HTTP requests (with any Host header,
 * which `fetch` does not allow setting) and a Server-Sent Events reader that collects
 * the frames of `/ui/events` and waits for the ones a test expects, with a deadline.
 */
import { request, type IncomingMessage } from 'node:http'

export interface Reply {
  status: number
  headers: IncomingMessage['headers']
  text: string
  json<T = Record<string, unknown>> (): T
}

export function get (base: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T })
      })
    })
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path} timed out`)))
    req.on('error', reject)
    req.end()
  })
}

export interface SseFrame { event: string, data: string }

export interface SseReader {
  status: number
  frames: SseFrame[]
  /** Resolves with the first frame (after `from`) that matches, or rejects after `timeoutMs`. */
  waitFor (match: (f: SseFrame) => boolean, timeoutMs?: number, from?: number): Promise<SseFrame>
  close (): void
}

export function readEvents (base: string): Promise<SseReader> {
  return new Promise((resolve, reject) => {
    const frames: SseFrame[] = []
    const waiters = new Set<() => void>()
    let buffer = ''
    const req = request(new URL('/ui/events', base), { headers: { Accept: 'text/event-stream' }, agent: false }, (res) => {
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          let event = 'message'
          const data: string[] = []
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7)
            else if (line.startsWith('data: ')) data.push(line.slice(6))
          }
          if (data.length > 0) frames.push({ event, data: data.join('\n') })
          for (const w of waiters) w()
        }
      })
      resolve({
        status: res.statusCode ?? 0,
        frames,
        waitFor (match, timeoutMs = 5000, from = 0) {
          return new Promise((ok, fail) => {
            const check = (): boolean => {
              const f = frames.slice(from).find(match)
              if (f === undefined) return false
              waiters.delete(check)
              clearTimeout(timer)
              ok(f)
              return true
            }
            const timer = setTimeout(() => { waiters.delete(check); fail(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(frames)}`)) }, timeoutMs)
            waiters.add(check)
            check()
          })
        },
        close () { req.destroy() }
      })
    })
    req.on('error', (e) => { if (!req.destroyed) reject(e) })
    req.end()
  })
}
