// @ts-check
/**
 * The timeline of what happened in the federation, newest first: sites suspected,
 * failed and recovered, partitions, migrations and failbacks (with the workloads they
 * moved), clusters going not ready and ready, evidence. Older events load on demand. A
 * partition is derived by the server from one observer's site-failed events (`derived`),
 * and says so.
 */
import { getJson } from '../lib/api.js'
import { byId, h, replace } from '../lib/dom.js'
import { ago, count, timestamp } from '../lib/format.js'

const PAGE = 100
const CATEGORY = /** @type {Record<string, string>} */ ({
  'site-failed': 'bad', partition: 'bad', 'cluster-not-ready': 'bad', degraded: 'bad', evidence: 'bad',
  'site-suspected': 'warn',
  'site-recovered': 'ok', 'cluster-ready': 'ok',
  migration: 'move', failback: 'move',
  info: 'muted'
})

let shown = PAGE
let kinds = ''

/** @param {any} e */
function item (e) {
  const moved = e.moved ?? []
  return h('li', { class: `event event-${CATEGORY[e.kind] ?? 'muted'}`, dataset: { kind: e.kind, site: e.site } },
    h('div', { class: 'event-head' },
      h('span', { class: `badge kind-${CATEGORY[e.kind] ?? 'muted'}` }, e.kind),
      h('strong', null, ` ${e.subject}`),
      h('time', { class: 'muted small', datetime: new Date(e.at).toISOString(), title: timestamp(e.at) }, ` ${ago(e.at)}`)),
    h('div', { class: 'small' }, e.cause, h('span', { class: 'muted' }, e.derived === undefined
      ? ` — reported by ${e.site}${e.localOnly === true ? ' (not replicated yet)' : ''}`
      : ` — as ${e.site} saw it (derived from its site-failed events)`)),
    moved.length === 0 ? null : h('details', { class: 'small' },
      h('summary', null, `moved ${count(moved.length)} workload${moved.length === 1 ? '' : 's'}`),
      h('ul', { class: 'plain mono' }, moved.slice(0, 50).map((/** @type {any} */ m) => h('li', null, `${m.workload}: ${m.from.join(', ') || '—'} → ${m.to.join(', ') || '—'}`)),
        moved.length > 50 ? h('li', { class: 'muted' }, `and ${count(moved.length - 50)} more`) : null)))
}

export async function loadTimeline () {
  const page = await getJson('events', { limit: shown, kind: kinds })
  replace(byId('timeline-list'), page.items.map(item))
  byId('timeline-empty').hidden = page.items.length > 0
  byId('timeline-more').hidden = page.total <= page.items.length
}

/** @param {() => void} reload */
export function bindTimeline (reload) {
  byId('timeline-kind').addEventListener('change', (e) => {
    kinds = /** @type {HTMLSelectElement} */ (e.target).value
    shown = PAGE
    reload()
  })
  byId('timeline-more').addEventListener('click', () => { shown = Math.min(500, shown + PAGE); reload() })
}
