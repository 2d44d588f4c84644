// The open conversation: its header (title, jump to the oldest message, rename, export)
// and a bounded window of its messages, paged in from either end as the list scrolls.
// Each message element is keyed by id and touched only when that message changes.
// Questions are text; answers are sanitised HTML from Rust. The pending answer with its
// timer, a failure with Retry, and an unanswered question follow the latest message.
// Scroll position is kept by hand (no CSS overflow-anchor): around every insertion or
// removal, and when elements above the view change size (images loading).
// A fetched page enters the DOM in chunks, one per frame, nearest to the view first
// (see CHUNK for their size); an opened conversation paints its last few first. Above the
// window, an empty block stands for the older messages not loaded: what is added at the
// top takes its height from that block and what is dropped gives it back, so the
// messages on screen never move (moving them means repainting everything).

import { h, $, icon, iconButton, editInline, nextFrame, errorText, errorDetails } from '../dom.js';
import { t } from '../i18n.js';
import { imageUrl, listMessages } from '../api.js';
import { openLightbox } from './lightbox.js';

/** Seconds after which the pending bubble says the free server may be waking up. */
const WAKING_AFTER_S = 5;
const PAGE = 60;
/** Messages laid out per frame while a page enters the DOM (the first chunk is painted
 *  at once; the rest follow, nearest to the view first). Laying out a message costs
 *  1.5–2 ms here (2 cores, no GPU, WebKit drawing without compositing): with 5 a
 *  frame, 5 of the 4,900 frames of a scroll through 5,000 messages took over 50 ms,
 *  with 8 there were up to 13 in some 120, with 30 every frame that added messages took
 *  60–110 ms. At a viewport per frame they still arrive faster than the fastest scroll
 *  uses them (bench/scroll_probe.py --frames 4900). */
const CHUNK = 5;
/** Messages laid out before a conversation (or a jump to an end) is first painted. */
const OPEN_CHUNK = 8;
/** Height (px) held above the window while older messages exist: more than a page. */
const RESERVE_PX = 40000;
/** Most message elements kept in the DOM; the far end is dropped past this. */
const MAX_ELEMENTS = 150;
/** Distance from an edge (px) at which the next page is fetched: a few screens, so a
 *  page is in before a fast scroll reaches the end of what is loaded. */
const EDGE_PX = 3000;
const BOTTOM_SLACK_PX = 40;
const HIGHLIGHT_MS = 4000;
const CONFIRM_MS = 3000;

let list;
let column;
let reserveEl;
let reserve = 0; // px, the height of reserveEl
let welcomeEl;
let jumpLatest;
let header;
let handlers;
let resizes;

const view = {
  id: null,
  title: '',
  messages: [], // the loaded window, oldest first
  hasBefore: false,
  hasAfter: false,
  generation: 0, // bumped when the window is replaced: late pages are dropped
  loading: false,
};
const elements = new Map(); // message id -> element
const heights = new WeakMap(); // element -> last seen height
let status = { pending: null, failure: null };
let tail = { kind: '', ref: null, el: null, timer: 0, tick: null };
let atBottom = true;
let frame = 0;
let sticking = 0; // the frame request of stickSoon()
/** A fetched page still entering the DOM: { before, messages, more, generation }. */
let queue = null;

/** handlers: onCancel(), onRetry(), onSuggestion(text), onDeleteMessage(id) -> Promise,
 *  onInstructions(conversationId), onEdit(id, text) -> Promise<boolean> (sent),
 *  onRegenerate(id), onSwitchVersion(id, step),
 *  onCopy(text) -> Promise<boolean> (copied),
 *  onRename(id, title), onExport(id, format). */
export function initConversation(callbacks) {
  handlers = callbacks;
  list = $('[data-testid="message-list"]');
  column = h('div', { class: 'column' });
  welcomeEl = welcome();
  reserveEl = h('div', { class: 'window-reserve', 'aria-hidden': 'true' });
  list.append(welcomeEl, reserveEl, column);
  jumpLatest = $('[data-testid="jump-latest"]');
  jumpLatest.append(icon('down'));
  jumpLatest.addEventListener('click', () => jumpTo('latest'));
  header = {
    title: $('[data-testid="conversation-title"]'),
    oldest: $('[data-testid="jump-oldest"]'),
    actions: $('.chat-header .header-actions'),
  };
  header.oldest.addEventListener('click', () => jumpTo('oldest'));
  header.actions.append(
    iconButton('pencil', t('chat.rename'), { testid: 'conversation-rename-header', onClick: renameFromHeader, 'data-i18n-title': 'chat.rename' }),
    iconButton('instructions', t('instructions.title'), { testid: 'conversation-instructions', onClick: () => handlers.onInstructions(view.id), 'data-i18n-title': 'instructions.title' }),
    exportButton('markdown', 'MD'),
    exportButton('json', 'JSON'));
  list.addEventListener('scroll', () => { if (!frame) frame = requestAnimationFrame(onFrame); }, { passive: true });
  list.addEventListener('keydown', onKeydown);
  list.addEventListener('click', onClick);
  resizes = new ResizeObserver(onResize);
  resizes.observe(list);
  showWelcome(true);
}

function exportButton(format, label) {
  const key = format === 'json' ? 'chat.exportJson' : 'chat.exportMarkdown';
  const title = t(key);
  return h('button', {
    type: 'button', class: 'icon-button export', testid: `conversation-export-${format}`, title, 'aria-label': title,
    'data-i18n-title': key,
    onClick: () => handlers.onExport(view.id, format),
  }, icon('download'), h('span', {}, label));
}

export const currentId = () => view.id;

/** An empty conversation: the welcome screen until the first question. */
export function showNew() {
  replaceWindow(null, { messages: [], hasBefore: false, hasAfter: false });
  status = { pending: null, failure: null };
  setTitle('');
  updateTail();
}

/** Opens a conversation at its latest page (or around `messageId`, highlighted).
 *  Resolves true after the first messages are painted, false when overtaken. */
export async function open(summary, st, messageId = null) {
  const generation = ++view.generation;
  const anchor = messageId == null ? { kind: 'latest' } : { kind: 'around', id: messageId };
  const page = await listMessages(summary.id, anchor, PAGE);
  if (generation !== view.generation) return false;
  status = st;
  setTitle(summary.title);
  replaceWindow(summary.id, page, messageId == null ? 'latest' : null);
  const target = messageId != null && elements.get(messageId);
  if (target) { center(target); highlight(target); } else toBottom();
  await nextFrame();
  return generation === view.generation;
}

export function setTitle(title) {
  view.title = title;
  header.title.textContent = title || t('chat.newTitle');
  header.actions.hidden = view.id == null;
}

/** Pending answer and last failure of the open conversation: only the tail changes. */
/** The pending answer's line again, after a progress event changed what it says. */
export function refreshPending() {
  if (tail.kind === 'pending') tail.tick();
}

export function setStatus(st) {
  status = st;
  updateTail();
  stickSoon();
}

/** A new message of the open conversation (or the first of a new one). */
export function append(message) {
  if (view.id == null) {
    view.id = message.conversationId;
    view.hasBefore = false;
    view.hasAfter = false;
    header.actions.hidden = false;
  }
  if (view.hasAfter || elements.has(message.id)) { updateJump(); return; }
  const follow = atBottom;
  showWelcome(false);
  view.messages.push(message);
  const el = messageEl(message);
  column.insertBefore(el, tail.el);
  observe(el);
  updateTail();
  if (follow) {
    trimFront(view.messages.length - MAX_ELEMENTS);
    atBottom = !view.hasAfter;
    stickSoon();
  } else {
    keepAnchor(() => trimFront(view.messages.length - MAX_ELEMENTS));
  }
  updateJump();
}

/** A loaded message by id (null when outside the window). */
export const loadedMessage = (id) => view.messages.find((m) => m.id === id) || null;

/** Loads the window again after the shown path changed (an edit, a regenerated answer,
 *  another version chosen): at the latest messages, or around message `id` with that
 *  message kept where `place` (an element, or a distance from the list's top) was. */
export async function reload(id = null, place = null) {
  if (view.id == null) return;
  const generation = ++view.generation;
  const anchor = id == null ? { kind: 'latest' } : { kind: 'around', id };
  let top = null;
  if (place instanceof Element && place.isConnected) top = place.getBoundingClientRect().top - list.getBoundingClientRect().top;
  else if (typeof place === 'number') top = place;
  const page = await listMessages(view.id, anchor, PAGE);
  if (generation !== view.generation) return;
  replaceWindow(view.id, page);
  const target = id != null && elements.get(id);
  if (!target) { toBottom(); return; }
  if (top == null) center(target);
  else {
    list.scrollTop = target.offsetTop - top;
    onFrame();
  }
}

/** Opens the inline editor on the last question shown (Up in an empty composer).
 *  False when there is none to edit. */
export function editLast() {
  if (view.hasAfter) return false;
  const last = [...view.messages].reverse().find((m) => m.role === 'user');
  const el = last && elements.get(last.id);
  if (!el) return false;
  startEdit(el);
  return true;
}

/** Takes one message away (after the backend deleted it). */
export function removeMessage(id) {
  const el = elements.get(id);
  const i = view.messages.findIndex((m) => m.id === id);
  if (i >= 0) view.messages.splice(i, 1);
  if (!el) return;
  keepAnchor(() => dropMessages([{ id }]), el);
  updateTail();
  if (!view.messages.length && !view.hasBefore && !view.hasAfter && !tail.el) showWelcome(true);
}

/** Replaces the window with the latest or oldest page. */
export async function jumpTo(kind) {
  if (view.id == null) return;
  const loaded = kind === 'latest' ? !view.hasAfter : !view.hasBefore;
  if (!loaded) {
    const generation = ++view.generation;
    const page = await listMessages(view.id, { kind }, PAGE);
    if (generation !== view.generation) return;
    replaceWindow(view.id, page, kind);
  }
  if (kind === 'latest') toBottom();
  else { list.scrollTop = 0; onFrame(); }
  list.focus({ preventScroll: true });
}

/** `end` ('latest' or 'oldest'): only the messages at that end are laid out now, the
 *  rest of the page follows a chunk per frame. */
function replaceWindow(id, page, end = null) {
  queue = null;
  let messages = page.messages;
  let rest = [];
  if (end === 'latest' && messages.length > OPEN_CHUNK) {
    rest = messages.slice(0, -OPEN_CHUNK);
    messages = messages.slice(-OPEN_CHUNK);
  } else if (end === 'oldest' && messages.length > OPEN_CHUNK) {
    rest = messages.slice(OPEN_CHUNK);
    messages = messages.slice(0, OPEN_CHUNK);
  }
  view.id = id;
  view.messages = messages.slice();
  view.hasBefore = page.hasBefore || (end === 'latest' && rest.length > 0);
  view.hasAfter = page.hasAfter || (end === 'oldest' && rest.length > 0);
  view.loading = false;
  setReserve(view.hasBefore ? RESERVE_PX : 0);
  elements.clear();
  resizes.disconnect();
  resizes.observe(list);
  if (tail.el) stopTail();
  const fragment = document.createDocumentFragment();
  for (const m of view.messages) fragment.append(messageEl(m));
  column.replaceChildren(fragment);
  for (const el of column.children) observe(el);
  updateTail();
  showWelcome(id == null || (!view.messages.length && !view.hasBefore && !view.hasAfter && !tail.el));
  header.oldest.hidden = !view.hasBefore;
  header.actions.hidden = id == null;
  if (id == null) atBottom = true;
  updateJump();
  if (rest.length) enqueue(end === 'latest', rest, end === 'latest' ? page.hasBefore : page.hasAfter, false);
}

function showWelcome(on) {
  welcomeEl.hidden = !on;
  column.hidden = on;
}

function observe(el) {
  resizes.observe(el);
}

function drop(el) {
  resizes.unobserve(el);
  el.remove();
}

/** Runs `mutate` keeping the first visible message (not `exclude`) where it was on screen. */
function keepAnchor(mutate, exclude = null) {
  const top = list.scrollTop;
  let anchor = null;
  for (const el of column.children) {
    if (el !== exclude && el.offsetTop + el.offsetHeight > top) { anchor = el; break; }
  }
  // In content coordinates (independent of scrolling, which a shrinking list may clamp),
  // with the sub-pixel precision offsetTop lacks.
  const at = () => anchor.getBoundingClientRect().top + list.scrollTop;
  const before = anchor ? at() : 0;
  mutate();
  if (!anchor || !anchor.isConnected) return;
  const next = top + (at() - before);
  if (Math.abs(list.scrollTop - next) >= 0.5) list.scrollTop = next;
}

/** Drops `n` messages from the start of the window (they can be paged in again). */
function trimFront(n) {
  if (n <= 0) return;
  if (queue?.before) cancelQueue();
  const height = columnHeight();
  dropMessages(view.messages.splice(0, n));
  setReserve(reserve + height - columnHeight());
  view.hasBefore = true;
  header.oldest.hidden = false;
}

/** Drops `n` messages from the end of the window. */
function trimBack(n) {
  if (n <= 0) return;
  if (queue && !queue.before) cancelQueue();
  dropMessages(view.messages.splice(view.messages.length - n, n));
  view.hasAfter = true;
  updateTail();
}

function dropMessages(messages) {
  for (const m of messages) {
    const el = elements.get(m.id);
    if (el) { drop(el); elements.delete(m.id); }
  }
}

async function page(direction) {
  if (view.loading || view.id == null || !view.messages.length) return;
  const generation = view.generation;
  const before = direction === 'before';
  const edge = before ? view.messages[0].id : view.messages.at(-1).id;
  view.loading = true;
  let result;
  try {
    result = await listMessages(view.id, { kind: direction, id: edge }, PAGE);
  } catch (e) {
    console.error(e);
    if (generation === view.generation) view.loading = false;
    return;
  }
  if (generation !== view.generation) return;
  const fresh = result.messages.filter((m) => !elements.has(m.id));
  enqueue(before, fresh, before ? result.hasBefore : result.hasAfter);
}

/** Puts `messages` (oldest first) into the DOM at one end, a chunk per frame: the first
 *  at once when `now`, else after the next paint (the window just opened is painted
 *  with its first few messages alone); `more`: the store has more beyond them. Paging
 *  waits until they are all in. */
function enqueue(before, messages, more, now = true) {
  queue = { before, messages, more, generation: view.generation };
  view.loading = true;
  if (now) drain();
  else requestAnimationFrame(() => requestAnimationFrame(drain));
}

function drain() {
  const q = queue;
  if (!q || q.generation !== view.generation) return;
  // Nothing loaded on screen (the view is up in the reserve): no one sees a stall.
  const blank = q.before && list.scrollTop + list.clientHeight < column.offsetTop;
  const n = blank ? q.messages.length : CHUNK;
  const chunk = q.before ? q.messages.splice(-n, n) : q.messages.splice(0, n);
  insert(q.before, chunk, q.messages.length > 0 || q.more);
  if (queue !== q) return; // cancelled by a trim
  if (q.messages.length) {
    requestAnimationFrame(drain);
    return;
  }
  queue = null;
  view.loading = false;
  onFrame();
}

/** The reserve's height; 0 once nothing older is left. A reserve too small for what is
 *  added is the only case where the messages on screen move (keepAnchor puts them back). */
function setReserve(px) {
  const next = Math.max(0, px);
  if (next === reserve) return;
  reserve = next;
  reserveEl.style.height = `${next}px`;
}

/** With the sub-pixel precision offsetHeight lacks: a pixel off moves everything. */
function columnHeight() {
  return column.getBoundingClientRect().height;
}

function cancelQueue() {
  queue = null;
  view.loading = false;
}

/** Adds `messages` (oldest first) before or after the window, keeping the view still. */
function insert(before, messages, more) {
  const fragment = document.createDocumentFragment();
  const els = messages.map(messageEl);
  fragment.append(...els);
  keepAnchor(() => {
    if (before) {
      const height = columnHeight();
      column.prepend(fragment);
      view.messages.unshift(...messages);
      view.hasBefore = more;
      setReserve(more ? reserve - (columnHeight() - height) : 0);
      trimBack(view.messages.length - MAX_ELEMENTS);
    } else {
      column.insertBefore(fragment, tail.el);
      view.messages.push(...messages);
      view.hasAfter = more;
      updateTail();
      trimFront(view.messages.length - MAX_ELEMENTS);
    }
  });
  els.forEach(observe);
  header.oldest.hidden = !view.hasBefore;
  updateJump();
}

/** Once per frame while scrolling: bottom state, the jump button, paging at the edges. */
function onFrame() {
  frame = 0;
  const top = list.scrollTop;
  const room = list.scrollHeight - top - list.clientHeight;
  atBottom = !view.hasAfter && room < BOTTOM_SLACK_PX;
  updateJump();
  if (view.loading) return;
  if (view.hasBefore && top < column.offsetTop + EDGE_PX) page('before');
  else if (view.hasAfter && room < EDGE_PX) page('after');
}

function updateJump() {
  const show = view.id != null && (view.hasAfter || !atBottom);
  if (jumpLatest.hidden === show) jumpLatest.hidden = !show;
}

function toBottom() {
  list.scrollTop = list.scrollHeight;
  atBottom = !view.hasAfter;
  onFrame();
}

/** Keeps the list at the bottom (when it was) after what was just added or changed, at
 *  the next frame: the page lays out once, before that paint, instead of once per change. */
function stickSoon() {
  if (sticking) return;
  sticking = requestAnimationFrame(() => {
    sticking = 0;
    if (atBottom) list.scrollTop = list.scrollHeight;
    onFrame();
  });
}

function center(el) {
  list.scrollTop = el.offsetTop - Math.max(0, (list.clientHeight - el.offsetHeight) / 2);
  onFrame();
}

function highlight(el) {
  el.classList.add('highlight');
  el.dataset.highlighted = 'true';
  setTimeout(() => {
    el.classList.remove('highlight');
    delete el.dataset.highlighted;
  }, HIGHLIGHT_MS);
}

/** Elements above the view changed size: shift by as much so the view stays put. */
function onResize(entries) {
  let shift = 0;
  const top = list.scrollTop;
  for (const entry of entries) {
    const el = entry.target;
    if (el === list) continue;
    const height = el.offsetHeight;
    const previous = heights.get(el);
    heights.set(el, height);
    if (previous != null && el.isConnected && el.offsetTop + previous <= top) shift += height - previous;
  }
  if (atBottom) list.scrollTop = list.scrollHeight;
  else if (shift && reserve - shift >= 0) setReserve(reserve - shift);
  else if (shift) list.scrollTop = top + shift;
}

function onKeydown(e) {
  if (e.target.matches?.('[data-testid="message-image"]') && (e.key === 'Enter' || e.key === ' ')) {
    e.preventDefault();
    openLightbox(e.target);
    return;
  }
  if (e.target !== list) return;
  if (e.key === 'Home') jumpTo('oldest');
  else if (e.key === 'End') jumpTo('latest');
  else return;
  e.preventDefault();
}

/** Message actions (delete with a confirming second click, a picture at full size);
 *  links go to main.js. */
function onClick(e) {
  const image = e.target.closest('[data-testid="message-image"]');
  if (image) {
    openLightbox(image);
    return;
  }
  const copy = e.target.closest('[data-testid="message-copy"]');
  if (copy) {
    copyMessage(copy);
    return;
  }
  const copyCode = e.target.closest('[data-testid="code-copy"]');
  if (copyCode) {
    copyCodeBlock(copyCode);
    return;
  }
  const action = e.target.closest('[data-testid="message-edit"], [data-testid="message-regenerate"], [data-testid="version-prev"], [data-testid="version-next"]');
  if (action) {
    const el = action.closest('[data-testid="message"]');
    const id = Number(el.dataset.id);
    switch (action.dataset.testid) {
      case 'message-edit': startEdit(el); break;
      case 'message-regenerate': handlers.onRegenerate(id); break;
      case 'version-prev': handlers.onSwitchVersion(id, -1); break;
      default: handlers.onSwitchVersion(id, 1); break;
    }
    return;
  }
  const del = e.target.closest('[data-testid="message-delete"]');
  if (!del) return;
  if (!del.classList.contains('confirm')) {
    // Beside a question there is room to say it; beside an answer the icon turns red
    // instead, so the answer's width (and the scroll position) does not change.
    del.classList.add('confirm');
    del.title = t('message.confirmDelete');
    if (del.closest('.message.user')) del.replaceChildren(t('message.confirmDelete'));
    setTimeout(() => {
      del.classList.remove('confirm');
      del.title = t('message.delete');
      del.replaceChildren(icon('trash'));
    }, CONFIRM_MS);
    return;
  }
  const el = del.closest('[data-testid="message"]');
  handlers.onDeleteMessage(Number(el.dataset.id));
}

/** Copies a message's Markdown (a question's text as typed); the icon says it worked. */
async function copyMessage(button) {
  const id = Number(button.closest('[data-testid="message"]').dataset.id);
  const message = view.messages.find((m) => m.id === id);
  if (!message || !(await handlers.onCopy(message.text))) return;
  button.classList.add('done');
  button.title = t('message.copied');
  button.setAttribute('aria-label', button.title);
  button.replaceChildren(icon('check'));
  setTimeout(() => {
    button.classList.remove('done');
    button.title = t('message.copy');
    button.setAttribute('aria-label', button.title);
    button.replaceChildren(icon('copy'));
  }, CONFIRM_MS);
}

/** Copies a code block's text as it is shown (no Markdown fence). */
async function copyCodeBlock(button) {
  const code = button.closest('.code-block').querySelector('pre');
  if (!(await handlers.onCopy(code.textContent))) return;
  button.textContent = t('message.copied');
  button.classList.add('done');
  setTimeout(() => {
    button.textContent = t('code.copy');
    button.classList.remove('done');
  }, CONFIRM_MS);
}

/** Edit and resend, in place: the question's text in a field; Enter (or the button)
 *  sends it as a new version, Esc or Cancel puts the question back unchanged. */
function startEdit(el) {
  if (el.classList.contains('editing') || status.pending) return;
  const id = Number(el.dataset.id);
  const message = view.messages.find((m) => m.id === id);
  if (!message) return;
  // Focus goes back where it came from: the Edit button, or the composer (Up).
  const back = document.activeElement;
  const input = h('textarea', {
    class: 'edit-input', testid: 'message-edit-input', rows: String(Math.min(12, message.text.split('\n').length + 1)),
    'aria-label': t('message.editLabel'),
  });
  input.value = message.text;
  const cancel = h('button', { type: 'button', class: 'ghost small', testid: 'message-edit-cancel' }, t('message.editCancel'));
  const send = h('button', { type: 'button', class: 'primary small', testid: 'message-edit-send' }, t('message.editSend'));
  const form = h('div', { class: 'edit-form', testid: 'message-edit-form' },
    input,
    h('div', { class: 'edit-note' }, t('message.editNote')),
    h('div', { class: 'edit-buttons' }, cancel, send));
  const close = () => {
    form.remove();
    el.classList.remove('editing');
    if (back?.isConnected) back.focus();
  };
  const submit = async () => {
    if (!input.value.trim() && !message.image) return;
    send.disabled = true;
    // On success the window is loaded again (the old element goes); on failure the
    // typed text stays in the field.
    if (!(await handlers.onEdit(id, input.value))) send.disabled = false;
  };
  cancel.addEventListener('click', close);
  send.addEventListener('click', submit);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); close(); }
    else if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  });
  el.classList.add('editing');
  el.append(form);
  input.focus();
  input.setSelectionRange(input.value.length, input.value.length);
}

function renameFromHeader() {
  if (view.id == null || !header.title.isConnected) return;
  const id = view.id;
  editInline(header.title, {
    value: view.title,
    testid: 'conversation-title-input',
    label: t('sidebar.renameLabel'),
    onSave: (title) => handlers.onRename(id, title),
  });
}

/** The element after the messages: pending answer, failure, or unanswered question. */
function updateTail() {
  markSuperseded();
  let kind = '';
  let ref = null;
  if (view.id != null && !view.hasAfter) {
    if (status.pending) { kind = 'pending'; ref = status.pending; }
    else if (status.failure) { kind = 'failure'; ref = status.failure; }
    else if (view.messages.at(-1)?.role === 'user') kind = 'unanswered';
  }
  if (tail.kind === kind && tail.ref === ref) return;
  if (tail.el) stopTail();
  tail = { kind, ref, el: null, timer: 0, tick: null };
  if (kind === 'pending') showTail(pending(ref));
  else if (kind === 'failure') showTail(failure(ref));
  else if (kind === 'unanswered') {
    // Built at the end of the task: a fast answer, appended right after its question,
    // would take the notice away again before it was ever drawn.
    const waiting = tail;
    queueMicrotask(() => {
      if (tail === waiting) showTail(failure({ code: 'unanswered', message: t('error.unanswered'), retryable: true }));
    });
  }
}

function showTail(el) {
  tail.el = el;
  showWelcome(false);
  column.append(el);
  observe(el);
}

/** While an answer is regenerated, it and what follows it are dimmed: they give way
 *  to the new version when it comes. */
let superseded = false;
function markSuperseded() {
  const from = status.pending?.regenerate ?? null;
  if (from == null && !superseded) return;
  superseded = from != null;
  for (const [id, el] of elements) el.classList.toggle('superseded', superseded && id >= from && el.dataset.role !== 'system');
}

function stopTail() {
  clearInterval(tail.timer);
  drop(tail.el);
  tail = { kind: '', ref: null, el: null, timer: 0, tick: null };
}

function welcome() {
  const chips = ['welcome.s1', 'welcome.s2', 'welcome.s3'].map((k) =>
    h('button', { type: 'button', class: 'suggestion', testid: 'suggestion', 'data-i18n': k, onClick: () => handlers.onSuggestion(t(k)) }, t(k)));
  return h('div', { class: 'welcome', testid: 'welcome' },
    h('img', { src: 'logo.png', alt: '', width: '64', height: '64' }),
    h('h2', { 'data-i18n': 'welcome.title' }, t('welcome.title')),
    h('p', { 'data-i18n': 'welcome.body' }, t('welcome.body')),
    h('div', { class: 'suggestions' }, chips));
}

function messageEl(m) {
  if (m.role === 'system') return instructionsEl(m);
  const isUser = m.role === 'user';
  const el = messageShell(isUser);
  el.dataset.id = String(m.id);
  const bubble = el.querySelector('.bubble');
  const body = bubble.firstChild;
  if (!m.text.trim()) body.remove();
  else if (isUser) body.textContent = m.text;
  else {
    body.innerHTML = m.html; // sanitised by pulldown-cmark + ammonia in Rust
    for (const pre of body.querySelectorAll('pre')) codeBlock(pre);
  }
  if (m.image) {
    bubble.prepend(h('img', {
      class: 'message-image', testid: 'message-image', loading: 'lazy', decoding: 'async', tabindex: '0', role: 'button',
      src: imageUrl(m.image.file), alt: t('message.image', { name: m.image.name }), title: m.image.name,
    }));
  }
  if (m.branches > 1 || (!isUser && m.model)) {
    bubble.append(h('div', { class: 'message-meta' }, m.branches > 1 ? versions(m) : null, isUser ? null : m.model));
  }
  elements.set(m.id, el);
  return el;
}

let shells = null; // a question's and an answer's nodes, built once per language and cloned

/** A message's element without its content: the bubble holds an empty text block. */
function messageShell(isUser) {
  shells ??= { user: buildShell(true), assistant: buildShell(false) };
  return (isUser ? shells.user : shells.assistant).cloneNode(true);
}

function buildShell(isUser) {
  const action = (name, key, testid) => iconButton(name, t(key), { testid, class: `icon-button message-action ${testid}` });
  const actions = h('div', { class: 'message-actions' },
    isUser ? action('pencil', 'message.edit', 'message-edit') : null,
    action('copy', 'message.copy', 'message-copy'),
    isUser ? null : action('regenerate', 'message.regenerate', 'message-regenerate'),
    action('trash', 'message.delete', 'message-delete'));
  const role = isUser ? 'user' : 'assistant';
  return h('article', {
    class: `message ${role}`, testid: 'message', dataset: { role },
    'aria-label': isUser ? t('message.you') : t('message.assistant'),
  },
  isUser ? actions : avatar(),
  h('div', { class: 'bubble' }, h('div', { class: 'message-text', testid: 'message-text' })),
  isUser ? null : actions);
}

/** The interface language changed: messages are built with its words from now on. */
export function relabel() {
  shells = null;
}

/** "‹ 2/3 ›": which version of an edited question or regenerated answer is shown. */
function versions(m) {
  const label = t('message.versionOf', { n: m.branch, total: m.branches });
  return h('div', { class: 'versions', testid: 'message-versions', role: 'group', 'aria-label': label },
    h('button', {
      type: 'button', class: 'icon-button', testid: 'version-prev', title: t('message.versionPrev'),
      'aria-label': t('message.versionPrev'), disabled: m.branch <= 1,
    }, icon('left')),
    h('span', { class: 'version-label', testid: 'version-label', 'aria-hidden': 'true' }, `${m.branch}/${m.branches}`),
    h('button', {
      type: 'button', class: 'icon-button', testid: 'version-next', title: t('message.versionNext'),
      'aria-label': t('message.versionNext'), disabled: m.branch >= m.branches,
    }, icon('right')));
}

/** The conversation's instructions where they were set: a note, not a bubble. */
function instructionsEl(m) {
  const el = h('article', {
    class: 'message system', testid: 'message', dataset: { role: 'system', id: String(m.id) },
    'aria-label': t('instructions.title'),
  },
  h('div', { class: 'instructions-note' },
    h('strong', { 'data-i18n': 'instructions.title' }, t('instructions.title')),
    h('span', { class: 'message-text', testid: 'message-text' }, m.text)));
  elements.set(m.id, el);
  return el;
}

/** A code block with a bar above it: its language and a Copy button. */
function codeBlock(pre) {
  const code = pre.querySelector('code');
  const language = [...(code?.classList ?? [])].find((c) => c.startsWith('language-'))?.slice('language-'.length);
  const box = h('div', { class: 'code-block' });
  pre.replaceWith(box);
  box.append(h('div', { class: 'code-bar' },
    h('span', { class: 'code-language', testid: 'code-language' }, language || t('code.plain')),
    h('button', { type: 'button', class: 'ghost small code-copy', testid: 'code-copy' }, t('code.copy'))), pre);
}

function avatar() {
  return h('img', { class: 'avatar', src: 'logo.png', alt: '', width: '28', height: '28' });
}

function pending(p) {
  const label = h('span', { testid: 'pending-elapsed' });
  const waking = h('div', { class: 'pending-waking', testid: 'pending-waking', hidden: true }, t('pending.waking'));
  const tick = () => {
    const now = Date.now();
    const s = Math.floor((now - p.startedAt) / 1000);
    const progress = p.progress;
    waking.hidden = true;
    if (progress?.type === 'uploading' && progress.total > 0) {
      label.textContent = t('pending.uploading', { pct: Math.floor((100 * progress.sent) / progress.total) });
    } else if (progress?.type === 'retrying') {
      const left = Math.max(0, progress.inSecs - Math.floor((now - progress.at) / 1000));
      label.textContent = t('pending.retrying', { reason: t(retryReason(progress.reason)), s: left, attempt: progress.attempt });
    } else {
      label.textContent = t('pending.waiting', { s });
      waking.hidden = s < WAKING_AFTER_S;
    }
  };
  tick();
  tail.tick = tick;
  tail.timer = setInterval(tick, 1000);
  return h('article', { class: 'message assistant pending', testid: 'message', dataset: { role: 'pending' } },
    avatar(),
    h('div', { class: 'bubble' },
      h('div', { class: 'pending-row', testid: 'pending' },
        h('span', { class: 'typing', 'aria-hidden': 'true' }, h('i'), h('i'), h('i')),
        label,
        h('button', { type: 'button', class: 'ghost small', testid: 'cancel-button', onClick: () => handlers.onCancel() }, t('pending.cancel'))),
      waking));
}

/** Words for why the client waits before trying again (an error code). */
function retryReason(code) {
  if (code === 'rate_limited') return 'pending.reasonRateLimited';
  if (code === 'server_unavailable' || code === 'html_page' || code === 'timeout') return 'pending.reasonServer';
  return 'pending.reasonNetwork';
}

function failure(error) {
  const cancelled = error.code === 'cancelled';
  const detailText = errorDetails(error);
  const details = detailText
    ? h('details', { class: 'error-details', testid: 'error-details' },
      h('summary', {}, t('error.details')),
      h('pre', {}, detailText))
    : null;
  return h('article', { class: `message error${cancelled ? ' cancelled' : ''}`, testid: 'message', dataset: { role: 'error', code: error.code } },
    h('div', { class: 'bubble' },
      cancelled || error.code === 'unanswered' ? null : h('strong', { class: 'error-title' }, t('error.title')),
      h('div', { class: 'message-text', testid: 'message-text' }, cancelled ? t('error.cancelled') : errorText(error)),
      details,
      error.retryable === false ? null
        : h('button', { type: 'button', class: 'primary small', testid: 'retry-button', onClick: () => handlers.onRetry() }, t('error.retry'))));
}
