/**
 * Runs one request per object for `apply -f` and `delete -f`: a few at a time over the
 * kept-alive connections, the requests for one object strictly in file order (the same
 * object twice in a manifest applies as written), and results handed back in input order
 * so the output reads like the manifest. A failed object does not stop the others.
 */

export type Outcome<R> = { ok: true, value: R } | { ok: false, error: unknown }

export async function runBatch<T, R> (
  items: readonly T[],
  keyOf: (item: T) => string,
  concurrency: number,
  work: (item: T) => Promise<R>,
  onResult: (item: T, outcome: Outcome<R>, index: number) => void
): Promise<Array<Outcome<R>>> {
  let active = 0
  const waiting: Array<() => void> = []
  const acquire = (): Promise<void> => {
    if (active < concurrency) { active++; return Promise.resolve() }
    return new Promise((resolve) => waiting.push(resolve))
  }
  const release = (): void => {
    const next = waiting.shift()
    if (next === undefined) active--
    else next() // hands the slot over
  }
  const lastOfKey = new Map<string, Promise<unknown>>()
  const started = items.map((item) => {
    const key = keyOf(item)
    const p: Promise<Outcome<R>> = (lastOfKey.get(key) ?? Promise.resolve()).then(async () => {
      await acquire()
      try {
        return { ok: true as const, value: await work(item) }
      } catch (error) {
        return { ok: false as const, error }
      } finally {
        release()
      }
    })
    lastOfKey.set(key, p)
    return p
  })
  const outcomes: Array<Outcome<R>> = []
  for (const [i, p] of started.entries()) {
    const outcome = await p
    outcomes.push(outcome)
    onResult(items[i] as T, outcome, i)
  }
  return outcomes
}
