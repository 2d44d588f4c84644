//! The message list's commands: pages around an anchor, deleting one message, and
//! full-text search over every message.

use dynaspark_core::{Anchor, ConversationSummary, MessagePage, SearchResults};
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

#[tauri::command]
pub async fn search_messages(
    state: State<'_, AppState>,
    query: String,
    limit: usize,
) -> IpcResult<SearchResults> {
    state.with_history(move |h| h.search(&query, limit)).await
}
