// The only module that talks to the Rust backend. Views call these functions;
// none of them touches `invoke`, channels or Tauri events directly.
//
// Shapes (all camelCase):
//   Summary  { id, title, createdAt, updatedAt, messageCount, pinned }
//   Message  { id, conversationId, role: 'user'|'assistant'|'system', text, html,
//              image: { file, name, mime, size } | null, model, createdAt }
//   Cursor   { pinned, updatedAt, id }   (opaque to views: pass back what you got)
// Every list is paged: no call returns a whole history.

const tauri = window.__TAURI__;
const invoke = (cmd, args) => tauri.core.invoke(cmd, args);
/** A command that reports as it goes: a channel, passed as its `onEvent` argument, hands
 *  each event to `onEvent`. */
function invokeWithEvents(cmd, onEvent, args = {}) {
  const channel = new tauri.core.Channel();
  channel.onmessage = onEvent;
  return invoke(cmd, { ...args, onEvent: channel });
}

export const appInfo = () => invoke('app_info');
/** Shows the main window, which starts hidden until the page has its first content. */
export const showWindow = () => invoke('show_window');
export const openUrl = (url) => invoke('open_url', { url });

/** One page of the sidebar, pinned first, then most recently active first.
 *  -> { items: Summary[], nextCursor: Cursor | null, total } (total: all live conversations) */
export const listConversations = (cursor = null, limit = 200) =>
  invoke('list_conversations', { cursor, limit });
/** -> Summary */
export const getConversation = (id) => invoke('get_conversation', { id });
/** -> Summary (with the title as saved: one line, "Untitled" when blank) */
export const renameConversation = (id, title) => invoke('rename_conversation', { id, title });
/** -> Summary */
export const setPinned = (id, pinned) => invoke('set_pinned', { id, pinned });
/** Hides it at once (Undo brings it back); it is really gone after `purgeConversation`
 *  or at the next start. */
export const deleteConversation = (id) => invoke('delete_conversation', { id });
/** -> Summary */
export const restoreConversation = (id) => invoke('restore_conversation', { id });
export const purgeConversation = (id) => invoke('purge_conversation', { id });
/** Deletes every conversation now. -> { deleted } */
export const clearHistory = () => invoke('clear_history');

/** A page of a conversation's messages, oldest first.
 *  anchor: { kind: 'latest' } | { kind: 'oldest' } | { kind: 'before', id } |
 *          { kind: 'after', id } | { kind: 'around', id }
 *  -> { messages: Message[], hasBefore, hasAfter, total } */
export const listMessages = (conversationId, anchor = { kind: 'latest' }, limit = 60) =>
  invoke('list_messages', { conversationId, anchor, limit });
/** -> Summary (the conversation with its new count) */
export const deleteMessage = (id) => invoke('delete_message', { id });
/** Shows the version `step` places from message `id` (-1 / 1). -> Message (now shown) */
export const switchVersion = (id, step) => invoke('switch_version', { id, step });
/** Puts a message of an earlier version on the shown path (a search hit). */
export const revealMessage = (id) => invoke('reveal_message', { id });

/** Full-text search over every message (prefix match, Russian and English).
 *  -> { hits: [{ messageId, conversationId, title, role, snippet, createdAt, hidden }], tookMs }
 *  In `snippet`, U+E000 opens and U+E001 closes a highlighted match. */
export const search = (query, limit = 50) => invoke('search_messages', { query, limit });

/** Native save dialog, then writes the file. ids: null for every conversation.
 *  format: 'markdown' | 'json'. -> { path, conversations, messages, images } | null (cancelled) */
export const exportHistory = (ids, format) => invoke('export_history', { ids, format });
/** Native open dialog for a JSON export. -> { conversations, messages, images, skipped } | null */
export const importHistory = () => invoke('import_history');

/** Native open dialog for an image. -> { image, preparation } | null */
export const pickImage = () => invoke('pick_image');
/** Attaches what the clipboard holds (pixels, else the first copied file), read by the
 *  backend itself. -> { image, preparation, ignored } | null when it holds neither */
export const pasteImage = () => invoke('paste_image');
/** Attaches the first of the paths of a native drop (as `onFileDrop` gave them); any other
 *  path is refused with code 'not_dropped'. -> { image, preparation, ignored } */
export const importImagePaths = (paths) => invoke('import_image_paths', { paths });

/** Sends a question: saves it (starting a conversation when conversationId is null) and
 *  asks for its answer in the same call. `onEvent` first gets
 *  { type: 'saved', conversation: Summary, message: Message }, then the events of ask().
 *  Rejects (nothing saved) on an empty question, a missing picture, or with code 'busy'
 *  while the conversation waits for another answer. */
export const sendMessage = (conversationId, text, image, onEvent, contextImage = true) =>
  invokeWithEvents('send_message', onEvent, {
    conversationId, text, image: image ? { file: image.file, name: image.name } : null, contextImage,
  });

/** Edit and resend: saves `text` as a new version of question `messageId` (its picture
 *  goes with it); ask() then answers it. -> { conversation: Summary, message: Message } */
export const editQuestion = (messageId, text) => invoke('edit_question', { messageId, text });

/** Asks for the answer to the last question (or, with `regenerate`, a new version of
 *  that answer, asked with what came before it). `onEvent` gets
 *  { type: 'progress', progress } |
 *  { type: 'done', message, conversation } | { type: 'failed', error } | { type: 'cancelled' }.
 *  A failed question's error has `requestId` (also in its log lines and its `details`).
 *  Rejects with code 'busy' while the conversation waits for another answer. */
/** `contextImage` false: a question without a picture of its own goes without one
 *  (otherwise the conversation's latest picture goes again, as `contextImage` tells). */
export const ask = (conversationId, onEvent, contextImage = true, regenerate = null) =>
  invokeWithEvents('ask', onEvent, { conversationId, contextImage, regenerate });
/** -> string: the conversation's instructions ("" for none). */
export const getInstructions = (conversationId) => invoke('get_instructions', { conversationId });
/** Sets them (blank text removes them). -> Summary */
export const setInstructions = (conversationId, text) => invoke('set_instructions', { conversationId, text });
/** -> { file, name, mime, size } | null: the picture a follow-up question sends again. */
export const contextImage = (conversationId) => invoke('context_image', { conversationId });
export const cancel = (conversationId) => invoke('cancel', { conversationId });

/** -> { settings, defaults, endpointOverride, passwordSaved,
 *       passwordStorage: 'none' | 'keyring' | 'session', keyringProblem: string | null }
 *  The proxy password itself never comes back. */
export const getSettings = () => invoke('get_settings');
/** `settings.proxyPassword` (taken out before sending) says what to do with the saved proxy
 *  password: { action: 'replace', password } | { action: 'remove' }; absent keeps it.
 *  -> Settings (as saved, no password) */
export const saveSettings = ({ proxyPassword = null, ...settings }) =>
  invoke('save_settings', { settings, proxyPassword });
/** Whether the OS keyring answers. -> { available, problem: string | null } */
export const checkKeyring = () => invoke('check_keyring');
/** "Test connection" with the settings as edited, unsaved; `proxyPassword` as for
 *  `saveSettings` (absent: the saved password). Never sends a question.
 *  -> { proxy, reached, askedForCredentials, credentialsRefused, serviceAnswered,
 *       status, message, details }; invalid settings reject as a save does. */
export const testProxy = ({ proxyPassword = null, ...settings }) =>
  invoke('test_proxy', { settings, proxyPassword });

/** The start-up update check; the backend skips it when the setting is off (and in a debug
 *  build without DYNASPARK_UPDATE_ENDPOINT), and never rejects: a failure is logged only.
 *  -> { status: 'skipped' | 'upToDate' | 'failed' } |
 *     { status: 'available', version, currentVersion, notes, date } (notes: plain text) */
export const checkForUpdate = () => invoke('check_for_update');
/** Downloads the update the check found, installs it only if its signature verifies with
 *  the app's key, then the app restarts. `onEvent` gets
 *  { type: 'progress', downloaded, total } (total: bytes or null) | { type: 'installing' } |
 *  { type: 'restarting' }. Rejects with { code, message }: 'update_signature_invalid',
 *  'update_download_failed' (retryable), 'update_not_installable', 'update_install_failed', … */
export const installUpdate = (onEvent) => invokeWithEvents('install_update', onEvent);

/** Shows the app's logs folder in the file manager. */
export const openLogsFolder = () => invoke('open_logs_folder');
/** Shows the app's data folder (history, images, settings, logs) in the file manager. */
export const openDataFolder = () => invoke('open_data_folder');
/** What the interface kept from the last run: { sidebarCollapsed?: boolean }. */
export const getUiState = () => invoke('get_ui_state');
/** Keeps one of those (only the keys above; losing them costs nothing). */
export const setUiState = (key, value) => invoke('set_ui_state', { key, value });
/** Puts `text` on the system clipboard. */
export const copyText = (text) => invoke('copy_text', { text });

/** URL under which the webview can show a library image. */
export const imageUrl = (file) => tauri.core.convertFileSrc(file, 'dsimg');

/** The macOS menu bar's items (src-tauri/src/menu.rs): `handler(action)`, action one of
 *  'new-conversation', 'attach', 'settings', 'toggle-sidebar', 'search', 'shortcuts', 'about'. */
export const onMenu = (handler) => tauri.event.listen('menu', (e) => handler(e.payload));

/** Native drag and drop onto the window: paths, never bytes. */
export async function onFileDrop({ enter, leave, drop }) {
  const { listen } = tauri.event;
  await Promise.all([
    listen('tauri://drag-enter', (e) => enter(e.payload)),
    listen('tauri://drag-leave', () => leave()),
    listen('tauri://drag-drop', (e) => drop(e.payload.paths || [])),
  ]);
}
