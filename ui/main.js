// Wires the views to the backend through api.js and keeps the UI state: which
// conversation is open, which are waiting for an answer, and the last failure of each.

import * as api from './api.js';
import { loadStrings, t } from './i18n.js';
import { $ } from './dom.js';
import { renderSidebar } from './views/sidebar.js';
import { renderConversation } from './views/conversation.js';
import * as composer from './views/composer.js';
import { initSettings, openSettings, closeSettings, showErrors } from './views/settings.js';
import { toast } from './views/toasts.js';

const state = {
  info: null,
  settings: null,
  conversations: [],
  currentId: null,
  title: '',
  messages: [],
  pending: new Map(), // conversationId -> { startedAt }
  failures: new Map(), // conversationId -> error
};

function render({ scrollToEnd = false } = {}) {
  const id = state.currentId;
  renderConversation({
    title: state.title,
    messages: state.messages,
    pending: id != null ? state.pending.get(id) : null,
    failure: id != null ? state.failures.get(id) : null,
    scrollToEnd,
  }, {
    onCancel: () => api.cancel(id),
    onRetry: () => askFor(id),
    onSuggestion: (text) => composer.setText(text),
  });
  renderSidebar(
    { conversations: state.conversations, currentId: id, pendingIds: new Set(state.pending.keys()) },
    { onSelect: openConversation, onDelete: deleteConversation },
  );
  composer.setBusy(id != null && state.pending.has(id));
}

async function refreshList() {
  state.conversations = await api.listConversations();
}

async function openConversation(id) {
  try {
    const c = await api.getConversation(id);
    state.currentId = c.id;
    state.title = c.title;
    state.messages = c.messages;
    render({ scrollToEnd: true });
    composer.focusInput();
  } catch (e) {
    toast(e.message || String(e), { kind: 'error' });
  }
}

function newConversation() {
  state.currentId = null;
  state.title = '';
  state.messages = [];
  render();
  composer.focusInput();
}

async function deleteConversation(id) {
  try {
    await api.deleteConversation(id);
    state.pending.delete(id);
    state.failures.delete(id);
    await refreshList();
    if (state.currentId === id) newConversation();
    else render();
  } catch (e) {
    toast(e.message || String(e), { kind: 'error' });
  }
}

async function send() {
  const { text, image } = composer.getDraft();
  if (!text.trim() && !image) return;
  if (state.currentId != null && state.pending.has(state.currentId)) {
    composer.showComposerError(t('composer.busy'), 'info');
    return;
  }
  let sent;
  try {
    sent = await api.sendMessage(state.currentId, text, image);
  } catch (e) {
    // Nothing was saved: the draft stays in the composer as it was.
    composer.showComposerError(e.message || String(e));
    return;
  }
  composer.clearDraft();
  composer.showComposerError(null);
  state.currentId = sent.conversation.id;
  state.title = sent.conversation.title;
  state.messages.push(sent.message);
  await refreshList();
  askFor(sent.conversation.id);
}

async function askFor(id) {
  if (id == null || state.pending.has(id)) return;
  state.failures.delete(id);
  state.pending.set(id, { startedAt: Date.now() });
  render({ scrollToEnd: true });
  const finish = async (failure) => {
    state.pending.delete(id);
    if (failure) state.failures.set(id, failure);
    await refreshList();
    render({ scrollToEnd: true });
  };
  try {
    await api.ask(id, async (event) => {
      switch (event.type) {
        case 'started':
          break;
        case 'done':
          if (state.currentId === id) state.messages.push(event.message);
          await finish(null);
          break;
        case 'failed':
          await finish(event.error);
          break;
        case 'cancelled':
          await finish({ code: 'cancelled', message: t('error.cancelled'), retryable: true });
          break;
        default:
          break;
      }
    });
  } catch (e) {
    await finish(typeof e === 'object' ? e : { code: 'internal', message: String(e), retryable: true });
  }
}

async function attach() {
  try {
    const image = await api.pickImage();
    if (image) composer.setAttachment(image);
  } catch (e) {
    composer.showComposerError(e.message || String(e));
  }
}

async function attachDropped(paths) {
  if (!paths.length) return;
  try {
    const { image, ignored } = await api.importImagePaths(paths);
    composer.setAttachment(image);
    if (ignored > 0) composer.showComposerError(t('composer.onlyFirst'), 'info');
  } catch (e) {
    composer.showComposerError(e.message || String(e));
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

async function saveSettings(settings) {
  try {
    state.settings = await api.saveSettings(settings);
    applyTheme(state.settings.theme);
    composer.setModels(state.settings.models, state.settings.model);
    closeSettings();
    toast(t('settings.saved'));
  } catch (e) {
    showErrors(e.fields?.length ? e.fields : [{ field: 'endpoint', message: e.message || String(e) }]);
  }
}

async function chooseModel(model) {
  try {
    state.settings = await api.saveSettings({ ...state.settings, model });
  } catch (e) {
    toast(e.message || String(e), { kind: 'error' });
    composer.setModels(state.settings.models, state.settings.model);
  }
}

function links(event) {
  const a = event.target.closest('.message-text a[href]');
  if (!a) return;
  event.preventDefault();
  api.openUrl(a.getAttribute('href')).catch((e) => toast(e.message || String(e), { kind: 'error' }));
}

const isMac = navigator.platform.toUpperCase().includes('MAC');

/** Window-wide shortcuts; Cmd on macOS, Ctrl elsewhere. */
function shortcuts(e) {
  const mod = isMac ? e.metaKey : e.ctrlKey;
  const dialogOpen = $('[data-testid="settings-dialog"]').open;
  if (e.key === 'Escape' && !dialogOpen && state.currentId != null && state.pending.has(state.currentId)) {
    e.preventDefault();
    api.cancel(state.currentId);
  } else if (mod && !dialogOpen && e.key.toLowerCase() === 'n') {
    e.preventDefault();
    newConversation();
  } else if (mod && !dialogOpen && e.key.toLowerCase() === 'o') {
    e.preventDefault();
    attach();
  } else if (mod && !dialogOpen && e.key === ',') {
    e.preventDefault();
    showSettings();
  }
}

async function start() {
  await loadStrings('en');
  state.info = await api.appInfo();
  state.settings = (await api.getSettings()).settings;
  applyTheme(state.settings.theme);
  composer.initComposer({ onSend: send, onAttach: attach, onModel: chooseModel });
  composer.setModels(state.settings.models, state.settings.model);
  initSettings({ onSave: saveSettings });
  $('[data-testid="new-conversation"]').addEventListener('click', newConversation);
  $('[data-testid="settings-button"]').addEventListener('click', showSettings);
  $('[data-testid="message-list"]').addEventListener('click', links);
  document.addEventListener('keydown', shortcuts);

  const overlay = $('[data-testid="drop-overlay"]');
  await api.onFileDrop({
    enter: () => { overlay.hidden = false; },
    leave: () => { overlay.hidden = true; },
    drop: (paths) => { overlay.hidden = true; attachDropped(paths); },
  });

  for (const n of state.info.notices) toast(n.message, { kind: 'warning', timeout: 0 });
  await refreshList();
  if (state.conversations.length) await openConversation(state.conversations[0].id);
  else newConversation();
  document.body.dataset.ready = 'true';
}

start().catch((e) => {
  console.error(e);
  toast(`Dynaspark Desktop could not start: ${e.message || e}`, { kind: 'error', timeout: 0 });
});
