// @ts-check
/**
 * Which parts of the page to refetch after a live notice. Everything loads once at
 * start; afterwards a notice refetches only the sections on screen and marks the others
 * stale, to be refetched when they scroll into view. A section never has two fetches
 * in flight: a notice during a fetch queues exactly one more.
 */
import { h } from './dom.js'

/**
 * @typedef {{
 *   name: string,
 *   element: HTMLElement,
 *   load: () => Promise<void>,
 *   alwaysVisible?: boolean
 * }} SectionSpec
 * @typedef {SectionSpec & { visible: boolean, stale: boolean, running: Promise<void> | null, again: boolean, error: HTMLElement | null }} Section
 */

export function createSections () {
  /** @type {Map<string, Section>} */
  const sections = new Map()
  /** @type {Map<Element, Section>} */
  const byElement = new Map()
  // Until the first `loadAll`, scrolling only records what is visible.
  let started = false
  const observer = new IntersectionObserver((entries) => {
    for (const e of entries) {
      const s = byElement.get(e.target)
      if (s === undefined) continue
      s.visible = e.isIntersecting
      if (started && s.visible && s.stale) refresh(s)
    }
  }, { rootMargin: '200px 0px' })

  /** @param {Section} s @param {unknown} err */
  function showError (s, err) {
    const message = err instanceof Error ? err.message : String(err)
    const hint = /** @type {{ hint?: string }} */ (err).hint
    if (s.error === null) {
      s.error = h('p', { class: 'error', role: 'alert' })
      s.element.prepend(s.error)
    }
    s.error.textContent = `Could not load ${s.name}: ${message}${hint === undefined ? '' : ` — ${hint}`}`
  }

  /** @param {Section} s */
  function refresh (s) {
    if (s.running !== null) { s.again = true; return }
    s.stale = false
    s.running = s.load()
      .then(() => { s.error?.remove(); s.error = null })
      .catch((err) => showError(s, err))
      .finally(() => {
        s.running = null
        if (s.again) { s.again = false; refresh(s) }
      })
  }

  return {
    /** @param {SectionSpec} spec */
    add (spec) {
      /** @type {Section} */
      const s = { ...spec, visible: spec.alwaysVisible === true, stale: true, running: null, again: false, error: null }
      sections.set(spec.name, s)
      if (spec.alwaysVisible !== true) {
        byElement.set(spec.element, s)
        observer.observe(spec.element)
      }
    },
    /** Loads every section (at start and after a reconnection). */
    loadAll () {
      started = true
      for (const s of sections.values()) refresh(s)
    },
    /** After a change: refetch what is on screen now, the rest when it comes into view. */
    invalidate () {
      for (const s of sections.values()) {
        if (s.visible) refresh(s)
        else s.stale = true
      }
    },
    /** @param {string} name */
    reload (name) {
      const s = sections.get(name)
      if (s !== undefined) refresh(s)
    }
  }
}
