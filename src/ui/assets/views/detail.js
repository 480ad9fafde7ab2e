// @ts-check
/**
 * One workload in a dialog: status per cluster, where this site believes it runs now,
 * every site's binding, and the scheduler's explanation. It follows live updates while
 * open, so a failover can be watched from here.
 */
import { getJson } from '../lib/api.js'
import { byId, h, replace } from '../lib/dom.js'
import { ago, phaseText, timestamp } from '../lib/format.js'

/** @type {string | null} */
let openKey = null

/** @param {string} label @param {import('../lib/dom.js').Child} value */
function fact (label, value) {
  return [h('dt', null, label), h('dd', null, value)]
}

/** @param {any} d */
function clusterTable (d) {
  const rows = d.status?.clusters ?? d.row.placement.map((/** @type {any} */ p) => ({ cluster: p.cluster, planned: p.planned, desired: p.planned, ready: null, available: null, upToDate: false, extra: false }))
  if (rows.length === 0) return h('p', { class: 'muted' }, 'Not placed on any cluster.')
  return h('table', { class: 'grid compact' },
    h('caption', null, 'Per cluster'),
    h('thead', null, h('tr', null, ['Cluster', 'Planned', 'Acting', 'Desired', 'Ready', 'Up to date', 'Note'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, rows.map((/** @type {any} */ c) => h('tr', null,
      h('th', { scope: 'row', class: 'mono' }, c.cluster),
      h('td', { class: 'num' }, c.planned),
      h('td', { class: 'num' }, c.acting ?? '—'),
      h('td', { class: 'num' }, c.desired),
      h('td', { class: 'num' }, c.ready ?? '—'),
      h('td', null, c.upToDate ? 'yes' : 'no'),
      h('td', { class: c.error === undefined ? 'small' : 'small bad' }, c.error ?? (c.extra ? 'outside the plan (draining or failed over)' : ''))))))
}

/** @param {any} d */
function render (d) {
  const w = d.row
  byId('detail-title').textContent = `${w.kind} ${w.namespace === undefined ? '' : `${w.namespace}/`}${w.name}`
  replace(byId('detail-body'),
    h('p', null, h('span', { class: `badge phase-${w.phase}` }, phaseText(w.phase)), ` ${w.summary}`),
    w.degraded.length > 0 ? h('ul', { class: 'alarms' }, w.degraded.map((/** @type {string} */ t) => h('li', { class: 'alarm' }, t))) : null,
    h('dl', { class: 'facts' },
      fact('Key', h('span', { class: 'mono' }, w.key)),
      fact('Origin', w.origin),
      fact('Residency', w.residency),
      fact('Stateless', w.stateless ? 'yes (may migrate)' : 'no (stays put)'),
      fact('Generation', String(d.generation)),
      fact('Updated', d.updatedAt > 0 ? h('time', { datetime: new Date(d.updatedAt).toISOString(), title: timestamp(d.updatedAt) }, ago(d.updatedAt)) : '—')),
    clusterTable(d),
    d.effective === undefined ? null : h('section', null,
      h('h3', null, 'As this site acts on it'),
      h('p', null, h('strong', null, d.effective.mode), ` — ${d.effective.reason}`),
      d.effective.degraded === undefined ? null : h('p', { class: 'bad' }, d.effective.degraded),
      h('p', { class: 'mono small' }, d.effective.assignments.map((/** @type {any} */ a) => `${a.cluster}: ${a.replicas}`).join(', ') || 'no clusters')),
    d.bindings.length === 0 ? null : h('section', null,
      h('h3', null, 'Bindings'),
      h('ul', { class: 'plain' }, d.bindings.map((/** @type {any} */ b) => h('li', null,
        h('strong', null, b.decidedBy), ` (generation ${b.generation}${b.policy === undefined ? '' : `, policy ${b.policy}`}, ${ago(b.decidedAt)}): `,
        h('span', { class: 'mono small' }, b.placement.map((/** @type {any} */ a) => `${a.cluster}: ${a.replicas}`).join(', ') || 'nowhere'),
        h('div', { class: 'small muted' }, b.reason),
        b.degraded === undefined ? null : h('div', { class: 'small bad' }, b.degraded))))),
    d.explain === undefined ? null : h('details', { open: true }, h('summary', null, 'Why it is placed there (explain)'), h('pre', { class: 'explain', dataset: { part: 'explain' } }, d.explain)),
    d.manifest === undefined
      ? h('p', { class: 'muted small' }, `Manifest withheld: ${d.manifestWithheld ?? 'not available'}.`)
      : h('details', null, h('summary', null, 'Manifest'), h('pre', { class: 'explain', dataset: { part: 'manifest' } }, JSON.stringify(d.manifest, null, 2))))
}

/** @param {string} key */
export async function showDetail (key) {
  openKey = key
  const dialog = /** @type {HTMLDialogElement} */ (byId('detail'))
  replace(byId('detail-body'), h('p', { class: 'muted' }, 'Loading…'))
  byId('detail-title').textContent = key
  if (!dialog.open) dialog.showModal()
  await refreshDetail()
}

/** Refetches the open workload (after a live notice); no-op when the dialog is closed. */
export async function refreshDetail () {
  const key = openKey
  if (key === null) return
  try {
    const d = await getJson('workload', { key })
    if (openKey === key) render(d)
  } catch (err) {
    if (openKey !== key) return
    const e = /** @type {Error & { status?: number }} */ (err)
    replace(byId('detail-body'), h('p', { class: 'error', role: 'alert' }, e.status === 404 ? 'This workload is no longer in the view (deleted).' : `Could not load it: ${e.message}`))
  }
}

export function bindDetail () {
  const dialog = /** @type {HTMLDialogElement} */ (byId('detail'))
  byId('detail-close').addEventListener('click', () => dialog.close())
  dialog.addEventListener('close', () => { openKey = null })
  // A click on the backdrop (outside the dialog box) closes it too.
  dialog.addEventListener('click', (e) => { if (e.target === dialog) dialog.close() })
}
