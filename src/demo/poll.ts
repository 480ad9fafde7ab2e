/**
 * Waits for a condition by polling, with a deadline, for the demo's start-up steps. A
 * check returns what it saw (`done` and a line for the progress display); a check that
 * throws counts as "not yet" (a site still starting refuses connections), and the last
 * thing seen goes into the `timed-out` error, so a stuck start says where it is stuck.
 */
import { FlotillaError } from '../model/errors.ts'

export interface Observation<T> {
  done: boolean
  /** What the check saw, for progress lines and the timeout message. */
  detail: string
  value?: T
}

export interface PollOptions {
  /** What is awaited, for the error ("the sample to be Ready"). */
  what: string
  timeoutMs: number
  /** Default 250 ms. */
  everyMs?: number
  /** Called when the detail changes. */
  onDetail?: (detail: string) => void
  /** Stops the wait early (the demo is being stopped). */
  signal?: AbortSignal
  hint?: string
}

function sleep (ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done (): void {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}

export async function pollUntil<T> (check: () => Promise<Observation<T>>, options: PollOptions): Promise<Observation<T>> {
  const deadline = Date.now() + options.timeoutMs
  let last = 'nothing observed yet'
  for (;;) {
    if (options.signal?.aborted === true) {
      throw new FlotillaError('timed-out', `stopped while waiting for ${options.what}`, 'The demo is stopping.')
    }
    let seen: Observation<T>
    try {
      seen = await check()
    } catch (e) {
      seen = { done: false, detail: (e as Error).message.split('\n')[0] ?? 'error' }
    }
    if (seen.detail !== last) {
      last = seen.detail
      options.onDetail?.(last)
    }
    if (seen.done) return seen
    if (Date.now() >= deadline) {
      throw new FlotillaError('timed-out', `gave up waiting for ${options.what} after ${Math.round(options.timeoutMs / 1000)} s; last seen: ${last}`,
        options.hint ?? 'See the site logs under the demo directory (<site>/site.log).')
    }
    await sleep(Math.min(options.everyMs ?? 250, Math.max(0, deadline - Date.now())), options.signal)
  }
}
