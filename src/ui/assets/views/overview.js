// @ts-check
/** The overview cards (sites, clusters, workloads, evidence) and this site's alarms. */
import { byId, h, replace } from '../lib/dom.js'
import { count } from '../lib/format.js'

/**
 * @param {string} label
 * @param {number} value
 * @param {ReadonlyArray<[string, number, string]>} parts [text, n, class]
 * @param {string} href
 */
function card (label, value, parts, href) {
  return h('a', { class: 'card', href },
    h('span', { class: 'card-label' }, label),
    h('span', { class: 'card-value' }, count(value)),
    h('span', { class: 'card-parts' }, parts.filter(([, n]) => n > 0).map(([t, n, cls]) => h('span', { class: `part ${cls}` }, `${count(n)} ${t}`))))
}

/** @param {any} summary */
export function renderOverview (summary) {
  const c = summary.counts
  const sh = c.sitesByHealth
  const ph = c.workloadsByPhase
  replace(byId('overview-cards'),
    card('Sites', c.sites, [['alive', sh.alive + sh.self, 'ok'], ['suspect', sh.suspect + sh.recovering, 'warn'], ['failed', sh.failed, 'bad'], ['unknown', sh.unknown, 'muted']], '#sites'),
    card('Clusters', c.clusters, [['ready', c.clustersByHealth.Ready, 'ok'], ['not ready', c.clustersByHealth.NotReady, 'bad'], ['unknown', c.clustersByHealth.Unknown, 'muted']], '#clusters'),
    card('Workloads', c.workloads, [['ready', ph.Ready, 'ok'], ['progressing', ph.Progressing + ph.Pending, 'warn'], ['degraded', ph.Degraded + ph.Unplaced, 'bad'], ['local-only', ph.LocalOnly, 'muted']], '#workloads'),
    card('Need attention', c.attention, [['policies', c.policies, 'muted'], ['stubs', c.stubs, 'muted']], '#workloads'),
    card('Events', c.events, [], '#timeline'),
    card('Evidence', c.evidence, [['conflicts', c.conflicts, 'warn'], ['anomalies', c.anomalies, 'warn']], '#evidence'))
  replace(byId('alarms'), summary.alarms.map((/** @type {string} */ a) => h('li', { class: 'alarm' }, h('span', { 'aria-hidden': 'true' }, '⚠ '), a)))
}
