// @ts-check
/** Byzantine evidence every site recorded: what kind, who offended, how often, and the detail. */
import { getJson } from '../lib/api.js'
import { byId, h, replace } from '../lib/dom.js'
import { ago, count, timestamp } from '../lib/format.js'

export async function loadEvidence () {
  const page = await getJson('evidence', { limit: 200 })
  const tbody = /** @type {HTMLTableSectionElement} */ (byId('evidence-table').querySelector('tbody'))
  replace(tbody, page.items.map((/** @type {any} */ e) => h('tr', { dataset: { kind: e.kind, offender: e.offender } },
    h('th', { scope: 'row' }, h('span', { class: 'badge kind-bad' }, e.kind)),
    h('td', { class: 'mono small' }, e.offender),
    h('td', null, e.observedBy),
    h('td', { class: 'num' }, count(e.count)),
    h('td', { class: 'small' }, h('time', { datetime: new Date(e.at).toISOString(), title: timestamp(e.at) }, ago(e.at))),
    h('td', { class: 'small' }, e.detail, e.proofs > 0 ? h('span', { class: 'muted' }, ` (${e.proofs} signed proof${e.proofs === 1 ? '' : 's'})`) : null))))
  byId('evidence-empty').hidden = page.items.length > 0
  byId('evidence-table').hidden = page.items.length === 0
}
