//! Small facts about the interface kept between starts that may be lost without harm
//! (dynaspark-core's `UiState`, `ui-state.json`).

use serde_json::{Map, Value};
use tauri::State;

use crate::error::{IpcError, IpcResult};
use crate::AppState;

/// Every kept key with its value; an unreadable file reads as empty.
#[tauri::command]
pub fn get_ui_state(state: State<'_, AppState>) -> Map<String, Value> {
    state.ui_state.get()
}

/// Async, so the write (fsynced) happens off the window's thread.
#[tauri::command]
pub async fn set_ui_state(state: State<'_, AppState>, key: String, value: Value) -> IpcResult<()> {
    if state.ui_state.set(&key, value) {
        Ok(())
    } else {
        Err(IpcError::new(
            "invalid_ui_state",
            format!("\"{key}\" is not something the interface keeps, or not with that value."),
        ))
    }
}
