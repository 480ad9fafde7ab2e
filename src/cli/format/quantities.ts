/**
 * Human figures for tables: byte counts (`1.5 KiB`), CPU from millicores (`2`, `500m`),
 * and memory in binary units (`64Gi`). JSON output keeps the raw
 * numbers; only tables use these.
 */

const BIN = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

export function bytesText (n: number): string {
  let v = n
  let i = 0
  while (v >= 1024 && i < BIN.length - 1) { v /= 1024; i++ }
  return i === 0 ? `${n} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${BIN[i]}`
}

export function cpuText (milli: number): string {
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`
}

const MEM = [['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const

export function memoryText (bytes: number): string {
  for (const [unit, size] of MEM) {
    if (bytes >= size) {
      const v = bytes / size
      return `${Number.isInteger(v) ? v : v.toFixed(1)}${unit}`
    }
  }
  return String(bytes)
}
