//! Small facts about the interface kept between starts that may be lost without harm
//! (today whether the sidebar is collapsed), in `ui-state.json` in the data folder: a
//! JSON object of known keys, each with its type. Written atomically, like every file of
//! ours; a file that cannot be read is moved aside and the interface starts from its
//! defaults.

use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::{Map, Value};

use crate::files;

/// The file in the data folder.
pub const UI_STATE_FILE: &str = "ui-state.json";

/// Whether a value fits a key.
type Fits = fn(&Value) -> bool;

/// The keys the page may keep.
const KEYS: [(&str, Fits); 1] = [("sidebarCollapsed", Value::is_boolean)];

pub struct UiState {
    path: PathBuf,
    values: Mutex<Map<String, Value>>,
}

impl UiState {
    /// The state kept at `path`: empty when there is none or it cannot be read (moved
    /// aside then, never overwritten unread). Keys not known, or with a value of the
    /// wrong type, are left out.
    pub fn open(path: PathBuf) -> Self {
        let values =
            files::read_json_or_move_aside(&path, "UI state", |_: &Map<String, Value>| true)
                .map(known)
                .unwrap_or_default();
        UiState {
            path,
            values: Mutex::new(values),
        }
    }

    /// Every kept key with its value.
    pub fn get(&self) -> Map<String, Value> {
        self.lock().clone()
    }

    /// Keeps `value` for `key`, and writes the file. `false` (nothing kept) for a key the
    /// interface does not keep or a value of the wrong type. A failed write is logged
    /// and otherwise ignored: the page carries on with what it has.
    pub fn set(&self, key: &str, value: Value) -> bool {
        if !KEYS.iter().any(|(k, fits)| *k == key && fits(&value)) {
            return false;
        }
        let mut values = self.lock();
        values.insert(key.to_owned(), value);
        let written = serde_json::to_vec_pretty(&*values)
            .map_err(|e| e.to_string())
            .and_then(|bytes| files::write_atomic(&self.path, &bytes).map_err(|e| e.to_string()));
        if let Err(e) = written {
            tracing::warn!(error = %e, "the UI state could not be saved");
        }
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Map<String, Value>> {
        // A panic while holding it cannot leave the map half-changed (one insert).
        self.values
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn known(mut values: Map<String, Value>) -> Map<String, Value> {
    values.retain(|key, value| KEYS.iter().any(|(k, fits)| k == key && fits(value)));
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kept_keys_survive_a_restart_and_others_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(UI_STATE_FILE);
        let state = UiState::open(path.clone());
        assert!(state.get().is_empty());
        assert!(state.set("sidebarCollapsed", json!(true)));
        assert!(!state.set("sidebarCollapsed", json!("yes")), "wrong type");
        assert!(!state.set("somethingElse", json!(1)), "unknown key");
        let again = UiState::open(path);
        assert_eq!(
            Value::Object(again.get()),
            json!({"sidebarCollapsed": true})
        );
    }

    #[test]
    fn a_file_written_by_the_store_plugin_before_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(UI_STATE_FILE);
        std::fs::write(&path, br#"{"sidebarCollapsed":true,"other":1,"x":"y"}"#).unwrap();
        let state = UiState::open(path);
        assert_eq!(
            Value::Object(state.get()),
            json!({"sidebarCollapsed": true})
        );
    }

    #[test]
    fn a_damaged_file_is_moved_aside_not_overwritten_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(UI_STATE_FILE);
        std::fs::write(&path, b"{\"sidebarColl").unwrap();
        let state = UiState::open(path.clone());
        assert!(state.get().is_empty());
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.starts_with("ui-state.json.corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1, "{aside:?}");
        assert!(state.set("sidebarCollapsed", json!(false)));
        assert_eq!(
            std::fs::read_to_string(&path)
                .unwrap()
                .replace([' ', '\n'], ""),
            r#"{"sidebarCollapsed":false}"#
        );
    }
}
