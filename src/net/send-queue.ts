/**
 * A bounded FIFO of outgoing frames for one peer. It caps both the number of frames and
 * their bytes, so a slow or stalled peer costs at most a fixed amount of memory; a frame
 * that does not fit is refused and the caller counts it as dropped.
 */

export interface SendQueue {
  /** Appends a frame; false (and nothing queued) when either bound would be exceeded. */
  push (frame: Uint8Array): boolean
  shift (): Uint8Array | undefined
  /** Empties the queue and returns how many frames were discarded. */
  clear (): number
  readonly frames: number
  readonly bytes: number
}

export function createSendQueue (maxFrames: number, maxBytes: number): SendQueue {
  let items: Uint8Array[] = []
  let head = 0
  let bytes = 0
  return {
    get frames () { return items.length - head },
    get bytes () { return bytes },
    push (frame) {
      if (items.length - head >= maxFrames || bytes + frame.byteLength > maxBytes) return false
      items.push(frame)
      bytes += frame.byteLength
      return true
    },
    shift () {
      if (head >= items.length) return undefined
      const frame = items[head]
      items[head] = EMPTY
      head++
      // compact now and then instead of an O(n) Array.shift per frame
      if (head > 64 && head * 2 > items.length) { items = items.slice(head); head = 0 }
      if (frame !== undefined) bytes -= frame.byteLength
      return frame
    },
    clear () {
      const n = items.length - head
      items = []
      head = 0
      bytes = 0
      return n
    }
  }
}

const EMPTY = new Uint8Array(0)
