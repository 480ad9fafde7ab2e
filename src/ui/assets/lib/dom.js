// @ts-check
/**
 * Building DOM without HTML strings. Everything shown comes from the federation's view,
 * which other (possibly hostile) sites write, so text only ever enters the page as text
 * nodes and attribute values, never as markup.
 */

/** @typedef {Node | string | number | null | undefined | false | ReadonlyArray<unknown>} Child  (arrays hold more children) */

/**
 * @param {Element} el
 * @param {ReadonlyArray<Child>} children
 */
export function append (el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue
    if (Array.isArray(c)) append(el, /** @type {ReadonlyArray<Child>} */ (c))
    else if (typeof c === 'string' || typeof c === 'number') el.append(String(c))
    else el.append(/** @type {Node} */ (c))
  }
  return el
}

/**
 * `h('td', { class: 'num', title: 'x' }, 'text', child)`. `on<event>` attributes add
 * listeners; `dataset` sets data attributes; `false`, `null` and `undefined` attributes
 * are left out, `true` ones set empty.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown> | null} [attrs]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h (tag, attrs, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue
    if (k === 'class') el.className = String(v)
    else if (k === 'dataset') Object.assign(el.dataset, v)
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), /** @type {EventListener} */ (v))
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  append(el, children)
  return el
}

/**
 * Replaces an element's children.
 * @param {Element} el
 * @param {...Child} children
 */
export function replace (el, ...children) {
  el.replaceChildren()
  return append(el, children)
}

/**
 * The element with this id (throws when the page lacks it: a bug, not a state).
 * @template {HTMLElement} T
 * @param {string} id
 * @returns {T}
 */
export function byId (id) {
  const el = document.getElementById(id)
  if (el === null) throw new Error(`the page has no #${id}`)
  return /** @type {T} */ (el)
}
