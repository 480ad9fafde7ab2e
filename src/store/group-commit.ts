/**
 * Group commit: calls that arrive while an earlier commit is queued or running are
 * answered by one later commit of all of them, so a slow write lowers the number of
 * commits, not the rate at which calls are taken in. `schedule` runs a commit in the
 * caller's own order of operations (the document store's queue); when it refuses to run
 * one (a closed store), every call waiting on that commit is refused with its error.
 */
export function createGroupCommit<I, R> (
  schedule: (run: () => Promise<void>) => Promise<void>,
  commit: (items: I[]) => Promise<R[]>
): (item: I) => Promise<R> {
  const waiting: Array<{ item: I, resolve: (r: R) => void, reject: (e: unknown) => void }> = []
  let queued = false

  async function run (): Promise<void> {
    queued = false
    const calls = waiting.splice(0)
    try {
      const results = await commit(calls.map((c) => c.item))
      calls.forEach((c, i) => { c.resolve(results[i]!) })
    } catch (e) {
      for (const c of calls) c.reject(e)
    }
  }

  return (item) => new Promise<R>((resolve, reject) => {
    waiting.push({ item, resolve, reject })
    if (queued) return
    queued = true
    schedule(run).catch((e: unknown) => {
      queued = false
      for (const c of waiting.splice(0)) c.reject(e)
    })
  })
}
