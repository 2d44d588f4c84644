//! Dynaspark Desktop's state, without a window: conversation history (paged, searchable),
//! its export and import, the image library, settings and Markdown rendering. Nothing
//! here depends on Tauri.

mod error;
mod exchange;
mod files;
mod highlight;
mod history;
mod images;
mod markdown;
mod secrets;
mod settings;
mod ui_state;
mod window_place;

pub use dynaspark_imaging::Refusal as ImageRefusal;
pub use error::{Error, Result};
pub use exchange::{export, import, ExportFormat, ExportReport, ImportReport};
pub use history::{
    Anchor, ConversationPage, ConversationRecord, ConversationSummary, Cursor, History, Message,
    MessagePage, MessageRecord, NewMessage, Opened, PromptContext, Purged, SearchHit,
    SearchResults,
};
pub use images::{
    Attached, ImageLibrary, ImageOptions, Preparation, StoredImage, MAX_DECODED_BYTES,
    MAX_DECODED_SIDE, MAX_IMAGE_BYTES,
};
pub use markdown::{render_markdown, RENDERER_VERSION};
pub use secrets::{Keyring, KeyringError, KeyringResult, Password, SecretStore, KEYRING_SERVICE};
pub use settings::store::settings_to_keep;
pub use settings::store::{
    KeyringStatus, Notice, PasswordChange, PasswordStorage, SettingsStore, SettingsView,
};
pub use settings::{Damage, FieldError, Loaded, ProxySettings, Settings, Theme, SETTINGS_FILE};
pub use ui_state::{UiState, UI_STATE_FILE};
pub use window_place::{Area, Fitted, WindowPlace, WINDOW_FILE};
