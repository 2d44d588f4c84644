//! Dynaspark Desktop's state, without a window: conversation history, the image
//! library, settings and Markdown rendering. Nothing here depends on Tauri.

mod error;
mod files;
mod history;
mod images;
mod markdown;
mod settings;

pub use error::{Error, Result};
pub use history::{Conversation, ConversationSummary, History, Message, NewMessage, Opened};
pub use images::{ImageLibrary, StoredImage, MAX_IMAGE_BYTES};
pub use markdown::render_markdown;
pub use settings::{FieldError, Loaded, ProxySettings, Settings, Theme, SETTINGS_FILE};
