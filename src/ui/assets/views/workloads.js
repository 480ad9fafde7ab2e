// @ts-check
/**
 * The workloads table: one page at a time from the server (search, filters and sort run
 * there), so 10,000 workloads cost the browser no more than 50. The query lives in the
 * address bar, so a filtered view can be bookmarked or shared.
 */
import { getJson } from '../lib/api.js'
import { byId, h, replace } from '../lib/dom.js'
import { count, phaseText } from '../lib/format.js'

const PLACEMENT_CHIPS = 4

/** @typedef {{ q: string, origin: string, kind: string, phase: string, attention: boolean, sort: string, offset: number, limit: number }} Query */

/** @type {Query} */
const query = { q: '', origin: '', kind: '', phase: '', attention: false, sort: 'key', offset: 0, limit: 50 }
/** @type {AbortController | null} */
let inFlight = null
/** @type {(key: string) => void} */
let openDetail = () => {}
let facetsShown = ''
let firstRender = true

function readUrl () {
  const p = new URLSearchParams(location.search)
  query.q = p.get('q') ?? ''
  query.origin = p.get('origin') ?? ''
  query.kind = p.get('kind') ?? ''
  query.phase = p.get('phase') ?? ''
  query.attention = p.get('attention') === '1'
  query.sort = p.get('sort') ?? 'key'
  query.offset = Math.max(0, Number(p.get('offset') ?? 0) || 0)
  const limit = Number(p.get('limit') ?? 50)
  query.limit = [25, 50, 100, 200].includes(limit) ? limit : 50
}

function writeUrl () {
  const p = new URLSearchParams()
  if (query.q !== '') p.set('q', query.q)
  if (query.origin !== '') p.set('origin', query.origin)
  if (query.kind !== '') p.set('kind', query.kind)
  if (query.phase !== '') p.set('phase', query.phase)
  if (query.attention) p.set('attention', '1')
  if (query.sort !== 'key') p.set('sort', query.sort)
  if (query.offset > 0) p.set('offset', String(query.offset))
  if (query.limit !== 50) p.set('limit', String(query.limit))
  const qs = p.toString()
  history.replaceState(null, '', `${location.pathname}${qs === '' ? '' : `?${qs}`}${location.hash}`)
}

/**
 * @param {HTMLSelectElement} select
 * @param {string[]} values
 * @param {string} current
 * @param {(v: string) => string} [label]
 */
function fillSelect (select, values, current, label = (v) => v) {
  replace(select, h('option', { value: '' }, 'all'), values.map((v) => h('option', { value: v, selected: v === current }, label(v))))
}

/** @param {any} facets */
function renderFacets (facets) {
  const key = JSON.stringify(facets)
  if (key === facetsShown) return
  facetsShown = key
  fillSelect(/** @type {HTMLSelectElement} */ (byId('wl-origin')), facets.origins, query.origin)
  fillSelect(/** @type {HTMLSelectElement} */ (byId('wl-kind')), facets.kinds, query.kind)
  fillSelect(/** @type {HTMLSelectElement} */ (byId('wl-phase')), facets.phases, query.phase, phaseText)
}

/** @param {any} w */
function readyCell (w) {
  if (w.ready === null) return h('td', { class: 'num muted', title: 'readiness of local-only workloads is not in the global view' }, `— / ${w.desired}`)
  const full = w.desired > 0 && w.ready >= w.desired
  return h('td', { class: `num ${full ? '' : w.ready === 0 && w.desired > 0 ? 'bad' : 'warn'}` }, `${w.ready} / ${w.desired}`)
}

/** @param {any} w */
function placementCell (w) {
  if (w.placement.length === 0) {
    return h('td', { class: 'small' }, h('span', { class: 'muted' }, w.summary), w.degraded.length > 0 ? h('div', { class: 'bad' }, w.degraded[0]) : null)
  }
  const shown = w.placement.slice(0, PLACEMENT_CHIPS)
  return h('td', null,
    h('ul', { class: 'chips', 'aria-label': `placement of ${w.name}` }, shown.map((/** @type {any} */ p) => {
      const state = p.extra ? 'extra' : w.ready === null ? 'planned' : p.ready >= p.planned ? 'ok' : p.ready === 0 ? 'bad' : 'warn'
      const text = w.ready === null ? `${p.cluster} ${p.planned}` : p.extra ? `${p.cluster} ${p.ready} extra` : `${p.cluster} ${p.ready}/${p.planned}`
      return h('li', { class: `chip ${state}`, title: p.extra ? 'running outside the plan: draining or failed over' : `${p.ready} ready of ${p.planned} planned` }, text)
    }), w.placement.length > PLACEMENT_CHIPS ? h('li', { class: 'chip muted' }, `+${w.placement.length - PLACEMENT_CHIPS} more`) : null),
    w.degraded.length > 0 ? h('div', { class: 'small bad' }, w.degraded[0]) : null)
}

/** @param {any} w */
function row (w) {
  return h('tr', { dataset: { key: w.key, phase: w.phase } },
    h('th', { scope: 'row' },
      h('button', { type: 'button', class: 'link', onclick: () => openDetail(w.key), title: w.key }, w.name),
      h('div', { class: 'muted small' }, `${w.kind}${w.namespace === undefined ? '' : ` · ${w.namespace}`}`)),
    h('td', null, w.origin),
    h('td', { class: 'small' }, w.residency),
    readyCell(w),
    h('td', null, h('span', { class: `badge phase-${w.phase}` }, phaseText(w.phase))),
    placementCell(w))
}

/** @param {any} page */
function render (page) {
  renderFacets(page.facets)
  const tbody = /** @type {HTMLTableSectionElement} */ (byId('workloads-table').querySelector('tbody'))
  replace(tbody, page.items.map(row))
  byId('workloads-empty').hidden = page.items.length > 0
  const from = page.matched === 0 ? 0 : page.offset + 1
  const to = page.offset + page.items.length
  byId('workloads-count').textContent = page.matched === page.total
    ? `${count(from)}–${count(to)} of ${count(page.total)}`
    : `${count(from)}–${count(to)} of ${count(page.matched)} matching (${count(page.total)} in all)`
  const prev = /** @type {HTMLButtonElement} */ (byId('wl-prev'))
  const next = /** @type {HTMLButtonElement} */ (byId('wl-next'))
  prev.disabled = page.offset === 0
  next.disabled = to >= page.matched
  if (firstRender && page.items.length > 0) {
    firstRender = false
    performance.mark('workloads-rendered')
  }
}

export async function loadWorkloads () {
  inFlight?.abort()
  const ctrl = new AbortController()
  inFlight = ctrl
  try {
    const page = await getJson('workloads', { ...query, attention: query.attention ? 1 : undefined }, ctrl.signal)
    // A page past the end (the list shrank): go to the last page instead.
    if (page.items.length === 0 && page.offset > 0 && page.matched > 0) {
      query.offset = Math.max(0, Math.floor((page.matched - 1) / query.limit) * query.limit)
      writeUrl()
      return await loadWorkloads()
    }
    render(page)
  } catch (err) {
    if (/** @type {Error} */ (err).name !== 'AbortError') throw err
  } finally {
    if (inFlight === ctrl) inFlight = null
  }
}

/** @param {(key: string) => void} onOpen @param {() => void} reload */
export function bindWorkloads (onOpen, reload) {
  openDetail = onOpen
  readUrl()
  const q = /** @type {HTMLInputElement} */ (byId('wl-q'))
  const attention = /** @type {HTMLInputElement} */ (byId('wl-attention'))
  const sort = /** @type {HTMLSelectElement} */ (byId('wl-sort'))
  const limit = /** @type {HTMLSelectElement} */ (byId('wl-limit'))
  q.value = query.q
  attention.checked = query.attention
  sort.value = query.sort
  limit.value = String(query.limit)
  const changed = () => { query.offset = 0; writeUrl(); reload() }
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let debounce
  q.addEventListener('input', () => {
    clearTimeout(debounce)
    debounce = setTimeout(() => { query.q = q.value.trim(); changed() }, 200)
  })
  byId('workloads-filters').addEventListener('submit', (e) => { e.preventDefault(); query.q = q.value.trim(); changed() })
  for (const [id, field] of /** @type {const} */ ([['wl-origin', 'origin'], ['wl-kind', 'kind'], ['wl-phase', 'phase'], ['wl-sort', 'sort']])) {
    byId(id).addEventListener('change', (e) => { query[field] = /** @type {HTMLSelectElement} */ (e.target).value; changed() })
  }
  attention.addEventListener('change', () => { query.attention = attention.checked; changed() })
  limit.addEventListener('change', () => { query.limit = Number(limit.value); changed() })
  // A new page starts at the top of the table, not where the pager was.
  const toTop = () => { byId('workloads').scrollIntoView({ block: 'start' }) }
  byId('wl-prev').addEventListener('click', () => { query.offset = Math.max(0, query.offset - query.limit); writeUrl(); reload(); toTop() })
  byId('wl-next').addEventListener('click', () => { query.offset += query.limit; writeUrl(); reload(); toTop() })
}
