// The only module that talks to the Rust backend. Views call these functions;
// none of them touches `invoke`, channels or Tauri events directly.

const tauri = window.__TAURI__;
const invoke = (cmd, args) => tauri.core.invoke(cmd, args);

export const appInfo = () => invoke('app_info');
export const openUrl = (url) => invoke('open_url', { url });

export const listConversations = () => invoke('list_conversations');
export const getConversation = (id) => invoke('get_conversation', { id });
export const renameConversation = (id, title) => invoke('rename_conversation', { id, title });
export const deleteConversation = (id) => invoke('delete_conversation', { id });

export const pickImage = () => invoke('pick_image');
export const importImagePaths = (paths) => invoke('import_image_paths', { paths });

export const sendMessage = (conversationId, text, image) =>
  invoke('send_message', { conversationId, text, image: image ? { file: image.file, name: image.name } : null });

/** Asks for the answer to the last question; `onEvent` gets started/done/failed/cancelled. */
export function ask(conversationId, onEvent) {
  const channel = new tauri.core.Channel();
  channel.onmessage = onEvent;
  return invoke('ask', { conversationId, onEvent: channel });
}
export const cancel = (conversationId) => invoke('cancel', { conversationId });

export const getSettings = () => invoke('get_settings');
export const saveSettings = (settings) => invoke('save_settings', { settings });

/** URL under which the webview can show a library image. */
export const imageUrl = (file) => tauri.core.convertFileSrc(file, 'dsimg');

/** Native drag and drop onto the window: paths, never bytes. */
export async function onFileDrop({ enter, leave, drop }) {
  const { listen } = tauri.event;
  await listen('tauri://drag-enter', (e) => enter(e.payload));
  await listen('tauri://drag-leave', () => leave());
  await listen('tauri://drag-drop', (e) => drop(e.payload.paths || []));
}
