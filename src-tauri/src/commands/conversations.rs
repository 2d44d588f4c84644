//! Listing, opening, renaming and deleting saved conversations.

use dynaspark_core::{Conversation, ConversationSummary};
use tauri::State;

use crate::error::IpcResult;
use crate::AppState;

#[tauri::command]
pub async fn list_conversations(state: State<'_, AppState>) -> IpcResult<Vec<ConversationSummary>> {
    state.with_history(|h| h.list()).await
}

#[tauri::command]
pub async fn get_conversation(state: State<'_, AppState>, id: i64) -> IpcResult<Conversation> {
    state.with_history(move |h| h.get(id)).await
}

#[tauri::command]
pub async fn rename_conversation(
    state: State<'_, AppState>,
    id: i64,
    title: String,
) -> IpcResult<ConversationSummary> {
    state
        .with_history(move |h| {
            h.rename(id, &title)?;
            h.summary(id)
        })
        .await
}

#[tauri::command]
pub async fn delete_conversation(state: State<'_, AppState>, id: i64) -> IpcResult<()> {
    if let Some(token) = state
        .in_flight
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .remove(&id)
    {
        token.cancel();
    }
    state.with_history(move |h| h.delete(id)).await
}
