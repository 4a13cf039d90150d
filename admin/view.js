// Small DOM helpers for the dashboard: every value from the server goes in as text
// (textContent), never as HTML, since channel names, uids and info are anyone's input.

/** The element with `id`. */
export const $ = (id) => document.getElementById(id);

/** A new element with text or children, attributes and a click handler. */
export function el(tag, content = '', attrs = {}) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'onclick') e.addEventListener('click', v);
    else e.setAttribute(k, v);
  }
  for (const c of [].concat(content)) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

/** Replaces a table's body with one row per item of `rows` (each an array of cells). */
export function fill(table, rows, empty = 'none') {
  const body = table.tBodies[0];
  const cols = table.tHead.rows[0].cells.length;
  body.replaceChildren(
    ...(rows.length ? rows.map((r) => el('tr', r.map((c) => el('td', c)))) : [el('tr', el('td', empty, { colspan: cols, class: 'hint' }))]),
  );
}

/** A count with thousands separators; a rate with one decimal below 10. */
export const num = (n) => (n < 10 && !Number.isInteger(n) ? n.toFixed(1) : Math.round(n).toLocaleString('en'));

/** Seconds as `1h 02m` or `5m 07s`. */
export function duration(secs) {
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = secs % 60;
  return h ? `${h}h ${String(m).padStart(2, '0')}m` : `${m}m ${String(s).padStart(2, '0')}s`;
}
