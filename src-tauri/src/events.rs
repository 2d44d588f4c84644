//! Events of one question's life, sent to the UI over a `tauri::ipc::Channel`.

use serde::Serialize;

use crate::error::IpcError;

#[derive(Debug, Serialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ChatEvent {
    /// The request left; `host` is where it went, for the pending bubble.
    Started {
        conversation_id: i64,
        model: String,
        host: String,
        with_image: bool,
    },
    /// Where the request is: uploading (bytes), waiting for the server, or waiting to
    /// try again after a failure the client retries.
    Progress { progress: dynaspark::Progress },
    /// The answer arrived and was saved; `conversation` has the new count and time.
    Done {
        message: dynaspark_core::Message,
        conversation: dynaspark_core::ConversationSummary,
    },
    /// It failed; the question stays saved and can be retried.
    Failed { error: IpcError },
    /// The person cancelled it.
    Cancelled,
}
