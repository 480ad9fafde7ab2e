/**
 * The HTML report of one run: a single self-contained page (inline CSS and SVG, no
 * script, no external asset) with the verdicts, a timeline — one row per site showing
 * when it was down or lost, partitions and one-way cuts as bands, failovers and
 * fail-backs seen by honest sites, violations — and charts of each site's convergence
 * lag and of the workloads short of their desired ready replicas.
 */
import type { RunResult } from '../run.ts'
import type { TimelineEntry } from '../runner/timeline.ts'

const W = 1100
const LEFT = 110
const RIGHT = 20

function esc (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function x (t: number, duration: number): number {
  return LEFT + (Math.max(0, Math.min(t, duration)) / duration) * (W - LEFT - RIGHT)
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf']

interface Span { from: number, to: number, label: string }

/** Periods between a start kind and an end kind, per site (or global when site is undefined). */
function spans (entries: readonly TimelineEntry[], starts: string[], ends: string[], end: number): Map<string, Span[]> {
  const open = new Map<string, TimelineEntry>()
  const out = new Map<string, Span[]>()
  const push = (key: string, s: Span): void => {
    let l = out.get(key)
    if (l === undefined) out.set(key, l = [])
    l.push(s)
  }
  for (const e of entries) {
    const key = e.site ?? '*'
    if (starts.includes(e.kind)) open.set(key, e)
    else if (ends.includes(e.kind)) {
      const s = open.get(key)
      if (s !== undefined) { push(key, { from: s.timeMs, to: e.timeMs, label: s.detail }); open.delete(key) }
    }
  }
  for (const [key, s] of open) push(key, { from: s.timeMs, to: end, label: s.detail })
  return out
}

function timelineSvg (r: RunResult): string {
  const d = r.stats.virtualMs
  const rowH = 22
  const top = 30
  const rows = r.sites.length + 1
  const h = top + rows * rowH + 30
  const parts: string[] = []
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}">`)
  // time axis
  const step = d > 600_000 ? 60_000 : d > 120_000 ? 30_000 : 10_000
  for (let t = 0; t <= d; t += step) {
    parts.push(`<line x1="${x(t, d)}" y1="${top - 5}" x2="${x(t, d)}" y2="${h - 25}" class="grid"/><text x="${x(t, d)}" y="${h - 10}" class="axis">${Math.round(t / 1000)}s</text>`)
  }
  // partitions and one-way cuts: bands across every row
  const net = spans(r.timeline, ['partition', 'block'], ['heal', 'unblock'], d).get('*') ?? []
  for (const s of net) {
    parts.push(`<rect x="${x(s.from, d)}" y="${top}" width="${Math.max(1, x(s.to, d) - x(s.from, d))}" height="${rows * rowH}" class="partition"><title>${esc(s.label)}</title></rect>`)
  }
  r.sites.forEach((site, i) => {
    const y = top + (i + 1) * rowH
    parts.push(`<text x="8" y="${y + 15}" class="label${site.honest ? '' : ' byz'}">${esc(site.id)} ${esc(site.region)}${site.honest ? '' : ' ⚠'}</text>`)
    parts.push(`<line x1="${LEFT}" y1="${y + 11}" x2="${W - RIGHT}" y2="${y + 11}" class="lane"/>`)
    const down = spans(r.timeline.filter((e) => e.site === site.id), ['crash', 'site-loss'], ['restart', 'site-return'], d).get(site.id) ?? []
    for (const s of down) {
      parts.push(`<rect x="${x(s.from, d)}" y="${y + 4}" width="${Math.max(2, x(s.to, d) - x(s.from, d))}" height="14" class="${s.label.includes('lost') ? 'lost' : 'down'}"><title>${esc(s.label)}</title></rect>`)
    }
    const nr = spans(r.timeline.filter((e) => e.site === site.id), ['not-ready'], ['cluster-ready'], d).get(site.id) ?? []
    for (const s of nr) parts.push(`<rect x="${x(s.from, d)}" y="${y + 15}" width="${Math.max(2, x(s.to, d) - x(s.from, d))}" height="4" class="notready"><title>${esc(s.label)}</title></rect>`)
    for (const e of r.timeline) {
      if (e.site !== site.id) continue
      if (e.kind === 'failover' || e.kind === 'failback') {
        parts.push(`<circle cx="${x(e.timeMs, d)}" cy="${y + 11}" r="4" class="${e.kind}"><title>${esc(`${(e.timeMs / 1000).toFixed(1)} s ${e.kind}: ${e.detail}`)}</title></circle>`)
      } else if (e.kind === 'skew' || e.kind === 'slow-disk') {
        parts.push(`<path d="M${x(e.timeMs, d)} ${y + 2} l4 6 l-8 0 z" class="minor"><title>${esc(`${(e.timeMs / 1000).toFixed(1)} s ${e.detail}`)}</title></path>`)
      }
    }
  })
  // violations on the top row
  parts.push(`<text x="8" y="${top + 15}" class="label">violations</text>`)
  for (const inv of r.invariants) {
    for (const v of inv.violations) {
      parts.push(`<path d="M${x(v.timeMs, d)} ${top + 3} l5 14 l-10 0 z" class="violation"><title>${esc(`${(v.timeMs / 1000).toFixed(1)} s ${inv.name}/${v.rule}: ${v.message}`)}</title></path>`)
    }
  }
  parts.push('</svg>')
  return parts.join('')
}

function lineChart (title: string, series: Array<{ name: string, points: Array<[number, number]> }>, duration: number, unit: string): string {
  const h = 220
  const top = 20
  const bottom = 30
  let max = 1
  for (const s of series) for (const [, v] of s.points) max = Math.max(max, v)
  const y = (v: number): number => top + (1 - v / max) * (h - top - bottom)
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}">`]
  parts.push(`<text x="8" y="14" class="label">${esc(title)}</text>`)
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4
    parts.push(`<line x1="${LEFT}" y1="${y(v)}" x2="${W - RIGHT}" y2="${y(v)}" class="grid"/><text x="${LEFT - 6}" y="${y(v) + 4}" class="axis" text-anchor="end">${unit === 'ms' ? `${(v / 1000).toFixed(1)}s` : Math.round(v)}</text>`)
  }
  series.forEach((s, i) => {
    if (s.points.length === 0) return
    const path = s.points.map(([t, v], j) => `${j === 0 ? 'M' : 'L'}${x(t, duration).toFixed(1)} ${y(v).toFixed(1)}`).join(' ')
    parts.push(`<path d="${path}" fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="1.5"><title>${esc(s.name)}</title></path>`)
  })
  const legend = series.map((s, i) => `<tspan fill="${PALETTE[i % PALETTE.length]}">■ ${esc(s.name)}</tspan>`).join('  ')
  parts.push(`<text x="${LEFT}" y="${h - 8}" class="axis">${legend}</text></svg>`)
  return parts.join('')
}

export function reportHtml (r: RunResult, replay: string): string {
  const d = r.stats.virtualMs
  const verdicts = r.invariants.map((inv) => {
    const count = inv.violations.length + inv.more
    const list = inv.violations.map((v) => `<li><b>${(v.timeMs / 1000).toFixed(1)} s</b> [${esc(v.rule)}] ${esc(v.message)}</li>`).join('')
    return `<tr class="${inv.ok ? 'ok' : 'bad'}"><td>${inv.name}</td><td>${inv.ok ? 'PASS' : `FAIL (${count})`}</td><td>${inv.checked.toLocaleString('en-US')}</td><td>${esc(inv.checks)}${list === '' ? '' : `<ul>${list}${inv.more > 0 ? `<li>… ${inv.more} more</li>` : ''}</ul>`}</td></tr>`
  }).join('')
  const lagSeries = r.sites.filter((s) => s.honest).map((s) => ({ name: s.id, points: r.series.lag[s.id] ?? [] }))
  const avail = [
    { name: 'workloads below desired ready', points: r.series.availability.map(([t, b]) => [t, b] as [number, number]) },
    { name: 'workloads at zero ready', points: r.series.availability.map(([t, , z]) => [t, z] as [number, number]) }
  ]
  const events = r.timeline.filter((e) => e.kind !== 'workload').slice(0, 400).map((e) =>
    `<tr><td>${(e.timeMs / 1000).toFixed(1)}</td><td>${e.kind}</td><td>${esc(e.site ?? '')}</td><td>${esc(e.detail)}</td></tr>`).join('')
  const o = r.options
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>flotilla sim ${esc(o.scenario)} seed ${esc(String(o.seed))}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:20px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;vertical-align:top;text-align:left}
tr.ok td:nth-child(2){color:#1a7f37;font-weight:bold}tr.bad td:nth-child(2){color:#cf222e;font-weight:bold}
code{background:#f4f4f4;padding:2px 4px}
.grid{stroke:#eee}.axis{font-size:11px;fill:#666}.label{font-size:12px;fill:#333}.byz{fill:#cf222e}.lane{stroke:#ccc}
.partition{fill:#fdd;opacity:.6}.down{fill:#888}.lost{fill:#222}.notready{fill:#e6a700}
.failover{fill:#0969da}.failback{fill:#1a7f37}.violation{fill:#cf222e}.minor{fill:#8250df}
.legend span{margin-right:14px}
</style></head><body>
<h1>flotilla sim — ${esc(o.scenario)}, seed ${esc(String(o.seed))}: ${r.ok ? 'PASS' : 'FAIL'}</h1>
<p>${o.sites} sites in ${o.regions} regions, ${(o.durationMs / 1000).toFixed(0)} s virtual, random faults: ${esc(o.faults.kinds.join(', ') || 'none')}${o.faults.byzantine > 0 ? `, ${o.faults.byzantine} Byzantine (${esc(o.faults.behaviours.join(', '))})` : ''}${o.injectedBugs.length > 0 ? `, <b>injected bugs: ${esc(o.injectedBugs.join(', '))}</b>` : ''}.<br>
Trace hash <code>${r.traceHash}</code> · ${(r.stats.wallMs / 1000).toFixed(1)} s wall · ${r.stats.speedup.toFixed(1)}× · replay: <code>${esc(replay)}</code></p>
<h2>Invariants</h2><table><tr><th>invariant</th><th>verdict</th><th>checks</th><th>what is checked</th></tr>${verdicts}</table>
${r.internalErrors.length > 0 ? `<h2>Simulator errors</h2><pre>${esc(r.internalErrors.join('\n\n'))}</pre>` : ''}
<h2>Timeline</h2>
<p class="legend"><span style="color:#888">■ process down</span><span>■ site lost (with clusters)</span><span style="color:#e6a700">■ cluster NotReady</span><span style="color:#e88">■ partition / one-way cut</span><span style="color:#0969da">● failover</span><span style="color:#1a7f37">● fail-back</span><span style="color:#8250df">▲ clock step / slow disk</span><span style="color:#cf222e">▲ violation</span></p>
${timelineSvg(r)}
<h2>Convergence lag per honest site</h2>
<p>Largest delay, per 5 s window, between an honest site making a change and this site holding it.</p>
${lineChart('convergence lag', lagSeries, d, 'ms')}
<h2>Availability (ground truth)</h2>
${lineChart('honest stateless Deployments short of desired ready replicas', avail, d, 'n')}
<h2>Events</h2><table><tr><th>s</th><th>kind</th><th>site</th><th>detail</th></tr>${events}</table>
</body></html>
`
}
