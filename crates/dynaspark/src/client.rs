//! The HTTP exchange with the vision endpoint: builds the multipart request exactly as
//! the protocol page describes, sends it (cancellable), and maps the reply.

use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::multipart::{Form, Part};
use tokio_util::sync::CancellationToken;

use crate::error::map_response;
use crate::{ClientConfig, Error, Image, USER_AGENT};

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
    pub elapsed: Duration,
}

/// A configured Dynaspark client. Cheap to clone; build a new one when settings change.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    config: ClientConfig,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let mut builder = reqwest::Client::builder()
            .default_headers(reference_headers(&config)?)
            .connect_timeout(config.timeouts.connect)
            .timeout(config.timeouts.total);
        builder = match &config.proxy {
            Some(proxy) => builder.proxy(proxy.to_reqwest()?),
            None => builder.no_proxy(),
        };
        let http = builder.build().map_err(|e| Error::InvalidProxy {
            reason: e.to_string(),
        })?;
        Ok(Self { http, config })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Sends `request` and waits for the whole answer, or for `cancel`.
    pub async fn ask(
        &self,
        request: &Request,
        cancel: &CancellationToken,
    ) -> Result<Answer, Error> {
        let started = Instant::now();
        tracing::info!(
            endpoint = %self.config.endpoint,
            model = %request.model,
            prompt_chars = request.prompt.chars().count(),
            image = ?request.image,
            "sending question"
        );
        let result = tokio::select! {
            biased;
            () = cancel.cancelled() => Err(Error::Cancelled),
            r = self.exchange(request) => r,
        };
        let elapsed = started.elapsed();
        match &result {
            Ok(text) => tracing::info!(
                ms = elapsed.as_millis() as u64,
                chars = text.len(),
                "answer received"
            ),
            Err(e) => {
                tracing::warn!(ms = elapsed.as_millis() as u64, code = e.code().as_str(), error = %e, "question failed")
            }
        }
        result.map(|text| Answer { text, elapsed })
    }

    async fn exchange(&self, request: &Request) -> Result<String, Error> {
        let response = self
            .http
            .post(self.config.endpoint.clone())
            .multipart(build_form(request)?)
            .send()
            .await
            .map_err(|e| self.transport_error(e))?;

        let status = response.status().as_u16();
        let header_str = |name: header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header_str(header::CONTENT_TYPE);
        let retry_after = header_str(header::RETRY_AFTER);
        let body = read_body(response).await.map_err(|e| match e {
            BodyError::TooLarge => Error::ResponseTooLarge {
                limit_mib: (MAX_BODY_BYTES >> 20) as u64,
            },
            BodyError::Http(e) => self.transport_error(e),
        })?;
        map_response(
            status,
            content_type.as_deref(),
            retry_after.as_deref(),
            &body,
        )
    }

    fn transport_error(&self, e: reqwest::Error) -> Error {
        let host = self
            .config
            .endpoint
            .host_str()
            .unwrap_or_default()
            .to_owned();
        let detail = self.redact(&error_chain(&e));
        if e.is_timeout() {
            // reqwest reports a connect timeout as a connect error that is also a timeout.
            if e.is_connect() {
                return Error::ConnectTimeout {
                    host,
                    timeout: self.config.timeouts.connect,
                };
            }
            return Error::Timeout {
                timeout: self.config.timeouts.total,
            };
        }
        if e.is_connect() {
            if self.config.proxy.is_some() {
                return Error::Proxy { detail };
            }
            return Error::Connect { host, detail };
        }
        Error::Network { detail }
    }

    fn redact(&self, text: &str) -> String {
        match &self.config.proxy {
            Some(p) => p.redact(text),
            None => text.to_owned(),
        }
    }
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
        let part = Part::bytes(image.bytes().to_vec())
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

/// reqwest's top-level message is generic ("error sending request"); the causes say why.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
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
