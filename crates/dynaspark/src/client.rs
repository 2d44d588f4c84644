//! The HTTP exchange with the vision endpoint: builds the multipart request exactly as
//! the protocol page describes, sends it with retries and progress (cancellable), maps the reply.

use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::multipart::{Form, Part};
use tokio_util::sync::CancellationToken;

use crate::error::map_response;
use crate::network::{transport_error, Phase};
use crate::progress::UploadReporter;
use crate::upload::Payload;
use crate::{retry, ClientConfig, ConnectionFault, Error, Image, Progress, USER_AGENT};

/// Largest answer body read into memory; Dynaspark answers are a few KiB.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
const TEXT_PART_TYPE: &str = "text/plain; charset=utf-8";

/// One question for the vision endpoint.
#[derive(Debug, Clone)]
pub struct Request {
    /// Already flattened (see [`crate::flatten_within`]).
    pub prompt: String,
    pub model: String,
    pub image: Option<Image>,
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The `response` string, Markdown, whole.
    pub text: String,
    /// From the first attempt to the answer, waits included.
    pub elapsed: Duration,
    /// Attempts made, the successful one included.
    pub attempts: u32,
}

/// A configured Dynaspark client. Cheap to clone (one connection pool, shared);
/// build a new one when settings change.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    config: ClientConfig,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let http = http_client(&config, config.proxy.as_ref())?;
        Ok(Self { http, config })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends `request` and waits for the whole answer, or for `cancel`; retries as
    /// [`ClientConfig::retry`] allows. Same as [`Client::ask_with`] without progress.
    pub async fn ask(
        &self,
        request: &Request,
        cancel: &CancellationToken,
    ) -> Result<Answer, Error> {
        self.ask_with(request, cancel, |_| {}).await
    }

    /// Like [`Client::ask`], reporting [`Progress`] to `on_progress` (called on this
    /// task, in order; keep it quick). `cancel` stops at once, whether uploading,
    /// waiting for the answer or waiting to retry.
    pub async fn ask_with<F>(
        &self,
        request: &Request,
        cancel: &CancellationToken,
        on_progress: F,
    ) -> Result<Answer, Error>
    where
        F: Fn(Progress) + Send + Sync,
    {
        let started = Instant::now();
        tracing::info!(
            endpoint = %self.config.endpoint,
            proxy = self.config.proxy.as_ref().map(|p| p.display_url()),
            model = %request.model,
            prompt_chars = request.prompt.chars().count(),
            image = ?request.image,
            "sending question"
        );
        let result = tokio::select! {
            biased;
            () = cancel.cancelled() => Err(Error::Cancelled),
            r = self.ask_with_retries(request, &on_progress) => r,
        };
        let elapsed = started.elapsed();
        match &result {
            Ok((text, attempts)) => tracing::info!(
                ms = elapsed.as_millis() as u64,
                chars = text.len(),
                attempts,
                "answer received"
            ),
            Err(e) => tracing::warn!(
                ms = elapsed.as_millis() as u64,
                code = e.code().as_str(),
                error = %e,
                details = e.transport_details(),
                "question failed"
            ),
        }
        result.map(|(text, attempts)| Answer {
            text,
            elapsed,
            attempts,
        })
    }

    async fn ask_with_retries(
        &self,
        request: &Request,
        on_progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<(String, u32), Error> {
        let payload = Payload::multipart(build_form(request)?).await;
        retry::run(
            &self.config.retry,
            on_progress,
            retry::jitter_unit,
            |attempt| self.attempt(&payload, attempt, on_progress),
        )
        .await
    }

    /// One POST; also says whether the whole body was handed to the connection.
    async fn attempt(
        &self,
        payload: &Payload,
        attempt: u32,
        on_progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> (Result<String, Error>, bool) {
        let (body, mut sent) = payload.body();
        let mut reporter = UploadReporter::new(on_progress, payload.len(), attempt);
        // The same two headers `RequestBuilder::multipart` sets, so the request on the
        // wire is unchanged; the body is ours only to count what was sent.
        let send = self
            .http
            .post(self.config.endpoint.clone())
            .header(header::CONTENT_TYPE, payload.content_type())
            .header(header::CONTENT_LENGTH, payload.len())
            .body(body)
            .send();
        let mut send = std::pin::pin!(send);
        let response = loop {
            tokio::select! {
                r = &mut send => break r,
                Ok(()) = sent.changed() => {
                    let n = *sent.borrow_and_update();
                    reporter.sent(n);
                }
            }
        };
        let n = *sent.borrow();
        reporter.sent(n);
        let finished = reporter.finished();
        let result = match response {
            Ok(response) => self.read_answer(response).await,
            Err(e) => Err(self
                .explain_socks_hang_up(transport_error(&self.config, &e, Phase::Sending))
                .await),
        };
        (result, finished)
    }

    /// A SOCKS5 handshake cut short while credentials are set: the proxy is asked once
    /// more whether it refuses them, so a wrong password reads as one (and is not retried)
    /// rather than as a proxy that hung up.
    async fn explain_socks_hang_up(&self, error: Error) -> Error {
        let (
            Error::Proxy {
                fault: ConnectionFault::Handshake,
                detail,
                ..
            },
            Some(proxy),
        ) = (&error, &self.config.proxy)
        else {
            return error;
        };
        match crate::proxy_check::socks_refusal(proxy, self.config.timeouts.connect).await {
            Some(why) => Error::ProxyAuth {
                proxy: proxy.display_url(),
                credentials_sent: true,
                detail: format!("{why}\n{detail}"),
            },
            None => error,
        }
    }

    async fn read_answer(&self, response: reqwest::Response) -> Result<String, Error> {
        let status = response.status().as_u16();
        let header_str = |name: header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        if status == 407 {
            if let Some(proxy) = &self.config.proxy {
                let challenge = header_str(header::PROXY_AUTHENTICATE).unwrap_or_default();
                return Err(Error::ProxyAuth {
                    proxy: proxy.display_url(),
                    credentials_sent: proxy.has_credentials(),
                    detail: format!("HTTP 407 from the proxy\nProxy-Authenticate: {challenge}"),
                });
            }
        }
        let content_type = header_str(header::CONTENT_TYPE);
        let retry_after = header_str(header::RETRY_AFTER);
        let body = read_body(response).await.map_err(|e| match e {
            BodyError::TooLarge => Error::ResponseTooLarge {
                limit_mib: (MAX_BODY_BYTES >> 20) as u64,
            },
            BodyError::Http(e) => transport_error(&self.config, &e, Phase::Reading),
        })?;
        map_response(
            status,
            content_type.as_deref(),
            retry_after.as_deref(),
            &body,
        )
    }
}

/// The HTTP client for `config`, through `proxy`. HTTP/1 header names go out in title
/// case, as the reference client sends them: some proxies read `Proxy-Authorization`
/// case-sensitively.
pub(crate) fn http_client(
    config: &ClientConfig,
    proxy: Option<&crate::ProxyConfig>,
) -> Result<reqwest::Client, Error> {
    let mut builder = reqwest::Client::builder()
        .default_headers(reference_headers(config)?)
        .http1_title_case_headers()
        .connect_timeout(config.timeouts.connect)
        .timeout(config.timeouts.total);
    builder = match proxy {
        Some(proxy) => builder.proxy(proxy.to_reqwest()?),
        None => builder.no_proxy(),
    };
    builder.build().map_err(|e| Error::InvalidProxy {
        problem: crate::AddressProblem::Unusable,
        reason: crate::network::redact(config, &e.to_string()),
    })
}

/// The multipart body: `user_input`, `ai_model`, then the optional `file`, in that order.
fn build_form(request: &Request) -> Result<Form, Error> {
    let text = |value: &str| {
        Part::text(value.to_owned())
            .mime_str(TEXT_PART_TYPE)
            .expect("constant mime parses")
    };
    let mut form = Form::new()
        .part("user_input", text(&request.prompt))
        .part("ai_model", text(&request.model));
    if let Some(image) = &request.image {
        let len = image.bytes().len() as u64;
        let part = Part::stream_with_length(reqwest::Body::from(image.shared_bytes()), len)
            .file_name(encode_file_name(image.file_name()))
            .mime_str(image.kind().mime())
            .map_err(|e| Error::NotAnImage {
                name: format!("{} ({e})", image.file_name()),
            })?;
        form = form.part("file", part);
    }
    Ok(form)
}

/// The reference client quotes the file name like Python's `urllib.parse.quote(name, safe="")`:
/// every byte but ASCII letters, digits and `_.-~` is percent-encoded (UTF-8).
fn encode_file_name(name: &str) -> String {
    const RESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'_')
        .remove(b'.')
        .remove(b'-')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(name, RESERVED).to_string()
}

/// The headers the reference client sends; `origin` and `referer` follow the endpoint.
fn reference_headers(config: &ClientConfig) -> Result<HeaderMap, Error> {
    let origin = config.origin();
    let value = |v: &str| {
        HeaderValue::from_str(v).map_err(|e| Error::InvalidEndpoint {
            problem: crate::AddressProblem::Unusable,
            reason: e.to_string(),
        })
    };
    let mut h = HeaderMap::new();
    h.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
    h.insert(
        header::ACCEPT_LANGUAGE,
        HeaderValue::from_static("en-US,en;q=0.9"),
    );
    h.insert(header::ORIGIN, value(&origin)?);
    h.insert(header::REFERER, value(&format!("{origin}/"))?);
    h.insert(header::USER_AGENT, HeaderValue::from_static(USER_AGENT));
    h.insert(
        "x-requested-with",
        HeaderValue::from_static("XMLHttpRequest"),
    );
    Ok(h)
}

enum BodyError {
    TooLarge,
    Http(reqwest::Error),
}

async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Http)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_quoted_like_the_reference_client() {
        assert_eq!(encode_file_name("red square.png"), "red%20square.png");
        assert_eq!(encode_file_name("a_b-c~d.JPG"), "a_b-c~d.JPG");
        assert_eq!(
            encode_file_name("фото \"1\"/x.png"),
            "%D1%84%D0%BE%D1%82%D0%BE%20%221%22%2Fx.png"
        );
    }

    /// The shell runs these on a multi-threaded runtime.
    #[test]
    fn the_futures_are_send() {
        fn send<T: Send>(_: &T) {}
        let client = Client::new(ClientConfig::new("http://127.0.0.1:9/x").unwrap()).unwrap();
        let request = Request {
            prompt: "q".into(),
            model: "m".into(),
            image: None,
        };
        let cancel = CancellationToken::new();
        send(&client.ask(&request, &cancel));
        send(&client.ask_with(&request, &cancel, |_| {}));
        send(&client.test_proxy());
    }

    #[test]
    fn reference_headers_follow_the_endpoint() {
        let config = ClientConfig::new("http://localhost:9000/dsai/generate_response").unwrap();
        let h = reference_headers(&config).unwrap();
        assert_eq!(h["origin"], "http://localhost:9000");
        assert_eq!(h["referer"], "http://localhost:9000/");
        assert_eq!(h["accept"], "*/*");
        assert_eq!(h["accept-language"], "en-US,en;q=0.9");
        assert_eq!(h["x-requested-with"], "XMLHttpRequest");
        assert!(h["user-agent"].to_str().unwrap().starts_with("Mozilla/5.0"));
    }
}
