//! Asking a question: the person's message is saved first (so nothing typed is lost),
//! then the answer is fetched over a Channel of `ChatEvent`s, cancellable at any time.

use dynaspark::{Request, Role};
use dynaspark_core::{
    ConversationSummary, History, Message, NewMessage, PromptContext, Settings, StoredImage,
};
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::State;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use crate::error::{IpcError, IpcResult};
use crate::events::ChatEvent;
use crate::in_flight::{Question, Ticket};
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

/// Sends the person's question: saves it (starting a conversation when
/// `conversation_id` is null), then asks for its answer in the same call, as [`ask`]
/// does. The first event, `saved`, carries the saved question and its conversation;
/// the answer's events follow. Nothing is saved when it fails before that event (an
/// empty question, a missing picture, a conversation still waiting for an answer).
///
/// The request does not wait for the question to be written: its prompt is read as the
/// history will be with the question in it, and the question is written while the
/// request is out. A question that cannot be saved stops its request, and its answer is
/// saved only after it.
#[tauri::command]
pub async fn send_message(
    state: State<'_, AppState>,
    conversation_id: Option<i64>,
    text: String,
    image: Option<ImageRef>,
    on_event: Channel<ChatEvent>,
    context_image: Option<bool>,
) -> IpcResult<()> {
    let ticket = Ticket::new();
    let token = ticket.token().clone();
    let span = question_span(ticket.request_id(), conversation_id);
    // Taken before saving: a busy conversation gets no question without its answer. A
    // new conversation's question is registered once the conversation has its id.
    let registered: Result<Question<'_>, Ticket> = match conversation_id {
        Some(id) => Ok(state.questions.register(id, ticket)?),
        None => Err(ticket),
    };
    has_content(&text, image.is_some())?;
    let image = match image {
        Some(r) => Some(stored_image(&state, r).await?),
        None => None,
    };
    let settings = state.settings.get();
    let asking = Asking::new(&settings, context_image, None);
    let question = NewMessage {
        role: Role::User,
        text,
        image,
        model: Some(settings.model.clone()),
    };
    // A new conversation's prompt is its question alone; another's is read first and
    // handed over, and the question is written after it in the same visit to the
    // history (unless the reading failed: nothing is saved then).
    let alone = conversation_id
        .is_none()
        .then(|| asking.alone(question.unsaved(0)));
    let (read_tx, read) = tokio::sync::oneshot::channel();
    let saving = state.spawn_history(move |h| {
        if let Some(id) = conversation_id {
            let prompt = asking.read_with(h, id, &question);
            let readable = prompt.is_ok();
            let _ = read_tx.send(prompt);
            if !readable {
                return Ok(None);
            }
        }
        save_question(h, conversation_id, question).map(Some)
    });
    let prompt = match alone {
        Some(prompt) => prompt,
        None => match read.await {
            Ok(prompt) => prompt,
            // The visit ended without reading (a panic): its error says why.
            Err(_) => return Err(saving.await.err().unwrap_or_else(unread)),
        },
    };
    let prompt = match prompt {
        Ok(prompt) => prompt,
        // Nothing was saved (see above); the history's visit is over first.
        Err(e) => {
            saving.await?;
            return Err(e.into());
        }
    };
    let send = |event: ChatEvent| emit(&on_event, event);
    let fetching = fetch(&state, &settings, prompt, &token, &send).instrument(span.clone());
    let saved = async {
        let sent = saving.await?.ok_or_else(unread)?;
        let question = match registered {
            Ok(question) => question,
            Err(ticket) => state.questions.register(sent.conversation.id, ticket)?,
        };
        let conversation_id = sent.conversation.id;
        span.record("conversation_id", conversation_id);
        send(ChatEvent::Saved {
            conversation: sent.conversation,
            message: sent.message,
        });
        IpcResult::Ok((question, conversation_id))
    };
    // A question that could not be saved drops its request; an answer waits for it.
    let (fetched, (question, conversation_id)) =
        tokio::try_join!(async { IpcResult::Ok(fetching.await) }, saved)?;
    let outcome = async {
        save_answer(
            &state,
            conversation_id,
            None,
            &token,
            fetched?,
            settings.model,
        )
        .await
    }
    .instrument(span.clone())
    .await;
    report(&span, question.request_id(), outcome, &send);
    drop(question);
    Ok(())
}

/// Saves a question, its text and picture (starting a conversation when
/// `conversation_id` is null).
pub(crate) fn save_question(
    h: &mut History,
    conversation_id: Option<i64>,
    question: NewMessage,
) -> dynaspark_core::Result<Sent> {
    Ok(match conversation_id {
        // A new conversation and its question are saved together or not at all.
        None => {
            let (conversation, message) = h.start(question)?;
            Sent {
                conversation,
                message,
            }
        }
        Some(id) => {
            let message = h.add_message(id, question)?;
            Sent {
                conversation: h.summary(id)?,
                message,
            }
        }
    })
}

/// Only when reading the history for a prompt ended in a way that left no error.
fn unread() -> IpcError {
    IpcError::new("internal", "The conversation could not be read.")
}

/// A question needs words or a picture (a new one, and an edited one alike).
fn has_content(text: &str, with_image: bool) -> IpcResult<()> {
    if text.trim().is_empty() && !with_image {
        return Err(IpcError::new(
            "empty_message",
            "Type a question or attach an image.",
        ));
    }
    Ok(())
}

/// Edit and resend: saves `text` as a new version of the person's question `message_id`
/// (with its picture, if it had one). The conversation continues from it; the earlier
/// version and what followed it are kept (see `switch_version`). `ask` then answers it.
#[tauri::command]
pub async fn edit_question(
    state: State<'_, AppState>,
    message_id: i64,
    text: String,
) -> IpcResult<Sent> {
    let model = state.settings.get().model;
    state
        .with_history(move |h| {
            let original = h.message(message_id)?;
            if original.role != Role::User {
                return Ok(Err(IpcError::new(
                    "not_a_question",
                    "Only your own questions can be edited and sent again.",
                )));
            }
            if let Err(e) = has_content(&text, original.image.is_some()) {
                return Ok(Err(e));
            }
            let question = NewMessage {
                role: Role::User,
                text,
                image: original.image,
                model: Some(model),
            };
            let message = h.add_version(message_id, question)?;
            Ok(Ok(Sent {
                conversation: h.summary(message.conversation_id)?,
                message,
            }))
        })
        .await?
}

/// Fetches the answer to the conversation's last question, or with `regenerate` (an
/// answer's id) a new version of that answer, asked with what came before it. Outcomes
/// arrive on `on_event`. Refused with `busy` while the conversation waits for another
/// answer. A question without a picture of its own takes the conversation's latest one
/// along (see [`context_image`]) unless `context_image` is false or the settings turn
/// that off.
#[tauri::command]
pub async fn ask(
    state: State<'_, AppState>,
    conversation_id: i64,
    on_event: Channel<ChatEvent>,
    context_image: Option<bool>,
    regenerate: Option<i64>,
) -> IpcResult<()> {
    let question = state.questions.begin(conversation_id)?;
    let settings = state.settings.get();
    let asking = Asking::new(&settings, context_image, regenerate);
    let span = question_span(question.request_id(), Some(conversation_id));
    let send = |event: ChatEvent| emit(&on_event, event);
    let token = question.token();
    let outcome = async {
        let prompt = state
            .with_history(move |h| asking.read(h, conversation_id))
            .await?;
        let answer = fetch(&state, &settings, prompt, token, &send).await?;
        let model = settings.model.clone();
        save_answer(&state, conversation_id, regenerate, token, answer, model).await
    }
    .instrument(span.clone())
    .await;
    report(&span, question.request_id(), outcome, &send);
    // Dropped when the answer is in, however it ends: it removes its own entry only.
    drop(question);
    Ok(())
}

fn emit(on_event: &Channel<ChatEvent>, event: ChatEvent) {
    if let Err(e) = on_event.send(event) {
        tracing::warn!(error = %e, "UI channel closed");
    }
}

/// Every log line of one question carries its request id (and its conversation's, once
/// known: a new conversation gets it when saved).
fn question_span(request_id: &str, conversation_id: Option<i64>) -> tracing::Span {
    tracing::info_span!("question", request_id = %request_id, conversation_id)
}

/// Tells the page, then the log, how a question ended: its answer saved, cancelled
/// (nothing saved), or failed.
fn report(
    span: &tracing::Span,
    request_id: &str,
    outcome: IpcResult<Answered>,
    send: &impl Fn(ChatEvent),
) {
    let _in_span = span.enter();
    match outcome {
        Ok(Answered {
            message,
            conversation,
        }) => {
            let message_id = message.id;
            send(ChatEvent::Done {
                message,
                conversation,
            });
            tracing::info!(message_id, "answer saved");
        }
        Err(e) if e.code == "cancelled" => {
            send(ChatEvent::Cancelled);
            tracing::info!("question cancelled; nothing saved");
        }
        Err(error) => {
            let code = error.code;
            send(ChatEvent::Failed {
                error: error.for_request(request_id),
            });
            tracing::info!(code, "no answer");
        }
    }
}

/// An answer saved, and its conversation as it is now.
struct Answered {
    message: Message,
    conversation: ConversationSummary,
}

/// How a question is asked: what the page chose, within the settings of the moment.
#[derive(Debug, Clone, Copy)]
struct Asking {
    /// The conversation's latest picture goes along when the question has none.
    resend: bool,
    /// A new version of this answer is asked for, with what came before it.
    regenerate: Option<i64>,
    max_chars: usize,
}

/// What a question is asked with: the flattened prompt, and the picture that goes along.
struct Prompt {
    text: String,
    image: Option<StoredImage>,
}

impl Asking {
    fn new(settings: &Settings, context_image: Option<bool>, regenerate: Option<i64>) -> Self {
        Self {
            resend: context_image.unwrap_or(true) && settings.resend_image,
            regenerate,
            max_chars: settings.max_prompt_chars,
        }
    }

    /// The prompt, or `None` when no question waits for an answer (or `regenerate` is
    /// not an answer of this conversation).
    fn read(self, h: &mut History, conversation_id: i64) -> dynaspark_core::Result<Option<Prompt>> {
        if let Some(id) = self.regenerate {
            let answer = h.message(id)?;
            if answer.conversation_id != conversation_id || answer.role != Role::Assistant {
                return Ok(None);
            }
        }
        let context = h.prompt_context(conversation_id, self.max_chars, self.regenerate)?;
        self.prompt(&context, || {
            h.latest_image(conversation_id, self.regenerate)
        })
    }

    /// The prompt of `question`, not saved yet, as [`Self::read`] will read it once it is.
    fn read_with(
        self,
        h: &mut History,
        conversation_id: i64,
        question: &NewMessage,
    ) -> dynaspark_core::Result<Option<Prompt>> {
        let context = h.prompt_context_with(conversation_id, self.max_chars, question)?;
        self.prompt(&context, || h.latest_image(conversation_id, None))
    }

    /// The prompt of a new conversation's first question: all there is.
    fn alone(self, question: Message) -> dynaspark_core::Result<Option<Prompt>> {
        let context = PromptContext {
            tail: vec![question],
            complete: true,
            ..PromptContext::default()
        };
        self.prompt(&context, || Ok(None))
    }

    fn prompt(
        self,
        context: &PromptContext,
        latest_image: impl FnOnce() -> dynaspark_core::Result<Option<StoredImage>>,
    ) -> dynaspark_core::Result<Option<Prompt>> {
        let Some(text) = prompt_for(context, self.max_chars) else {
            return Ok(None);
        };
        // The question's own picture always goes; an earlier one only when re-sent.
        let own = context.tail.last().and_then(|m| m.image.clone());
        let image = match own {
            Some(image) => Some(image),
            None if self.resend => latest_image()?,
            None => None,
        };
        Ok(Some(Prompt { text, image }))
    }
}

/// The picture a follow-up question in this conversation sends again: its latest, or
/// `None` (none, or re-sending turned off in the settings). The composer shows it.
#[tauri::command]
pub async fn context_image(
    state: State<'_, AppState>,
    conversation_id: i64,
) -> IpcResult<Option<StoredImage>> {
    if !state.settings.get().resend_image {
        return Ok(None);
    }
    state
        .with_history(move |h| h.latest_image(conversation_id, None))
        .await
}

/// Stops the question in flight in a conversation. `false` when there was none.
#[tauri::command]
pub fn cancel(state: State<'_, AppState>, conversation_id: i64) -> bool {
    state.questions.cancel(conversation_id)
}

/// The network half of a question: the client of these settings, its picture read from
/// the library, the request. `None`: no question waits for an answer.
async fn fetch(
    state: &AppState,
    settings: &Settings,
    prompt: Option<Prompt>,
    token: &CancellationToken,
    send: &(impl Fn(ChatEvent) + Sync),
) -> IpcResult<dynaspark::Answer> {
    let prompt = prompt.ok_or_else(|| {
        IpcError::new(
            "nothing_to_answer",
            "There is no question waiting for an answer.",
        )
    })?;
    let client = state.client(settings.client_config(state.endpoint_override.as_deref())?)?;
    let image = match prompt.image {
        Some(img) => {
            let images = state.images.clone();
            // The limits of the settings, as when it was attached: the defaults would
            // scale down an image the person allowed to go as it is.
            let options = settings.image_options();
            Some(
                tauri::async_runtime::spawn_blocking(move || {
                    images.load_with(&img.file, &img.name, &options)
                })
                .await??,
            )
        }
        None => None,
    };
    let request = Request {
        prompt: prompt.text,
        model: settings.model.clone(),
        image,
    };
    Ok(client
        .ask_with(&request, token, |progress| {
            send(ChatEvent::Progress { progress });
        })
        .await?)
}

/// Saves an answer (a new version of `regenerate`, when given) unless its question was
/// cancelled or its conversation (or the regenerated answer) deleted meanwhile (then it
/// ends as cancelled). Checked under the history lock, so a cancel or a delete that got there first
/// always wins; one that comes later finds the answer saved.
async fn save_answer(
    state: &AppState,
    conversation_id: i64,
    regenerate: Option<i64>,
    token: &CancellationToken,
    answer: dynaspark::Answer,
    model: String,
) -> IpcResult<Answered> {
    let token = token.clone();
    let text = answer.text;
    let saved = state
        .with_history(move |h| {
            if token.is_cancelled() {
                return Ok(None);
            }
            let answer = NewMessage {
                role: Role::Assistant,
                text,
                image: None,
                model: Some(model),
            };
            // Only a live conversation takes a message; a deleted one is not found.
            let saved = match regenerate {
                Some(of) => h.add_version(of, answer),
                None => h.add_message(conversation_id, answer),
            };
            match saved {
                Ok(message) => Ok(Some((message, h.summary(conversation_id)?))),
                Err(dynaspark_core::Error::NotFound { .. }) => {
                    tracing::info!("the conversation was deleted; the answer is dropped");
                    Ok(None)
                }
                Err(e) => Err(e),
            }
        })
        .await?;
    let (message, conversation) = saved.ok_or(dynaspark::Error::Cancelled)?;
    Ok(Answered {
        message,
        conversation,
    })
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
    // The conversation's instructions (its system message) lead the prompt, however late
    // they were set; the trimming then treats them as the first message.
    let not_system = |m: &&Message| m.role != Role::System;
    Some(if context.complete {
        let systems = context.tail.iter().filter(|m| m.role == Role::System);
        let led: Vec<Message> = systems
            .chain(context.tail.iter().filter(not_system))
            .cloned()
            .collect();
        dynaspark::flatten_within(&flat(&led), max_chars)
    } else {
        let head: Vec<Message> = context
            .systems
            .iter()
            .chain(context.head.iter().filter(not_system))
            .take(3)
            .cloned()
            .collect();
        let tail: Vec<Message> = context.tail.iter().filter(not_system).cloned().collect();
        dynaspark::flatten_long(
            &flat(&head),
            &flat(&context.systems),
            &flat(&tail),
            max_chars,
        )
    })
}

/// The conversation's instructions, sent first with every question ("" for none).
#[tauri::command]
pub async fn get_instructions(
    state: State<'_, AppState>,
    conversation_id: i64,
) -> IpcResult<String> {
    state
        .with_history(move |h| h.instructions(conversation_id))
        .await
}

/// Sets (or with blank text, removes) the conversation's instructions.
#[tauri::command]
pub async fn set_instructions(
    state: State<'_, AppState>,
    conversation_id: i64,
    text: String,
) -> IpcResult<ConversationSummary> {
    if text.chars().count() > MAX_INSTRUCTIONS_CHARS {
        return Err(IpcError::new(
            "instructions_too_long",
            format!("Instructions can be at most {MAX_INSTRUCTIONS_CHARS} characters long."),
        ));
    }
    state
        .with_history(move |h| h.set_instructions(conversation_id, &text))
        .await
}

/// Instructions go with every question: a long text would crowd out the conversation.
const MAX_INSTRUCTIONS_CHARS: usize = 4000;

async fn stored_image(state: &AppState, r: ImageRef) -> IpcResult<StoredImage> {
    let images = state.images.clone();
    Ok(tauri::async_runtime::spawn_blocking(move || images.describe(&r.file, &r.name)).await??)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use fake_dynaspark::{Behaviour, FakeServer};
    use serde_json::{json, Value};
    use tauri::ipc::InvokeResponseBody;

    use crate::mock_app::MockApp;

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
            branch: 1,
            branches: 1,
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

    // Questions in flight, on the mock runtime ----------------------------------------

    type Events = Arc<Mutex<Vec<Value>>>;

    fn channel() -> (Channel<ChatEvent>, Events) {
        let events = Events::default();
        let sink = events.clone();
        let channel = Channel::new(move |body| {
            let value = match body {
                InvokeResponseBody::Json(s) => serde_json::from_str(&s).unwrap(),
                InvokeResponseBody::Raw(_) => Value::Null,
            };
            sink.lock().unwrap().push(value);
            Ok(())
        });
        (channel, events)
    }

    fn kinds(events: &Events) -> Vec<String> {
        events
            .lock()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while !done() {
            assert!(
                std::time::Instant::now() < deadline,
                "waited too long for {what}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A fake server whose every answer takes `delay_ms`.
    fn slow_server(delay_ms: u64) -> FakeServer {
        let server = tauri::async_runtime::block_on(FakeServer::start_local());
        server.set_fallback(Behaviour::Delay {
            ms: delay_ms,
            then: Box::new(Behaviour::Echo),
        });
        server
    }

    /// An app talking to a fake server that always behaves as `behaviour`.
    fn served(behaviour: Behaviour) -> (FakeServer, MockApp) {
        let server = tauri::async_runtime::block_on(FakeServer::start_local());
        server.set_fallback(behaviour);
        let app = MockApp::new(Some(server.endpoint()));
        (server, app)
    }

    fn answering(text: &str) -> (FakeServer, MockApp) {
        served(Behaviour::Answer { text: text.into() })
    }

    /// Asks in conversation `id` (a new version of answer `regenerate`, if given) and
    /// returns the last event.
    fn ask_now(app: &MockApp, id: i64, regenerate: Option<i64>) -> Value {
        let (channel, events) = channel();
        tauri::async_runtime::block_on(ask(app.state(), id, channel, None, regenerate)).unwrap();
        let last = events.lock().unwrap().last().cloned().unwrap();
        last
    }

    /// The prompt of the server's `n`th request.
    fn prompt_sent(server: &FakeServer, n: usize) -> String {
        let requests = server.requests();
        let part = requests[n].parts.iter().find(|p| p.name == "user_input");
        part.unwrap().text.clone().unwrap()
    }

    /// Saves a question in a new conversation, without asking; returns the conversation.
    fn question(app: &MockApp, text: &str) -> i64 {
        follow_up(app, None, text)
    }

    fn follow_up(app: &MockApp, id: Option<i64>, text: &str) -> i64 {
        let question = new_question(app, text);
        let state = app.state();
        let saved = state.with_history(move |h| save_question(h, id, question));
        tauri::async_runtime::block_on(saved)
            .unwrap()
            .conversation
            .id
    }

    /// A question of `text` as the person sends it, asked of the model in the settings.
    pub(crate) fn new_question(app: &MockApp, text: &str) -> NewMessage {
        NewMessage {
            role: Role::User,
            text: text.into(),
            image: None,
            model: Some(app.state().settings.get().model),
        }
    }

    /// The latest messages of conversation `id`, as the UI gets them.
    fn shown(app: &MockApp, id: i64) -> Vec<Value> {
        app.invoke(
            "list_messages",
            json!({"conversationId": id, "anchor": {"kind": "latest"}, "limit": 50}),
        )
        .unwrap()["messages"]
            .as_array()
            .unwrap()
            .clone()
    }

    fn message_roles(app: &MockApp, id: i64) -> Vec<String> {
        shown(app, id)
            .iter()
            .map(|m| m["role"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn the_backend_refuses_a_second_question_while_one_is_in_flight() {
        let server = slow_server(5_000);
        let app = MockApp::new(Some(server.endpoint()));
        let id = question(&app, "Slow?");
        let (first, first_events) = channel();
        std::thread::scope(|scope| {
            let state = app.state();
            let running = scope
                .spawn(move || tauri::async_runtime::block_on(ask(state, id, first, None, None)));
            wait_for("the first question to reach the server", || {
                server.requests().len() == 1
            });
            // The page asks again, as a second click or a script would.
            assert_eq!(
                app.invoke(
                    "ask",
                    json!({"conversationId": id, "onEvent": "__CHANNEL__:4242"})
                ),
                Err(json!({
                    "code": "busy",
                    "message": "This conversation is already waiting for an answer.",
                    "retryable": false
                }))
            );
            // A new question there is refused the same way, and not saved.
            assert_eq!(
                app.invoke(
                    "send_message",
                    json!({"conversationId": id, "text": "Now?", "onEvent": "__CHANNEL__:4244"})
                )
                .unwrap_err()["code"],
                json!("busy")
            );
            assert_eq!(
                app.invoke("cancel", json!({"conversationId": id})),
                Ok(json!(true))
            );
            running.join().unwrap().unwrap();
        });
        assert_eq!(kinds(&first_events).last().unwrap(), "cancelled");
        assert_eq!(
            message_roles(&app, id),
            ["user"],
            "a cancelled answer is not saved"
        );
        assert_eq!(
            app.invoke("cancel", json!({"conversationId": id})),
            Ok(json!(false))
        );
    }

    #[test]
    fn send_message_saves_the_question_then_answers_it() {
        let (server, app) = answering("Herons nest in colonies.");
        let (channel, events) = channel();
        tauri::async_runtime::block_on(send_message(
            app.state(),
            None,
            "Where do herons nest?".into(),
            None,
            channel,
            None,
        ))
        .unwrap();
        // A text question's body leaves in one piece: no progress worth reporting.
        assert_eq!(kinds(&events), ["saved", "done"]);
        let events = events.lock().unwrap();
        let (saved, done) = (&events[0], events.last().unwrap());
        let id = saved["conversation"]["id"].as_i64().unwrap();
        assert_eq!(saved["conversation"]["messageCount"], json!(1));
        assert_eq!(saved["message"]["text"], json!("Where do herons nest?"));
        assert_eq!(done["conversation"]["id"], json!(id));
        assert_eq!(done["conversation"]["messageCount"], json!(2));
        assert_eq!(done["message"]["text"], json!("Herons nest in colonies."));
        assert_eq!(prompt_sent(&server, 0), "Where do herons nest?");
        assert_eq!(message_roles(&app, id), ["user", "assistant"]);
    }

    #[test]
    fn a_cancelled_question_frees_the_conversation_for_the_next() {
        let server = slow_server(3_000);
        let app = MockApp::new(Some(server.endpoint()));
        let id = question(&app, "Again?");
        let (old, old_events) = channel();
        let (new, new_events) = channel();
        std::thread::scope(|scope| {
            let state = app.state();
            let old_run = scope
                .spawn(move || tauri::async_runtime::block_on(ask(state, id, old, None, None)));
            wait_for("the old question to reach the server", || {
                server.requests().len() == 1
            });
            assert_eq!(
                app.invoke("cancel", json!({"conversationId": id})),
                Ok(json!(true))
            );
            let state = app.state();
            let new_run = scope
                .spawn(move || tauri::async_runtime::block_on(ask(state, id, new, None, None)));
            wait_for("the new question to reach the server", || {
                server.requests().len() == 2
            });
            old_run.join().unwrap().unwrap();
            // The old question ended after the new one began: the new one is still
            // registered, so it is refused a twin and can still be cancelled.
            assert_eq!(
                app.invoke(
                    "ask",
                    json!({"conversationId": id, "onEvent": "__CHANNEL__:4243"})
                )
                .unwrap_err()["code"],
                json!("busy")
            );
            new_run.join().unwrap().unwrap();
        });
        assert_eq!(kinds(&old_events).last().unwrap(), "cancelled");
        assert_eq!(kinds(&new_events).last().unwrap(), "done");
        assert_eq!(message_roles(&app, id), ["user", "assistant"]);
    }

    #[test]
    fn an_answer_is_not_saved_after_a_cancel_or_a_delete() {
        let app = MockApp::new(None);
        let state = app.state();
        let save = |id: i64, token: &CancellationToken| {
            let answer = dynaspark::Answer {
                text: "An answer".into(),
                elapsed: Duration::ZERO,
                attempts: 1,
            };
            let saved = save_answer(&state, id, None, token, answer, "gemini-1.5-flash".into());
            tauri::async_runtime::block_on(saved)
        };
        let refused = |saved: IpcResult<Answered>| saved.err().map(|e| e.code);

        let cancelled = question(&app, "Cancelled?");
        let token = CancellationToken::new();
        token.cancel();
        assert_eq!(refused(save(cancelled, &token)), Some("cancelled"));
        assert_eq!(message_roles(&app, cancelled), ["user"]);

        let deleted = question(&app, "Deleted?");
        app.invoke("delete_conversation", json!({"id": deleted}))
            .unwrap();
        assert_eq!(
            refused(save(deleted, &CancellationToken::new())),
            Some("cancelled")
        );
        app.invoke("restore_conversation", json!({"id": deleted}))
            .unwrap();
        assert_eq!(
            message_roles(&app, deleted),
            ["user"],
            "nothing was added to it"
        );

        let live = question(&app, "Live?");
        let saved = save(live, &CancellationToken::new()).unwrap();
        assert_eq!(saved.message.text, "An answer");
        assert_eq!(saved.conversation.message_count, 2);
    }

    #[test]
    fn edit_and_regenerate_make_versions_asked_with_the_path_before_them() {
        let (server, app) = answering("An answer.");
        let ask_now = |id: i64, regenerate: Option<i64>| ask_now(&app, id, regenerate);
        let shown = |id: i64| shown(&app, id);
        let prompt = |n: usize| prompt_sent(&server, n);
        let id = question(&app, "First?");
        ask_now(id, None);
        follow_up(&app, Some(id), "Second?");
        ask_now(id, None);
        let messages = shown(id);
        let (first_answer, second) = (&messages[1]["id"], &messages[2]["id"]);

        // Edit the second question: saved as its second version, asked without the old one.
        let edited = app
            .invoke(
                "edit_question",
                json!({"messageId": second, "text": "Second, edited?"}),
            )
            .unwrap();
        assert_eq!(edited["message"]["branch"], json!(2));
        assert_eq!(edited["conversation"]["messageCount"], json!(3));
        assert_eq!(ask_now(id, None)["type"], json!("done"));
        assert_eq!(
            prompt(2),
            "User: First?\nAssistant: An answer.\nUser: Second, edited?\nAssistant:"
        );

        // Regenerate the first answer: asked with the first question only; the new version
        // replaces everything after it.
        let done = ask_now(id, first_answer.as_i64());
        assert_eq!(done["type"], json!("done"), "{done}");
        assert_eq!(done["message"]["branches"], json!(2));
        assert_eq!(prompt(3), "First?");
        assert_eq!(shown(id).len(), 2);

        // Back to the first version: everything that followed it is there again.
        let back = app
            .invoke(
                "switch_version",
                json!({"id": done["message"]["id"], "step": -1}),
            )
            .unwrap();
        assert_eq!(&back["id"], first_answer);
        let texts: Vec<Value> = shown(id).iter().map(|m| m["text"].clone()).collect();
        assert_eq!(
            texts,
            ["First?", "An answer.", "Second, edited?", "An answer."]
        );

        // An answer is not edited, and a question is not regenerated.
        let refused = app
            .invoke(
                "edit_question",
                json!({"messageId": first_answer, "text": "x"}),
            )
            .unwrap_err();
        assert_eq!(refused["code"], json!("not_a_question"));
        let first_question = shown(id)[0]["id"].as_i64();
        assert_eq!(
            ask_now(id, first_question)["error"]["code"],
            json!("nothing_to_answer")
        );
    }

    #[test]
    fn a_failed_question_names_its_request_id() {
        let (_server, app) = served(Behaviour::InvalidJson);
        let id = question(&app, "Broken?");
        let failure = || {
            let (channel, events) = channel();
            tauri::async_runtime::block_on(ask(app.state(), id, channel, None, None)).unwrap();
            let failed = events.lock().unwrap().last().unwrap().clone();
            assert_eq!(failed["type"], json!("failed"));
            let request_id = failed["error"]["requestId"].as_str().unwrap().to_owned();
            assert!(
                request_id.len() == 8 && request_id.chars().all(|c| c.is_ascii_hexdigit()),
                "{request_id}"
            );
            assert!(
                failed["error"]["details"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("Request id: {request_id}")),
                "{failed}"
            );
            request_id
        };
        assert_ne!(failure(), failure(), "each request has its own id");
    }

    #[test]
    fn a_follow_up_is_asked_with_what_came_before_and_a_deleted_conversation_not_at_all() {
        let (server, app) = answering("Oui.");
        let send = |id: Option<i64>, text: &str| {
            let (channel, events) = channel();
            let sent = tauri::async_runtime::block_on(send_message(
                app.state(),
                id,
                text.into(),
                None,
                channel,
                None,
            ));
            (sent, events)
        };
        let (sent, events) = send(None, "Is it raining?");
        sent.unwrap();
        let id = events.lock().unwrap()[0]["conversation"]["id"]
            .as_i64()
            .unwrap();
        app.invoke(
            "set_instructions",
            json!({"conversationId": id, "text": "Answer in French."}),
        )
        .unwrap();
        // Read before the question is written, the prompt still ends with it.
        let (sent, events) = send(Some(id), "And tomorrow?");
        sent.unwrap();
        assert_eq!(kinds(&events), ["saved", "done"]);
        assert_eq!(
            prompt_sent(&server, 1),
            "System: Answer in French.\nUser: Is it raining?\nAssistant: Oui.\nUser: And tomorrow?\nAssistant:"
        );
        assert_eq!(
            message_roles(&app, id),
            ["user", "assistant", "system", "user", "assistant"]
        );
        // A conversation deleted meanwhile: refused before anything is saved or sent.
        app.invoke("delete_conversation", json!({"id": id}))
            .unwrap();
        let (sent, events) = send(Some(id), "Still there?");
        assert_eq!(sent.unwrap_err().code, "not_found");
        assert!(events.lock().unwrap().is_empty(), "no event, nothing saved");
        assert_eq!(server.requests().len(), 2, "nothing asked");
        app.invoke("restore_conversation", json!({"id": id}))
            .unwrap();
        assert_eq!(
            message_roles(&app, id),
            ["user", "assistant", "system", "user", "assistant"]
        );
    }

    #[test]
    fn instructions_lead_the_prompt_however_late_they_were_set() {
        let (server, app) = answering("Oui.");
        let ask_now = |id: i64| ask_now(&app, id, None);
        let id = question(&app, "Is it raining?");
        ask_now(id);
        let instructions = json!({"conversationId": id});
        assert_eq!(
            app.invoke("get_instructions", instructions.clone())
                .unwrap(),
            json!("")
        );
        app.invoke(
            "set_instructions",
            json!({"conversationId": id, "text": " Answer in French. "}),
        )
        .unwrap();
        assert_eq!(
            app.invoke("get_instructions", instructions.clone())
                .unwrap(),
            json!("Answer in French.")
        );
        follow_up(&app, Some(id), "And tomorrow?");
        ask_now(id);
        assert_eq!(
            prompt_sent(&server, 1),
            "System: Answer in French.\nUser: Is it raining?\nAssistant: Oui.\nUser: And tomorrow?\nAssistant:"
        );
        // Changed in place, then removed: one system message at most, then none.
        app.invoke(
            "set_instructions",
            json!({"conversationId": id, "text": "Be brief."}),
        )
        .unwrap();
        assert_eq!(
            message_roles(&app, id),
            ["user", "assistant", "system", "user", "assistant"]
        );
        app.invoke(
            "set_instructions",
            json!({"conversationId": id, "text": "  "}),
        )
        .unwrap();
        assert_eq!(
            message_roles(&app, id),
            ["user", "assistant", "user", "assistant"]
        );
        let long = "x".repeat(MAX_INSTRUCTIONS_CHARS + 1);
        let refused = app
            .invoke(
                "set_instructions",
                json!({"conversationId": id, "text": long}),
            )
            .unwrap_err();
        assert_eq!(refused["code"], json!("instructions_too_long"));
    }
}
