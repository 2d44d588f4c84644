//! Asking a question: the person's message is saved first (so nothing typed is lost),
//! then the answer is fetched over a Channel of `ChatEvent`s, cancellable at any time.

use dynaspark::{Client, Request, Role};
use dynaspark_core::{ConversationSummary, Message, NewMessage, PromptContext, StoredImage};
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
            let question = NewMessage {
                role: Role::User,
                text,
                image,
                model: Some(model),
            };
            match conversation_id {
                // A new conversation and its question are saved together or not at all.
                None => {
                    let (conversation, message) = h.start(question)?;
                    Ok(Sent {
                        conversation,
                        message,
                    })
                }
                Some(id) => {
                    let message = h.add_message(id, question)?;
                    Ok(Sent {
                        conversation: h.summary(id)?,
                        message,
                    })
                }
            }
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
        let mut in_flight = state.in_flight();
        if in_flight.contains_key(&conversation_id) {
            return Err(IpcError::new(
                "busy",
                "This conversation is already waiting for an answer.",
            ));
        }
        in_flight.insert(conversation_id, token.clone());
    }
    // Only this call removes its token: a delete cancels it but leaves it in place.
    let outcome = answer(&state, conversation_id, &token, &send).await;
    state.in_flight().remove(&conversation_id);
    match outcome {
        Ok((message, conversation)) => send(ChatEvent::Done {
            message,
            conversation,
        }),
        Err(e) if e.code == "cancelled" => send(ChatEvent::Cancelled),
        Err(error) => send(ChatEvent::Failed { error }),
    }
    Ok(())
}

/// Stops the question in flight in a conversation. `false` when there was none.
#[tauri::command]
pub fn cancel(state: State<'_, AppState>, conversation_id: i64) -> bool {
    state.cancel_in_flight(conversation_id)
}

async fn answer(
    state: &AppState,
    conversation_id: i64,
    token: &CancellationToken,
    send: &(impl Fn(ChatEvent) + Sync),
) -> IpcResult<(Message, ConversationSummary)> {
    let settings = state.settings.get();
    let client = Client::new(settings.client_config(state.endpoint_override.as_deref())?)?;
    let max_chars = settings.max_prompt_chars;
    let (prompt, image) = state
        .with_history(move |h| {
            let context = h.prompt_context(conversation_id, max_chars)?;
            match prompt_for(&context, max_chars) {
                Some(prompt) => Ok(Some((prompt, h.latest_image(conversation_id)?))),
                None => Ok(None),
            }
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
    let answer = client
        .ask_with(&request, token, |progress| {
            send(ChatEvent::Progress { progress });
        })
        .await?;
    if token.is_cancelled() {
        // Cancelled (or the conversation deleted) as the answer arrived: it is not saved.
        return Err(dynaspark::Error::Cancelled.into());
    }
    let model = settings.model;
    state
        .with_history(move |h| {
            let message = h.add_message(
                conversation_id,
                NewMessage {
                    role: Role::Assistant,
                    text: answer.text,
                    image: None,
                    model: Some(model),
                },
            )?;
            Ok((message, h.summary(conversation_id)?))
        })
        .await
}

/// The flattened prompt, or `None` when the last message is not a question.
fn prompt_for(context: &PromptContext, max_chars: usize) -> Option<String> {
    context.tail.last().filter(|m| m.role == Role::User)?;
    let flat = |messages: &[Message]| -> Vec<dynaspark::Message> {
        messages
            .iter()
            .map(|m| {
                let text = if m.text.trim().is_empty() && m.image.is_some() {
                    IMAGE_ONLY_PROMPT
                } else {
                    m.text.as_str()
                };
                dynaspark::Message::new(m.role, text)
            })
            .collect()
    };
    Some(if context.complete {
        dynaspark::flatten_within(&flat(&context.tail), max_chars)
    } else {
        dynaspark::flatten_long(
            &flat(&context.head),
            &flat(&context.systems),
            &flat(&context.tail),
            max_chars,
        )
    })
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

    fn whole(messages: Vec<Message>) -> PromptContext {
        PromptContext {
            tail: messages,
            complete: true,
            ..PromptContext::default()
        }
    }

    #[test]
    fn first_question_is_sent_unchanged() {
        assert_eq!(
            prompt_for(
                &whole(vec![msg(Role::User, "What is this?", Some("a"))]),
                1000
            )
            .unwrap(),
            "What is this?"
        );
    }

    #[test]
    fn image_without_words_asks_for_a_description() {
        assert_eq!(
            prompt_for(&whole(vec![msg(Role::User, "  ", Some("a"))]), 1000).unwrap(),
            IMAGE_ONLY_PROMPT
        );
    }

    #[test]
    fn follow_up_sends_the_history() {
        let msgs = vec![
            msg(Role::User, "hi", Some("a.png")),
            msg(Role::Assistant, "hello", None),
            msg(Role::User, "and the colour?", None),
        ];
        assert_eq!(
            prompt_for(&whole(msgs), 1000).unwrap(),
            "User: hi\nAssistant: hello\nUser: and the colour?\nAssistant:"
        );
    }

    #[test]
    fn a_long_conversation_is_trimmed_from_its_ends() {
        let mut tail: Vec<Message> = (0..6)
            .map(|i| {
                msg(
                    Role::Assistant,
                    &format!("answer {i} {}", "x".repeat(100)),
                    None,
                )
            })
            .collect();
        tail.push(msg(Role::User, "last question", None));
        let context = PromptContext {
            head: vec![msg(Role::User, "first", None)],
            systems: vec![],
            tail,
            complete: false,
        };
        assert_eq!(prompt_for(&context, 60).unwrap(), "last question");
    }

    #[test]
    fn nothing_to_answer_after_an_answer() {
        assert!(prompt_for(
            &whole(vec![
                msg(Role::User, "q", None),
                msg(Role::Assistant, "a", None)
            ]),
            1000
        )
        .is_none());
        assert!(prompt_for(&whole(vec![]), 1000).is_none());
    }
}
