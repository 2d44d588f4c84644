//! Small facts about the interface kept between starts that may be lost without harm
//! (`ui-state.json`, tauri-plugin-store's file; see `settings_store`). Only the keys
//! below, each with its type, are taken.

use serde_json::{Map, Value};
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_store::StoreExt as _;

use crate::error::{IpcError, IpcResult};
use crate::settings_store::UI_STATE_FILE;
use crate::AppState;

/// Whether a value fits a key.
type Fits = fn(&Value) -> bool;

/// The keys the page may keep.
const KEYS: [(&str, Fits); 1] = [("sidebarCollapsed", Value::is_boolean)];

/// Every kept key with its value; an unreadable store reads as empty.
#[tauri::command]
pub fn get_ui_state<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Map<String, Value> {
    let Ok(store) = app.store(state.data_dir.join(UI_STATE_FILE)) else {
        return Map::new();
    };
    KEYS.iter()
        .filter_map(|(key, fits)| {
            let value = store.get(*key)?;
            fits(&value).then(|| ((*key).to_owned(), value))
        })
        .collect()
}

#[tauri::command]
pub fn set_ui_state<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    key: String,
    value: Value,
) -> IpcResult<()> {
    let Some((key, _)) = KEYS.iter().find(|(k, fits)| *k == key && fits(&value)) else {
        return Err(IpcError::new(
            "invalid_ui_state",
            format!("\"{key}\" is not something the interface keeps, or not with that value."),
        ));
    };
    let store = app.store(state.data_dir.join(UI_STATE_FILE)).map_err(|e| {
        IpcError::new(
            "ui_state_unavailable",
            format!("The interface state is unavailable: {e}"),
        )
    })?;
    store.set(*key, value);
    if let Err(e) = store.save() {
        // Losing it costs nothing: the page carries on with what it has.
        tracing::warn!(error = %e, "the interface state could not be saved");
    }
    Ok(())
}
