// @ts-check
/**
 * The federation as a grid of site cards grouped by region, each with its health as
 * this site sees it and the time since its last heartbeat (aged in the browser every
 * second between fetches).
 */
import { byId, h, replace } from '../lib/dom.js'
import { HEALTH_GLYPH, bytes, count, duration, healthText } from '../lib/format.js'

/** @param {any} s @param {number} receivedAt */
function heartbeat (s, receivedAt) {
  if (s.self) return h('span', { class: 'hb' }, 'this site')
  if (s.lastHeartbeatAgoMs === undefined) return h('span', { class: 'hb muted' }, 'no heartbeat yet')
  return h('span', { class: 'hb', dataset: { base: String(s.lastHeartbeatAgoMs), at: String(receivedAt) } }, `heartbeat ${duration(s.lastHeartbeatAgoMs)} ago`)
}

/** @param {any} s @param {number} receivedAt */
function siteCard (s, receivedAt) {
  const label = `${s.id}: ${healthText(s.health)}`
  return h('li', { class: `site-card health-${s.health}`, dataset: { site: s.id, health: s.health }, 'aria-label': label },
    h('div', { class: 'site-top' },
      h('span', { class: 'site-id' }, s.id),
      h('span', { class: `badge health-${s.health}` }, h('span', { 'aria-hidden': 'true' }, HEALTH_GLYPH[s.health] ?? '?'), ` ${healthText(s.health)}`)),
    h('div', { class: 'muted small' }, s.zone === '' ? s.region : `${s.region} · ${s.zone}`),
    heartbeat(s, receivedAt),
    h('div', { class: 'site-facts small' },
      h('span', { title: 'clusters ready / total' }, `${s.clusters.ready}/${s.clusters.total} clusters`),
      h('span', { title: 'workloads that originated here' }, `${count(s.workloads)} workload${s.workloads === 1 ? '' : 's'}`),
      s.self ? null : h('span', { title: `received ${bytes(s.bytesIn)}, sent ${bytes(s.bytesOut)}` }, s.connected ? 'connected' : 'not connected'),
      s.behind > 0 ? h('span', { class: 'warn', title: 'changes it holds that this site lacks' }, `${count(s.behind)} behind`) : null,
      s.member ? null : h('span', { class: 'warn' }, 'not in roster')))
}

/** @param {{ at: number, items: any[] }} sites */
export function renderSites (sites) {
  const receivedAt = Date.now()
  /** @type {Map<string, any[]>} */
  const regions = new Map()
  for (const s of sites.items) regions.set(s.region, [...(regions.get(s.region) ?? []), s])
  const names = [...regions.keys()].sort()
  replace(byId('sites-body'), names.map((r) => {
    const list = /** @type {any[]} */ (regions.get(r))
    const bad = list.filter((s) => s.health === 'failed' || s.health === 'suspect').length
    return h('div', { class: 'region' },
      h('h3', null, r, h('span', { class: 'muted small' }, ` ${list.length} site${list.length === 1 ? '' : 's'}${bad > 0 ? `, ${bad} in trouble` : ''}`)),
      h('ul', { class: 'site-grid' }, list.map((s) => siteCard(s, receivedAt))))
  }))
}

/** Ages every heartbeat figure on the page by the time since it was fetched. */
export function tickHeartbeats () {
  const now = Date.now()
  for (const el of document.querySelectorAll('.hb[data-base]')) {
    const e = /** @type {HTMLElement} */ (el)
    const ms = Number(e.dataset['base']) + (now - Number(e.dataset['at']))
    e.textContent = `heartbeat ${duration(ms)} ago`
  }
}
