//! The fake vision endpoint: records every request and answers as scripted.
//! Control routes under `/__fake/` let tests (and the e2e suite) script answers and read records.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

/// How the server answers one request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Behaviour {
    /// 200 `{"response": text}`.
    Answer { text: String },
    /// 200 with a Markdown answer describing what was received (prompt, model, image).
    #[default]
    Echo,
    /// Waits, then behaves as `then`.
    Delay { ms: u64, then: Box<Behaviour> },
    /// 429 with an optional `Retry-After` header value (seconds or HTTP date).
    RateLimited { retry_after: Option<String> },
    /// 502 with a Render-style HTML page.
    BadGatewayHtml,
    /// 503 with a short text body.
    Unavailable,
    /// 503 with a `Retry-After` header value (seconds or HTTP date).
    UnavailableRetryAfter { retry_after: String },
    /// Behaves as `failure` for the next `times` requests, then as `then`: one queue
    /// entry for "fail N times, then answer".
    FailTimes {
        times: u32,
        failure: Box<Behaviour>,
        then: Box<Behaviour>,
    },
    /// 200 JSON whose `response` string makes the body `bytes` long, streamed.
    LargeBody { bytes: u64 },
    /// 200 with a body that is not JSON.
    InvalidJson,
    /// 200 JSON without a `response` field.
    MissingResponse,
    /// 200 headers, part of a body, then the connection is closed.
    CloseMidBody,
    /// Any status, body and content type.
    Status {
        status: u16,
        body: String,
        content_type: String,
    },
}

/// One part of a recorded multipart (or url-encoded) request, in arrival order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedPart {
    pub name: String,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    /// The value, for text parts.
    pub text: Option<String>,
    pub size: usize,
    pub sha256: String,
    /// The bytes, base64, for file parts.
    pub data_base64: Option<String>,
}

/// A request as the server saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Header names lower-case, in arrival order.
    pub headers: Vec<(String, String)>,
    pub parts: Vec<RecordedPart>,
    /// The raw body, base64 (for byte-level checks such as the encoded file name).
    pub body_base64: String,
    /// What went wrong reading the body, if anything.
    pub parse_error: Option<String>,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn part(&self, name: &str) -> Option<&RecordedPart> {
        self.parts.iter().find(|p| p.name == name)
    }
    pub fn body(&self) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.body_base64)
            .unwrap_or_default()
    }
}

#[derive(Default)]
struct Shared {
    queue: VecDeque<Behaviour>,
    fallback: Behaviour,
    requests: Vec<RecordedRequest>,
}

#[derive(Clone, Default)]
struct AppState(Arc<Mutex<Shared>>);

impl AppState {
    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running fake server. Dropping it does not stop it; it lives as long as the runtime.
#[derive(Clone)]
pub struct FakeServer {
    addr: SocketAddr,
    state: AppState,
}

#[derive(Deserialize)]
struct Script {
    /// Answers for the next requests, in order.
    #[serde(default)]
    queue: Vec<Behaviour>,
    /// The answer once the queue is empty.
    fallback: Option<Behaviour>,
}

impl FakeServer {
    /// Binds `addr` (port 0 picks a free one) and serves in the background.
    pub async fn start(addr: SocketAddr) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = AppState::default();
        let app = router(state.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, state })
    }

    /// On 127.0.0.1 with a free port.
    pub async fn start_local() -> Self {
        Self::start(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind 127.0.0.1")
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The vision endpoint URL.
    pub fn endpoint(&self) -> String {
        format!("http://{}/generate_response", self.addr)
    }

    /// Answers the next requests with `behaviours`, in order.
    pub fn enqueue(&self, behaviours: impl IntoIterator<Item = Behaviour>) {
        self.state.lock().queue.extend(behaviours);
    }

    /// The answer once the queue is empty (default: [`Behaviour::Echo`]).
    pub fn set_fallback(&self, behaviour: Behaviour) {
        self.state.lock().fallback = behaviour;
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.lock().requests.clone()
    }
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/generate_response", post(generate))
        .route("/__fake/script", post(script))
        .route(
            "/__fake/requests",
            get(list_requests).delete(clear_requests),
        )
        // Large enough for the biggest image a test uploads.
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(state)
}

const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;

async fn home() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!DOCTYPE html><title>fake Dynaspark</title><p>POST /generate_response</p>",
    )
}

async fn script(State(state): State<AppState>, Json(script): Json<Script>) -> StatusCode {
    let mut s = state.lock();
    s.queue = script.queue.into();
    if let Some(f) = script.fallback {
        s.fallback = f;
    }
    StatusCode::NO_CONTENT
}

async fn list_requests(State(state): State<AppState>) -> Json<Vec<RecordedRequest>> {
    Json(state.lock().requests.clone())
}

async fn clear_requests(State(state): State<AppState>) -> StatusCode {
    state.lock().requests.clear();
    StatusCode::NO_CONTENT
}

async fn generate(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let recorded = record("/generate_response", &headers, &body).await;
    let behaviour = {
        let mut s = state.lock();
        s.requests.push(recorded.clone());
        match s.queue.pop_front().unwrap_or_else(|| s.fallback.clone()) {
            Behaviour::FailTimes {
                times,
                failure,
                then,
            } if times > 0 => {
                s.queue.push_front(Behaviour::FailTimes {
                    times: times - 1,
                    failure: failure.clone(),
                    then,
                });
                *failure
            }
            Behaviour::FailTimes { then, .. } => *then,
            other => other,
        }
    };
    respond(behaviour, &recorded).await
}

async fn record(path: &str, headers: &HeaderMap, body: &Bytes) -> RecordedRequest {
    let header_list = headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (parts, parse_error) = if content_type.starts_with("multipart/form-data") {
        match parse_multipart(content_type, body.clone()).await {
            Ok(parts) => (parts, None),
            Err(e) => (Vec::new(), Some(e)),
        }
    } else {
        let parts = url_form(body);
        (parts, None)
    };
    RecordedRequest {
        method: "POST".into(),
        path: path.into(),
        headers: header_list,
        parts,
        body_base64: base64::engine::general_purpose::STANDARD.encode(body),
        parse_error,
    }
}

async fn parse_multipart(content_type: &str, body: Bytes) -> Result<Vec<RecordedPart>, String> {
    let boundary = multer::parse_boundary(content_type).map_err(|e| e.to_string())?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut parts = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| e.to_string())? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(|m| m.to_string());
        let data = field.bytes().await.map_err(|e| e.to_string())?;
        parts.push(part(name, file_name, content_type, &data));
    }
    Ok(parts)
}

fn url_form(body: &[u8]) -> Vec<RecordedPart> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let decode = |s: &str| {
                let s = s.replace('+', " ");
                percent_decode(&s)
            };
            part(decode(k), None, None, decode(v).as_bytes())
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn part(
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    data: &[u8],
) -> RecordedPart {
    let is_file = file_name.is_some();
    RecordedPart {
        name,
        file_name,
        content_type,
        text: (!is_file).then(|| String::from_utf8_lossy(data).into_owned()),
        size: data.len(),
        sha256: hex::encode(sha2::Sha256::digest(data)),
        data_base64: is_file.then(|| base64::engine::general_purpose::STANDARD.encode(data)),
    }
}

fn json_answer(status: StatusCode, value: serde_json::Value) -> Response {
    (status, Json(value)).into_response()
}

fn respond(
    behaviour: Behaviour,
    req: &RecordedRequest,
) -> futures_util::future::BoxFuture<'static, Response> {
    let req = req.clone();
    Box::pin(async move {
        match behaviour {
            Behaviour::Answer { text } => {
                json_answer(StatusCode::OK, serde_json::json!({ "response": text }))
            }
            Behaviour::Echo => json_answer(
                StatusCode::OK,
                serde_json::json!({ "response": echo(&req) }),
            ),
            Behaviour::Delay { ms, then } => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                respond(*then, &req).await
            }
            Behaviour::RateLimited { retry_after } => {
                let mut r = json_answer(
                    StatusCode::TOO_MANY_REQUESTS,
                    serde_json::json!({ "error": "Too many requests" }),
                );
                if let Some(v) = retry_after.and_then(|v| v.parse().ok()) {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
                r
            }
            Behaviour::BadGatewayHtml => (
                StatusCode::BAD_GATEWAY,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>\
                 <body><h1>Bad Gateway</h1><p>This service is waking up.</p></body></html>",
            )
                .into_response(),
            Behaviour::Unavailable => {
                (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response()
            }
            Behaviour::UnavailableRetryAfter { retry_after } => {
                let mut r =
                    (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response();
                if let Ok(v) = retry_after.parse() {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
                r
            }
            Behaviour::FailTimes { then, .. } => respond(*then, &req).await,
            Behaviour::LargeBody { bytes } => large_body(bytes),
            Behaviour::InvalidJson => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                "{\"response\": \"unterminated",
            )
                .into_response(),
            Behaviour::MissingResponse => json_answer(
                StatusCode::OK,
                serde_json::json!({ "result": "no response field" }),
            ),
            Behaviour::CloseMidBody => {
                use futures_util::StreamExt as _;
                let first = futures_util::stream::once(async {
                    Ok::<_, std::io::Error>(Bytes::from_static(
                        b"{\"response\": \"This answer is cut o",
                    ))
                });
                // The pause lets the head and first bytes reach the client; failing at
                // once can drop them unsent, and the client would see no answer at all.
                let cut = futures_util::stream::once(async {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "closed mid-body",
                    ))
                });
                Response::builder()
                    .status(StatusCode::OK)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from_stream(first.chain(cut)))
                    .unwrap_or_default()
            }
            Behaviour::Status {
                status,
                body,
                content_type,
            } => (
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                [(header::CONTENT_TYPE, content_type)],
                body,
            )
                .into_response(),
        }
    })
}

/// `{"response": "xxx…"}`, `bytes` long in all, made as it is sent.
fn large_body(bytes: u64) -> Response {
    const CHUNK: u64 = 64 * 1024;
    let head: &[u8] = b"{\"response\": \"";
    let tail: &[u8] = b"\"}";
    let filler = bytes.saturating_sub((head.len() + tail.len()) as u64);
    let chunks = (0..filler.div_ceil(CHUNK)).map(move |i| {
        let n = CHUNK.min(filler - i * CHUNK) as usize;
        Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; n]))
    });
    let stream = futures_util::stream::iter(
        std::iter::once(Ok(Bytes::from_static(head)))
            .chain(chunks)
            .chain(std::iter::once(Ok(Bytes::from_static(tail)))),
    );
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header(
            header::CONTENT_LENGTH,
            filler + (head.len() + tail.len()) as u64,
        )
        .body(Body::from_stream(stream))
        .unwrap_or_default()
}

/// A readable Markdown answer that says what arrived, so people trying the app
/// offline see their question went through, and tests can read it back.
fn echo(req: &RecordedRequest) -> String {
    let text = |name: &str| {
        req.part(name)
            .and_then(|p| p.text.clone())
            .unwrap_or_default()
    };
    let mut out = String::from("### Echo from the fake Dynaspark\n\n");
    out.push_str(&format!("- **Model:** `{}`\n", text("ai_model")));
    match req.part("file") {
        Some(f) => out.push_str(&format!(
            "- **Image:** `{}` ({}, {} bytes)\n",
            f.file_name.as_deref().unwrap_or("?"),
            f.content_type.as_deref().unwrap_or("?"),
            f.size
        )),
        None => out.push_str("- **Image:** none\n"),
    }
    out.push_str("\n**Prompt received:**\n\n```text\n");
    out.push_str(&text("user_input").replace("```", "'''"));
    out.push_str("\n```\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaviours_have_a_stable_json_form() {
        let b = Behaviour::Delay {
            ms: 5,
            then: Box::new(Behaviour::RateLimited {
                retry_after: Some("3".into()),
            }),
        };
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"delay","ms":5,"then":{"kind":"rate_limited","retry_after":"3"}}"#
        );
        assert_eq!(serde_json::from_str::<Behaviour>(&json).unwrap(), b);
    }

    #[test]
    fn fail_times_has_a_stable_json_form() {
        let b = Behaviour::FailTimes {
            times: 2,
            failure: Box::new(Behaviour::Unavailable),
            then: Box::new(Behaviour::Echo),
        };
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"fail_times","times":2,"failure":{"kind":"unavailable"},"then":{"kind":"echo"}}"#
        );
        assert_eq!(serde_json::from_str::<Behaviour>(&json).unwrap(), b);
    }

    #[tokio::test]
    async fn fail_times_fails_then_answers_and_counts() {
        let server = FakeServer::start_local().await;
        server.enqueue([Behaviour::FailTimes {
            times: 2,
            failure: Box::new(Behaviour::Unavailable),
            then: Box::new(Behaviour::Answer { text: "ok".into() }),
        }]);
        server.set_fallback(Behaviour::Status {
            status: 418,
            body: String::new(),
            content_type: "text/plain".into(),
        });
        let mut statuses = Vec::new();
        for _ in 0..4 {
            statuses.push(post(&server).await.0);
        }
        assert_eq!(statuses, [503, 503, 200, 418]);
        assert_eq!(server.requests().len(), 4);
    }

    #[tokio::test]
    async fn large_body_is_as_long_as_asked() {
        let server = FakeServer::start_local().await;
        server.enqueue([Behaviour::LargeBody { bytes: 200_000 }]);
        let (status, body) = post(&server).await;
        assert_eq!(status, 200);
        assert_eq!(body.len(), 200_000);
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["response"].as_str().unwrap().len(), 200_000 - 16);
    }

    /// A bare HTTP/1.0 POST; returns the status and the body.
    async fn post(server: &FakeServer) -> (u16, Vec<u8>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut conn = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
        conn.write_all(
            b"POST /generate_response HTTP/1.0\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n",
        )
        .await
        .unwrap();
        let mut raw = Vec::new();
        conn.read_to_end(&mut raw).await.unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let status = String::from_utf8_lossy(&raw[9..12]).parse().unwrap();
        (status, raw[split + 4..].to_vec())
    }

    #[test]
    fn url_encoded_forms_are_read() {
        let parts = url_form(b"user_input=what+is%20this%3F&ai_model=gemini-1.5-flash");
        assert_eq!(parts[0].text.as_deref(), Some("what is this?"));
        assert_eq!(parts[1].name, "ai_model");
    }
}
