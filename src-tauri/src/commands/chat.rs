//! Asking a question: the person's message is saved first (so nothing typed is lost),
//! then the answer is fetched over a Channel of `ChatEvent`s, cancellable at any time.

use dynaspark::{Client, Request, Role};
use dynaspark_core::{ConversationSummary, Message, NewMessage, StoredImage};
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::State;
use tokio_util::sync::CancellationToken;

use crate::error::{IpcError, IpcResult};
use crate::events::ChatEvent;
use crate::AppState;

/// Asked when a picture is sent without words.
const IMAGE_ONLY_PROMPT: &str = "Describe this image.";

/// An image from the library, as the composer holds it.
#[derive(Debug, Deserialize)]
pub struct ImageRef {
    file: String,
    name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sent {
    conversation: ConversationSummary,
    message: Message,
}

/// Saves the person's question (starting a conversation when `conversation_id` is null).
#[tauri::command]
pub async fn send_message(
    state: State<'_, AppState>,
    conversation_id: Option<i64>,
    text: String,
    image: Option<ImageRef>,
) -> IpcResult<Sent> {
    if text.trim().is_empty() && image.is_none() {
        return Err(IpcError::new(
            "empty_message",
            "Type a question or attach an image.",
        ));
    }
    let image = match image {
        Some(r) => Some(stored_image(&state, r).await?),
        None => None,
    };
    let model = state.settings.get().model;
    state
        .with_history(move |h| {
            let id = match conversation_id {
                Some(id) => id,
                None => {
                    h.create(if text.trim().is_empty() {
                        image.as_ref().map_or("", |i| i.name.as_str())
                    } else {
                        &text
                    })?
                    .id
                }
            };
            let message = h.add_message(
                id,
                NewMessage {
                    role: Role::User,
                    text,
                    image,
                    model: Some(model),
                },
            )?;
            Ok(Sent {
                conversation: h.summary(id)?,
                message,
            })
        })
        .await
}

/// Fetches the answer to the conversation's last question. Outcomes arrive on `on_event`.
#[tauri::command]
pub async fn ask(
    state: State<'_, AppState>,
    conversation_id: i64,
    on_event: Channel<ChatEvent>,
) -> IpcResult<()> {
    let send = |event: ChatEvent| {
        if let Err(e) = on_event.send(event) {
            tracing::warn!(error = %e, "UI channel closed");
        }
    };
    let token = CancellationToken::new();
    {
        let mut in_flight = state
            .in_flight
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if in_flight.contains_key(&conversation_id) {
            return Err(IpcError::new(
                "busy",
                "This conversation is already waiting for an answer.",
            ));
        }
        in_flight.insert(conversation_id, token.clone());
    }
    let outcome = answer(&state, conversation_id, &token, &send).await;
    state
        .in_flight
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .remove(&conversation_id);
    match outcome {
        Ok(message) => send(ChatEvent::Done { message }),
        Err(e) if e.code == "cancelled" => send(ChatEvent::Cancelled),
        Err(error) => send(ChatEvent::Failed { error }),
    }
    Ok(())
}

/// Stops the question in flight in a conversation. `false` when there was none.
#[tauri::command]
pub fn cancel(state: State<'_, AppState>, conversation_id: i64) -> bool {
    match state
        .in_flight
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&conversation_id)
    {
        Some(token) => {
            tracing::info!(conversation_id, "cancel requested");
            token.cancel();
            true
        }
        None => false,
    }
}

async fn answer(
    state: &AppState,
    conversation_id: i64,
    token: &CancellationToken,
    send: &impl Fn(ChatEvent),
) -> IpcResult<Message> {
    let settings = state.settings.get();
    let client = Client::new(settings.client_config(state.endpoint_override.as_deref())?)?;
    let max_chars = settings.max_prompt_chars;
    let (prompt, image) = state
        .with_history(move |h| {
            let messages = h.messages(conversation_id)?;
            Ok(prompt_for(&messages, max_chars).map(|prompt| (prompt, image_for(&messages))))
        })
        .await?
        .ok_or_else(|| {
            IpcError::new(
                "nothing_to_answer",
                "There is no question waiting for an answer.",
            )
        })?;
    let image = match image {
        Some(img) => {
            let images = state.images.clone();
            Some(
                tauri::async_runtime::spawn_blocking(move || images.load(&img.file, &img.name))
                    .await??,
            )
        }
        None => None,
    };
    send(ChatEvent::Started {
        conversation_id,
        model: settings.model.clone(),
        host: client
            .config()
            .endpoint
            .host_str()
            .unwrap_or_default()
            .to_owned(),
        with_image: image.is_some(),
    });
    let request = Request {
        prompt,
        model: settings.model.clone(),
        image,
    };
    let answer = client.ask(&request, token).await?;
    let model = settings.model;
    state
        .with_history(move |h| {
            h.add_message(
                conversation_id,
                NewMessage {
                    role: Role::Assistant,
                    text: answer.text,
                    image: None,
                    model: Some(model),
                },
            )
        })
        .await
}

/// The flattened prompt, or `None` when the last message is not a question.
fn prompt_for(messages: &[Message], max_chars: usize) -> Option<String> {
    messages.last().filter(|m| m.role == Role::User)?;
    let flat: Vec<dynaspark::Message> = messages
        .iter()
        .map(|m| {
            let text = if m.text.trim().is_empty() && m.image.is_some() {
                IMAGE_ONLY_PROMPT
            } else {
                m.text.as_str()
            };
            dynaspark::Message::new(m.role, text)
        })
        .collect();
    Some(dynaspark::flatten_within(&flat, max_chars))
}

/// The image sent with a question: the question's own, else the conversation's most
/// recent one, so follow-ups about "the picture" still show it to the model.
fn image_for(messages: &[Message]) -> Option<StoredImage> {
    messages.iter().rev().find_map(|m| m.image.clone())
}

async fn stored_image(state: &AppState, r: ImageRef) -> IpcResult<StoredImage> {
    let images = state.images.clone();
    Ok(tauri::async_runtime::spawn_blocking(move || images.describe(&r.file, &r.name)).await??)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(role: Role, text: &str, image: Option<&str>) -> Message {
        Message {
            id: 0,
            conversation_id: 1,
            role,
            text: text.into(),
            html: String::new(),
            image: image.map(|f| StoredImage {
                file: f.into(),
                name: f.into(),
                mime: "image/png".into(),
                size: 1,
            }),
            model: None,
            created_at: 0,
        }
    }

    #[test]
    fn first_question_is_sent_unchanged() {
        assert_eq!(
            prompt_for(&[msg(Role::User, "What is this?", Some("a"))], 1000).unwrap(),
            "What is this?"
        );
    }

    #[test]
    fn image_without_words_asks_for_a_description() {
        assert_eq!(
            prompt_for(&[msg(Role::User, "  ", Some("a"))], 1000).unwrap(),
            IMAGE_ONLY_PROMPT
        );
    }

    #[test]
    fn follow_up_sends_history_and_the_earlier_image() {
        let msgs = [
            msg(Role::User, "hi", Some("a.png")),
            msg(Role::Assistant, "hello", None),
            msg(Role::User, "and the colour?", None),
        ];
        assert_eq!(
            prompt_for(&msgs, 1000).unwrap(),
            "User: hi\nAssistant: hello\nUser: and the colour?\nAssistant:"
        );
        assert_eq!(image_for(&msgs).unwrap().file, "a.png");
    }

    #[test]
    fn nothing_to_answer_after_an_answer() {
        assert!(prompt_for(
            &[msg(Role::User, "q", None), msg(Role::Assistant, "a", None)],
            1000
        )
        .is_none());
        assert!(prompt_for(&[], 1000).is_none());
    }
}
