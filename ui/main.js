// Wires the views to the backend through api.js and keeps the UI state: which
// conversation is open, which are waiting for an answer, and the last failure of each.
// Every change goes to the one row or message it concerns; nothing redraws a whole list.

import * as api from './api.js';
import { loadStrings, resolveLanguage, t } from './i18n.js';
import { $, h, nextFrame, now, errorText } from './dom.js';
import * as sidebar from './views/sidebar.js';
import * as conversation from './views/conversation.js';
import * as composer from './views/composer.js';
import { initSearch, focusSearch } from './views/search.js';
import { initSettings, openSettings, closeSettings, showErrors } from './views/settings.js';
import { toast } from './views/toasts.js';
import { initUpdates } from './views/update.js';
import { initHelp, showAbout, showShortcuts } from './views/help.js';
import { initInstructions, openInstructions } from './views/instructions.js';

const UNDO_MS = 8000;

const state = {
  info: null,
  settings: null,
  currentId: null,
  pending: new Map(), // conversationId -> { startedAt }
  failures: new Map(), // conversationId -> error
  noContextImage: new Set(), // conversations whose latest picture is not to be sent again
};
let openSequence = 0; // the newest open request; older ones give way

window.__dsMarks = window.__dsMarks || {};

// The stylesheet is applied from here, not linked in index.html, where it would hold the
// modules back until it is parsed (about 25 ms, bench/README.md): the start's calls to the
// backend are under way meanwhile. The window stays hidden until it has applied.
const styled = new Promise((resolve) => {
  const sheet = h('link', { rel: 'stylesheet', href: 'styles.css' });
  // Shown without it rather than never.
  sheet.addEventListener('load', resolve);
  sheet.addEventListener('error', resolve);
  document.head.append(sheet);
});
const showWindow = () => styled.then(() => api.showWindow()).catch(console.error);

const fail = (e) => toast(errorText(e), { kind: 'error' });
const statusOf = (id) => ({ pending: state.pending.get(id) || null, failure: state.failures.get(id) || null });

function setCurrent(id) {
  const changed = id !== state.currentId;
  state.currentId = id;
  sidebar.setActive(id);
  composer.setBusy(id != null && state.pending.has(id));
  if (changed) refreshContextImage();
}

/** The composer's "sent again" chip for the open conversation's latest picture. */
async function refreshContextImage() {
  const id = state.currentId;
  if (id == null || state.noContextImage.has(id)) {
    composer.setContextImage(null);
    return;
  }
  try {
    const image = await api.contextImage(id);
    if (id === state.currentId && !state.noContextImage.has(id)) composer.setContextImage(image);
  } catch (e) {
    console.error(e);
  }
}

/** Opens a conversation at its latest messages, or around `messageId`, highlighted. */
async function openConversation(id, messageId = null) {
  const seq = ++openSequence;
  try {
    const summary = await api.getConversation(id);
    if (seq !== openSequence) return;
    setCurrent(id);
    sidebar.revealActive();
    const painted = await conversation.open(summary, statusOf(id), messageId);
    if (painted && seq === openSequence) window.__dsMarks.opened = { id, at: now() };
  } catch (e) {
    fail(e);
  }
}

function newConversation() {
  openSequence += 1;
  setCurrent(null);
  conversation.showNew();
  composer.focusInput();
}

/** Shows the backend's answer to a change of one conversation in its row and header. */
function applySummary(summary) {
  sidebar.upsert(summary);
  if (summary.id === state.currentId) conversation.setTitle(summary.title);
}

function renameConversation(id, title) {
  api.renameConversation(id, title).then(applySummary).catch(fail);
}

function pinConversation(id, pinned) {
  api.setPinned(id, pinned).then(applySummary).catch(fail);
}

/** Hides the row at once; Undo restores it, otherwise it is purged when the toast goes. */
async function deleteConversation(id) {
  sidebar.remove(id);
  state.pending.delete(id);
  state.failures.delete(id);
  if (state.currentId === id) newConversation();
  try {
    await api.deleteConversation(id);
  } catch (e) {
    fail(e);
    api.getConversation(id).then((s) => sidebar.upsert(s, true)).catch(() => {});
    return;
  }
  toast(t('sidebar.deleted'), {
    timeout: UNDO_MS,
    action: {
      label: t('toast.undo'),
      testid: 'toast-undo',
      run: () => api.restoreConversation(id).then((s) => sidebar.upsert(s, true)).catch(fail),
    },
    onClose: (reason) => { if (reason !== 'action') api.purgeConversation(id).catch(fail); },
  });
}

/** Hides or shows the sidebar (`collapsed` omitted: the other way); kept for the next
 *  start unless `keep` is false. Focus never stays in a hidden sidebar. */
function toggleSidebar(collapsed = !$('.app').classList.contains('sidebar-collapsed'), keep = true) {
  $('.app').classList.toggle('sidebar-collapsed', collapsed);
  const sidebarEl = $('[data-testid="sidebar"]');
  sidebarEl.inert = collapsed;
  const button = $('[data-testid="sidebar-toggle"]');
  button.setAttribute('aria-expanded', String(!collapsed));
  button.dataset.i18nTitle = collapsed ? 'sidebar.show' : 'sidebar.hide';
  button.title = t(button.dataset.i18nTitle);
  button.setAttribute('aria-label', button.title);
  if (collapsed && sidebarEl.contains(document.activeElement)) composer.focusInput();
  if (keep) api.setUiState('sidebarCollapsed', collapsed).catch(console.error);
}

/** Saves a conversation's instructions and shows them where they are kept. */
async function saveInstructions(id, text) {
  applySummary(await api.setInstructions(id, text));
  if (id === state.currentId) openConversation(id); // the dialog closes meanwhile
}

/** Copies `text` to the clipboard; false (and a toast saying why) when it could not. */
async function copyText(text) {
  try {
    await api.copyText(text);
    return true;
  } catch (e) {
    fail(e);
    return false;
  }
}

async function deleteMessage(id) {
  // A message with other versions gives way to one of them: the path changes.
  const versioned = (conversation.loadedMessage(id)?.branches ?? 1) > 1;
  try {
    const summary = await api.deleteMessage(id);
    if (versioned) await conversation.reload();
    else conversation.removeMessage(id);
    sidebar.upsert(summary);
  } catch (e) {
    fail(e);
  }
}

/** Edit and resend: the edited question becomes a new version and is asked. True once
 *  saved; on failure the editor keeps the text and says why. */
async function editQuestion(id, text) {
  const conversationId = state.currentId;
  if (conversationId == null) return false;
  if (state.pending.has(conversationId)) {
    toast(t('composer.busy'), { kind: 'info' });
    return false;
  }
  let sent;
  try {
    sent = await api.editQuestion(id, text);
  } catch (e) {
    fail(e);
    return false;
  }
  sidebar.upsert(sent.conversation);
  // The new path is shown before the question goes: an answer can then only follow it.
  if (state.currentId === conversationId) await conversation.reload();
  askFor(conversationId);
  return true;
}

/** Shows another version of a message ("‹ 1/2 ›"), keeping it where it is on screen. */
async function switchVersion(id, step) {
  const conversationId = state.currentId;
  if (conversationId == null || state.pending.has(conversationId)) return;
  const place = document.querySelector(`[data-testid="message"][data-id="${id}"]`);
  try {
    const shown = await api.switchVersion(id, step);
    await conversation.reload(shown.id, place);
    sidebar.upsert(await api.getConversation(conversationId));
  } catch (e) {
    fail(e);
  }
}

let sending = false; // a question on its way to being saved: a second Send waits for it

async function send() {
  const { text, image } = composer.getDraft();
  if ((!text.trim() && !image) || sending) return;
  const from = state.currentId;
  if (from != null && state.pending.has(from)) {
    composer.showComposerError(t('composer.busy'), 'info');
    return;
  }
  sending = true;
  let shown = true;
  // Saved and asked in one call; the page shows the question while the answer comes.
  const saved = ({ conversation: summary }) => {
    sending = false;
    // A new picture is the one later questions send again, even after the last was removed.
    if (image) state.noContextImage.delete(summary.id);
    shown = state.currentId == null || state.currentId === summary.id;
    if (shown) state.currentId = summary.id;
  };
  const render = ({ conversation: summary, message }) => {
    composer.clearDraft();
    composer.showComposerError(null);
    const current = shown && state.currentId === summary.id;
    // Made the open one first: a new conversation's row is then filled once, as such.
    if (current) setCurrent(summary.id);
    sidebar.upsert(summary, from == null);
    if (current) {
      // Only a question's own picture changes what the next one sends again: it is that
      // picture now (when the settings send pictures again), known without asking.
      if (image) composer.setContextImage(state.settings.resendImage ? message.image : null);
      conversation.append(message);
      conversation.setTitle(summary.title);
      sidebar.revealActive();
    }
  };
  try {
    await askFor(from, { question: { text, image, saved }, render });
  } catch (e) {
    // Nothing was saved: the draft stays in the composer as it was.
    sending = false;
    composer.showComposerError(errorText(e));
  }
}

/** Pending state or failure of one conversation changed: its row dot and, when open, its tail. */
function statusChanged(id) {
  sidebar.setPending(id, state.pending.has(id));
  if (id === state.currentId) {
    conversation.setStatus(statusOf(id));
    composer.setBusy(state.pending.has(id));
  }
}

/** How long a sent question waits to be shown with its answer: an answer that comes
 *  sooner (a fast or local server) is shown in the same frame as its question, with one
 *  paint for both instead of a paint the answer waits behind. Well under the tenth of a
 *  second at which a reaction stops feeling instant. */
const HOLD_MS = 50;

/** Asks for the answer to conversation `id`'s last question (with `regenerate`, a new
 *  version of that answer). With `question` ({ text, image, saved(event) }) it first
 *  saves the question, in a new conversation when `id` is null: `saved` gets the saved
 *  event at once, and the promise rejects when nothing was saved. `render(saved)`
 *  (optional) shows the question: HOLD_MS after it was saved, or with the answer's
 *  outcome if that comes first. Without a question the pending state shows at the next
 *  frame, after the request has left. */
async function askFor(id, { render = null, regenerate = null, question = null } = {}) {
  if (!question && (id == null || state.pending.has(id))) return;
  let saved = question ? null : {};
  const begin = (conversationId) => {
    id = conversationId;
    state.failures.delete(id);
    state.pending.set(id, { startedAt: Date.now(), regenerate });
  };
  if (!question) begin(id);
  let shown = false;
  // With the outcome already here (a fast answer, a failure), the question is shown with
  // the outcome's newer summary and without the waiting state in between: the sidebar
  // row and the tail change once. True when `render` showed the question just now.
  const show = (outcome = null) => {
    if (shown || saved == null) return false;
    shown = true;
    render?.(outcome?.conversation ? { ...saved, conversation: outcome.conversation } : saved);
    if (!outcome) statusChanged(id);
    return render != null;
  };
  const finish = (failure) => {
    show();
    state.pending.delete(id);
    // Retry asks the same way (a failed regeneration is regenerated again).
    if (failure) state.failures.set(id, { ...failure, regenerate });
    statusChanged(id);
  };
  const onEvent = (event) => {
    if (event.type === 'saved') {
      saved = event;
      begin(event.conversation.id);
      question.saved(event);
      setTimeout(() => show(), HOLD_MS);
      return;
    }
    // A question's own progress waits for it to be shown; an outcome shows it first.
    const outcome = event.type === 'done' || event.type === 'failed' || event.type === 'cancelled';
    const showing = (!question || outcome) && show(outcome ? event : null);
    switch (event.type) {
      case 'done':
        // A regenerated answer replaces what followed the old one: the path is new.
        if (state.currentId === id && regenerate != null) conversation.reload();
        else if (state.currentId === id) conversation.append(event.message);
        if (!showing) sidebar.upsert(event.conversation);
        finish(null);
        break;
      case 'progress': {
        const p = state.pending.get(id);
        if (!p) break;
        p.progress = { ...event.progress, at: Date.now() };
        if (state.currentId === id) conversation.refreshPending();
        break;
      }
      case 'failed':
        finish(event.error);
        break;
      case 'cancelled':
        finish({ code: 'cancelled', message: t('error.cancelled'), retryable: true });
        break;
      default:
        break;
    }
  };
  const resend = id == null || !state.noContextImage.has(id);
  const asking = question
    ? api.sendMessage(id, question.text, question.image, onEvent, resend)
    : api.ask(id, onEvent, resend, regenerate);
  if (!question) requestAnimationFrame(() => show());
  try {
    await asking;
  } catch (e) {
    // Refused before the question was saved: nothing changed, the caller says why.
    if (saved == null) throw e;
    finish(typeof e === 'object' ? e : { code: 'internal', message: String(e), retryable: true });
  }
}

async function attach() {
  try {
    const attached = await api.pickImage();
    if (attached) composer.setAttachment(attached.image, attached.preparation);
  } catch (e) {
    composer.showComposerError(errorText(e));
  }
}

/** Ctrl/Cmd+V that may be an image or a copied file: the backend reads the clipboard
 *  itself (bytes never travel through the page) and attaches copied files first, else
 *  pixels. `text` is what a plain paste would have inserted into `field`: put there when
 *  the clipboard turns out to hold neither. */
async function attachPasted(field = null, text = '') {
  try {
    const attached = await api.pasteImage();
    if (attached) {
      composer.setAttachment(attached.image, attached.preparation);
      if (attached.ignored > 0) composer.showComposerError(t('composer.onlyFirst'), 'info');
    } else if (text && editable(field)) {
      field.focus();
      document.execCommand('insertText', false, text); // keeps the field's undo history
    } else {
      composer.showComposerError(t('composer.pasteEmpty'), 'info');
    }
  } catch (e) {
    composer.showComposerError(errorText(e));
  }
}

/** WebKitGTK lists no clipboard types in a paste event, only its text. Plain text pastes
 *  natively (wins over an image, as office apps copy both); no text, or only paths and
 *  file URIs (as file managers copy files), asks the backend. */
function pasted(e) {
  if ($('[data-testid="settings-dialog"]').open || !editable(e.target)) return;
  const text = e.clipboardData?.getData('text/plain') ?? '';
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  if (lines.length && !lines.every((l) => /^(file:\/\/|\/|[A-Za-z]:\\)/.test(l.trim()))) return;
  e.preventDefault();
  attachPasted(e.target, text);
}

const TEXT_INPUTS = ['text', 'search', 'url', 'password'];

function editable(el) {
  return el instanceof HTMLTextAreaElement || (el instanceof HTMLInputElement && TEXT_INPUTS.includes(el.type));
}

async function attachDropped(paths) {
  if (!paths.length) return;
  try {
    const { image, preparation, ignored } = await api.importImagePaths(paths);
    composer.setAttachment(image, preparation);
    if (ignored > 0) composer.showComposerError(t('composer.onlyFirst'), 'info');
  } catch (e) {
    composer.showComposerError(errorText(e));
  }
}

/** An export or import report's counts as words ("3 conversations", "1 image"). */
const counted = (r) => ({
  ...r,
  conversations: t('count.conversations', { n: r.conversations }),
  messages: t('count.messages', { n: r.messages }),
  images: t('count.images', { n: r.images }),
});

async function exportHistory(ids, format) {
  try {
    const r = await api.exportHistory(ids, format);
    if (r) toast(t('history.exported', counted(r)), { timeout: 8000 });
  } catch (e) {
    fail(e);
  }
}

async function importHistory() {
  try {
    const r = await api.importHistory();
    if (!r) return;
    toast(t('history.imported', counted(r)), { timeout: 8000 });
    await sidebar.reload();
    sidebar.setActive(state.currentId);
  } catch (e) {
    fail(e);
  }
}

async function clearHistory() {
  try {
    const { deleted } = await api.clearHistory();
    state.pending.clear();
    state.failures.clear();
    await sidebar.reload();
    newConversation();
    toast(t('history.cleared', { n: deleted }));
  } catch (e) {
    fail(e);
  }
}

const systemDark = window.matchMedia('(prefers-color-scheme: dark)');

/** Resolves the theme setting (system, light, dark) to the scheme the CSS uses. */
function applyTheme(theme = state.settings?.theme) {
  const dark = theme === 'dark' || (theme === 'system' && systemDark.matches);
  document.documentElement.dataset.theme = theme;
  document.documentElement.dataset.scheme = dark ? 'dark' : 'light';
}
systemDark.addEventListener('change', () => applyTheme());

async function showSettings() {
  openSettings(await api.getSettings(), state.info.dataDir);
}

/** The interface language for the setting: the system's locale (the app's report of
 *  it first, then the webview's) unless one is chosen. */
const language = () => resolveLanguage(state.settings?.language, [state.info?.locale, ...navigator.languages].filter(Boolean));

/** Shows the interface in the language of the settings at once: the data-i18n pass over
 *  the page, then what the views wrote themselves (rows, the open conversation). */
async function applyLanguage() {
  await loadStrings(language());
  $('[data-testid="search-input"]').title = `${t('search.placeholder')} (${isMac ? '⌘K' : 'Ctrl+K'})`;
  sidebar.relabel();
  conversation.relabel();
  composer.setBusy(state.currentId != null && state.pending.has(state.currentId));
  if (state.currentId != null) await openConversation(state.currentId);
  else conversation.setTitle('');
  const search = $('[data-testid="search-input"]');
  if (search.value) search.dispatchEvent(new Event('input'));
}

async function saveSettings(settings) {
  try {
    const before = language();
    state.settings = await api.saveSettings(settings);
    applyTheme(state.settings.theme);
    if (language() !== before) await applyLanguage();
    composer.setModels(state.settings.models, state.settings.model);
    refreshContextImage();
    closeSettings();
    toast(t('settings.saved'));
  } catch (e) {
    showErrors(e.fields?.length ? e.fields : [{ field: 'endpoint', message: errorText(e) }]);
  }
}

async function chooseModel(model) {
  try {
    state.settings = await api.saveSettings({ ...state.settings, model });
  } catch (e) {
    fail(e);
    composer.setModels(state.settings.models, state.settings.model);
  }
}

function links(event) {
  const a = event.target.closest('.message-text a[href]');
  if (!a) return;
  event.preventDefault();
  api.openUrl(a.getAttribute('href')).catch(fail);
}

const isMac = navigator.platform.toUpperCase().includes('MAC');

/** Window-wide shortcuts; Cmd on macOS, Ctrl elsewhere. */
function shortcuts(e) {
  const mod = isMac ? e.metaKey : e.ctrlKey;
  const dialogOpen = !!document.querySelector('dialog[open]');
  const key = e.key.toLowerCase();
  if (e.key === 'Escape' && !dialogOpen && state.currentId != null && state.pending.has(state.currentId)) {
    e.preventDefault();
    api.cancel(state.currentId);
  } else if (mod && !dialogOpen && key === 'n') {
    e.preventDefault();
    newConversation();
  } else if (mod && !dialogOpen && key === 'o') {
    e.preventDefault();
    attach();
  } else if (mod && !dialogOpen && key === 'v' && !editable(e.target)) {
    // Outside a text field no paste event comes: ask the clipboard directly.
    e.preventDefault();
    attachPasted();
  } else if (mod && !dialogOpen && key === 'k') {
    e.preventDefault();
    focusSearch();
  } else if (mod && !dialogOpen && e.key === ',') {
    e.preventDefault();
    showSettings();
  } else if (mod && !dialogOpen && key === 'b') {
    e.preventDefault();
    toggleSidebar();
  } else if (mod && (e.key === '/' || e.code === 'Slash')) {
    e.preventDefault();
    showShortcuts();
  }
}

async function start() {
  // Nothing here waits for what it does not need: the calls of the start run side by side,
  // the conversations' first page with them (the window shows with it).
  const firstPage = sidebar.firstPage();
  firstPage.catch(() => {}); // failed, it fails the start where it is awaited
  const [info, { settings }] = await Promise.all([api.appInfo(), api.getSettings()]);
  state.info = info;
  state.settings = settings;
  await loadStrings(language());
  applyTheme(state.settings.theme);
  composer.initComposer({
    onSend: send, onAttach: attach, onModel: chooseModel,
    onDropContext: () => { if (state.currentId != null) state.noContextImage.add(state.currentId); },
    onEditLast: () => conversation.editLast(),
  });
  composer.setModels(state.settings.models, state.settings.model);
  initSettings({
    onSave: saveSettings,
    onExport: (format) => exportHistory(null, format),
    onImport: importHistory,
    onClear: clearHistory,
    count: sidebar.count,
  });
  sidebar.initSidebar({
    onOpen: (id) => openConversation(id).then(() => composer.focusInput()),
    onPin: pinConversation,
    onRename: renameConversation,
    onDelete: deleteConversation,
  });
  conversation.initConversation({
    onCancel: () => api.cancel(state.currentId),
    onRetry: () => askFor(state.currentId, { regenerate: state.failures.get(state.currentId)?.regenerate ?? null }),
    onEdit: editQuestion,
    onRegenerate: (id) => {
      if (state.currentId != null && state.pending.has(state.currentId)) toast(t('composer.busy'), { kind: 'info' });
      else askFor(state.currentId, { regenerate: id });
    },
    onSwitchVersion: switchVersion,
    onSuggestion: (text) => composer.setText(text),
    onDeleteMessage: deleteMessage,
    onCopy: copyText,
    onInstructions: (id) => { if (id != null) openInstructions(id); },
    onRename: renameConversation,
    onExport: (id, format) => exportHistory([id], format),
  });
  initHelp(state.info, isMac);
  initInstructions({ onSave: saveInstructions });
  $('[data-testid="sidebar-toggle"]').addEventListener('click', () => toggleSidebar());
  api.getUiState().then((ui) => { if (ui.sidebarCollapsed) toggleSidebar(true, false); }).catch(console.error);
  initSearch({
    onOpen: async (conversationId, messageId, hidden) => {
      // A hit in an earlier version: that version is shown first.
      if (hidden) await api.revealMessage(messageId).catch(fail);
      return openConversation(conversationId, messageId);
    },
  });
  $('[data-testid="search-input"]').title = `${t('search.placeholder')} (${isMac ? '⌘K' : 'Ctrl+K'})`;
  $('[data-testid="new-conversation"]').addEventListener('click', newConversation);
  $('[data-testid="settings-button"]').addEventListener('click', showSettings);
  $('[data-testid="message-list"]').addEventListener('click', links);
  document.addEventListener('keydown', shortcuts);
  document.addEventListener('paste', pasted);
  // The macOS menu bar (src-tauri/src/menu.rs): each item does what its shortcut does.
  const menuActions = {
    'new-conversation': newConversation,
    'attach': attach,
    'settings': showSettings,
    'toggle-sidebar': () => toggleSidebar(),
    'search': focusSearch,
    'shortcuts': showShortcuts,
    'about': showAbout,
  };
  api.onMenu((action) => {
    // As with the keys: nothing behind an open dialog, but the shortcuts list and About.
    const overDialog = action === 'shortcuts' || action === 'about';
    if (overDialog || !document.querySelector('dialog[open]')) menuActions[action]?.();
  }).catch(console.error);

  const overlay = $('[data-testid="drop-overlay"]');
  // Heard before the page says it is ready (awaited below), listened to meanwhile.
  const dropsHeard = api.onFileDrop({
    enter: () => { overlay.hidden = false; },
    leave: () => { overlay.hidden = true; },
    drop: (paths) => { overlay.hidden = true; attachDropped(paths); },
  });

  for (const n of state.info.notices) toast(n.message, { kind: 'warning', timeout: 0 });
  await sidebar.reload(firstPage);
  // The window starts hidden: it shows with the conversations listed (and the frame
  // below waits for it).
  showWindow();
  await nextFrame();
  window.__dsMarks.sidebarListed = now();
  const recent = sidebar.mostRecent();
  if (recent) await openConversation(recent.id);
  else newConversation();
  await dropsHeard;
  composer.focusInput();
  document.body.dataset.ready = 'true';
  window.__dsMarks.ready = now();
  initUpdates(); // in the background, once the window is usable
}

start().catch(async (e) => {
  console.error(e);
  showWindow();
  await loadStrings(language()).catch(() => {});
  toast(t('app.startFailed', { reason: errorText(e) }), { kind: 'error', timeout: 0 });
});
