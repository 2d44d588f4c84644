// The conversation list: pages from api.listConversations grouped under Pinned,
// Today, Yesterday, Previous 7 days and month labels, windowed through VList, and
// kept up to date one row at a time (upsert, remove, active, pending). Row actions
// (open, pin, rename, delete) are reported to main.js, which talks to the backend.

import { h, $, iconButton, editInline } from '../dom.js';
import { t, dateFormat } from '../i18n.js';
import { listConversations } from '../api.js';
import { VList } from './vlist.js';

const PAGE = 200;
const ITEM_H = 54;
const LABEL_H = 34;
const DAY = 24 * 60 * 60 * 1000;
const GROUP_LABELS = { pinned: 'sidebar.pinned', today: 'sidebar.today', yesterday: 'sidebar.yesterday', week: 'sidebar.previous7' };

/** Same order as the backend: pinned first, then most recently active, then id. */
const compare = (a, b) => (Number(b.pinned) - Number(a.pinned)) || (b.updatedAt - a.updatedAt) || (b.id - a.id);

let handlers = null;
let vlist = null;
let empty = null;
let items = []; // loaded summaries, in order
let itemRows = new Map(); // id -> row { key, summary }
let cursor = null; // next page, null when everything is loaded
let total = 0;
let loading = null;
let generation = 0; // bumped by reload(): drops pages of an older listing
let activeId = null;
const pendingIds = new Set();

/** handlers: onOpen(id), onPin(id, pinned), onRename(id, title), onDelete(id). */
export function initSidebar(callbacks) {
  handlers = callbacks;
  const scroller = $('[data-testid="conversation-list"]');
  empty = h('p', { class: 'sidebar-empty', hidden: true, 'data-i18n': 'sidebar.empty' }, t('sidebar.empty'));
  scroller.append(empty);
  vlist = new VList(scroller, {
    heightOf: (row) => (row.summary ? ITEM_H : LABEL_H),
    create: (row) => (row.summary ? itemNode() : h('div', { class: 'group-label', testid: 'group-label' })),
    update: (el, row) => (row.summary ? fillItem(el, row.summary) : (el.textContent = row.label)),
    onRange: (first, last, count) => { if (cursor && last >= count - 20) loadMore(); },
  });
  vlist.spacer.addEventListener('click', onClick);
  vlist.spacer.addEventListener('keydown', onKeydown);
}

/** Forgets everything and lists the first page again: `first`, when it was asked for
 *  already (`firstPage()`). */
export async function reload(first = null) {
  generation += 1;
  items = [];
  itemRows = new Map();
  cursor = null;
  total = 0;
  loading = null;
  await fetchPage(null, first);
}

/** Asks for the first page, for `reload` (the start asks before the views are ready). */
export const firstPage = () => listConversations(null, PAGE);

function loadMore() {
  // Once a page is in, look again: a long jump down may need the next one too.
  if (!loading && cursor) loading = fetchPage(cursor).finally(() => { loading = null; vlist.schedule(); });
  return loading;
}

async function fetchPage(from, asked = null) {
  const gen = generation;
  const page = await (asked ?? listConversations(from, PAGE));
  if (gen !== generation) return;
  const known = new Set(items.map((c) => c.id));
  for (const c of page.items) if (!known.has(c.id)) items.push(c);
  cursor = page.nextCursor;
  total = page.total;
  rebuild();
}

export const count = () => total;
/** The loaded conversation active most recently (pinned ones included). */
export const mostRecent = () => items.reduce((best, c) => (!best || c.updatedAt > best.updatedAt ? c : best), null);
export const get = (id) => itemRows.get(id)?.summary || null;

/** Puts a changed conversation at its place in the order; `added` when it is new
 *  (or restored) rather than one not loaded yet. */
export function upsert(summary, added = false) {
  const at = items.findIndex((c) => c.id === summary.id);
  if (at >= 0) items.splice(at, 1);
  else if (added) total += 1;
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compare(items[mid], summary) < 0) lo = mid + 1;
    else hi = mid;
  }
  // Past the last loaded row it belongs to a page not loaded yet: that page brings it.
  if (lo < items.length || !cursor) items.splice(lo, 0, summary);
  rebuild();
}

export function remove(id) {
  const at = items.findIndex((c) => c.id === id);
  if (at < 0) return;
  items.splice(at, 1);
  total = Math.max(0, total - 1);
  rebuild();
}

export function setActive(id) {
  if (id === activeId) return;
  const previous = activeId;
  activeId = id;
  vlist.refresh(previous);
  vlist.refresh(id);
}

export function setPending(id, on) {
  if (pendingIds.has(id) === on) return;
  if (on) pendingIds.add(id);
  else pendingIds.delete(id);
  vlist.refresh(id);
}

/** Fills every row again after the interface language changed (group labels, times,
 *  message counts); the data-i18n pass has already relabelled the row buttons. */
export function relabel() {
  itemTemplate = null;
  itemRows = new Map();
  rebuild();
}

/** Scrolls the open conversation's row into view (when it is loaded). */
export function revealActive() {
  vlist.scrollToIndex(vlist.indexOf(activeId));
}

/** Flat rows for VList: a label row wherever the group changes, then item rows. */
function rebuild() {
  const today = new Date();
  const startOfToday = new Date(today.getFullYear(), today.getMonth(), today.getDate()).getTime();
  // A row's group key; the label is looked up only where a group starts.
  const group = (c) => {
    if (c.pinned) return 'pinned';
    if (c.updatedAt >= startOfToday) return 'today';
    if (c.updatedAt >= startOfToday - DAY) return 'yesterday';
    if (c.updatedAt >= startOfToday - 7 * DAY) return 'week';
    const d = new Date(c.updatedAt);
    return `${d.getFullYear()}-${d.getMonth()}`;
  };
  const rows = [];
  const nextRows = new Map();
  const labels = new Map(vlist.rows.filter((r) => !r.summary).map((r) => [r.key, r]));
  let last = null;
  for (const c of items) {
    const key = group(c);
    if (key !== last) {
      const labelKey = `group:${key}`;
      const text = GROUP_LABELS[key]
        ? t(GROUP_LABELS[key])
        : dateFormat({ month: 'long', year: 'numeric' }).format(new Date(c.updatedAt));
      const oldLabel = labels.get(labelKey);
      rows.push(oldLabel && oldLabel.label === text ? oldLabel : { key: labelKey, label: text });
      last = key;
    }
    const old = itemRows.get(c.id);
    const row = old && old.summary === c ? old : { key: c.id, summary: c };
    nextRows.set(c.id, row);
    rows.push(row);
  }
  itemRows = nextRows;
  empty.hidden = items.length > 0 || cursor != null;
  vlist.setRows(rows, cursor ? Math.max(0, total - items.length) * ITEM_H : 0);
}

function when(ts) {
  const d = new Date(ts);
  const sameDay = new Date().toDateString() === d.toDateString();
  return dateFormat(sameDay ? { hour: '2-digit', minute: '2-digit' } : { day: 'numeric', month: 'short' }).format(d);
}

let itemTemplate = null; // a row's nodes, built once per language and cloned

function itemNode() {
  itemTemplate ??= buildItem();
  return itemTemplate.cloneNode(true);
}

function buildItem() {
  return h('div', { class: 'conversation-item', testid: 'conversation-item', role: 'button', tabindex: '0' },
    h('div', { class: 'item-main' },
      h('span', { class: 'item-title', testid: 'conversation-title-text' }),
      h('span', { class: 'item-meta' },
        h('span', { class: 'dot-pending', 'aria-hidden': 'true', hidden: true }),
        h('span', { class: 'meta-text' }))),
    h('div', { class: 'item-actions' },
      iconButton('pin', '', { testid: 'conversation-pin', tabindex: '-1' }),
      iconButton('pencil', t('sidebar.rename'), { testid: 'conversation-rename', tabindex: '-1', 'data-i18n-title': 'sidebar.rename' }),
      iconButton('trash', t('sidebar.delete'), { testid: 'conversation-delete', class: 'icon-button danger', tabindex: '-1', 'data-i18n-title': 'sidebar.delete' })));
}

function fillItem(el, c) {
  const active = c.id === activeId;
  el.dataset.id = String(c.id);
  el.classList.toggle('active', active);
  if (active) el.setAttribute('aria-current', 'page');
  else el.removeAttribute('aria-current');
  if (c.pinned) el.dataset.pinned = 'true';
  else delete el.dataset.pinned;
  el.querySelector('.item-title').textContent = c.title;
  el.querySelector('.item-title').title = c.title;
  el.querySelector('.dot-pending').hidden = !pendingIds.has(c.id);
  const n = t('sidebar.messages', { n: c.messageCount });
  el.querySelector('.meta-text').textContent = `${when(c.updatedAt)} · ${n}`;
  const pin = el.querySelector('[data-testid="conversation-pin"]');
  pin.title = c.pinned ? t('sidebar.unpin') : t('sidebar.pin');
  pin.setAttribute('aria-label', pin.title);
  pin.setAttribute('aria-pressed', String(!!c.pinned));
}

function rowOf(target) {
  const el = target.closest('[data-testid="conversation-item"]');
  const summary = el && get(Number(el.dataset.id));
  return summary ? { el, summary } : null;
}

function rename({ el, summary }) {
  editInline(el.querySelector('.item-title'), {
    value: summary.title,
    testid: 'conversation-rename-input',
    label: t('sidebar.renameLabel'),
    onSave: (title) => handlers.onRename(summary.id, title),
    onDone: (viaKey) => { if (viaKey) vlist.node(summary.id)?.focus(); },
  });
}

/** Deletes and moves the focus to the row that takes its place. */
function deleteRow({ summary }, refocus) {
  const i = vlist.indexOf(summary.id);
  handlers.onDelete(summary.id);
  if (refocus && !focusItem(Math.min(i, vlist.length - 1), 1)) focusItem(i - 1, -1);
}

function onClick(e) {
  const row = rowOf(e.target);
  if (!row) return;
  const action = e.target.closest('button')?.dataset.testid;
  if (action === 'conversation-pin') handlers.onPin(row.summary.id, !row.summary.pinned);
  else if (action === 'conversation-rename') rename(row);
  else if (action === 'conversation-delete') deleteRow(row, false);
  else if (!action) handlers.onOpen(row.summary.id);
}

function onKeydown(e) {
  const row = rowOf(e.target);
  if (!row || e.target !== row.el) return;
  const i = vlist.indexOf(row.summary.id);
  if (e.key === 'Enter' || e.key === ' ') handlers.onOpen(row.summary.id);
  else if (e.key === 'ArrowDown') focusItem(i + 1, 1);
  else if (e.key === 'ArrowUp') focusItem(i - 1, -1);
  else if (e.key === 'F2') rename(row);
  else if (e.key === 'Delete') deleteRow(row, true);
  else return;
  e.preventDefault();
}

/** Focuses the item row at `i`, or the next one in direction `step` (skipping labels). */
function focusItem(i, step) {
  while (i >= 0 && i < vlist.length && !vlist.rows[i].summary) i += step;
  if (i < 0 || i >= vlist.length) return false;
  vlist.scrollToIndex(i);
  vlist.node(vlist.rows[i].key)?.focus({ preventScroll: true });
  return true;
}
