//! The message list's commands: pages around an anchor, deleting one message, switching
//! between a message's versions, and full-text search over every message.

use dynaspark_core::{Anchor, ConversationSummary, Message, MessagePage, SearchResults};
use tauri::State;

use crate::error::IpcResult;
use crate::AppState;

#[tauri::command]
pub async fn list_messages(
    state: State<'_, AppState>,
    conversation_id: i64,
    anchor: Anchor,
    limit: usize,
) -> IpcResult<MessagePage> {
    state
        .with_history(move |h| h.messages(conversation_id, anchor, limit))
        .await
}

#[tauri::command]
pub async fn delete_message(state: State<'_, AppState>, id: i64) -> IpcResult<ConversationSummary> {
    state.with_history(move |h| h.delete_message(id)).await
}

/// Shows the version `step` places from message `id` ("‹ 1/2 ›"); returns the one shown.
#[tauri::command]
pub async fn switch_version(state: State<'_, AppState>, id: i64, step: i64) -> IpcResult<Message> {
    state
        .with_history(move |h| h.switch_version(id, step))
        .await
}

/// Puts message `id` on the shown path (a search hit in an earlier version).
#[tauri::command]
pub async fn reveal_message(state: State<'_, AppState>, id: i64) -> IpcResult<()> {
    state.with_history(move |h| h.reveal(id)).await
}

#[tauri::command]
pub async fn search_messages(
    state: State<'_, AppState>,
    query: String,
    limit: usize,
) -> IpcResult<SearchResults> {
    state.with_history(move |h| h.search(&query, limit)).await
}
