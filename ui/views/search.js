// Search over every message: the input at the top of the sidebar and, while it holds a
// query, the hit list shown in place of the conversation list. Highlights come from
// the backend's snippet markers and become <mark> elements (never markup).
// Queries run as the person types, one at a time: keys typed while one runs are
// coalesced into the next, so results keep up without a fixed delay.

import { h, $ } from '../dom.js';
import { t, dateFormat } from '../i18n.js';
import { search } from '../api.js';

const OPEN = '\uE000';
const CLOSE = '\uE001';

let input = null;
let results = null;
let conversations = null;
let onOpen = null;
let running = false; // a query is in flight
let again = false; // the input changed meanwhile
let sequence = 0; // the newest query sent; older answers are dropped
let selected = -1;
/** Hits laid out with the answer: more than a screenful of the sidebar. */
const FIRST = 16;
/** The hits below them, added when the list is scrolled (or the selection moved) toward
 *  its end: laying them out with the first ones, or a frame later, cost 15-25 ms of
 *  layout and paint right where the next key is typed (bench/README.md). */
let pending = [];
let check = 0; // frame request that sees whether the first hits fill the list
/** How close to the end of the list (px) scrolling brings the pending hits in. */
const MARGIN = 150;

/** onOpen(conversationId, messageId, hidden) opens a hit (`hidden`: in an earlier
 *  version of an edited question or regenerated answer). */
export function initSearch({ onOpen: open }) {
  onOpen = open;
  input = $('[data-testid="search-input"]');
  results = $('[data-testid="search-results"]');
  conversations = $('[data-testid="conversation-list"]');
  input.addEventListener('input', schedule);
  input.addEventListener('keydown', onKeydown);
  results.addEventListener('keydown', onKeydown);
  results.addEventListener('click', (e) => {
    const hit = e.target.closest('[data-testid="search-result"]');
    if (hit) openHit(hit);
  });
  results.addEventListener('scroll', moreNearTheEnd, { passive: true });
}

/** Adds the pending hits once the list is scrolled near its end (layout is read only
 *  while some are pending). */
function moreNearTheEnd() {
  if (pending.length && results.scrollTop + results.clientHeight >= results.scrollHeight - MARGIN) more();
}

/** Adds the pending hits below the ones shown. */
function more() {
  if (!pending.length) return;
  const next = pending;
  pending = [];
  results.append(...next.map(hitNode));
}

export function focusSearch() {
  input.focus();
  input.select();
}

function clear() {
  input.value = '';
  schedule();
}

async function schedule() {
  if (running) {
    again = true;
    return;
  }
  running = true;
  do {
    again = false;
    await run();
  } while (again);
  running = false;
}

async function run() {
  const query = input.value.trim();
  const seq = ++sequence;
  if (!query) return show(null);
  let answer;
  try {
    answer = await search(query);
  } catch (e) {
    answer = { hits: [], error: e };
  }
  if (seq === sequence) show(answer.hits, query);
}

/** null: no query, the conversation list comes back. `query` is what the hits are for
 *  (as `data-query` on the list: typing races its own results). */
function show(hits, query = '') {
  const active = hits != null;
  results.hidden = !active;
  results.dataset.query = query;
  conversations.hidden = active;
  selected = -1;
  pending = [];
  cancelAnimationFrame(check);
  if (!active) { results.replaceChildren(); return; }
  if (!hits.length) {
    results.replaceChildren(h('p', { class: 'sidebar-empty', testid: 'search-empty' }, t('search.empty')));
    return;
  }
  results.replaceChildren(...hits.slice(0, FIRST).map(hitNode));
  if (hits.length > FIRST) {
    pending = hits.slice(FIRST);
    // A list taller than the first hits (a tall window, short snippets) cannot be
    // scrolled toward the rest: then they come at once. Read when the frame lays it out.
    check = requestAnimationFrame(moreNearTheEnd);
  }
}

const ROLE_LABELS = { user: 'message.you', assistant: 'message.assistant', system: 'instructions.title' };

function hitNode(hit) {
  return h('div', {
    class: 'search-result', testid: 'search-result', role: 'option', tabindex: '-1',
    dataset: { conversationId: String(hit.conversationId), messageId: String(hit.messageId), hidden: hit.hidden ? 'true' : 'false' },
  },
  h('div', { class: 'result-head' },
    h('span', { class: 'result-title' }, hit.title),
    h('span', { class: 'result-date' }, dateFormat({ day: 'numeric', month: 'short', year: 'numeric' }).format(new Date(hit.createdAt)))),
  h('div', { class: 'result-snippet' },
    h('span', { class: `result-role ${hit.role}` }, t(ROLE_LABELS[hit.role] ?? 'message.assistant')),
    hit.hidden ? h('span', { class: 'result-version', testid: 'search-result-version' }, t('search.earlierVersion')) : null,
    highlighted(hit.snippet)));
}

/** Text and <mark> nodes from a snippet with U+E000/U+E001 around each match. */
function highlighted(snippet) {
  const out = [];
  let inMatch = false;
  for (const part of snippet.split(/([\uE000\uE001])/)) {
    if (part === OPEN) inMatch = true;
    else if (part === CLOSE) inMatch = false;
    else if (part) out.push(inMatch ? h('mark', {}, part) : document.createTextNode(part));
  }
  return out;
}

function openHit(el) {
  select([...results.children].indexOf(el), false);
  onOpen(Number(el.dataset.conversationId), Number(el.dataset.messageId), el.dataset.hidden === 'true');
}

function select(i, focus) {
  let hits = results.querySelectorAll('[data-testid="search-result"]');
  if (!hits.length) return;
  if (i >= hits.length && pending.length) {
    more();
    hits = results.querySelectorAll('[data-testid="search-result"]');
  }
  selected = Math.max(0, Math.min(i, hits.length - 1));
  hits.forEach((el, k) => el.setAttribute('aria-selected', String(k === selected)));
  if (focus) hits[selected].focus();
}

function onKeydown(e) {
  const hits = results.querySelectorAll('[data-testid="search-result"]');
  if (e.key === 'ArrowDown' && hits.length) select(selected + 1, true);
  else if (e.key === 'ArrowUp' && hits.length) {
    if (selected <= 0) { selected = -1; input.focus(); } else select(selected - 1, true);
  } else if (e.key === 'Enter' && hits.length && !e.isComposing) openHit(hits[Math.max(selected, 0)]);
  else if (e.key === 'Escape') {
    if (input.value) { clear(); input.focus(); } else input.blur();
  } else return;
  e.preventDefault();
  e.stopPropagation();
}
