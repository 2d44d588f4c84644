//! The sidebar's commands: pages of conversations, renaming, pinning, and deleting in
//! two steps (hidden with Undo, purged when the Undo toast expires), clearing all.

use dynaspark_core::{ConversationPage, ConversationSummary, Cursor, Purged};
use serde::Serialize;
use tauri::State;

use crate::error::IpcResult;
use crate::AppState;

#[tauri::command]
pub async fn list_conversations(
    state: State<'_, AppState>,
    cursor: Option<Cursor>,
    limit: usize,
) -> IpcResult<ConversationPage> {
    state.with_history(move |h| h.list(cursor, limit)).await
}

#[tauri::command]
pub async fn get_conversation(
    state: State<'_, AppState>,
    id: i64,
) -> IpcResult<ConversationSummary> {
    state.with_history(move |h| h.summary(id)).await
}

#[tauri::command]
pub async fn rename_conversation(
    state: State<'_, AppState>,
    id: i64,
    title: String,
) -> IpcResult<ConversationSummary> {
    state.with_history(move |h| h.rename(id, &title)).await
}

#[tauri::command]
pub async fn set_pinned(
    state: State<'_, AppState>,
    id: i64,
    pinned: bool,
) -> IpcResult<ConversationSummary> {
    state.with_history(move |h| h.set_pinned(id, pinned)).await
}

/// Hides the conversation and stops its question in flight; `restore_conversation`
/// undoes it until `purge_conversation` (or the next start) removes it for good.
#[tauri::command]
pub async fn delete_conversation(state: State<'_, AppState>, id: i64) -> IpcResult<()> {
    state.questions.cancel(id);
    state.with_history(move |h| h.delete(id)).await
}

#[tauri::command]
pub async fn restore_conversation(
    state: State<'_, AppState>,
    id: i64,
) -> IpcResult<ConversationSummary> {
    state.with_history(move |h| h.restore(id)).await
}

#[tauri::command]
pub async fn purge_conversation(state: State<'_, AppState>, id: i64) -> IpcResult<()> {
    let purged = state.with_history(move |h| h.purge(id)).await?;
    remove_images(&state, purged).await;
    Ok(())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cleared {
    deleted: usize,
}

/// Deletes every conversation now (the UI asks for confirmation first).
#[tauri::command]
pub async fn clear_history(state: State<'_, AppState>) -> IpcResult<Cleared> {
    state.questions.cancel_all();
    let purged = state.with_history(|h| h.clear()).await?;
    let deleted = purged.conversations;
    tracing::info!(deleted, "history cleared");
    remove_images(&state, purged).await;
    Ok(Cleared { deleted })
}

async fn remove_images(state: &AppState, purged: Purged) {
    if purged.orphaned_images.is_empty() {
        return;
    }
    let images = state.images.clone();
    let _ = tauri::async_runtime::spawn_blocking(move || {
        images.remove_unreferenced(&purged.orphaned_images)
    })
    .await;
}
