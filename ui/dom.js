// Small DOM helpers shared by the views: an element builder (text goes in as text,
// never as markup), icons, inline title editing and frame timing.

import { t, formatNumber, hasOwn } from './i18n.js';

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'testid') el.dataset.testid = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2).toLowerCase(), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

/** A size in the active language's units and number format ("1.5 MB", "1,5 МБ"). */
export function formatBytes(n) {
  if (n < 1024) return t('units.bytes', { n: formatNumber(n) });
  if (n < 1024 * 1024) return t('units.kb', { n: formatNumber(Math.round(n / 1024)) });
  const mb = { minimumFractionDigits: 1, maximumFractionDigits: 1 };
  return t('units.mb', { n: formatNumber(n / 1024 / 1024, mb) });
}

/** Path data of the line icons used in rows and headers (24×24, stroked). */
export const ICONS = {
  trash: 'M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3',
  pin: 'M9 4h6M10 4v6l-3 4h10l-3-4V4M12 14v7',
  pencil: 'M4 20h4L19 9l-4-4L4 16zM14 6l4 4',
  down: 'M12 5v14M5 12l7 7 7-7',
  top: 'M5 4h14M12 20V8M6 14l6-6 6 6',
  download: 'M12 4v11M7 10l5 5 5-5M5 20h14',
  search: 'M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zM20 20l-4-4',
  close: 'M6 6l12 12M18 6L6 18',
  copy: 'M9 9h11v11H9zM5 15H4V4h11v1',
  check: 'M5 12l5 5L20 7',
  instructions: 'M4 6h10M4 12h16M4 18h8M17 4v4M15 6h4',
  regenerate: 'M20 11a8 8 0 1 0-2.3 5.7M20 4v7h-7',
  left: 'M15 6l-6 6 6 6',
  right: 'M9 6l6 6-6 6',
};

const iconTemplates = new Map();

/** A copy of icon `name` (built once, then cloned: rows and messages take several). */
export function icon(name) {
  let svg = iconTemplates.get(name);
  if (!svg) {
    const ns = 'http://www.w3.org/2000/svg';
    svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    const p = document.createElementNS(ns, 'path');
    p.setAttribute('d', ICONS[name]);
    svg.append(p);
    iconTemplates.set(name, svg);
  }
  return svg.cloneNode(true);
}

/** An icon-only button whose label is its tooltip and accessible name. */
export function iconButton(name, label, props = {}) {
  return h('button', { type: 'button', class: 'icon-button', title: label, 'aria-label': label, ...props }, icon(name));
}

/** Swaps `target` for a text input holding `value`. Enter or blur saves (only a
 *  changed, non-empty value reaches `onSave`), Esc cancels; `onDone(viaKey)` runs after. */
export function editInline(target, { value, testid, label, onSave, onDone = () => {} }) {
  const input = h('input', { type: 'text', class: 'inline-edit', testid, 'aria-label': label, value, spellcheck: 'false' });
  let finished = false;
  const finish = (save, viaKey) => {
    if (finished) return;
    finished = true;
    const next = input.value.trim();
    input.replaceWith(target);
    if (save && next && next !== value) onSave(next);
    onDone(viaKey);
  };
  input.addEventListener('keydown', (e) => {
    e.stopPropagation();
    if (e.key === 'Enter' && !e.isComposing) { e.preventDefault(); finish(true, true); }
    else if (e.key === 'Escape') { e.preventDefault(); finish(false, true); }
  });
  input.addEventListener('click', (e) => e.stopPropagation());
  input.addEventListener('blur', () => finish(true, false));
  target.replaceWith(input);
  input.focus();
  input.select();
  return input;
}

/** A dialog (`<name>-dialog`) with a title and a Close button (`<name>-close`) above
 *  `body`; Esc closes it too (native). Its strings are data-i18n keys. */
export function panel(name, titleKey, ...body) {
  const titleId = `${name}-title`;
  return h('dialog', { class: `panel ${name}`, testid: `${name}-dialog`, 'aria-labelledby': titleId },
    h('header', {},
      h('h2', { id: titleId, 'data-i18n': titleKey }),
      h('button', {
        type: 'button', class: 'ghost small', testid: `${name}-close`, 'data-i18n': 'dialog.close',
        onClick: (e) => e.target.closest('dialog').close(),
      })),
    h('div', { class: 'panel-body' }, ...body));
}

/** Shows `dialog` as the only open one, with the focus on `focus`. */
export function showPanel(dialog, focus) {
  for (const d of document.querySelectorAll('dialog[open]')) if (d !== dialog) d.close();
  if (!dialog.open) dialog.showModal();
  focus.focus();
}

/** Resolves in the frame after the next one is laid out (i.e. after a paint). */
export const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));

/** Epoch milliseconds on the high-resolution clock (the benchmark's marks). */
export const now = () => performance.timeOrigin + performance.now();

/** What went wrong, for people. The backend writes its messages in English, with the
 *  particulars (host, HTTP status, seconds); in another language the error's code picks
 *  that language's sentence, and the English one goes to Details (`errorDetails`). */
export function errorText(e) {
  if (e && typeof e.code === 'string' && hasOwn(`errors.${e.code}`)) {
    return t(`errors.${e.code}`, { s: e.retryAfterSecs ?? '' });
  }
  return (e && e.message) || String(e);
}

/** The error's details, with the backend's own message first when `errorText` said it
 *  in another language. */
export function errorDetails(e) {
  const translated = e && e.message && errorText(e) !== e.message;
  return [translated ? e.message : null, e?.details].filter(Boolean).join('\n') || null;
}
