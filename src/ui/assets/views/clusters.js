// @ts-check
/**
 * Member clusters with capacity bars: allocated against allocatable for CPU, memory,
 * pods, whole GPUs and vGPU (compute share and memory). Filtering happens in the
 * browser: even 50 sites of four clusters each are only 200 rows.
 */
import { byId, h, replace } from '../lib/dom.js'
import { HEALTH_GLYPH, bytes, cores, percent } from '../lib/format.js'

/**
 * A labelled bar; empty when the cluster has none of the resource.
 * @param {string} name
 * @param {number} used
 * @param {number} total
 * @param {(n: number) => string} fmt
 */
function bar (name, used, total, fmt) {
  if (total <= 0) return h('span', { class: 'muted small' }, '—')
  const p = percent(used, total)
  const fill = h('span', { class: `bar-fill${p >= 90 ? ' bad' : p >= 75 ? ' warn' : ''}` })
  fill.style.width = `${p.toFixed(1)}%`
  return h('div', { class: 'capacity' },
    h('div', { class: 'bar', role: 'meter', 'aria-label': `${name} in use`, 'aria-valuemin': '0', 'aria-valuemax': String(total), 'aria-valuenow': String(Math.min(used, total)), 'aria-valuetext': `${fmt(used)} of ${fmt(total)} (${Math.round(p)}%)` }, fill),
    h('span', { class: 'bar-text small' }, `${fmt(used)} / ${fmt(total)}`))
}

/** @param {any} c */
function vgpu (c) {
  const a = c.allocatable
  if (a.vgpuCores <= 0 && a.vgpuMemoryMiB <= 0) return h('span', { class: 'muted small' }, '—')
  return h('div', { class: 'stack' },
    bar('vGPU compute', c.allocated.vgpuCores, a.vgpuCores, (n) => `${Math.round(n)}%`),
    bar('vGPU memory', c.allocated.vgpuMemoryMiB * 2 ** 20, a.vgpuMemoryMiB * 2 ** 20, bytes))
}

/** @param {any} c */
function row (c) {
  const a = c.allocatable
  const u = c.allocated
  return h('tr', { dataset: { cluster: c.id } },
    h('th', { scope: 'row' }, h('span', { class: 'mono' }, c.name), h('div', { class: 'muted small' }, `${c.provider} · ${c.mode}`)),
    h('td', null, c.site, h('div', { class: 'muted small' }, c.region)),
    h('td', null, h('span', { class: `badge health-${c.health}` }, h('span', { 'aria-hidden': 'true' }, HEALTH_GLYPH[c.health] ?? '?'), ` ${c.health}`),
      c.siteHealth === 'failed' || c.siteHealth === 'suspect' ? h('div', { class: 'small bad' }, `site ${c.siteHealth}`) : null),
    h('td', { class: 'num' }, `${c.nodes.ready}/${c.nodes.total}`),
    h('td', null, bar('CPU', u.cpuMilli, a.cpuMilli, cores)),
    h('td', null, bar('Memory', u.memoryBytes, a.memoryBytes, bytes)),
    h('td', null, bar('Pods', u.pods, a.pods, String)),
    h('td', null, bar('GPU', u.gpu, a.gpu, String)),
    h('td', null, vgpu(c)))
}

/** @type {any[]} */
let all = []

function render () {
  const text = /** @type {HTMLInputElement} */ (byId('clusters-filter')).value.trim().toLowerCase()
  const notReady = /** @type {HTMLInputElement} */ (byId('clusters-notready')).checked
  const shown = all.filter((c) => (!notReady || c.health !== 'Ready') && (text === '' || `${c.id} ${c.region} ${c.zone} ${c.provider}`.toLowerCase().includes(text)))
  const tbody = /** @type {HTMLTableSectionElement} */ (byId('clusters-table').querySelector('tbody'))
  replace(tbody, shown.map(row))
  byId('clusters-empty').hidden = shown.length > 0
}

/** @param {{ items: any[] }} clusters */
export function renderClusters (clusters) {
  all = clusters.items
  render()
}

export function bindClusterFilters () {
  byId('clusters-filter').addEventListener('input', render)
  byId('clusters-notready').addEventListener('change', render)
}
