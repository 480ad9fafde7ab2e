/**
 * Pending timers, for the system clock and the simulator's virtual clock alike: a binary
 * min-heap ordered by (time, seq), where `seq` is the insertion number. (time, seq) is a
 * total order, so events at the same instant run in the order they were scheduled and a
 * run replays exactly whatever the heap's internal layout. Cancellation is lazy (the entry is marked and skipped when it reaches
 * the top); the heap is rebuilt when cancelled entries outnumber live ones, so timers
 * that are almost always cancelled (timeouts) do not make it grow without bound.
 */

export interface QueuedEvent {
  readonly time: number
  readonly seq: number
  /** What to run (its result is handed back to the engine); undefined once the event is cancelled or taken. */
  run: (() => unknown) | undefined
}

export interface EventQueue {
  /** Adds an event at `time` (any finite number); later pushes at the same time run later. */
  push (time: number, run: () => unknown): QueuedEvent
  /** Cancels a pending event; returns false if it already ran or was cancelled. */
  cancel (event: QueuedEvent): boolean
  /** The next live event, without removing it. */
  peek (): QueuedEvent | undefined
  /** Removes the next live event and returns it with what to run; it can no longer be cancelled. */
  pop (): { time: number, seq: number, run: () => unknown } | undefined
  /** Live (not cancelled) events. */
  size (): number
}

/** Cancelled entries tolerated before a rebuild is considered. */
const COMPACT_MIN_CANCELLED = 1024

export function createEventQueue (): EventQueue {
  let heap: QueuedEvent[] = []
  let seq = 0
  let live = 0
  let cancelled = 0

  const before = (a: QueuedEvent, b: QueuedEvent): boolean => a.time < b.time || (a.time === b.time && a.seq < b.seq)

  const siftUp = (i: number): void => {
    const e = heap[i] as QueuedEvent
    while (i > 0) {
      const parent = (i - 1) >>> 1
      const p = heap[parent] as QueuedEvent
      if (!before(e, p)) break
      heap[i] = p
      i = parent
    }
    heap[i] = e
  }
  const siftDown = (i: number): void => {
    const n = heap.length
    const e = heap[i] as QueuedEvent
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const child = r < n && before(heap[r] as QueuedEvent, heap[l] as QueuedEvent) ? r : l
      const c = heap[child] as QueuedEvent
      if (!before(c, e)) break
      heap[i] = c
      i = child
    }
    heap[i] = e
  }
  const removeTop = (): QueuedEvent | undefined => {
    const top = heap[0]
    const last = heap.pop()
    if (top !== undefined && last !== undefined && heap.length > 0) {
      heap[0] = last
      siftDown(0)
    }
    return top
  }
  /** Drops cancelled entries from the top so that heap[0], if any, is live. */
  const skipCancelled = (): void => {
    while (heap.length > 0 && (heap[0] as QueuedEvent).run === undefined) {
      removeTop()
      cancelled--
    }
  }
  const compact = (): void => {
    heap = heap.filter((e) => e.run !== undefined)
    cancelled = 0
    for (let i = (heap.length >>> 1) - 1; i >= 0; i--) siftDown(i)
  }

  return {
    push (time, run) {
      if (!Number.isFinite(time)) throw new RangeError(`event time must be finite: received ${time}`)
      const event: QueuedEvent = { time, seq: seq++, run }
      heap.push(event)
      siftUp(heap.length - 1)
      live++
      return event
    },
    cancel (event) {
      if (event.run === undefined) return false
      event.run = undefined
      live--
      cancelled++
      if (cancelled > COMPACT_MIN_CANCELLED && cancelled > live) compact()
      return true
    },
    peek () {
      skipCancelled()
      return heap[0]
    },
    pop () {
      skipCancelled()
      const top = removeTop()
      if (top === undefined || top.run === undefined) return undefined
      const run = top.run
      top.run = undefined
      live--
      return { time: top.time, seq: top.seq, run }
    },
    size () {
      return live
    }
  }
}
