/**
 * Plain-text tables in kubectl's layout: upper-case headers, columns left-aligned and
 * three spaces apart, no borders, trailing spaces trimmed, so the output greps and cuts.
 */

export type Cell = string | number | boolean | undefined

function cellText (c: Cell): string {
  return c === undefined || c === '' ? '<none>' : String(c)
}

export function renderTable (headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>, indent = ''): string {
  const texts = rows.map((r) => headers.map((_, i) => cellText(r[i])))
  const widths = headers.map((h, i) => Math.max(h.length, ...texts.map((r) => (r[i] as string).length)))
  const line = (cells: readonly string[]): string => indent + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd((widths[i] as number) + 3))).join('').trimEnd()
  return [line(headers.map((h) => h.toUpperCase())), ...texts.map(line)].join('\n') + '\n'
}
