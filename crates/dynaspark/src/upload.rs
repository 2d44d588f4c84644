//! The request body: reqwest's own multipart encoding, rendered once (retries resend the
//! same bytes) and streamed in chunks so the bytes handed to the connection can be counted.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::StreamExt as _;
use http_body::{Frame, SizeHint};
use reqwest::multipart::Form;
use tokio::sync::watch;

/// Small enough for smooth progress, large enough not to cost anything.
const CHUNK_BYTES: usize = 64 * 1024;

/// A rendered body and its `Content-Type`.
pub(crate) struct Payload {
    content_type: String,
    bytes: Bytes,
}

impl Payload {
    /// The bytes `RequestBuilder::multipart(form)` would send, with the same
    /// `Content-Type` (and so the same `Content-Length`). `size_hint`: about how many
    /// bytes its parts hold (room is made for them at once: a 10 MB image is not copied
    /// again as the body grows).
    pub(crate) async fn multipart(form: Form, size_hint: usize) -> Self {
        let content_type = format!("multipart/form-data; boundary={}", form.boundary());
        let mut stream = std::pin::pin!(form.into_stream());
        let mut bytes = Vec::with_capacity(size_hint + 1024);
        while let Some(chunk) = stream.next().await {
            bytes.extend_from_slice(&chunk.expect("in-memory multipart parts cannot fail"));
        }
        Self {
            content_type,
            bytes: bytes.into(),
        }
    }

    pub(crate) fn content_type(&self) -> &str {
        &self.content_type
    }

    pub(crate) fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// A fresh body for one attempt, and the running count of its bytes handed over.
    pub(crate) fn body(&self) -> (reqwest::Body, watch::Receiver<u64>) {
        let (body, sent) = self.counting_body();
        (reqwest::Body::wrap(body), sent)
    }

    fn counting_body(&self) -> (CountingBody, watch::Receiver<u64>) {
        let (sent, rx) = watch::channel(0);
        let body = CountingBody {
            bytes: self.bytes.clone(),
            pos: 0,
            sent,
        };
        (body, rx)
    }
}

struct CountingBody {
    bytes: Bytes,
    pos: usize,
    sent: watch::Sender<u64>,
}

impl http_body::Body for CountingBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if this.pos >= this.bytes.len() {
            return Poll::Ready(None);
        }
        let end = (this.pos + CHUNK_BYTES).min(this.bytes.len());
        let chunk = this.bytes.slice(this.pos..end);
        this.pos = end;
        // Counted when hyper takes the chunk: the previous ones are in the socket
        // (or its buffer) by then.
        this.sent.send_replace(end as u64);
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact((self.bytes.len() - self.pos) as u64)
    }
}

#[cfg(test)]
mod tests {
    use http_body::Body as _;

    use super::*;

    #[tokio::test]
    async fn the_body_is_the_form_in_chunks_and_counts_them() {
        let big = "x".repeat(CHUNK_BYTES * 2 + 10);
        let form = Form::new().text("user_input", big.clone());
        let payload = Payload::multipart(form, 0).await;
        assert!(payload
            .content_type()
            .starts_with("multipart/form-data; boundary="));

        let (mut body, mut sent) = payload.counting_body();
        assert_eq!(*sent.borrow_and_update(), 0);
        assert_eq!(body.size_hint().exact(), Some(payload.len()));
        let mut got = Vec::new();
        let mut counts = Vec::new();
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
        {
            got.extend_from_slice(&frame.unwrap().into_data().unwrap());
            counts.push(*sent.borrow_and_update());
        }
        assert_eq!(got, payload.bytes);
        assert_eq!(counts.len(), 3);
        assert_eq!(counts.last().copied(), Some(payload.len()));
        assert!(body.is_end_stream());
        let text = String::from_utf8(got).unwrap();
        assert!(text.contains("name=\"user_input\""));
        assert!(text.contains(&big));
    }
}
