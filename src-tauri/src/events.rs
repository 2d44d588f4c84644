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
    /// `send_message` saved the person's question; `conversation` is its conversation
    /// (new, when the question started it). The answer's events follow.
    Saved {
        conversation: dynaspark_core::ConversationSummary,
        message: dynaspark_core::Message,
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

#[cfg(test)]
mod tests {
    use super::*;
    use dynaspark::Role;
    use dynaspark_core::{ConversationSummary, Message};
    use serde_json::json;

    fn json_of(event: ChatEvent) -> serde_json::Value {
        serde_json::to_value(event).unwrap()
    }

    #[test]
    fn progress_of_each_kind() {
        for (progress, expected) in [
            (
                dynaspark::Progress::Uploading {
                    sent: 65_536,
                    total: 4_194_304,
                },
                json!({"type": "uploading", "sent": 65_536, "total": 4_194_304}),
            ),
            (
                dynaspark::Progress::Waiting { attempt: 1 },
                json!({"type": "waiting", "attempt": 1}),
            ),
            (
                dynaspark::Progress::Retrying {
                    attempt: 2,
                    in_secs: 4,
                    reason: "server_unavailable",
                },
                json!({"type": "retrying", "attempt": 2, "inSecs": 4, "reason": "server_unavailable"}),
            ),
        ] {
            assert_eq!(
                json_of(ChatEvent::Progress { progress }),
                json!({"type": "progress", "progress": expected})
            );
        }
    }

    #[test]
    fn done() {
        let event = ChatEvent::Done {
            message: Message {
                id: 12,
                conversation_id: 3,
                role: Role::Assistant,
                text: "**Red**".into(),
                html: "<p><strong>Red</strong></p>".into(),
                image: None,
                model: Some("gemini-1.5-flash".into()),
                created_at: 1_700_000_000_000,
                branch: 1,
                branches: 1,
            },
            conversation: ConversationSummary {
                id: 3,
                title: "What colour?".into(),
                created_at: 1_690_000_000_000,
                updated_at: 1_700_000_000_000,
                message_count: 2,
                pinned: false,
            },
        };
        assert_eq!(
            json_of(event),
            json!({
                "type": "done",
                "message": {
                    "id": 12,
                    "conversationId": 3,
                    "role": "assistant",
                    "text": "**Red**",
                    "html": "<p><strong>Red</strong></p>",
                    "image": null,
                    "model": "gemini-1.5-flash",
                    "createdAt": 1_700_000_000_000_i64,
                    "branch": 1,
                    "branches": 1
                },
                "conversation": {
                    "id": 3,
                    "title": "What colour?",
                    "createdAt": 1_690_000_000_000_i64,
                    "updatedAt": 1_700_000_000_000_i64,
                    "messageCount": 2,
                    "pinned": false
                }
            })
        );
    }

    #[test]
    fn failed() {
        let error = IpcError {
            retryable: true,
            ..IpcError::new("server_unavailable", "The server is not answering yet.")
        }
        .for_request("0badc0de");
        assert_eq!(
            json_of(ChatEvent::Failed { error }),
            json!({
                "type": "failed",
                "error": {
                    "code": "server_unavailable",
                    "message": "The server is not answering yet.",
                    "details": "Request id: 0badc0de",
                    "requestId": "0badc0de",
                    "retryable": true
                }
            })
        );
    }

    #[test]
    fn cancelled() {
        assert_eq!(json_of(ChatEvent::Cancelled), json!({"type": "cancelled"}));
    }
}
